"""What ``hwb build`` will do, decided before any process starts.

:func:`decide` turns the project (read as data), the build options, a description of this
machine and the container engine found (if one was looked for) into a :class:`BuildJob`:
whether to build an sdist, where the wheels are built (on this host with hwb's frontend, or
in containers by cibuildwheel), for which interpreters or targets, and from what (the sdist
this build makes, an sdist given as SOURCE, or the tree).  Nothing here starts a process, so
every case is unit-tested (tests/unit/test_decide.py), as cibuildwheel tests its build steps.

:func:`select_target` is the one place ``--target`` is checked against the plan, for host and
container builds alike.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hwb_action._suggest import did_you_mean
from hwb_action.options import BuildOptions
from hwb_action.plan import BuildTarget, Plan, plan_targets
from hwb_action.project import Project

if TYPE_CHECKING:
    from hwb_action.builder.engines import Engine

WheelPlace = Literal["none", "host", "container"]
WheelSource = Literal["sdist", "given-sdist", "tree"]
EngineNeed = Literal["none", "probe", "require"]

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
_HOST_PLATFORMS = {"linux": "linux", "darwin": "macos", "win32": "windows"}
_NATIVE_ARCHS = ("auto", "native", "auto64")


def normal_arch(arch: str) -> str:
    """``AMD64``/``x64`` -> ``x86_64``, ``arm64`` -> ``aarch64``; others lower-cased."""
    lowered = arch.lower()
    return _ARCH_ALIASES.get(lowered, lowered)


@dataclass(frozen=True, kw_only=True)
class Host:
    """The machine hwb runs on, as far as deciding a build needs it."""

    platform: str  # linux, macos, windows (plan's names)
    arch: str  # as platform.machine() says it (x86_64, AMD64, arm64)
    python: str  # the interpreter running hwb
    python_version: str  # 3.12.4
    ci: bool = False
    # The job's CIBW_* variables: cibuildwheel's selection (and so the plan) reads them.
    cibw_environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def this(cls, environ: Mapping[str, str]) -> Host:
        """This machine; ``CI=true``/``1`` in ``environ`` marks a CI job."""
        return cls(platform=_HOST_PLATFORMS.get(sys.platform, sys.platform),
                   arch=platform.machine(), python=sys.executable,
                   python_version=".".join(map(str, sys.version_info[:3])),
                   ci=environ.get("CI", "").lower() in ("true", "1"),
                   cibw_environ={k: v for k, v in environ.items() if k.startswith("CIBW_")})


@dataclass(frozen=True, kw_only=True)
class BuildJob:
    """What one ``hwb build`` makes, and where.

    ``wheels`` is where wheels are built (``none``: sdist only).  Host wheels are built for
    ``python`` (an interpreter spec as ``--python`` takes it; empty: the interpreter running
    hwb); container wheels for ``targets`` (cibuildwheel identifiers) with ``engine`` (None:
    find one when the build starts, failing if there is none).  ``wheel_source`` says what
    the wheels are built from.
    """

    sdist: bool
    wheels: WheelPlace
    wheel_source: WheelSource = "tree"
    python: str = ""
    targets: tuple[str, ...] = ()
    engine: Engine | None = None

    @property
    def in_container(self) -> bool:
        return self.wheels == "container"


def wanted(options: BuildOptions, given_sdist: Path | None) -> tuple[bool, bool]:
    """``(sdist, wheel)``: what to build, before asking where."""
    if given_sdist is not None:
        return False, True
    sdist = options.sdist or not options.wheel
    wheel = options.wheel or not options.sdist
    if options.target not in ("", "pure") and not options.sdist:
        # A binary matrix cell is one wheel; the sdist is a job of its own.
        sdist = False
    return sdist, wheel


def engine_need(project: Project, options: BuildOptions, host: Host,
                given_sdist: Path | None = None) -> EngineNeed:
    """Whether the build needs a container engine: ``require`` one (``--isolation
    container``), ``probe`` for one (``auto`` isolation of a binary project on Linux when a
    target, a manylinux/musllinux policy or CI asks for containers), or ``none``."""
    if not wanted(options, given_sdist)[1]:
        return "none"
    if options.isolation == "container":
        return "require"
    if options.isolation != "auto" or project.is_pure or host.platform != "linux":
        return "none"
    asked = (options.target not in ("", "pure") or bool(options.manylinux)
             or bool(options.musllinux) or host.ci)
    # A plain local `hwb build` of a binary project builds on the host, as uv and build do.
    return "probe" if asked else "none"


def decide(project: Project, options: BuildOptions, host: Host, engine: Engine | None,
           given_sdist: Path | None) -> BuildJob:
    """The build job for these inputs; raises UsageError/ConfigError for a ``--target``
    that is not in the plan or cannot be built here."""
    sdist, wheel = wanted(options, given_sdist)
    if not wheel:
        return BuildJob(sdist=sdist, wheels="none")
    source: WheelSource = ("sdist" if sdist else
                           "given-sdist" if given_sdist is not None else "tree")
    need = engine_need(project, options, host, given_sdist)
    if need == "require" or (need == "probe" and engine is not None):
        return BuildJob(sdist=sdist, wheels="container", wheel_source=source,
                        targets=tuple(container_targets(project, options, host)),
                        engine=engine)
    cell = select_target(project, options, host=host, in_container=False)
    python = options.python.strip() or (cell.python if cell and not cell.is_pure else "")
    return BuildJob(sdist=sdist, wheels="host", wheel_source=source, python=python)


def _plan(project: Project, options: BuildOptions, host: Host) -> Plan:
    return plan_targets(project, options.plan_options(), environ=host.cibw_environ)


def select_target(project: Project, options: BuildOptions, *, host: Host,
                  in_container: bool, plan: Plan | None = None) -> BuildTarget | None:
    """The plan cell ``--target`` names (None without ``--target``), checked once for both
    kinds of build: it must be in the plan; a container builds Linux cells; the host builds
    the pure cell and cells of its own platform and architecture."""
    target = options.target
    if not target:
        return None
    plan = plan or _plan(project, options, host)
    cells = {t.identifier: t for t in plan.targets}
    cell = cells.get(target)
    if cell is None:
        msg = f"target {target!r} is not in the build plan" + did_you_mean(target, cells)
        sample = ", ".join(list(cells)[:4]) + (", ..." if len(cells) > 4 else "")
        raise options.settings.error("target", msg, hint="pass a target that `hwb plan` "
                                     f"prints for this project ({sample})")
    if in_container:
        _check_container_cell(cell, options)
    elif not cell.is_pure:
        _check_host_cell(cell, options, host)
    return cell


def _check_container_cell(cell: BuildTarget, options: BuildOptions) -> None:
    if cell.platform == "linux" and not cell.is_pure:
        return
    msg = (f"target {cell.identifier!r} cannot be built in a container: containers build "
           "Linux targets (cpXY-manylinux_ARCH, cpXY-musllinux_ARCH)")
    raise options.settings.error("target", msg, hint="drop --isolation container for this "
                                 "target, or pick a Linux target from `hwb plan`")


def _check_host_cell(cell: BuildTarget, options: BuildOptions, host: Host) -> None:
    if cell.platform == host.platform and normal_arch(cell.arch) == normal_arch(host.arch):
        return
    msg = (f"target {cell.identifier!r} is for {cell.platform} {cell.arch}; this machine is "
           f"{host.platform} {host.arch}")
    hint = f"run it on the plan's runner ({cell.runner})"
    if cell.platform == "linux":
        hint += ", or build Linux targets in a container (--isolation container)"
    raise options.settings.error("target", msg, hint=hint)


def container_targets(project: Project, options: BuildOptions, host: Host) -> list[str]:
    """The cibuildwheel identifiers a container build makes.

    With ``target``: exactly that cell (checked by :func:`select_target`).  Without it: the
    plan's Linux cells, limited to the host's architecture unless ``archs`` names
    architectures explicitly (others need QEMU).
    """
    plan = _plan(project, options, host)
    cell = select_target(project, options, host=host, in_container=True, plan=plan)
    if cell is not None:
        return [cell.identifier]
    linux = [t for t in plan.targets if t.platform == "linux" and not t.is_pure]
    if not linux:
        raise options.settings.error("platforms", "the build plan has no Linux targets to "
                                     "build in a container", hint="include linux in "
                                     "platforms, or check build/skip")
    if all(a.lower() in _NATIVE_ARCHS for a in options.archs):
        arch = normal_arch(host.arch)
        linux = [t for t in linux if t.arch == arch]
        if not linux:
            raise options.settings.error(
                "archs", f"the build plan has no Linux target for this machine's "
                f"architecture ({arch})", hint="name the architectures with --archs (others "
                "build under QEMU), or pick one with --target")
    return [t.identifier for t in linux]
