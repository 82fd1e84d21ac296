"""Reading a project as data: pyproject.toml, setup.cfg and setup.py, never executed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
