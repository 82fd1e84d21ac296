"""Where a project's version lives, and an edit that changes that string and nothing else.

Three places: ``[project].version`` in pyproject.toml, a ``__version__ = "..."`` line in a
Python file, or nowhere (a dynamic version from the VCS, e.g. hatch-vcs or setuptools-scm:
the tag is the release).  Files are read and written as bytes so that line endings,
comments and formatting survive byte for byte; after an edit the file is parsed again and
must say the new version.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hwb_action._configfile import locate_key, parse_toml
from hwb_action.errors import ConfigError

# toml, json and variable: the further files of version-files (hwb_action.versioning.files).
LocationKind = Literal["pyproject", "python", "none", "toml", "json", "variable"]

_TABLE_HEADER = re.compile(r"^[ \t]*\[")
_PROJECT_HEADER = re.compile(r"^[ \t]*\[[ \t]*project[ \t]*\][ \t]*(#.*)?$")
_VERSION_LINE = re.compile(
    r"""^(?P<lead>[ \t]*(?:version|"version"|'version')[ \t]*=[ \t]*)(?P<q>"|')"""
    r"""(?P<value>[^"'\r\n]*)(?P=q)"""
)
_DOTTED_LINE = re.compile(
    r"""^(?P<lead>[ \t]*project[ \t]*\.[ \t]*version[ \t]*=[ \t]*)(?P<q>"|')"""
    r"""(?P<value>[^"'\r\n]*)(?P=q)"""
)
_DUNDER = re.compile(
    r"""^(?P<lead>[ \t]*__version__[ \t]*(?::[ \t]*str[ \t]*)?=[ \t]*)(?P<q>"|')"""
    r"""(?P<value>[^"'\r\n]*)(?P=q)""",
    re.MULTILINE,
)
_VCS_PLUGINS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "hatch_vcs",
                "versioningit", "dunamai", "poetry-dynamic-versioning", "pdm-backend-scm")


@dataclass(frozen=True, kw_only=True)
class VersionLocation:
    """Where the version is written (``path`` None for ``none``), and what it says now."""

    kind: LocationKind
    path: Path | None
    current: str | None
    why: str
    variable: str | None = None  # the TOML table.key, JSON key or variable that holds it

    def describe(self) -> str:
        if self.kind == "none" or self.path is None:
            return f"tag only ({self.why})"
        return f"{self.path.name} ({self.why})"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as err:
        msg = f"version file {path} does not exist"
        raise ConfigError(msg, file=str(path),
                          hint="set version-file to an existing file, or to none") from err
    except UnicodeDecodeError as err:
        msg = f"not valid UTF-8 ({err.reason})"
        raise ConfigError(msg, file=str(path)) from err


def read_version_file(path: Path) -> str:
    """A version file's text (decoded UTF-8, line endings kept); a ConfigError otherwise."""
    return _read(path)


def _pyproject_version_span(text: str, path: Path) -> tuple[int, int, int]:
    """(start, end, line) of the version value inside ``[project]`` (or a dotted key)."""
    offset = 0
    in_project = False
    at_root = True
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        if _TABLE_HEADER.match(body):
            in_project = bool(_PROJECT_HEADER.match(body))
            at_root = False
        else:
            regex = _VERSION_LINE if in_project else (_DOTTED_LINE if at_root else None)
            match = regex.match(body) if regex is not None else None
            if match is not None:
                return offset + match.start("value"), offset + match.end("value"), number
        offset += len(line)
    msg = "could not find the line `version = \"...\"` in the [project] table"
    raise ConfigError(msg, file=str(path),
                      hint="write the version as a plain string on its own line, or set "
                           "version-file")


def _dunder_span(text: str, path: Path) -> tuple[int, int, int]:
    matches = list(_DUNDER.finditer(text))
    if len(matches) != 1:
        found = "none" if not matches else f"{len(matches)}"
        msg = f"expected one `__version__ = \"...\"` line, found {found}"
        raise ConfigError(msg, file=str(path),
                          hint="keep exactly one literal __version__ assignment, or set "
                               "version-file to pyproject.toml or none")
    match = matches[0]
    return match.start("value"), match.end("value"), text.count("\n", 0, match.start()) + 1


def _find_module_init(project_dir: Path, module: str) -> Path | None:
    rel = Path(*module.split("."))
    for root in (project_dir, project_dir / "src"):
        for candidate in (root / rel / "__init__.py", root / rel.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    return None


class _Tables:
    """pyproject.toml as data, read defensively: a value of the wrong type is a
    :class:`ConfigError` naming the file and the key, never a traceback."""

    def __init__(self, data: dict[str, Any], path: Path, text: str) -> None:
        self.data = data
        self.path = path
        self.text = text

    def _error(self, keys: Sequence[str], expected: str, value: object) -> ConfigError:
        table, key = ".".join(keys[:-1]), keys[-1]
        where = f"[{table}] {key}" if table else key
        line = locate_key(self.text, table, key) if table else locate_key(self.text, key)
        msg = f"{where} must be {expected}, not {type(value).__name__} {value!r}"
        return ConfigError(msg, file=str(self.path), line=line,
                           hint=f"fix {where} in pyproject.toml (see its build backend's "
                                "documentation), or set version-file")

    def table(self, *keys: str) -> dict[str, Any]:
        """The table at ``keys`` (``{}`` when absent)."""
        node: dict[str, Any] = self.data
        for depth, key in enumerate(keys, start=1):
            value = node.get(key, {})
            if not isinstance(value, dict):
                raise self._error(keys[:depth], "a table", value)
            node = value
        return node

    def string(self, *keys: str) -> str | None:
        """The string at ``keys`` (``None`` when absent)."""
        value = self.table(*keys[:-1]).get(keys[-1])
        if value is not None and not isinstance(value, str):
            raise self._error(keys, "a string", value)
        return value

    def strings(self, *keys: str) -> list[str]:
        """The list of strings at ``keys`` (``[]`` when absent)."""
        value = self.table(*keys[:-1]).get(keys[-1], [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise self._error(keys, "a list of strings", value)
        return value


def _nowhere(why: str) -> VersionLocation:
    return VersionLocation(kind="none", path=None, current=None, why=why)


def _from_vcs(project_dir: Path, tables: _Tables) -> VersionLocation | None:
    requires = " ".join(tables.strings("build-system", "requires"))
    tool = tables.table("tool")
    if ("setuptools_scm" in tool or tables.string("tool", "hatch", "version", "source") == "vcs"
            or tables.string("tool", "pdm", "version", "source") == "scm"
            or any(plugin in requires for plugin in _VCS_PLUGINS)):
        return _nowhere("dynamic version from the VCS: the tag is the version")
    return None


def _from_hatch(project_dir: Path, tables: _Tables) -> VersionLocation | None:
    path = tables.string("tool", "hatch", "version", "path")
    if path is None:
        return None
    return _python_location(project_dir / path, "[tool.hatch.version]")


def _from_pdm(project_dir: Path, tables: _Tables) -> VersionLocation | None:
    path = tables.string("tool", "pdm", "version", "path")
    if tables.string("tool", "pdm", "version", "source") != "file" or path is None:
        return None
    return _python_location(project_dir / path, "[tool.pdm.version]")


def _from_setuptools_attr(project_dir: Path, tables: _Tables) -> VersionLocation | None:
    attr = tables.string("tool", "setuptools", "dynamic", "version", "attr")
    if attr is None or "." not in attr:
        return None
    found = _find_module_init(project_dir, attr.rpartition(".")[0])
    if found is None:
        return None
    return _python_location(found, "[tool.setuptools.dynamic] version")


def _from_flit(project_dir: Path, tables: _Tables) -> VersionLocation | None:
    if not (tables.string("build-system", "build-backend") or "").startswith("flit"):
        return None
    module = (tables.string("tool", "flit", "module", "name")
              or (tables.string("project", "name") or "").replace("-", "_"))
    found = _find_module_init(project_dir, module)
    if found is None:
        return None
    return _python_location(found, "flit reads __version__")


# Where a dynamic version is found, asked in this order: the first answer wins.
_DYNAMIC: tuple[Callable[[Path, _Tables], VersionLocation | None], ...] = (
    _from_vcs, _from_hatch, _from_pdm, _from_setuptools_attr, _from_flit)


def _configured(project_dir: Path, setting: str, tables: _Tables,
                pyproject: dict[str, Any]) -> VersionLocation:
    """The location version-file names ("none", "pyproject.toml" or a Python file)."""
    if setting.lower() == "none":
        return _nowhere("version-file = none")
    path = project_dir / setting
    if path.name != "pyproject.toml":
        return _python_location(path, "version-file")
    same = pyproject and path == tables.path
    return _pyproject_location(path, "version-file", tables if same else None)


def locate(project_dir: Path, setting: str, pyproject: dict[str, Any], *,
           text: str = "") -> VersionLocation:
    """Where the version lives: ``setting`` ("", "none", "pyproject.toml" or a file path)
    or, when empty, what ``pyproject`` (the parsed ``project_dir/pyproject.toml``, whose
    ``text`` gives error lines) says.  The file is not parsed again."""
    tables = _Tables(pyproject, project_dir / "pyproject.toml", text)
    if setting:
        return _configured(project_dir, setting, tables, pyproject)
    if "project" not in pyproject:
        return _nowhere("no [project] table in pyproject.toml")
    if "version" in tables.table("project"):
        return _pyproject_location(tables.path, "[project].version", tables)
    if "version" not in tables.strings("project", "dynamic"):
        return _nowhere("pyproject.toml has no version")
    for finder in _DYNAMIC:
        found = finder(project_dir, tables)
        if found is not None:
            return found
    return _nowhere("dynamic version; set version-file if a file holds it")


def _pyproject_location(path: Path, why: str, tables: _Tables | None) -> VersionLocation:
    """The version in ``[project]`` of ``path``; ``tables`` is that file already parsed."""
    if tables is None:
        text = _read(path)
        tables = _Tables(parse_toml(text, path), path, text)
    version = tables.table("project").get("version")
    if not isinstance(version, str):
        msg = "[project] version is not set to a string"
        raise ConfigError(msg, file=str(path), line=locate_key(tables.text, "project", "version"),
                          hint="write it as version = \"1.2.3\", or set version-file to the "
                               "file that holds the version, or to none")
    return VersionLocation(kind="pyproject", path=path, current=version, why=why)


def _python_location(path: Path, why: str) -> VersionLocation:
    text = _read(path)
    start, end, _ = _dunder_span(text, path)
    return VersionLocation(kind="python", path=path, current=text[start:end], why=why)


def render_edit(location: VersionLocation, new_version: str) -> bytes | None:
    """The file's new bytes with only the version string replaced (None for ``none``).

    Checked: the result still parses and says ``new_version``.
    """
    if location.kind == "none" or location.path is None:
        return None
    path = location.path
    text = _read(path)
    if location.kind == "pyproject":
        start, end, line = _pyproject_version_span(text, path)
        if text[start:end] != location.current:
            msg = "the version line does not match [project].version"
            raise ConfigError(msg, file=str(path), line=line)
        new_text = text[:start] + new_version + text[end:]
        parsed = tomllib.loads(new_text).get("project", {}).get("version")
        if parsed != new_version:  # e.g. a second `version =` the regex met first
            msg = "could not edit [project].version safely"
            raise ConfigError(msg, file=str(path), line=line)
    else:
        start, end, _ = _dunder_span(text, path)
        new_text = text[:start] + new_version + text[end:]
    return new_text.encode("utf-8")
