"""Every other place the version lives: the ``version-files`` setting.

Each entry is ``FILE`` or ``FILE:VARIABLE``:

- ``pyproject.toml`` -> ``[project] version``; ``Cargo.toml`` -> ``[package] version``
  (maturin); ``package.json`` -> the top-level ``"version"``;
- any other ``FILE`` -> its one ``__version__ = "..."`` line;
- ``FILE.toml:table.key`` -> that key of that table; ``FILE.json:key`` -> that top-level key;
- ``FILE:VARIABLE`` -> its one ``VARIABLE = "..."`` line (e.g. ``docs/conf.py:release``).

As for the main version file, only the version string changes (bytes in, bytes out) and the
edited file is parsed again and must say the new version.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from hwb_action._configfile import parse_toml
from hwb_action.errors import ConfigError
from hwb_action.versioning.bump import parse_release
from hwb_action.versioning.locations import VersionLocation, read_version_file, render_edit

_HINT = ("version-files entries are FILE (pyproject.toml, Cargo.toml, package.json or a file "
         "with __version__ = \"...\") or FILE:VARIABLE")
_DEFAULT_KEYS = {"pyproject.toml": "project.version", "Cargo.toml": "package.version",
                 "package.json": "version"}
_IDENT = re.compile(r"^[A-Za-z_][\w.-]*$")
_TABLE = re.compile(r"""^[ \t]*\[(?P<name>[^\[\]]*)\][ \t]*(?:#.*)?$""")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``FILE[:VARIABLE]`` -> (FILE, VARIABLE or None)."""
    file, sep, variable = spec.rpartition(":")
    if sep and file and _IDENT.match(variable):
        return file, variable
    return spec, None


def locate_file(project_dir: Path, spec: str) -> VersionLocation:
    """Where one ``version-files`` entry keeps the version, and what it says now."""
    file, variable = split_spec(spec.strip())
    path = project_dir / file
    if not path.is_file():
        msg = f"version-files: {file} does not exist (relative to {project_dir})"
        raise ConfigError(msg, hint="fix the path in version-files; " + _HINT)
    key = variable or _DEFAULT_KEYS.get(path.name)
    text = read_version_file(path)
    why = f"version-files {spec.strip()}"
    if key is not None and path.suffix == ".toml":
        current = _toml_value(text, path, key)
        return VersionLocation(kind="toml", path=path, current=current, why=why, variable=key)
    if key is not None and path.suffix == ".json":
        start, end = _json_span(text, path, key)
        return VersionLocation(kind="json", path=path, current=text[start:end], why=why,
                               variable=key)
    if variable is None:
        return VersionLocation(kind="python", path=path, current=_dunder(text, path), why=why)
    start, end = _assignment_span(text, path, variable)
    return VersionLocation(kind="variable", path=path, current=text[start:end], why=why,
                           variable=variable)


def _dunder(text: str, path: Path) -> str:
    start, end = _assignment_span(text, path, "__version__")
    return text[start:end]


# -- VARIABLE = "..." -----------------------------------------------------------------------
def _assignment_span(text: str, path: Path, variable: str) -> tuple[int, int]:
    pattern = re.compile(
        rf"""^[ \t]*{re.escape(variable)}[ \t]*(?::[ \t]*[\w\[\]., |]+?[ \t]*)?=[ \t]*"""
        r"""(?P<q>"|')(?P<value>[^"'\r\n]*)(?P=q)""", re.MULTILINE)
    matches = list(pattern.finditer(text))
    if len(matches) != 1:
        found = "none" if not matches else str(len(matches))
        msg = f"expected one `{variable} = \"...\"` line, found {found}"
        raise ConfigError(msg, file=str(path),
                          hint=f"keep exactly one literal {variable} assignment, or fix "
                               "version-files; " + _HINT)
    return matches[0].start("value"), matches[0].end("value")


# -- TOML: table.key ------------------------------------------------------------------------
def _lookup(data: dict[str, object], dotted: str) -> object:
    node: object = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _toml_value(text: str, path: Path, key: str) -> str:
    value = _lookup(parse_toml(text, path), key)
    if not isinstance(value, str):
        table, _, name = key.rpartition(".")
        msg = (f"[{table}] {name} is not a version string" if table
               else f"{name} is not a version string")
        raise ConfigError(msg, file=str(path),
                          hint=f'write it as {name} = "1.2.3" (a workspace-inherited version '
                               "is released where the workspace defines it)")
    return value


def _toml_span(text: str, path: Path, key: str) -> tuple[int, int]:
    """The value of ``key`` (``table.name``) written as ``name = "..."`` under ``[table]``."""
    table, _, name = key.rpartition(".")
    line_re = re.compile(rf"""^[ \t]*(?:{re.escape(name)}|"{re.escape(name)}"|"""
                         rf"""'{re.escape(name)}')[ \t]*=[ \t]*(?P<q>"|')(?P<value>[^"'\r\n]*)"""
                         r"""(?P=q)""")
    current = ""
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        header = _TABLE.match(body)
        if header is not None:
            current = ".".join(p.strip().strip("\"'") for p in header.group("name").split("."))
        elif body.lstrip().startswith("[["):
            current = "\0"  # an array of tables: never the one we look for
        elif current == table:
            match = line_re.match(body)
            if match is not None:
                return offset + match.start("value"), offset + match.end("value")
        offset += len(line)
    msg = f"could not find the line `{name} = \"...\"` in the [{table}] table"
    raise ConfigError(msg, file=str(path),
                      hint="write the version as a plain string on its own line")


# -- JSON: a top-level key ------------------------------------------------------------------
def _json_span(text: str, path: Path, key: str) -> tuple[int, int]:
    """The span of the top-level string value of ``key`` (a nested ``"version"``, e.g. of a
    dependency, is never the one edited)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"not valid JSON: {err.msg}"
        raise ConfigError(msg, file=str(path), line=err.lineno) from err
    if not isinstance(data, dict) or not isinstance(data.get(key), str):
        msg = f'no top-level "{key}" string'
        raise ConfigError(msg, file=str(path), hint=f'add "{key}": "1.2.3", or fix '
                                                    "version-files")
    span = _top_level_string(text, key, data[key])
    if span is None:
        msg = f'could not edit "{key}" safely (escaped characters in the value?)'
        raise ConfigError(msg, file=str(path))
    return span


_DEPTH_CHANGE = {"{": 1, "[": 1, "}": -1, "]": -1}


def _string_end(text: str, start: int) -> int:
    """The index of the quote that closes the JSON string opened at ``start``."""
    end = start + 1
    while text[end] != '"':
        end += 2 if text[end] == "\\" else 1
    return end


def _top_level_string(text: str, key: str, value: str) -> tuple[int, int] | None:
    """The span of ``key``'s value in valid JSON ``text``, found in one pass that tracks the
    depth and skips strings; None unless the text there, unescaped, is ``value``."""
    depth, i, last_key, expect_value = 0, 0, None, False
    while i < len(text):
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            if depth == 1 and expect_value and last_key == key:
                return (i + 1, end) if json.loads(text[i:end + 1]) == value else None
            if depth == 1 and not expect_value:
                last_key = json.loads(text[i:end + 1])
            i = end + 1
            continue
        depth += _DEPTH_CHANGE.get(char, 0)
        if depth == 1 and char in ":,":
            expect_value = char == ":"
        i += 1
    return None


# -- edit -----------------------------------------------------------------------------------
def render_any(location: VersionLocation, new_version: str) -> bytes | None:
    """The file's new bytes with only the version string replaced (None for ``none``);
    checked by parsing the result again."""
    if location.kind in ("pyproject", "none") or location.path is None:
        return render_edit(location, new_version)
    path = location.path
    text = read_version_file(path)
    key = location.variable or "__version__"
    if location.kind == "toml":
        start, end = _toml_span(text, path, key)
    elif location.kind == "json":
        start, end = _json_span(text, path, key)
    else:
        start, end = _assignment_span(text, path, key)
    if text[start:end] != location.current:
        msg = f"{key} changed since it was read ({text[start:end]!r})"
        raise ConfigError(msg, file=str(path))
    new_text = text[:start] + new_version + text[end:]
    if location.kind == "toml":
        try:
            ok = _lookup(tomllib.loads(new_text), key) == new_version
        except tomllib.TOMLDecodeError:
            ok = False
    elif location.kind == "json":
        ok = json.loads(new_text).get(key) == new_version
    else:
        ok = True
    if not ok:
        msg = f"could not edit {key} safely"
        raise ConfigError(msg, file=str(path), hint="write the version as a plain string")
    return new_text.encode("utf-8")


def same_version(a: str | None, b: str | None) -> bool:
    """Equal as PEP 440 versions (1.3 == 1.3.0), or as text when one does not parse."""
    if a is None or b is None:
        return a == b
    ra, rb = parse_release(a), parse_release(b)
    return ra.version == rb.version if ra is not None and rb is not None else a == b
