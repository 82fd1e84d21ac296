"""Whether a project takes its version from git (tags and the commits since), read as data.

A shallow clone has neither the tags nor the history that such a version needs, and the
version tools then give a wrong one without failing (setuptools-scm and hatch-vcs say
``0.1.dev1``), so a git SOURCE of such a project needs them fetched
(:meth:`hwb_action.source.clone.GitClone.fetch_version_history`).  pip and uv clone the
whole repository and get the right version; this finds the projects where hwb must too.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# Build requirements that derive the version from the VCS.
VCS_VERSION_TOOLS = frozenset(canonicalize_name(n) for n in (
    "setuptools-scm", "hatch-vcs", "versioningit", "dunamai", "poetry-dynamic-versioning",
    "setuptools-git-versioning", "flit-scm", "pbr", "vcversioner", "uv-dynamic-versioning",
    "versioneer",
))
_SETUP_HINTS = re.compile(r"use_scm_version|setuptools_scm|setuptools-scm|versioneer|pbr\s*=")


def _table(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def vcs_version_tool(project: Path) -> str | None:
    """The name of what derives the version of the project at ``project`` from git (a build
    requirement or a ``[tool]`` table), or ``None``."""
    data: dict[str, Any] = {}
    path = project / "pyproject.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}  # the project loader reports a broken file with its line
    return _build_requirement(data) or _tool_table(data) or _setup_hint(project)


def _build_requirement(data: dict[str, Any]) -> str | None:
    requires = _table(data, "build-system", "requires")
    for item in requires if isinstance(requires, list) else []:
        try:
            name = canonicalize_name(Requirement(str(item)).name)
        except InvalidRequirement:
            continue
        if name in VCS_VERSION_TOOLS:
            return str(name)
    return None


def _tool_table(data: dict[str, Any]) -> str | None:
    tables = {
        "[tool.hatch.version] source = \"vcs\"": _table(data, "tool", "hatch", "version",
                                                        "source") == "vcs",
        "[tool.pdm.version] source = \"scm\"": _table(data, "tool", "pdm", "version",
                                                      "source") == "scm",
        "[tool.setuptools_scm]": _table(data, "tool", "setuptools_scm") is not None,
        "[tool.versioningit]": _table(data, "tool", "versioningit") is not None,
        "[tool.poetry-dynamic-versioning]":
            _table(data, "tool", "poetry-dynamic-versioning", "enable") is True,
    }
    for label, used in tables.items():
        if used:
            return label
    return None


def _setup_hint(project: Path) -> str | None:
    for filename in ("setup.cfg", "setup.py"):
        try:
            text = (project / filename).read_text("utf-8", errors="replace")
        except OSError:
            continue
        if _SETUP_HINTS.search(text):
            return f"{filename} (setuptools-scm)"
    return None


def shallow_checkout_problem(project: Path, environ: Mapping[str, str]) -> str | None:
    """For a local git checkout: why its version may be wrong (a shallow clone of a project
    whose version comes from git), or ``None``.  hwb does not deepen a checkout it was
    pointed at; it says so instead."""
    tool = vcs_version_tool(project)
    if tool is None:
        return None
    from hwb_action.errors import ProcessError
    from hwb_action.git import run_git

    try:
        out = run_git(["-C", str(project), "rev-parse", "--is-shallow-repository"],
                      environ=environ, check=False)
    except ProcessError:
        return None
    if out.returncode != 0 or out.stdout.strip() != "true":
        return None
    return (f"{project} is a shallow git checkout and {tool} derives the version from git "
            "history and tags: the version built may be wrong (0.1.devN, or a wrong N)")
