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
    _check_build_system_keys(table, text, file)
    requires = _build_requires(table, text, file, line)
    backend = table.get("build-backend")
    if backend is None:
        return BuildSystem(requires=requires, backend=LEGACY_BACKEND, declared=True)
    if not isinstance(backend, str) or not re.fullmatch(
        r"[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?", backend
    ):
        raise ConfigError(
            f"[build-system] build-backend {backend!r} is not a module path",
            file=file, line=locate_key(text, "build-system", "build-backend"),
            hint="write it as 'package.module' or 'module:object'",
        )
    return BuildSystem(requires=requires, backend=backend,
                       backend_path=_backend_path(table, text, file, root))


def _check_build_system_keys(table: dict[str, Any], text: str, file: str) -> None:
    for key in table:
        if key not in _BUILD_SYSTEM_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [build-system]{did_you_mean(key, _BUILD_SYSTEM_KEYS)}",
                file=file, line=locate_key(text, "build-system", key),
                hint="[build-system] takes requires, build-backend and backend-path (PEP 517/518)",
            )


def _build_requires(table: dict[str, Any], text: str, file: str,
                    line: int | None) -> tuple[str, ...]:
    """``requires``: present, an array of PEP 508 requirements."""
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
    return tuple(requires)


def _backend_path(table: dict[str, Any], text: str, file: str, root: Path) -> tuple[str, ...]:
    """``backend-path``: an array of directories inside the project."""
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
    return tuple(backend_path)


def _requirement_names(requires: Iterable[str]) -> set[str]:
    names = set()
    for req in requires:
        try:
            names.add(Requirement(req).name.lower().replace("_", "-"))
        except InvalidRequirement:
            continue
    return names


def _table(data: Any, *keys: str) -> dict[str, Any]:
    """The table at ``keys`` under ``data``; ``{}`` when a level is missing or not a table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _tool_reasons(tool: dict[str, Any]) -> list[str]:
    """Build backends' own settings that compile extensions."""
    reasons: list[str] = []
    if _table(tool, "setuptools").get("ext-modules"):
        reasons.append("[tool.setuptools] ext-modules")
    pdm_build = _table(tool, "pdm", "build")
    if pdm_build.get("run-setuptools") or pdm_build.get("is-purelib") is False:
        reasons.append("pdm build runs setuptools for extensions")
    if isinstance(_table(tool, "poetry").get("build"), dict | str):
        reasons.append("poetry build script")
    hooks = _table(tool, "hatch", "build", "targets", "wheel", "hooks")
    reasons += [f"hatch {hook} build hook" for hook in ("cython", "mypyc", "scikit-build")
                if hook in hooks]
    return reasons


def _declares_abi3(root: Path, top: str, tool: dict[str, Any], setup: SetupInfo,
                   cfg: dict[str, str]) -> bool:
    """Whether the project asks for abi3 (limited API) wheels."""
    if setup.limited_api or cfg.get("py_limited_api", "").startswith("cp3"):
        return True
    # scikit-build-core abi3: wheel.py-api = "cp3X"; maturin abi3: pyo3 feature in Cargo.toml.
    if str(_table(tool, "scikit-build", "wheel").get("py-api", "")).startswith("cp3"):
        return True
    if str(_table(tool, "distutils", "bdist_wheel").get("py-limited-api", "")).startswith("cp3"):
        return True
    cargo = root / "Cargo.toml"
    return (top == "maturin" and cargo.is_file()
            and re.search(r"abi3", cargo.read_text(errors="replace")) is not None)


def _binary_reasons(
    root: Path, bs: BuildSystem, *, tool: dict[str, Any], setup: SetupInfo,
    cfg: dict[str, str],
) -> tuple[list[str], bool]:
    top = bs.backend.split(":")[0].split(".")[0]
    reasons = [_BINARY_BACKENDS[top]] if top in _BINARY_BACKENDS else []
    reasons += [_BINARY_REQUIRES[name] for name in sorted(_requirement_names(bs.requires))
                if name in _BINARY_REQUIRES]
    if setup.has_extensions:
        reasons.append("setup.py declares extension modules")
    if cfg.get("ext_modules"):
        reasons.append("setup.cfg declares extension modules")
    reasons += _tool_reasons(tool)
    if not reasons and top == "setuptools" and (root / "setup.py").is_file():
        # Compiled sources inside the package tree with a setup.py usually mean extensions.
        found = _find_sources(root)
        if found:
            reasons.append(f"compiled sources in the tree ({found})")
    return reasons, bool(reasons) and _declares_abi3(root, top, tool, setup, cfg)


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
