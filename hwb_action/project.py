"""Reading a project as data: pyproject.toml, setup.cfg and setup.py, never executed.

setup.py is parsed with :mod:`ast` (literal keyword arguments of the ``setup()`` call and
mentions of ``Extension``/``ext_modules``/``cythonize``); nothing of the project runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from hwb_action._setup_files import SetupInfo, read_setup_cfg, read_setup_py
from hwb_action._suggest import did_you_mean
from hwb_action.errors import ConfigError, UsageError
from hwb_action.settings import locate_key, read_pyproject

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)
_BUILD_SYSTEM_KEYS = ("requires", "build-backend", "backend-path")

# Backends whose wheels always hold compiled code.
_BINARY_BACKENDS = {
    "maturin": "maturin builds Rust extensions",
    "scikit_build_core": "scikit-build-core builds CMake extensions",
    "mesonpy": "meson-python builds Meson extensions",
    "py_build_cmake": "py-build-cmake builds CMake extensions",
    "enscons": "enscons builds SCons extensions",
    "sipbuild": "sip builds C++ bindings",
}
_BACKEND_NAMES = {
    "setuptools": "setuptools", "hatchling": "hatchling", "flit_core": "flit-core",
    "pdm": "pdm-backend", "poetry": "poetry-core", "maturin": "maturin",
    "scikit_build_core": "scikit-build-core", "mesonpy": "meson-python",
    "py_build_cmake": "py-build-cmake", "enscons": "enscons", "sipbuild": "sip",
    "whey": "whey", "uv_build": "uv-build", "pbr": "pbr",
}
# Build requirements that mean compiled code is coming.
_BINARY_REQUIRES = {
    "cython": "Cython in build requirements", "pybind11": "pybind11 in build requirements",
    "nanobind": "nanobind in build requirements", "cffi": "cffi in build requirements",
    "hatch-cython": "hatch-cython build hook", "hatch-mypyc": "hatch-mypyc build hook",
    "mypy": "mypyc (mypy) in build requirements", "setuptools-rust": "setuptools-rust",
    "scikit-build": "scikit-build", "cmake": "cmake in build requirements",
}
_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".f90", ".rs")
_SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "build", "dist", "node_modules",
              "tests", "test", "docs", "doc", "examples", "benchmarks", "__pycache__"}


@dataclass(frozen=True, kw_only=True)
class BuildSystem:
    """The ``[build-system]`` table, with PEP 517's setuptools fallback applied."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()
    declared: bool = True  # False when the legacy fallback was used


@dataclass(frozen=True, kw_only=True)
class Project:
    """What hwb knows about a project before building it."""

    root: Path
    name: str | None
    version: str | None  # None when dynamic
    dynamic: tuple[str, ...]
    requires_python: str | None
    classifiers: tuple[str, ...]
    build_system: BuildSystem
    backend_name: str  # e.g. "setuptools", "hatchling", "maturin"
    is_pure: bool
    binary_reasons: tuple[str, ...] = ()  # why the project is not pure
    abi3: bool = False  # builds py_limited_api wheels
    pyproject_path: Path | None = None
    pyproject_text: str = ""
    tool: dict[str, object] = field(default_factory=dict)


def load_project(
    root: Path, *, pyproject: tuple[dict[str, Any], str, Path | None] | None = None,
) -> Project:
    """Read the project at ``root`` without running any of its code.

    ``pyproject`` is ``read_pyproject(root)`` when the caller has parsed it already.
    """
    root = root.resolve()
    data, text, path = pyproject if pyproject is not None else read_pyproject(root)
    setup_py = root / "setup.py"
    setup_cfg = root / "setup.cfg"
    if path is None and not setup_py.is_file() and not setup_cfg.is_file():
        msg = f"{root} is not a Python project: no pyproject.toml, setup.py or setup.cfg"
        raise UsageError(msg, hint="point hwb at the directory that holds pyproject.toml")
    file = str(path) if path else "pyproject.toml"
    build_system = _build_system(data, text, file, root)
    project = data.get("project")
    if project is not None and not isinstance(project, dict):
        raise ConfigError("[project] must be a table", file=file, line=locate_key(text, "project"))
    project = project or {}

    name = _str_field(project, "name", text, file)
    version = _str_field(project, "version", text, file)
    requires_python = _str_field(project, "requires-python", text, file)
    dynamic = project.get("dynamic", [])
    classifiers = project.get("classifiers", [])
    if not isinstance(dynamic, list) or not all(isinstance(d, str) for d in dynamic):
        raise ConfigError("[project] dynamic must be an array of strings", file=file,
                          line=locate_key(text, "project", "dynamic"))
    if not isinstance(classifiers, list) or not all(isinstance(c, str) for c in classifiers):
        raise ConfigError("[project] classifiers must be an array of strings", file=file,
                          line=locate_key(text, "project", "classifiers"))

    setup_info = read_setup_py(setup_py) if setup_py.is_file() else SetupInfo()
    cfg = read_setup_cfg(setup_cfg) if setup_cfg.is_file() else {}
    if not project:
        name = name or cfg.get("name") or setup_info.kwargs.get("name")
        version = version or cfg.get("version") or setup_info.kwargs.get("version")
        requires_python = (requires_python or cfg.get("python_requires")
                           or setup_info.kwargs.get("python_requires"))
        if not classifiers:
            classifiers = [c for c in (cfg.get("classifiers") or "").splitlines() if c.strip()]
            if not classifiers and isinstance(setup_info.classifiers, list):
                classifiers = setup_info.classifiers
    if requires_python:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise ConfigError(
                f"requires-python {requires_python!r} is not a valid version specifier",
                file=file, line=locate_key(text, "project", "requires-python"),
                hint="write it like '>=3.9'",
            ) from None

    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    reasons, abi3 = _binary_reasons(root, build_system, tool=tool, setup=setup_info,
                                   cfg=cfg)
    top = build_system.backend.split(":")[0].split(".")[0]
    return Project(
        root=root, name=name, version=None if "version" in dynamic else version,
        dynamic=tuple(dynamic), requires_python=requires_python,
        classifiers=tuple(c.strip() for c in classifiers),
        build_system=build_system, backend_name=_BACKEND_NAMES.get(top, top),
        is_pure=not reasons, binary_reasons=tuple(reasons), abi3=abi3,
        pyproject_path=path, pyproject_text=text, tool=dict(tool),
    )


def _str_field(table: dict[str, Any], key: str, text: str, file: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"[project] {key} must be a string, not {value!r}", file=file,
                          line=locate_key(text, "project", key))
    return value


def _build_system(data: dict[str, Any], text: str, file: str, root: Path) -> BuildSystem:
    table = data.get("build-system")
    if table is None:
        return BuildSystem(requires=LEGACY_REQUIRES, backend=LEGACY_BACKEND, declared=False)
    line = locate_key(text, "build-system")
    if not isinstance(table, dict):
        raise ConfigError("[build-system] must be a table", file=file, line=line)
    for key in table:
        if key not in _BUILD_SYSTEM_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [build-system]{did_you_mean(key, _BUILD_SYSTEM_KEYS)}",
                file=file, line=locate_key(text, "build-system", key),
                hint="[build-system] takes requires, build-backend and backend-path (PEP 517/518)",
            )
    if "requires" not in table:
        raise ConfigError(
            "[build-system] has no 'requires' key", file=file, line=line,
            hint='add the build requirements, e.g. requires = ["hatchling"] (PEP 518)',
        )
    requires = table["requires"]
    req_line = locate_key(text, "build-system", "requires")
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise ConfigError("[build-system] requires must be an array of strings",
                          file=file, line=req_line)
    for req in requires:
        try:
            Requirement(req)
        except InvalidRequirement as err:
            raise ConfigError(
                f"[build-system] requires: {req!r} is not a valid requirement: {err}",
                file=file, line=req_line, hint="use PEP 508 syntax, e.g. 'setuptools>=70'",
            ) from None
    backend = table.get("build-backend")
    if backend is None:
        return BuildSystem(requires=tuple(requires), backend=LEGACY_BACKEND, declared=True)
    backend_line = locate_key(text, "build-system", "build-backend")
    if not isinstance(backend, str) or not re.fullmatch(
        r"[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?", backend
    ):
        raise ConfigError(
            f"[build-system] build-backend {backend!r} is not a module path",
            file=file, line=backend_line, hint="write it as 'package.module' or 'module:object'",
        )
    backend_path = table.get("backend-path", [])
    if not isinstance(backend_path, list) or not all(isinstance(p, str) for p in backend_path):
        raise ConfigError("[build-system] backend-path must be an array of strings",
                          file=file, line=locate_key(text, "build-system", "backend-path"))
    for entry in backend_path:
        resolved = (root / entry).resolve()
        if not resolved.is_relative_to(root):
            raise ConfigError(
                f"[build-system] backend-path {entry!r} points outside the project",
                file=file, line=locate_key(text, "build-system", "backend-path"),
            )
    return BuildSystem(requires=tuple(requires), backend=backend,
                       backend_path=tuple(backend_path))


def _requirement_names(requires: Iterable[str]) -> set[str]:
    names = set()
    for req in requires:
        try:
            names.add(Requirement(req).name.lower().replace("_", "-"))
        except InvalidRequirement:
            continue
    return names


def _binary_reasons(
    root: Path, bs: BuildSystem, *, tool: dict[str, Any], setup: SetupInfo,
    cfg: dict[str, str],
) -> tuple[list[str], bool]:
    reasons: list[str] = []
    abi3 = setup.limited_api or cfg.get("py_limited_api", "").startswith("cp3")
    top = bs.backend.split(":")[0].split(".")[0]
    if top in _BINARY_BACKENDS:
        reasons.append(_BINARY_BACKENDS[top])
    for name in sorted(_requirement_names(bs.requires)):
        if name in _BINARY_REQUIRES:
            reasons.append(_BINARY_REQUIRES[name])
    if setup.has_extensions:
        reasons.append("setup.py declares extension modules")
    if cfg.get("ext_modules"):
        reasons.append("setup.cfg declares extension modules")
    setuptools_cfg = tool.get("setuptools")
    if isinstance(setuptools_cfg, dict) and setuptools_cfg.get("ext-modules"):
        reasons.append("[tool.setuptools] ext-modules")
    pdm_build = tool.get("pdm", {}).get("build", {}) if isinstance(tool.get("pdm"), dict) else {}
    if isinstance(pdm_build, dict) and (pdm_build.get("run-setuptools")
                                        or pdm_build.get("is-purelib") is False):
        reasons.append("pdm build runs setuptools for extensions")
    poetry = tool.get("poetry", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("build"), dict | str):
        reasons.append("poetry build script")
    hatch_hooks = (tool.get("hatch", {}) or {}).get("build", {}) if isinstance(
        tool.get("hatch"), dict) else {}
    if isinstance(hatch_hooks, dict):
        wheel = hatch_hooks.get("targets", {}).get("wheel", {}) if isinstance(
            hatch_hooks.get("targets"), dict) else {}
        hooks = wheel.get("hooks", {}) if isinstance(wheel, dict) else {}
        for hook in ("cython", "mypyc", "scikit-build"):
            if isinstance(hooks, dict) and hook in hooks:
                reasons.append(f"hatch {hook} build hook")
    # scikit-build-core abi3: wheel.py-api = "cp3X"; maturin abi3: pyo3 feature in Cargo.toml.
    skbuild = tool.get("scikit-build")
    if isinstance(skbuild, dict):
        wheel_cfg = skbuild.get("wheel")
        if isinstance(wheel_cfg, dict) and str(wheel_cfg.get("py-api", "")).startswith("cp3"):
            abi3 = True
    if top == "maturin":
        cargo = root / "Cargo.toml"
        if cargo.is_file() and re.search(r"abi3", cargo.read_text(errors="replace")):
            abi3 = True
    bdist = ((tool.get("distutils") or {}).get("bdist_wheel") or {}) if isinstance(
        tool.get("distutils"), dict) else {}
    if isinstance(bdist, dict) and str(bdist.get("py-limited-api", "")).startswith("cp3"):
        abi3 = True
    if not reasons and top == "setuptools" and (root / "setup.py").is_file():
        # Compiled sources inside the package tree with a setup.py usually mean extensions.
        found = _find_sources(root)
        if found:
            reasons.append(f"compiled sources in the tree ({found})")
    return reasons, abi3 and bool(reasons)


def _find_sources(root: Path, limit: int = 2000) -> str | None:
    seen = 0
    stack = [root]
    while stack and seen < limit:
        current = stack.pop()
        try:
            entries = list(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix in _SOURCE_SUFFIXES:
                return str(entry.relative_to(root))
    return None
