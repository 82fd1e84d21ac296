"""The build plan: which wheels a project needs, as CI matrix cells.

:func:`plan_targets` decides what to build from the project (read as data) and the resolved
settings, and starts no process, so every case is unit-tested (as cibuildwheel's
``get_build_steps``).  What hwb knows about CPython versions, architectures and runner labels
is the data at the top of this module.

A pure project plans one cell: one ``py3-none-any`` wheel serves every Python.  A binary
project plans CPython versions (those ``requires-python`` admits, narrowed by
``Programming Language :: Python :: 3.X`` classifiers when they are stricter) x platforms x
architectures, filtered by the ``build``/``skip`` selectors (glob patterns on cibuildwheel's
identifiers).  An abi3 project plans one cell per platform and architecture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal, get_args

import bracex
import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from hwb_action._suggest import did_you_mean
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import PlanOptions
from hwb_action.project import Project

Platform = Literal["linux", "macos", "windows"]
Implementation = Literal["cpython", "pypy", "any"]
Libc = Literal["manylinux", "musllinux", ""]
PlanFormat = Literal["github", "gitlab", "table", "json"]

PLATFORMS: tuple[Platform, ...] = get_args(Platform)
FORMATS: tuple[PlanFormat, ...] = get_args(PlanFormat)

# -- what hwb knows, as data ------------------------------------------------------------------
# Stable CPython releases that have wheels built for them (cibuildwheel's range).
CPYTHON_VERSIONS: tuple[str, ...] = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
# Free-threaded CPython builds (PEP 703), planned only when asked.
FREE_THREADED_VERSIONS: tuple[str, ...] = ("3.13", "3.14")
# PyPy language versions with a supported PyPy release, planned only when asked.
PYPY_VERSIONS: tuple[str, ...] = ("3.10", "3.11")


@dataclass(frozen=True, kw_only=True)
class ArchInfo:
    """One architecture of one platform: cibuildwheel's spelling and where it builds."""

    platform: Platform
    name: str  # as cibuildwheel spells it in `archs`
    tag: str  # the platform part of identifiers: x86_64, arm64, amd64, win32, ...
    runner: str  # GitHub-hosted runner label that builds it
    native: bool  # in the default ("auto") set
    bits: Literal[32, 64]
    pypy: bool = False
    emulated: bool = False  # built under QEMU on an x86_64 runner
    aliases: tuple[str, ...] = ()


ARCHS: tuple[ArchInfo, ...] = (
    ArchInfo(platform="linux", name="x86_64", tag="x86_64", runner="ubuntu-latest", native=True,
             bits=64, pypy=True, aliases=("amd64", "x64")),
    ArchInfo(platform="linux", name="aarch64", tag="aarch64", runner="ubuntu-24.04-arm",
             native=True, bits=64, pypy=True, aliases=("arm64",)),
    ArchInfo(platform="linux", name="i686", tag="i686", runner="ubuntu-latest", native=False,
             bits=32, pypy=True, aliases=("x86", "i386")),
    ArchInfo(platform="linux", name="ppc64le", tag="ppc64le", runner="ubuntu-latest",
             native=False, bits=64, emulated=True),
    ArchInfo(platform="linux", name="s390x", tag="s390x", runner="ubuntu-latest", native=False,
             bits=64, emulated=True),
    ArchInfo(platform="linux", name="armv7l", tag="armv7l", runner="ubuntu-24.04-arm",
             native=False, bits=32, emulated=True),
    ArchInfo(platform="linux", name="riscv64", tag="riscv64", runner="ubuntu-latest",
             native=False, bits=64, emulated=True),
    ArchInfo(platform="macos", name="arm64", tag="arm64", runner="macos-14", native=True,
             bits=64, pypy=True, aliases=("aarch64",)),
    ArchInfo(platform="macos", name="x86_64", tag="x86_64", runner="macos-13", native=True,
             bits=64, pypy=True, aliases=("amd64", "x64")),
    ArchInfo(platform="macos", name="universal2", tag="universal2", runner="macos-14",
             native=False, bits=64),
    ArchInfo(platform="windows", name="AMD64", tag="amd64", runner="windows-latest",
             native=True, bits=64, pypy=True, aliases=("x86_64", "x64")),
    ArchInfo(platform="windows", name="x86", tag="32", runner="windows-latest", native=False,
             bits=32, aliases=("i686", "win32")),
    ArchInfo(platform="windows", name="ARM64", tag="arm64", runner="windows-11-arm",
             native=False, bits=64, aliases=("aarch64", "arm64")),
)
ARCH_KEYWORDS = ("auto", "native", "auto64", "auto32", "all")
_PLATFORM_ALIASES: dict[str, Platform] = {
    "linux": "linux", "macos": "macos", "macosx": "macos", "darwin": "macos", "mac": "macos",
    "windows": "windows", "win": "windows", "win32": "windows",
}
_CLASSIFIER = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")


# -- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BuildTarget:
    """One cell of the build matrix: one wheel (or the pure wheel) and where it builds."""

    python: str  # as actions/setup-python takes it: "3.12", "3.13t", "pypy3.10"
    version: str  # the language version: "3.12"
    platform: Platform
    arch: str
    identifier: str  # cibuildwheel's build identifier, or "pure"
    runner: str
    artifact_name: str
    implementation: Implementation = "cpython"
    free_threaded: bool = False
    abi3: bool = False
    libc: Libc = ""
    emulated: bool = False

    @property
    def is_pure(self) -> bool:
        return self.identifier == "pure"

    def to_cell(self) -> dict[str, str]:
        """The matrix cell: exactly the keys of the matrix contract."""
        return {
            "runner": self.runner,
            "python": self.python,
            "platform": self.platform,
            "arch": self.arch,
            "target": self.identifier,
            "artifact-name": self.artifact_name,
        }


@dataclass(frozen=True)
class Plan:
    """The targets to build, in a stable order, and notes for people (why a choice was made)."""

    targets: tuple[BuildTarget, ...]
    notes: tuple[str, ...] = ()

    def matrix(self) -> dict[str, list[dict[str, str]]]:
        """``{"include": [...]}``, valid as a GitHub ``strategy.matrix``."""
        return {"include": [t.to_cell() for t in self.targets]}

    def identifiers(self) -> list[str]:
        return [t.identifier for t in self.targets]


def plan_targets(project: Project, options: PlanOptions) -> Plan:
    """The build plan for ``project``; pure computation, no process is started."""
    settings = options.settings
    notes: list[str] = []
    platforms = _platforms(options)
    arch_sets = {p: _archs(options, project, p) for p in platforms}
    versions = _versions(project, options, notes)

    if project.is_pure:
        platform = platforms[0]
        arch = arch_sets[platform][0] if arch_sets[platform] else _default_archs(platform)[0]
        notes.append("pure project: one py3-none-any wheel serves every Python")
        return Plan((BuildTarget(
            python=versions[-1], version=versions[-1], platform=platform, arch=arch.name,
            identifier="pure", runner=arch.runner, artifact_name="dist-pure",
            implementation="any",
        ),), tuple(notes))

    libcs: list[Libc] = []
    build_patterns = _patterns(options.build) or ["*"]
    skip_patterns = _patterns(options.skip)
    if options.manylinux.strip().lower() != "none":
        libcs.append("manylinux")
    wants_musl = options.musllinux.strip().lower() not in ("", "none")
    if wants_musl or any("musllinux" in p for p in build_patterns):
        libcs.append("musllinux")

    cp_versions = versions[:1] if project.abi3 else versions
    if project.abi3:
        notes.append(f"abi3 project: one wheel per platform and architecture, built with "
                     f"CPython {versions[0]} (the oldest allowed)")
    flavours: list[tuple[Implementation, str, bool]] = [("cpython", v, False) for v in cp_versions]
    if options.free_threaded:
        flavours += [("cpython", v, True) for v in FREE_THREADED_VERSIONS if v in versions]
    if options.pypy:
        allowed = _requires_python(project)
        flavours += [("pypy", v, False) for v in PYPY_VERSIONS if _admits(allowed, v)]

    candidates: list[BuildTarget] = []
    for platform in platforms:
        for arch in arch_sets[platform]:
            for impl, version, ft in flavours:
                if impl == "pypy" and not arch.pypy:
                    continue
                no_libc: list[Libc] = [""]
                for libc in libcs if platform == "linux" else no_libc:
                    if impl == "pypy" and libc == "musllinux":
                        continue  # PyPy publishes no musl builds
                    candidates.append(_target(impl=impl, version=version, ft=ft, arch=arch,
                                              libc=libc, abi3=project.abi3))

    targets: list[BuildTarget] = []
    used: set[str] = set()
    for target in candidates:
        build_hits = [p for p in build_patterns if fnmatchcase(target.identifier, p)]
        skip_hits = [p for p in skip_patterns if fnmatchcase(target.identifier, p)]
        used.update(build_hits + skip_hits)
        if build_hits and not skip_hits:
            targets.append(target)
    for name, patterns in (("build", build_patterns), ("skip", skip_patterns)):
        for pattern in patterns:
            if pattern != "*" and pattern not in used:
                notes.append(f"{name} selector {pattern!r} matches no planned identifier")
    emulated = sorted({t.arch for t in targets if t.emulated})
    if emulated:
        notes.append("emulated architectures (" + ", ".join(emulated) + ") build under QEMU: "
                     "add docker/setup-qemu-action before the build step")
    if not targets:
        sample = ", ".join(t.identifier for t in candidates[:4])
        msg = "the build plan is empty: the build/skip selectors exclude every target"
        raise settings.error("skip" if skip_patterns else "build", msg,
                             hint=f"identifiers look like {sample}; check the patterns")
    return Plan(tuple(targets), tuple(notes))


def _target(*, impl: Implementation, version: str, ft: bool, arch: ArchInfo, libc: Libc,
            abi3: bool) -> BuildTarget:
    nodot = version.replace(".", "")
    prefix = ("pp" if impl == "pypy" else "cp") + nodot + ("t" if ft else "")
    if arch.platform == "linux":
        suffix = f"{libc}_{arch.tag}"
    elif arch.platform == "macos":
        suffix = f"macosx_{arch.tag}"
    else:
        suffix = "win32" if arch.tag == "32" else f"win_{arch.tag}"
    identifier = f"{prefix}-{suffix}"
    python = f"pypy{version}" if impl == "pypy" else version + ("t" if ft else "")
    return BuildTarget(
        python=python, version=version, platform=arch.platform, arch=arch.name,
        identifier=identifier, runner=arch.runner, artifact_name=f"dist-{identifier}",
        implementation=impl, free_threaded=ft, abi3=abi3 and impl == "cpython" and not ft,
        libc=libc, emulated=arch.emulated,
    )


# -- settings -> choices ----------------------------------------------------------------------
def _patterns(values: Iterable[str]) -> list[str]:
    """Selector patterns, with cibuildwheel's brace expansion (``cp3{10,11}-*``)."""
    # Settings split list values on commas too, which cuts a brace group in two: join the
    # pieces back while a "{" is open.
    joined: list[str] = []
    for value in values:
        if joined and joined[-1].count("{") > joined[-1].count("}"):
            joined[-1] += "," + value
        else:
            joined.append(value)
    out: list[str] = []
    for value in joined:
        for pattern in bracex.expand(value):
            if pattern and pattern not in out:
                out.append(pattern)
    return out


def _platforms(options: PlanOptions) -> list[Platform]:
    given = list(options.platforms)
    if not given:
        return list(PLATFORMS)
    out: list[Platform] = []
    for raw in given:
        platform = _PLATFORM_ALIASES.get(raw.strip().lower())
        if platform is None:
            raise options.settings.error(
                "platforms",
                f"unknown platform {raw!r}" + did_you_mean(raw.lower(), _PLATFORM_ALIASES),
                hint="platforms are linux, macos and windows",
            )
        if platform not in out:
            out.append(platform)
    return out


def _default_archs(platform: Platform) -> list[ArchInfo]:
    return [a for a in ARCHS if a.platform == platform and a.native]


def _archs(options: PlanOptions, project: Project, platform: Platform) -> list[ArchInfo]:
    """The architectures of ``platform`` that ``archs`` names (``auto`` = the native set).

    A project's ``[tool.cibuildwheel.<platform>] archs`` is honoured unless hwb's own
    settings (``[tool.hwb]``, ``HWB_ARCHS``, ``--archs``) name the archs.
    """
    settings = options.settings
    values = list(options.archs)
    key = "archs"
    if settings.origin("archs").kind in ("default", "cibuildwheel"):
        cibw = project.tool.get("cibuildwheel")
        table = cibw.get(platform) if isinstance(cibw, dict) else None
        override = table.get("archs") if isinstance(table, dict) else None
        if isinstance(override, str):
            values = [v for v in re.split(r"[,\s]+", override) if v]
        elif isinstance(override, list):
            values = [str(v) for v in override]
    if not values:
        return _default_archs(platform)
    mine = [a for a in ARCHS if a.platform == platform]
    chosen: list[ArchInfo] = []
    for raw in values:
        word = raw.strip()
        low = word.lower()
        if low in ("auto", "native"):
            picked = [a for a in mine if a.native]
        elif low == "auto64":
            picked = [a for a in mine if a.native and a.bits == 64]
        elif low == "auto32":
            picked = [a for a in mine if a.bits == 32 and not a.emulated]
        elif low == "all":
            picked = list(mine)
        else:
            picked = [a for a in mine if low in (a.name.lower(), *a.aliases)]
            if not picked and not any(low in (a.name.lower(), *a.aliases) for a in ARCHS):
                known = sorted({a.name for a in ARCHS} | set(ARCH_KEYWORDS))
                raise settings.error(
                    key, f"unknown architecture {word!r}" + did_you_mean(word, known),
                    hint="architectures: " + ", ".join(known),
                )
        for arch in picked:
            if arch not in chosen:
                chosen.append(arch)
    return chosen


def _requires_python(project: Project) -> SpecifierSet:
    text = project.requires_python or ""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        msg = f"requires-python {text!r} is not a valid version specifier"
        file = str(project.pyproject_path) if project.pyproject_path else None
        raise ConfigError(msg, file=file, hint="write it like '>=3.9'") from None


def _admits(spec: SpecifierSet, version: str) -> bool:
    """Whether some release of language version ``version`` (e.g. "3.12") satisfies ``spec``."""
    # A bound such as >=3.12.1 or <3.12.4 admits 3.12 when any micro release is inside it.
    return any(
        spec.contains(Version(f"{version}.{micro}"), prereleases=True) for micro in range(40)
    )


def _versions(project: Project, options: PlanOptions, notes: list[str]) -> list[str]:
    """CPython language versions to plan, oldest first."""
    spec = _requires_python(project)
    allowed = [v for v in CPYTHON_VERSIONS if _admits(spec, v)]
    shown = project.requires_python or "(none)"
    given = list(options.python_versions)
    if given:
        out: list[str] = []
        for raw in given:
            version = raw.strip()
            if version not in CPYTHON_VERSIONS:
                raise options.settings.error(
                    "python-versions",
                    f"CPython {version!r} is not a version hwb plans"
                    + did_you_mean(version, CPYTHON_VERSIONS),
                    hint="plannable versions: " + ", ".join(CPYTHON_VERSIONS),
                )
            if version not in allowed:
                raise options.settings.error(
                    "python-versions",
                    f"CPython {version} is outside requires-python {shown}",
                    hint="allowed: " + (", ".join(allowed) or "none"),
                )
            if version not in out:
                out.append(version)
        return sorted(out, key=Version)
    if not allowed:
        msg = (f"requires-python {shown} admits none of the CPython versions hwb plans "
               f"({CPYTHON_VERSIONS[0]} to {CPYTHON_VERSIONS[-1]})")
        file = str(project.pyproject_path) if project.pyproject_path else None
        raise ConfigError(msg, file=file, hint="widen requires-python")
    listed = {m.group(1) for c in project.classifiers if (m := _CLASSIFIER.match(c.strip()))}
    if listed:
        narrowed = [v for v in allowed if v in listed]
        if not narrowed:
            notes.append("the Programming Language :: Python :: 3.X classifiers name no "
                         f"version requires-python {shown} allows; they are ignored")
        elif narrowed != allowed:
            notes.append("classifiers narrow the CPython versions to " + ", ".join(narrowed)
                         + f" (requires-python {shown} allows " + ", ".join(allowed) + ")")
            return narrowed
    return allowed


# -- output -----------------------------------------------------------------------------------
def format_plan(plan: Plan, fmt: str) -> str:
    """The plan as ``github`` (one-line matrix JSON), ``json`` (indented), ``gitlab``
    (a ``parallel: matrix:`` YAML block) or ``table`` (for people)."""
    if fmt == "github":
        return json.dumps(plan.matrix(), separators=(",", ":"))
    if fmt == "json":
        return json.dumps(plan.matrix(), indent=2)
    if fmt == "gitlab":
        # GitLab's parallel:matrix holds CI variables, and `hwb build` reads HWB_* variables
        # as its settings: HWB_TARGET is meant to be read (the cell to build); the rest are
        # HWB_CELL_* so that, say, the cell's Python does not become --python.
        rows = [{("HWB_TARGET" if k == "target" else "HWB_CELL_" + k.upper().replace("-", "_")):
                 v for k, v in t.to_cell().items()} for t in plan.targets]
        return yaml.safe_dump({"parallel": {"matrix": rows}}, sort_keys=False,
                              default_flow_style=False).rstrip("\n")
    if fmt == "table":
        header = ["target", "python", "platform", "arch", "runner", "artifact-name"]
        rows_t = [[t.identifier, t.python, t.platform, t.arch, t.runner, t.artifact_name]
                  for t in plan.targets]
        widths = [max(len(r[i]) for r in [header, *rows_t]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in [header, *rows_t]]
        lines.append(f"{len(plan.targets)} target(s)")
        return "\n".join(lines)
    msg = f"unknown plan format {fmt!r}" + did_you_mean(fmt, FORMATS)
    raise UsageError(msg, hint="formats: " + ", ".join(FORMATS))


def target_data(target: BuildTarget) -> dict[str, Any]:
    return {**target.to_cell(), "free-threaded": target.free_threaded,
            "implementation": target.implementation, "abi3": target.abi3}


def summary(project: Project, plan: Plan) -> str:
    lines = [f"### Build plan for {project.name or project.root.name}", "",
             "| target | python | runner |", "| --- | --- | --- |"]
    lines += [f"| `{t.identifier}` | {t.python} | {t.runner} |" for t in plan.targets]
    return "\n".join(lines) + "\n"

