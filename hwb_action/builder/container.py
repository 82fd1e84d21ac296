"""Linux wheels in manylinux/musllinux containers, by delegating to cibuildwheel.

cibuildwheel already runs PyPA's containers well (copying the project in, one container per
image, repair with auditwheel, the test step in a fresh venv), so hwb does not re-implement
containers: it finds a working engine (:mod:`hwb_action.builder.engines`) and runs
cibuildwheel for the cell's Linux identifiers in one run (:mod:`hwb_action.builder.cibw`,
which documents how hwb's settings become ``CIBW_*`` options).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hwb_action.builder.cibw import (
    CibuildwheelError,
    cibuildwheel_command,
    cibuildwheel_environment,
    run_cibuildwheel,
)
from hwb_action.builder.engines import (
    Engine,
    EngineProbe,
    find_engine,
    probe_engines,
    require_engine,
)
from hwb_action.builder.identifiers import platform_of
from hwb_action.builder.result import WheelInfo
from hwb_action.ci import Reporter
from hwb_action.errors import UsageError
from hwb_action.options import BuildOptions

__all__ = [
    "CibuildwheelError",
    "Engine",
    "EngineProbe",
    "build_in_container",
    "cibuildwheel_command",
    "cibuildwheel_environment",
    "find_engine",
    "probe_engines",
    "require_engine",
]


def build_in_container(
    *,
    project_dir: Path,
    targets: Sequence[str],
    options: BuildOptions,
    out_dir: Path,
    reporter: Reporter,
    environ: Mapping[str, str],
    engine: Engine | None = None,
) -> list[WheelInfo]:
    """Build ``targets`` (Linux cibuildwheel identifiers; none = cibuildwheel's own
    selection) of the project in ``project_dir`` (a directory or an sdist) in containers,
    all in one cibuildwheel run.

    Returns records of the wheels cibuildwheel produced, moved into ``out_dir``; checking
    them and writing checksums is the caller's job.  Raises :class:`BuildError` when no
    engine works and :class:`CibuildwheelError` (with cibuildwheel's exit code, the
    compiler's error lines and the log's tail) when the build fails.
    """
    for ident in targets:
        if platform_of(ident) != "linux":
            msg = f"target {ident!r} is not a Linux target; containers build Linux wheels"
            raise UsageError(msg, hint="pick a cpXY-manylinux_ARCH or cpXY-musllinux_ARCH "
                             "target from `hwb plan`")
    if engine is None:
        engine = require_engine(options, environ)
    return run_cibuildwheel(platform="linux", package=project_dir, targets=targets,
                            options=options, out_dir=out_dir, reporter=reporter,
                            environ=environ, engine=engine)
