"""hwb_action: the Headless Wheel Builder.

The Python API returns results as data and raises :class:`hwb_action.errors.HwbError`
subclasses; it never prints.  ``build`` and ``check`` are the main entry points.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "build", "check"]

if TYPE_CHECKING:
    from hwb_action.artifacts import CheckReport
    from hwb_action.builder import BuildResult
    from hwb_action.ci import Reporter
    from hwb_action.options import BuildOptions


def build(
    source: str = ".",
    options: BuildOptions | None = None,
    *,
    reporter: Reporter | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **overrides: Any,
) -> BuildResult:
    """Build ``source`` (a directory, git URL or sdist) and return the checked artifacts.

    ``overrides`` are options by name (``out_dir="dist"``, ``isolation="uv"``,
    ``cache="no"``), with the meaning and conversions of the CLI flags; ``[tool.hwb]`` and
    ``HWB_*`` (from ``environ``, default ``os.environ``) apply beneath them.  An unknown name
    is a :class:`~hwb_action.errors.UsageError` with a suggestion.  With ``options`` (a
    :class:`~hwb_action.options.BuildOptions`), those are the options used, with
    ``overrides`` replacing fields.
    """
    import os

    from hwb_action._command import Invocation
    from hwb_action.ci import NullReporter
    from hwb_action.commands.build import build as _build
    from hwb_action.options import overrides_for

    cli = overrides_for("build", overrides)
    cli["source"] = source
    inv = Invocation(command="build", cli=cli, environ=dict(os.environ if environ is None
                                                            else environ),
                     reporter=reporter or NullReporter(), cwd=cwd or Path.cwd())
    return _build(inv, options, cli if options is not None else None)


def check(*paths: str) -> CheckReport:
    """Check distribution files (see :func:`hwb_action.artifacts.check_files`)."""
    from hwb_action.artifacts import check_files

    return check_files(list(paths))
