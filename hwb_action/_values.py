"""Converting option values: text from the environment or the command line, values from
TOML (with cibuildwheel's own forms), and the rules every value must meet."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hwb_action._text import parse_pair
from hwb_action.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from hwb_action.settings import Option

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


def convert_toml(option: Option, value: Any, where: str, line: int | None, file: str,
                 *, cibuildwheel: bool = False) -> Any:
    """A value from ``[tool.hwb]`` (or ``[tool.cibuildwheel]``) as the option's type; a
    wrong type is a :class:`ConfigError` at ``file:line`` with an example."""
    joiner = _COMMAND_ARRAYS.get(option.name)

    def bad(expected: str) -> ConfigError:
        example = _TOML_EXAMPLES.get(option.kind, '"value"')
        return ConfigError(
            f"{where} must be {expected}, not {type(value).__name__} {value!r}",
            file=file, line=line, hint=f"write it as {option.name} = {example}"
            + (f' or as an array of commands, {option.name} = ["cmd1", "cmd2"]'
               if joiner else ""),
        )

    if option.kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if option.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if option.kind == "list":
        if isinstance(value, str):
            # cibuildwheel separates test-requires with spaces: "numpy>=1,<3" is one item.
            split = cibuildwheel and option.name == "test-requires"
            return value.split() if split else _split_list(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise bad("a string or an array of strings")
    if option.kind == "dict":
        if isinstance(value, str) and option.name == "environment":
            return _parse_environment(value, where, line, file)
        if not isinstance(value, dict):
            raise bad("a table of strings" + (
                ' or a string like "A=1 B=2"' if option.name == "environment" else ""))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if (option.name == "config-settings" and isinstance(item, list)
                    and all(isinstance(v, str) for v in item)):
                out[str(key)] = list(item)  # a setting given several values, as -C k=a -C k=b
                continue
            if not isinstance(item, str | int | float):
                msg = f"{where}: {key} must be a string, not {type(item).__name__} {item!r}"
                raise ConfigError(msg, file=file, line=line,
                                  hint=f'write it as {key} = "value"')
            out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
        return out
    if joiner and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return joiner.join(value)
    if not isinstance(value, str):
        raise bad("a string" + (" or an array of strings" if joiner else ""))
    return value


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
    texts: list[str] = []
    pattern = _CONTROL if option.single_line else _CONTROL_MULTILINE
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list | tuple):
        texts = [v for v in value if isinstance(v, str)]
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if _CONTROL.search(str(key)):
                return f"key {str(key)!r} holds a control character"
            items = item if isinstance(item, list | tuple) else [item]
            if any("\x00" in str(one) for one in items):
                return f"the value of {str(key)!r} holds a NUL character"
        return None
    for text in texts:
        found = pattern.search(text)
        if found is None:
            continue
        shown = "the value" if option.secret else repr(text)
        char = found.group()
        if char in _LINE_BREAKS:
            return (f"must be one line, but {shown} holds a line break "
                    f"({char!r} at character {found.start() + 1})")
        return (f"must not hold control characters, but {shown} holds {char!r} "
                f"at character {found.start() + 1}")
    return None
