"""Converting option values: text from the environment or the command line, values from
TOML (with cibuildwheel's own forms), and the rules every value must meet."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwb_action._text import parse_pair
from hwb_action.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from hwb_action.option_table import Option

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[,\s]+", text.strip()) if p]


def parse_pairs(items: Sequence[str], where: str) -> dict[str, str]:
    """``KEY=VALUE`` items as a dict; keys are stripped, values kept as given."""
    out: dict[str, str] = {}
    for item in items:
        pair = parse_pair(item)
        if pair is None:
            key = item.partition("=")[0].strip()
            msg = f"{where}: expected KEY=VALUE, got {item!r}"
            raise UsageError(msg, hint=f"write it as {where} {key or 'KEY'}=VALUE")
        out[pair[0]] = pair[1]
    return out


ConfigValue = str | list[str]


def parse_config_settings(items: Sequence[str], where: str) -> dict[str, ConfigValue]:
    """PEP 517 config settings as build and uv take them: ``KEY=VALUE``; ``KEY`` alone is
    the empty string; a key given again makes a list of its values, in order."""
    out: dict[str, ConfigValue] = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            msg = f"{where}: expected KEY=VALUE, got {item!r}"
            raise UsageError(msg, hint=f"write it as {where} KEY=VALUE")
        add_config_setting(out, key, value)
    return out


def add_config_setting(out: dict[str, ConfigValue], key: str, value: ConfigValue) -> None:
    """Add ``value`` to ``key``: a second value turns it into a list."""
    if key not in out:
        out[key] = list(value) if isinstance(value, list) else value
        return
    before = out[key]
    out[key] = [*(before if isinstance(before, list) else [before]),
                *(value if isinstance(value, list) else [value])]


def config_settings_words(settings: Mapping[str, ConfigValue]) -> list[str]:
    """``KEY=VALUE`` words of config settings, a list value once per item: the form that
    ``CIBW_CONFIG_SETTINGS`` and ``build -C`` take (``key=a key=b`` is a list there too)."""
    words: list[str] = []
    for key, value in settings.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            words.append(f"{key}={item}")
    return words


def cibw_config_settings(settings: Mapping[str, ConfigValue]) -> str:
    """``CIBW_CONFIG_SETTINGS``: the words of :func:`config_settings_words`, shell-quoted
    (cibuildwheel splits the value as a shell would)."""
    return " ".join(shlex.quote(w) for w in config_settings_words(settings))


def convert_text(option: Option, text: str, where: str) -> Any:
    """Convert a string from the environment or the command line to the option's type."""
    if option.kind == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        msg = f"{where}: {text!r} is not a boolean (use true or false)"
        raise UsageError(msg)
    if option.kind == "int":
        try:
            return int(text)
        except ValueError:
            msg = f"{where}: {text!r} is not a whole number"
            raise UsageError(msg) from None
    if option.kind == "list":
        return _split_list(text)
    if option.kind == "dict" and option.name == "config-settings":
        # One setting per line, so that a value may hold commas; on one line, commas
        # separate them (the older form).
        lines = text.splitlines() if "\n" in text.strip() else text.split(",")
        return parse_config_settings([p.strip() for p in lines if p.strip()], where)
    if option.kind == "dict":
        # Newlines or commas separate pairs in the environment (action inputs are multi-line).
        items = [p.strip() for p in re.split(r"[\n,]", text) if p.strip()]
        return parse_pairs(items, where)
    return text


_TOML_EXAMPLES = {"bool": "true", "int": "4", "list": '["a", "b"]',
                  "dict": '{ KEY = "value" }'}
# cibuildwheel's own forms, taken in [tool.cibuildwheel] and [tool.hwb] alike: an array of
# commands runs them one after the other, as cibuildwheel joins them.
_COMMAND_ARRAYS = {"test-command": " && ", "before-build": " && "}


@dataclass(frozen=True)
class _TomlValue:
    """A value read from TOML for ``option``, and where it was read."""

    option: Option
    value: Any
    where: str
    line: int | None
    file: str
    cibuildwheel: bool

    @property
    def joiner(self) -> str | None:
        return _COMMAND_ARRAYS.get(self.option.name)

    def bad(self, expected: str) -> ConfigError:
        """The value is not of the option's type: say what it must be, with an example."""
        name, value = self.option.name, self.value
        example = _TOML_EXAMPLES.get(self.option.kind, '"value"')
        return ConfigError(
            f"{self.where} must be {expected}, not {type(value).__name__} {value!r}",
            file=self.file, line=self.line, hint=f"write it as {name} = {example}"
            + (f' or as an array of commands, {name} = ["cmd1", "cmd2"]'
               if self.joiner else ""),
        )


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _toml_bool(v: _TomlValue) -> Any:
    if not isinstance(v.value, bool):
        raise v.bad("true or false")
    return v.value


def _toml_int(v: _TomlValue) -> Any:
    if isinstance(v.value, bool) or not isinstance(v.value, int):
        raise v.bad("an integer")
    return v.value


def _toml_list(v: _TomlValue) -> Any:
    if isinstance(v.value, str):
        # cibuildwheel separates test-requires with spaces: "numpy>=1,<3" is one item.
        split = v.cibuildwheel and v.option.name == "test-requires"
        return v.value.split() if split else _split_list(v.value)
    if _is_strings(v.value):
        return list(v.value)
    raise v.bad("a string or an array of strings")


def _toml_dict(v: _TomlValue) -> Any:
    environment = v.option.name == "environment"
    if isinstance(v.value, str) and environment:
        return _parse_environment(v.value, v.where, v.line, v.file)
    if not isinstance(v.value, dict):
        raise v.bad("a table of strings"
                    + (' or a string like "A=1 B=2"' if environment else ""))
    out: dict[str, str | list[str]] = {}
    for key, item in v.value.items():
        if v.option.name == "config-settings" and _is_strings(item):
            out[str(key)] = list(item)  # a setting given several values, as -C k=a -C k=b
            continue
        if not isinstance(item, str | int | float):
            msg = f"{v.where}: {key} must be a string, not {type(item).__name__} {item!r}"
            raise ConfigError(msg, file=v.file, line=v.line, hint=f'write it as {key} = "value"')
        out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
    return out


def _toml_str(v: _TomlValue) -> Any:
    if v.joiner and _is_strings(v.value):
        return v.joiner.join(v.value)
    if not isinstance(v.value, str):
        raise v.bad("a string" + (" or an array of strings" if v.joiner else ""))
    return v.value


_TOML_CONVERTERS: dict[str, Callable[[_TomlValue], Any]] = {
    "bool": _toml_bool, "int": _toml_int, "list": _toml_list, "dict": _toml_dict,
}


def convert_toml(option: Option, value: Any, where: str, line: int | None, file: str,
                 *, cibuildwheel: bool = False) -> Any:
    """A value from ``[tool.hwb]`` (or ``[tool.cibuildwheel]``) as the option's type; a
    wrong type is a :class:`ConfigError` at ``file:line`` with an example."""
    convert = _TOML_CONVERTERS.get(option.kind, _toml_str)
    return convert(_TomlValue(option, value, where, line, file, cibuildwheel))


def _parse_environment(text: str, where: str, line: int | None, file: str) -> dict[str, str]:
    """cibuildwheel's string form of ``environment``: shell-like ``KEY=VALUE`` words."""
    hint = """write it as environment = "A=1 B='two words'" or as a table, { A = "1" }"""
    try:
        words = shlex.split(text)
    except ValueError as err:
        msg = f"{where}: cannot split {text!r} like a shell would ({err})"
        raise ConfigError(msg, file=file, line=line, hint=hint) from None
    pairs: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            msg = f"{where}: expected KEY=VALUE, got {word!r}"
            raise ConfigError(msg, file=file, line=line, hint=hint)
        pairs[key] = value
    return pairs


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def value_problem(option: Option, value: Any) -> str | None:
    """Why ``value`` cannot be the value of ``option`` (one line, no control characters,
    at least ``minimum``), or ``None``.  The text names no secret value."""
    if option.kind == "int":
        if option.minimum is not None and isinstance(value, int) and value < option.minimum:
            return f"must be {option.minimum} or more, not {value}"
        return None
    if isinstance(value, Mapping):
        return _mapping_problem(value)
    pattern = _CONTROL if option.single_line else _CONTROL_MULTILINE
    for text in _texts(value):
        problem = _text_problem(text, pattern, secret=option.secret)
        if problem is not None:
            return problem
    return None


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def _mapping_problem(value: Mapping[Any, Any]) -> str | None:
    for key, item in value.items():
        if _CONTROL.search(str(key)):
            return f"key {str(key)!r} holds a control character"
        items = item if isinstance(item, list | tuple) else [item]
        if any("\x00" in str(one) for one in items):
            return f"the value of {str(key)!r} holds a NUL character"
    return None


def _text_problem(text: str, pattern: re.Pattern[str], *, secret: bool) -> str | None:
    found = pattern.search(text)
    if found is None:
        return None
    shown = "the value" if secret else repr(text)
    char = found.group()
    if char in _LINE_BREAKS:
        return (f"must be one line, but {shown} holds a line break "
                f"({char!r} at character {found.start() + 1})")
    return (f"must not hold control characters, but {shown} holds {char!r} "
            f"at character {found.start() + 1}")


def env_seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """A wait in seconds from the variable ``name`` (``default`` when unset or empty); a value
    that is not a positive number is a :class:`UsageError` naming the variable."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        msg = f"{name}={raw!r} is not a positive number of seconds"
        raise UsageError(msg, hint=f"e.g. {name}={default * 2:g}, or unset it for "
                                   f"{default:g}")
    return value
