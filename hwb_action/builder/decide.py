"""What ``hwb build`` will do, decided before any process starts.

:func:`decide` turns the project (read as data), the build options, a description of this
machine and the container engine found (if one was looked for) into a :class:`BuildJob`:
whether to build an sdist, where the wheels are built (by cibuildwheel in containers or
natively on a macOS/Windows runner, or on this host with hwb's frontend), for which
identifiers or interpreters, and from what (the sdist this build makes, an sdist given as
SOURCE, or the tree).  Nothing here starts a process, so
every case is unit-tested (tests/unit/test_decide.py), as cibuildwheel tests its build steps.

:func:`select_targets` is the one place ``--target`` is checked against the plan, for every
kind of build; :func:`host_ignores` names the cibuildwheel options a host build cannot honour.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hwb_action._suggest import did_you_mean
from hwb_action.errors import UsageError
from hwb_action.options import BuildOptions
from hwb_action.project import Project

# The plan's sdist cell (hwb_action.plan.model.SDIST_TARGET, held equal by a test), spelled
# here so that deciding a build that names no target imports no plan.
SDIST_TARGET = "sdist"

if TYPE_CHECKING:
    from hwb_action.builder.engines import Engine
    from hwb_action.plan import BuildTarget, Plan

WheelPlace = Literal["none", "host", "container", "runner"]
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

    ``wheels`` is where wheels are built (``none``: sdist only).  Host wheels are built by
    hwb's frontend for ``python`` (an interpreter spec as ``--python`` takes it; empty: the
    interpreter running hwb).  cibuildwheel builds ``targets`` (identifiers) in one run:
    ``container`` wheels with ``engine`` (None: find one when the build starts, failing if
    there is none), ``runner`` wheels natively on this macOS/Windows machine.
    ``wheel_source`` says what the wheels are built from; ``sdist`` says whether the job
    ships the sdist (a cibuildwheel job without it still builds one privately, its
    ``wheel_source`` being ``sdist``).
    """

    sdist: bool
    wheels: WheelPlace
    wheel_source: WheelSource = "tree"
    python: str = ""
    targets: tuple[str, ...] = ()
    engine: Engine | None = None
    # The plan's identifiers that other cells build: an abi3 wheel this job makes that one
    # of them makes too is not shipped twice.
    elsewhere: tuple[str, ...] = field(default=(), compare=False)

    @property
    def in_container(self) -> bool:
        return self.wheels == "container"


def wanted(options: BuildOptions, given_sdist: Path | None) -> tuple[bool, bool]:
    """``(sdist, wheel)``: what to build, before asking where.  ``--target sdist`` (the
    plan's sdist cell) is ``--sdist``: the sdist alone."""
    if options.target.strip() == SDIST_TARGET and given_sdist is None:
        return True, False
    if given_sdist is not None:
        return False, True
    sdist = options.sdist or not options.wheel
    wheel = options.wheel or not options.sdist
    if options.target not in ("", "pure") and not options.sdist:
        # A binary wheel cell ships wheels; the plan's sdist cell ships the sdist.
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
    _check_sdist_target(options, given_sdist)
    sdist, wheel = wanted(options, given_sdist)
    if not wheel:
        return BuildJob(sdist=sdist, wheels="none")
    source: WheelSource = ("sdist" if sdist else
                           "given-sdist" if given_sdist is not None else "tree")
    # cibuildwheel builds from the sdist hwb makes first (kept private when the job ships
    # none, as a matrix cell does), so every wheel is built from what is published.
    cibw_source: WheelSource = "given-sdist" if given_sdist is not None else "sdist"
    need = engine_need(project, options, host, given_sdist)
    in_container = need == "require" or (need == "probe" and engine is not None)
    if in_container or on_runner(project, options, host):
        plan = _plan(project, options, host)
        pick = container_targets if in_container else runner_targets
        targets = tuple(pick(project, options, host, plan=plan))
        return BuildJob(sdist=sdist, wheels="container" if in_container else "runner",
                        wheel_source=cibw_source, targets=targets,
                        engine=engine if in_container else None,
                        elsewhere=tuple(i for i in plan.identifiers() if i not in targets))
    cells = select_targets(project, options, host=host, where="host")
    pythons: dict[str, str] = {}
    for cell in (c for c in cells if not c.is_pure):
        if cell.python in pythons and not options.python.strip():
            # One interpreter makes one wheel here: manylinux and musllinux of a Python
            # are two builds only in cibuildwheel's containers.
            msg = (f"targets {pythons[cell.python]!r} and {cell.identifier!r} are one "
                   f"Python ({cell.python}) for hwb's host build, which makes one wheel per Python")
            raise options.settings.error("target", msg, hint="build them in containers "
                                         "(--isolation container, docker or podman), or "
                                         "pass one of them")
        pythons[cell.python] = cell.identifier
    python = options.python.strip() or ", ".join(pythons)
    return BuildJob(sdist=sdist, wheels="host", wheel_source=source, python=python)


def _check_sdist_target(options: BuildOptions, given_sdist: Path | None) -> None:
    """``--target sdist`` builds the sdist from the tree, and nothing else."""
    if options.target.strip() != SDIST_TARGET:
        return
    if given_sdist is not None:
        msg = (f"target 'sdist' builds the sdist from the project tree, but SOURCE is an "
               f"sdist already ({given_sdist.name})")
        raise options.settings.error("target", msg, hint="pass the project directory as "
                                     "SOURCE, or drop --target to build wheels from the sdist")
    if options.wheel:
        msg = "target 'sdist' builds the sdist alone, but --wheel asks for wheels too"
        raise options.settings.error("target", msg, hint="drop --wheel, or pass a wheel "
                                     "cell's target from `hwb plan`")


def on_runner(project: Project, options: BuildOptions, host: Host) -> bool:
    """Whether cibuildwheel builds the wheels natively on this macOS or Windows machine:
    a binary project's matrix cell (``--target``) or a CI job, unless ``--python`` or an
    isolation other than ``auto`` asks for hwb's own host build."""
    if project.is_pure or host.platform not in ("macos", "windows"):
        return False
    if options.isolation != "auto" or options.python.strip():
        return False
    return options.target not in ("", "pure") or host.ci


def _plan(project: Project, options: BuildOptions, host: Host) -> Plan:
    # Imported here: a host build without --target (most pure projects) needs no plan.
    from hwb_action.plan import plan_targets

    return plan_targets(project, options.plan_options(), environ=host.cibw_environ)


def runner_builds(host: Host, target: BuildTarget) -> bool:
    """Whether cibuildwheel builds ``target`` on this machine, as the plan's runners do:
    on Linux the machine's architecture, i686 on x86_64, armv7l on aarch64 and the
    QEMU-emulated ones; on macOS every architecture (Apple's toolchain cross-compiles: the
    arm64 runner builds universal2, GitLab's M1 runner x86_64 too); on AMD64 Windows also
    x86 (win32) and ARM64 (cross-compiled)."""
    if target.platform != host.platform or target.is_pure:
        return False
    mine, theirs = normal_arch(host.arch), normal_arch(target.arch)
    if host.platform == "linux":
        return (theirs == mine or target.emulated
                or (mine, theirs) in (("x86_64", "i686"), ("aarch64", "armv7l")))
    if host.platform == "macos":
        return True
    return theirs == mine or (mine == "x86_64" and theirs in ("x86", "aarch64"))


Where = Literal["host", "container", "runner"]


def select_targets(project: Project, options: BuildOptions, *, host: Host, where: Where,
                   plan: Plan | None = None) -> list[BuildTarget]:
    """The plan targets ``--target`` names (none without ``--target``), checked once for
    every kind of build: an identifier, a list of them (commas or spaces) or a matrix
    cell's ``target``, each in the plan; a container builds Linux identifiers; cibuildwheel
    on this runner what :func:`runner_builds` says; hwb's host build the pure cell and
    identifiers of the host's own platform and architecture."""
    target = options.target
    if not target.strip():
        return []
    plan = plan or _plan(project, options, host)
    found, unknown = plan.lookup(target)
    if SDIST_TARGET in unknown:
        msg = f"target {target!r} mixes the sdist cell with wheel identifiers"
        raise options.settings.error("target", msg, hint="pass --target sdist alone (the "
                                     "sdist cell), or the wheel identifiers without it")
    if unknown or not found:
        known = plan.identifiers()
        name = unknown[0] if unknown else target
        msg = f"target {name!r} is not in the build plan" + did_you_mean(name, known)
        sample = ", ".join(known[:4]) + (", ..." if len(known) > 4 else "")
        raise options.settings.error("target", msg, hint="pass identifiers that `hwb plan` "
                                     f"prints for this project ({sample}), or a cell's target")
    for cell in found:
        if where == "container":
            _check_container_cell(cell, options)
        elif where == "runner":
            _check_runner_cell(cell, options, host)
        elif not cell.is_pure:
            _check_host_cell(cell, options, host)
    return found


def _check_container_cell(cell: BuildTarget, options: BuildOptions) -> None:
    if cell.platform == "linux" and not cell.is_pure:
        return
    msg = (f"target {cell.identifier!r} cannot be built in a container: containers build "
           "Linux targets (cpXY-manylinux_ARCH, cpXY-musllinux_ARCH)")
    raise options.settings.error("target", msg, hint="drop --isolation container for this "
                                 "target, or pick a Linux target from `hwb plan`")


def _check_runner_cell(cell: BuildTarget, options: BuildOptions, host: Host) -> None:
    if not runner_builds(host, cell):
        raise _elsewhere(cell, options, "cibuildwheel does not build it on this machine "
                                        f"({host.platform} {host.arch})")


def _check_host_cell(cell: BuildTarget, options: BuildOptions, host: Host) -> None:
    if cell.platform != host.platform or normal_arch(cell.arch) != normal_arch(host.arch):
        raise _elsewhere(cell, options, f"this machine is {host.platform} {host.arch}")


def _elsewhere(cell: BuildTarget, options: BuildOptions, why: str) -> UsageError:
    """A ``--target`` cell that belongs on another machine: say where."""
    hint = f"run it on the plan's runner ({cell.runner})"
    if cell.platform == "linux":
        hint += ", or build Linux targets in a container (--isolation container)"
    return options.settings.error(
        "target", f"target {cell.identifier!r} is for {cell.platform} {cell.arch}; {why}",
        hint=hint)


def container_targets(project: Project, options: BuildOptions, host: Host, *,
                      plan: Plan | None = None) -> list[str]:
    """The cibuildwheel identifiers a container build makes.

    With ``target``: exactly those (checked by :func:`select_targets`).  Without it: the
    plan's Linux cells, limited to the host's architecture unless ``archs`` names
    architectures explicitly (others need QEMU).
    """
    plan = plan or _plan(project, options, host)
    cells = select_targets(project, options, host=host, where="container", plan=plan)
    if cells:
        return [c.identifier for c in cells]
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


def runner_targets(project: Project, options: BuildOptions, host: Host, *,
                   plan: Plan | None = None) -> list[str]:
    """The identifiers cibuildwheel builds natively on this macOS/Windows machine.

    With ``target``: exactly those (checked by :func:`select_targets`).  Without it: the
    plan's identifiers for this machine's architecture, or every one it can build when
    ``archs`` names architectures.
    """
    plan = plan or _plan(project, options, host)
    cells = select_targets(project, options, host=host, where="runner", plan=plan)
    if cells:
        return [c.identifier for c in cells]
    mine = [t for t in plan.targets if runner_builds(host, t)]
    if all(a.lower() in _NATIVE_ARCHS for a in options.archs):
        mine = [t for t in mine if normal_arch(t.arch) == normal_arch(host.arch)]
    if not mine:
        raise options.settings.error(
            "platforms", f"the build plan has no {host.platform} target for this machine "
            f"({host.arch})", hint="check platforms, archs and build/skip, or pick targets "
            "with --target")
    return [t.identifier for t in mine]


# What hwb's host build takes from cibuildwheel's configuration: the selection (through the
# plan and --target) and the test step.  Everything else is cibuildwheel's alone.
_HOST_HONOURS = frozenset({"build", "skip", "archs", "enable", "test-command",
                           "test-requires"})
_HOST_HONOURS_PER_PLATFORM = frozenset({"build", "skip", "enable", "archs"})
_HOST_HONOURS_ENV = re.compile(r"^CIBW_(BUILD|SKIP|ENABLE|PROJECT_REQUIRES_PYTHON|"
                               r"ARCHS(_LINUX|_MACOS|_WINDOWS)?)$")
_CIBW_PLATFORM_TABLES = ("linux", "macos", "windows", "pyodide", "ios", "android")


def host_ignores(project: Project, options: BuildOptions, host: Host) -> list[str]:
    """The cibuildwheel options (``[tool.cibuildwheel]`` keys, ``CIBW_*`` variables) and hwb
    settings that a host build of ``project`` cannot honour, for a warning: ``before-all``,
    ``test-skip``, ``repair-wheel-command``, image and container options, platform tables,
    overrides...  They apply when cibuildwheel builds the wheels (containers, runners)."""
    ignored: list[str] = []
    table = project.tool.get("cibuildwheel")
    if isinstance(table, dict):
        for key, value in table.items():
            if key in _CIBW_PLATFORM_TABLES and isinstance(value, dict):
                ignored += [f"[tool.cibuildwheel.{key}] {k}" for k in value
                            if k not in _HOST_HONOURS_PER_PLATFORM]
            elif key not in _HOST_HONOURS:
                ignored.append(f"[tool.cibuildwheel] {key}")
    ignored += [name for name in sorted(host.cibw_environ)
                if not _HOST_HONOURS_ENV.match(name)]
    # hwb's own settings that only cibuildwheel applies (from [tool.cibuildwheel] they are
    # named above already).
    for name, value in (("before-build", options.before_build),
                        ("environment", options.environment)):
        origin = options.settings.origin(name)
        if value and origin.kind != "cibuildwheel":
            ignored.append(f"{name} ({origin.describe()})" if origin.kind != "default"
                           else name)
    return ignored
