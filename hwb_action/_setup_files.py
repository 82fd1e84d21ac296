"""setup.py and setup.cfg read as data: setup.py through :mod:`ast`, never executed."""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

from hwb_action._configfile import read_config_bytes, read_config_text
from hwb_action.errors import ConfigError


@dataclass
class SetupInfo:
    """What setup.py says, read as data."""

    kwargs: dict[str, str] = field(default_factory=dict)
    classifiers: list[str] | None = None
    has_extensions: bool = False
    limited_api: bool = False


# Calls and setup() keywords that mean the project compiles extension modules.
_EXTENSION_CALLS = frozenset({"Extension", "Pybind11Extension", "cythonize", "RustExtension",
                              "CTypes", "CMakeExtension"})
_EXTENSION_KEYWORDS = frozenset({"ext_modules", "rust_extensions", "cffi_modules"})


def read_setup_py(path: Path) -> SetupInfo:
    """What ``setup()`` in ``path`` is given as literals; invalid Python is a ConfigError."""
    info = SetupInfo()
    data = read_config_bytes(path) or b""
    try:
        # Bytes, so that a PEP 263 coding line and a BOM are honoured as Python does.
        tree = ast.parse(data, filename=str(path))
    except (SyntaxError, ValueError) as err:
        raise _setup_py_error(path, data, err) from err
    except (RecursionError, MemoryError) as err:  # Python itself could not compile it either
        msg = "setup.py nests expressions too deeply to be read"
        raise ConfigError(msg, file=str(path), hint="simplify setup.py") from err
    source = data.decode("utf-8", errors="replace")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            _read_call(node, info)
        elif isinstance(node, ast.Name) and node.id == "ext_modules":
            info.has_extensions = True
    if "py_limited_api" in source and re.search(r"py_limited_api\s*[=:]\s*['\"]?cp3", source):
        info.limited_api = True
    return info


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _read_call(node: ast.Call, info: SetupInfo) -> None:
    """What one call says: an extension, py_limited_api=True, or setup()'s literals."""
    name = _call_name(node.func)
    if name in _EXTENSION_CALLS:
        info.has_extensions = True
    for kw in node.keywords:
        if (kw.arg == "py_limited_api" and isinstance(kw.value, ast.Constant)
                and kw.value.value is True):
            info.limited_api = True
        if kw.arg in _EXTENSION_KEYWORDS:
            info.has_extensions = True
        if name == "setup" and kw.arg:
            _read_setup_keyword(kw.arg, kw.value, info)


def _read_setup_keyword(name: str, value: ast.expr, info: SetupInfo) -> None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        info.kwargs[name] = value.value
    elif name == "classifiers" and isinstance(value, ast.List):
        info.classifiers = [e.value for e in value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _setup_py_error(path: Path, data: bytes, err: SyntaxError | ValueError) -> ConfigError:
    line = col = None
    if isinstance(err, SyntaxError) and err.lineno:
        line, col = err.lineno, err.offset
    elif b"\0" in data:
        at = data.index(b"\0")
        line, col = data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1
    reason = err.msg if isinstance(err, SyntaxError) else str(err)
    return ConfigError(
        f"setup.py is not valid Python: {reason}", file=str(path), line=line, col=col,
        hint="hwb reads setup.py as data and setuptools runs it to build: fix it so that "
             "`python setup.py --version` works",
    )


def read_setup_cfg(path: Path) -> dict[str, str]:
    """The metadata hwb needs from setup.cfg; malformed INI is a ConfigError at its line."""
    parser = configparser.ConfigParser(interpolation=None)
    text = read_config_text(path) or ""
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as err:
        raise _setup_cfg_error(path, err) from err
    out: dict[str, str] = {}
    for section, keys in (("metadata", ("name", "version", "classifiers")),
                          ("options", ("python_requires",)),
                          ("bdist_wheel", ("py_limited_api",))):
        if parser.has_section(section):
            for key in keys:
                if parser.has_option(section, key):
                    out[key] = parser.get(section, key).strip()
    if parser.has_option("options", "ext_modules"):
        out["ext_modules"] = "yes"
    return out


def _setup_cfg_error(path: Path, err: configparser.Error) -> ConfigError:
    """configparser's error as one line at the line it names."""
    line: int | None = getattr(err, "lineno", None)
    errors: list[tuple[int, str]] = getattr(err, "errors", None) or []
    if errors:
        line = errors[0][0]
    if isinstance(err, configparser.MissingSectionHeaderError):
        message = "setup.cfg has a line before the first [section] header"
    elif isinstance(err, configparser.DuplicateSectionError):
        message = f"setup.cfg has section [{err.section}] twice"
    elif isinstance(err, configparser.DuplicateOptionError):
        message = f"setup.cfg has {err.option!r} twice in section [{err.section}]"
    elif errors:
        shown = str(errors[0][1]).replace("\\n'", "'")  # repr of the line, newline dropped
        message = f"setup.cfg cannot be parsed: {shown} is not KEY = VALUE"
    else:
        message = "setup.cfg cannot be parsed: " + str(err).splitlines()[0]
    return ConfigError(message, file=str(path), line=line,
                       hint="setup.cfg is INI: [section] headers, then KEY = VALUE lines")
