"""The build plan: which wheels a project needs, as CI matrix cells.

A pure project plans one cell: one ``py3-none-any`` wheel serves every Python.  A binary
project plans exactly the identifiers cibuildwheel builds on the plan's runners, computed
in-process by the cibuildwheel hwb depends on (:mod:`hwb_action.plan.cibw`): its option
reading with ``[tool.cibuildwheel]`` (platform tables, overrides, ``enable``), ``CIBW_*``
variables and requires-python.  hwb's own plan settings map onto cibuildwheel's inputs:
``build``/``skip`` replace the project's selectors (as ``CIBW_BUILD``/``CIBW_SKIP``),
``archs`` replaces its architectures (as ``--archs``, resolved per runner), ``pypy`` enables
the ``pypy`` group (as ``--enable``); ``python-versions``, ``free-threaded = false``,
``pypy = false`` and ``manylinux``/``musllinux = "none"`` narrow the selection further.
An abi3 project (:mod:`hwb_action.abi3`) keeps one CPython per platform and architecture.
The identifiers are then grouped into cells per runner label or one per identifier
(:class:`~hwb_action.plan.model.Plan`).  No process is started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from hwb_action._suggest import did_you_mean
from hwb_action.abi3 import Abi3, detect_abi3
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import PlanOptions
from hwb_action.plan import cibw
from hwb_action.plan.model import MATRIX_MODES, BuildTarget, Cell, Libc, MatrixMode, Plan
from hwb_action.plan.output import FORMATS, PlanFormat, format_plan, summary, target_data
from hwb_action.plan.runners import (
    BY_KEY,
    PLATFORMS,
    PUBLIC_ONLY,
    RUNNER_KEYS,
    Fleet,
    Platform,
    RunnerLabels,
    UnknownRunnerKey,
    resolve_labels,
    runner_key,
)
from hwb_action.project import Project

__all__ = ["CPYTHON_VERSIONS", "FORMATS", "PLATFORMS", "BuildTarget", "Cell", "Plan",
           "PlanFormat", "format_plan", "plan_targets", "summary", "target_data"]

_PLATFORM_ALIASES: dict[str, Platform] = {
    "linux": "linux", "macos": "macos", "macosx": "macos", "darwin": "macos", "mac": "macos",
    "windows": "windows", "win": "windows", "win32": "windows",
}


def cpython_versions() -> tuple[str, ...]:
    """The CPython language versions cibuildwheel knows, oldest first."""
    from cibuildwheel.util import resources

    found = {cibw.language_version(c["identifier"])
             for configs in resources.read_all_configs().values() for c in configs
             if c["identifier"].startswith("cp")}
    return tuple(sorted(found, key=Version))


def __getattr__(name: str) -> tuple[str, ...]:
    # CPYTHON_VERSIONS comes from cibuildwheel's table, read only when asked for.
    if name == "CPYTHON_VERSIONS":
        return cpython_versions()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def plan_targets(project: Project, options: PlanOptions, *,
                 environ: Mapping[str, str]) -> Plan:
    """The build plan for ``project``; pure computation, no process is started.

    ``environ`` supplies the ``CIBW_*`` variables cibuildwheel reads (the job's
    environment; the library never reads ``os.environ`` itself).
    """
    labels = _labels(options)
    mode = _matrix_mode(options)
    platforms = _platforms(options)
    notes: list[str] = []
    if project.is_pure:
        return _pure_plan(project, labels, platforms[0], notes)

    settings = options.settings

    def explicit(name: str) -> bool:
        # [tool.cibuildwheel] values are cibuildwheel's to read (with its platform tables
        # and overrides); only hwb's own settings are mapped onto its inputs.
        return settings.origin(name).kind not in ("default", "cibuildwheel")

    build = _selector(options.build) if explicit("build") else None
    skip = _selector(options.skip) if explicit("skip") else None
    archs = list(options.archs) if explicit("archs") and options.archs else None
    if archs is not None:
        _check_arch_words(options, archs)
    enable = ["pypy"] if options.pypy else []
    narrow = _narrowing(options, explicit)
    config_file = str(project.pyproject_path or project.root / "pyproject.toml")

    from cibuildwheel.selector import selector_matches

    identifiers: list[tuple[Platform, str]] = []
    planned_archs: dict[str, tuple[str, ...]] = {}
    requires: str | None = None
    for platform in platforms:
        selection = cibw.select(project.root, platform, environ=environ, build=build,
                                skip=skip, archs=archs, enable=enable, config_file=config_file,
                                config_text=project.pyproject_text)
        requires = selection.requires_python
        planned_archs[platform] = selection.archs
        identifiers += [(platform, i) for i in selection.identifiers
                        if not (narrow and selector_matches(narrow, i))]
    versions = _python_versions(options, requires)
    if versions:
        identifiers = [(p, i) for p, i in identifiers if cibw.language_version(i) in versions]
    abi3 = detect_abi3(project.root, project.tool)
    if abi3 is not None:
        identifiers = _abi3_identifiers(identifiers, abi3, requires, notes)
    if not identifiers:
        name = "skip" if skip else "build"
        msg = ("the build plan is empty: no identifier cibuildwheel knows passes the build/skip "
               "selectors, archs, requires-python and enable groups")
        if explicit(name):
            raise settings.error(name, msg, hint="check the patterns; identifiers look like "
                                 "cp312-manylinux_x86_64, cp313-win_amd64")
        raise ConfigError(msg, file=config_file, hint="check [tool.cibuildwheel] build/skip/"
                          "archs and requires-python (`cibuildwheel --print-build-identifiers`"
                          " shows the same)")
    targets = tuple(_target(p, i, labels, abi3 is not None) for p, i in identifiers)
    _selector_notes(build, skip, targets, notes)
    _runner_notes(targets, labels, notes)
    _classifier_note(project, targets, notes)
    return Plan(targets, tuple(notes), mode, labels, planned_archs)


# -- hwb's settings -> cibuildwheel's inputs --------------------------------------------------
def _error(options: PlanOptions, name: str, message: str, hint: str) -> UsageError:
    return options.settings.error(name, message, hint=hint)


def _labels(options: PlanOptions) -> RunnerLabels:
    given: dict[Fleet, Mapping[str, str]] = {
        "github": options.runners,
        "gitlab": options.gitlab_runners,
    }
    try:
        return resolve_labels(given)
    except UnknownRunnerKey as err:
        name = "gitlab-runners" if err.key in given["gitlab"] else "runners"
        raise _error(options, name, str(err),
                     hint="runner keys: " + ", ".join(BY_KEY)) from None


def _matrix_mode(options: PlanOptions) -> MatrixMode:
    value = str(options.matrix or "runner")
    for mode in MATRIX_MODES:
        if value == mode:
            return mode
    raise _error(options, "matrix", f"matrix must be runner or target, not {value!r}"
                 + did_you_mean(value, MATRIX_MODES),
                 hint="runner: one job per runner label; target: one job per identifier")


def _platforms(options: PlanOptions) -> list[Platform]:
    if not options.platforms:
        return list(PLATFORMS)
    out: list[Platform] = []
    for raw in options.platforms:
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


def _selector(values: Sequence[str]) -> str:
    """hwb's list of selector patterns as cibuildwheel's space-separated string."""
    # Settings split list values on commas too, which cuts a brace group (cp3{10,11}-*) in
    # two: join the pieces back while a "{" is open.
    joined: list[str] = []
    for value in values:
        if joined and joined[-1].count("{") > joined[-1].count("}"):
            joined[-1] += "," + value
        else:
            joined.append(value)
    return " ".join(joined)


def _check_arch_words(options: PlanOptions, words: Sequence[str]) -> None:
    known = cibw.known_arch_words()
    low = {k.lower() for k in known}
    for word in words:
        if word.lower() not in low:
            raise options.settings.error(
                "archs", f"unknown architecture {word!r}" + did_you_mean(word, known),
                hint="architectures: " + ", ".join(known))


def _narrowing(options: PlanOptions, explicit: Any) -> str:
    """Skip patterns for hwb settings that take identifiers out of cibuildwheel's set."""
    patterns = []
    if explicit("free-threaded") and not options.free_threaded:
        patterns.append("*t-*")
    if explicit("pypy") and not options.pypy:
        patterns.append("pp*")
    if options.manylinux.strip().lower() == "none":
        patterns.append("*-manylinux_*")
    if options.musllinux.strip().lower() == "none":
        patterns.append("*-musllinux_*")
    return " ".join(patterns)


def _python_versions(options: PlanOptions, requires: str | None) -> list[str]:
    if not options.python_versions:
        return []
    known = cpython_versions()
    try:
        spec = SpecifierSet(requires or "")
    except InvalidSpecifier:
        spec = SpecifierSet()
    allowed = [v for v in known if spec.contains(Version(f"{v}.99"), prereleases=True)]
    out: list[str] = []
    for raw in options.python_versions:
        version = raw.strip()
        if version not in known:
            raise options.settings.error(
                "python-versions", f"CPython {version!r} is not a version hwb plans"
                + did_you_mean(version, known),
                hint="versions cibuildwheel builds: " + ", ".join(known))
        if version not in allowed:
            raise options.settings.error(
                "python-versions",
                f"CPython {version} is outside requires-python {requires or '(none)'}",
                hint="allowed: " + (", ".join(allowed) or "none"))
        out.append(version)
    return out


# -- abi3 -------------------------------------------------------------------------------------
def _abi3_identifiers(identifiers: list[tuple[Platform, str]], abi3: Abi3,
                      requires: str | None, notes: list[str]) -> list[tuple[Platform, str]]:
    """Keep, per platform tag, the lowest stable CPython at or above the declared minimum;
    free-threaded, PyPy and GraalPy builds cannot use an abi3 wheel and stay."""
    def stable_cpython(identifier: str) -> bool:
        return identifier.startswith("cp") and not identifier.split("-", 1)[0].endswith("t")

    floor = Version(abi3.minimum) if abi3.minimum else Version("0")
    chosen: dict[str, tuple[Version, str]] = {}
    for _, identifier in identifiers:
        version = Version(cibw.language_version(identifier))
        tag = identifier.split("-", 1)[1]
        if stable_cpython(identifier) and version >= floor and (
                tag not in chosen or version < chosen[tag][0]):
            chosen[tag] = (version, identifier)
    keep = {i for _, i in chosen.values()}
    below = sorted({cibw.language_version(i) for _, i in identifiers
                    if stable_cpython(i) and Version(cibw.language_version(i)) < floor},
                   key=Version)
    built = sorted({str(v) for v, _ in chosen.values()}, key=Version)
    notes.append(f"abi3 ({abi3.source}): one wheel per platform and architecture, built with "
                 f"CPython {', '.join(built) or '(none)'}; it serves every later CPython")
    if below:
        notes.append(f"abi3: requires-python {requires or '(none)'} allows CPython "
                     f"{', '.join(below)}, below the abi3 minimum {abi3.minimum}; they get no "
                     "wheel (raise requires-python, or lower the abi3 minimum)")
    return [(p, i) for p, i in identifiers if not stable_cpython(i) or i in keep]


# -- targets and notes ------------------------------------------------------------------------
def _python_of(identifier: str) -> tuple[str, str, Any]:
    head = identifier.split("-", 1)[0]
    version = cibw.language_version(identifier)
    if head.startswith("pp"):
        return f"pypy{version}", version, "pypy"
    if head.startswith("gp"):
        release = head.split("_", 1)[1] if "_" in head else ""
        return f"graalpy-{release[:2]}.{release[2:]}", version, "graalpy"
    return version + ("t" if head.endswith("t") else ""), version, "cpython"


def _target(platform: Platform, identifier: str, labels: RunnerLabels,
            abi3: bool) -> BuildTarget:
    arch = cibw.arch_of(platform, identifier)
    key = runner_key(platform, arch)
    python, version, implementation = _python_of(identifier)
    tag = identifier.split("-", 1)[1]
    libc: Libc = "manylinux" if tag.startswith("manylinux") else (
        "musllinux" if tag.startswith("musllinux") else "")
    free_threaded = identifier.split("-", 1)[0].endswith("t")
    return BuildTarget(
        python=python, version=version, platform=platform, arch=arch, identifier=identifier,
        runner=labels.label(key.key), runner_key=key.key, artifact_name=f"dist-{identifier}",
        implementation=implementation, free_threaded=free_threaded,
        abi3=abi3 and implementation == "cpython" and not free_threaded, libc=libc,
        emulated=key.emulated)


def _pure_plan(project: Project, labels: RunnerLabels, platform: Platform,
               notes: list[str]) -> Plan:
    known = cpython_versions()
    try:
        spec = SpecifierSet(project.requires_python or "")
    except InvalidSpecifier:
        spec = SpecifierSet()
    allowed = [v for v in known if spec.contains(Version(f"{v}.99"), prereleases=True)]
    version = (allowed or list(known))[-1]
    notes.append("pure project: one py3-none-any wheel serves every Python")
    # The first of the platforms asked for, on its first default machine.
    key = next(k for k in RUNNER_KEYS if k.platform == platform)
    target = BuildTarget(python=version, version=version, platform=platform, arch=key.arch,
                         identifier="pure", runner=labels.label(key.key),
                         runner_key=key.key, artifact_name="dist-pure",
                         implementation="any")
    return Plan((target,), tuple(notes), "runner", labels)


def _selector_notes(build: str | None, skip: str | None, targets: Sequence[BuildTarget],
                    notes: list[str]) -> None:
    from cibuildwheel.selector import selector_matches

    every = _all_identifiers()
    for pattern in (build or "").split():
        if pattern != "*" and not any(selector_matches(pattern, t.identifier) for t in targets):
            notes.append(f"build selector {pattern!r} matches no planned identifier")
    for pattern in (skip or "").split():
        if not any(selector_matches(pattern, i) for i in every):
            notes.append(f"skip selector {pattern!r} matches no identifier cibuildwheel knows")


def _all_identifiers() -> list[str]:
    from cibuildwheel.util import resources

    return [c["identifier"] for p in PLATFORMS for c in resources.read_python_configs(p)]


def _runner_notes(targets: Sequence[BuildTarget], labels: RunnerLabels,
                  notes: list[str]) -> None:
    emulated = list(dict.fromkeys(t.arch for t in targets if t.emulated))
    if emulated:
        notes.append("emulated architectures (" + ", ".join(emulated) + ") build under QEMU: "
                     "add docker/setup-qemu-action before the build step")
    used = {t.runner_key for t in targets}
    for label, key in PUBLIC_ONLY.items():
        keys = {k for k in used if labels.label(k) == label
                and k not in labels.configured["github"]}
        if keys:
            notes.append(f"runner {label} ({', '.join(sorted(keys))}) is offered by GitHub to "
                         "public repositories only; for a private repository set runners = "
                         f'{{ {key} = "LABEL" }} in [tool.hwb] (or HWB_RUNNERS)')


def _classifier_note(project: Project, targets: Sequence[BuildTarget], notes: list[str]) -> None:
    prefix = "Programming Language :: Python :: "
    listed = {c.removeprefix(prefix) for c in project.classifiers if c.startswith(prefix + "3.")}
    planned = {t.version for t in targets if t.implementation == "cpython"}
    extra = sorted(planned - listed, key=Version)
    if listed and extra:
        notes.append("the Programming Language classifiers do not list CPython "
                     + ", ".join(extra) + ", which cibuildwheel builds (from requires-python);"
                     " narrow requires-python or the build selector, or add the classifiers")
