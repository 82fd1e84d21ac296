"""hwb_action: the Headless Wheel Builder.

The Python API returns results as data and raises :class:`hwb_action.errors.HwbError`
subclasses; it never prints.  ``build`` and ``check`` are the main entry points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "build", "check"]

if TYPE_CHECKING:
    from hwb_action.artifacts import CheckReport
    from hwb_action.builder import BuildResult


def build(source: str = ".", **options: Any) -> BuildResult:
    """Build ``source`` (see :func:`hwb_action.builder.build`)."""
    from hwb_action.builder import build as _build

    return _build(source, **options)


def check(*paths: str) -> CheckReport:
    """Check distribution files (see :func:`hwb_action.artifacts.check_files`)."""
    from hwb_action.artifacts import check_files

    return check_files(list(paths))
