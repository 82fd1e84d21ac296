"""Reading a project's configuration files safely: pyproject.toml, setup.cfg, setup.py.

Every file is opened the same way (:func:`read_config_bytes`): a directory, a FIFO, a device,
a dangling or looping symbolic link or an unreadable file is a :class:`ConfigError` naming the
file, never a traceback or a hang.  TOML errors name the line; tomllib says only "end of
document" when something is left open, so :func:`scan_toml` finds where it opened.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwb_action.errors import ConfigError

# No real configuration file comes near this; the bound keeps a hostile tree from making hwb
# read gigabytes before it says anything.
MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Nesting deeper than this is where a too-deep document is reported to start.
MAX_TOML_DEPTH = 100

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_config_bytes(path: Path) -> bytes | None:
    """The bytes of the configuration file ``path``; ``None`` when nothing is there.

    Anything at ``path`` that is not a readable regular file (after following links) is a
    :class:`ConfigError`.  The file is opened without blocking and checked again through the
    open descriptor, so a FIFO swapped in after the first check cannot hang hwb.
    """
    name = path.name
    try:
        link = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _unreadable(path, err) from err
    try:
        info = path.stat()
    except OSError as err:
        if stat.S_ISLNK(link.st_mode):
            target = os.readlink(path)
            why = ("a symbolic link loop" if err.errno == errno.ELOOP
                   else f"a symbolic link to {target!r}, which does not exist")
            msg = f"{name} is {why}"
            raise ConfigError(msg, file=str(path), hint=f"make {name} a regular file") from err
        raise _unreadable(path, err) from err
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise _unreadable(path, err) from err
    with open(fd, "rb", closefd=True) as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            raise _not_regular(path, opened.st_mode)
        try:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as err:
            raise _unreadable(path, err) from err
    if len(data) > MAX_CONFIG_BYTES:
        msg = f"{name} is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB"
        raise ConfigError(msg, file=str(path), hint=f"this is not a real {name}")
    return data


def _not_regular(path: Path, mode: int) -> ConfigError:
    msg = f"{path.name} is {_kind(mode)}, not a file"
    return ConfigError(msg, file=str(path),
                       hint=f"{path.name} must be a regular file; remove or rename what is there")


def _unreadable(path: Path, err: OSError) -> ConfigError:
    msg = f"{path.name} cannot be read: {err.strerror or err}"
    return ConfigError(msg, file=str(path),
                       hint="check the file's permissions and that it is a regular file")


def decode_config(data: bytes, path: Path) -> str:
    """``data`` as UTF-8 text; otherwise a :class:`ConfigError` at the offending byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        msg = f"{path.name} is not valid UTF-8 ({err.reason}: byte {data[err.start]:#04x})"
        raise ConfigError(msg, file=str(path), line=line, col=col,
                          hint=f"save {path.name} as UTF-8") from err


def read_config_text(path: Path) -> str | None:
    """The UTF-8 text of ``path`` (see :func:`read_config_bytes`); ``None`` when absent."""
    data = read_config_bytes(path)
    return None if data is None else decode_config(data, path)


# -- pyproject.toml ------------------------------------------------------------------------
def read_pyproject(project_dir: Path | None) -> tuple[dict[str, Any], str, Path | None]:
    """The parsed pyproject.toml of ``project_dir`` (empty when absent), its text and path."""
    if project_dir is None:
        return {}, "", None
    path = project_dir / "pyproject.toml"
    text = read_config_text(path)
    if text is None:
        return {}, "", None
    return parse_toml(text, path), text, path


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """``text`` parsed as TOML; every failure is a :class:`ConfigError` with a line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise toml_error(err, path, text) from err
    except RecursionError as err:
        # tomllib recurses once per nesting level; point at where the nesting got deep.
        where = scan_toml(text).too_deep
        line, col = where if where is not None else (None, None)
        msg = "invalid TOML: arrays or inline tables nested too deeply to read"
        raise ConfigError(msg, file=str(path), line=line, col=col,
                          hint="no real configuration nests like this; flatten it") from err


def toml_error(err: tomllib.TOMLDecodeError, path: Path, text: str | None = None) -> ConfigError:
    """A ConfigError at the line and column that tomllib names.

    When tomllib stops at the end of the document (something was left open), the error
    points at the line where the unclosed array, table or string starts instead.
    """
    raw = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", raw)
    line = int(match.group(1)) if match else None
    col = int(match.group(2)) if match else None
    message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", raw)
    message = message or "invalid TOML"
    hint = "fix the syntax; see https://toml.io"
    if text is not None and text.startswith("\ufeff"):
        hint = "remove the byte order mark (BOM) at the start of the file"
    elif match is None and "end of document" in raw and text is not None:
        scan = scan_toml(text)
        if scan.unclosed is not None:
            what, closer, line, col = scan.unclosed
            message = (f"the {what} that starts here is never closed ({message} at the end "
                       "of the file)")
            hint = f"close it with {closer}"
        else:
            message = f"{message} at the end of the file"
            line = text.count("\n") + 1
    return ConfigError(f"invalid TOML: {message}", file=str(path), line=line, col=col,
                       hint=hint)


@dataclass(frozen=True)
class TomlScan:
    """What a lexical scan of TOML text found: the innermost construct left open at the end
    (what, closing token, line, column) and where nesting first went too deep."""

    unclosed: tuple[str, str, int, int] | None
    too_deep: tuple[int, int] | None


_OPENERS = {"[": ("array", "]"), "{": ("inline table", "}")}
_STRINGS = {'"': "string", "'": "literal string", '"""': "multi-line string",
            "'''": "multi-line literal string"}
_INTERESTING = re.compile(r"""#|\"\"\"|'''|["'\[\]{}]""")


class _Lines:
    """Line and column of offsets met in increasing order, counting newlines as it goes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        newlines = self.text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return self.line, offset - self.line_start + 1


def scan_toml(text: str) -> TomlScan:
    """Scan ``text`` for strings, comments and brackets (not a parser: tomllib decides what
    is valid; this only finds positions tomllib does not report)."""
    stack: list[tuple[str, str, int, int]] = []
    too_deep: tuple[int, int] | None = None
    lines = _Lines(text)
    pos = 0
    while (found := _INTERESTING.search(text, pos)) is not None:
        lexeme, start, pos = found.group(), found.start(), found.end()
        if lexeme == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif lexeme in _OPENERS:
            what, closer = _OPENERS[lexeme]
            line, col = lines.at(start)
            if not stack and not text[start - col + 1:start].strip():
                what = "table header"
            stack.append((what, closer, line, col))
            if len(stack) > MAX_TOML_DEPTH and too_deep is None:
                too_deep = (line, col)
        elif lexeme in "]}":
            if stack:  # a stray closer is tomllib's to report
                stack.pop()
        else:
            pos = _end_of_string(text, pos, lexeme)
            if pos < 0:
                return TomlScan((_STRINGS[lexeme], lexeme, *lines.at(start)), too_deep)
    return TomlScan(stack[-1] if stack else None, too_deep)


def _end_of_string(text: str, i: int, quote: str) -> int:
    """Index just past the string that opened with ``quote`` before ``i``; -1 when the text
    ends first.  A one-line string also ends at a newline (tomllib has reported that)."""
    basic = quote[0] == '"'
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and basic:
            i += 2
            continue
        if len(quote) == 1 and c == "\n":
            return i
        if text.startswith(quote, i):
            end = i + len(quote)
            if len(quote) == 3:  # up to two more quotes belong to the value: """a"""""
                while end < n and text[end] == quote[0] and end - i < 5:
                    end += 1
            return end
        i += 1
    return -1


_ANY_HEADER = re.compile(r"^\s*\[")


def locate_key(text: str, table: str, key: str | None = None) -> int | None:
    """1-based line of ``key`` in TOML ``[table]`` (or of the table header), if found.

    tomllib keeps no positions, so this scans the text: good enough for annotations.
    """
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        # No [table] header: maybe a dotted key at the top level, table.key = ...
        dotted = re.compile(r"^\s*" + re.escape(f"{table}.{key}") + r"\s*=")
        return None if key is None else _first_line(lines, dotted, 0, len(lines))
    if key is None:
        return start + 1
    end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])),
               len(lines))
    pattern = re.compile(r"""^\s*["']?""" + re.escape(key) + r"""["']?\s*[=.]""")
    return _first_line(lines, pattern, start + 1, end) or start + 1


def _first_line(lines: list[str], pattern: re.Pattern[str], start: int, end: int) -> int | None:
    """The 1-based number of the first of ``lines[start:end]`` that ``pattern`` matches."""
    return next((i + 1 for i in range(start, end) if pattern.match(lines[i])), None)
