"""Settings: one table of options, one resolution function, one precedence.

Precedence, lowest first:

1. the defaults in :data:`OPTIONS`;
2. ``[tool.cibuildwheel]`` in pyproject.toml, for the keys hwb shares with it
   (``build``, ``skip``, ``archs``, ``test-command``, ``test-requires``, ``before-build``,
   ``environment``) so that a project that already configures cibuildwheel keeps working,
   in cibuildwheel's own forms (an array of commands is joined with ``&&``, ``environment``
   may be a ``"A=1 B=2"`` string);
3. ``[tool.hwb]`` in pyproject.toml;
4. ``HWB_*`` environment variables (the GitHub Action maps its inputs to these);
5. command-line flags.

Every option is a kebab-case key in ``[tool.hwb]`` (unless ``in_config`` is false), an
``HWB_<KEY>`` variable, and a ``--key`` flag of the commands that use it.  Unknown keys in
``[tool.hwb]`` are an error with a "did you mean".  Whatever its origin, a resolved value then
meets its option's rules (``single_line``, ``minimum``, ``choices``); a breach is an error that
points at the file and line, variable or flag that set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# Re-exported (marked "as"): the rest of hwb imports these from settings, the option
# table (option_table) too.
from hwb_action._configfile import locate_key as locate_key  # noqa: PLC0414
from hwb_action._configfile import read_pyproject as read_pyproject  # noqa: PLC0414
from hwb_action._suggest import did_you_mean
from hwb_action._text import location
from hwb_action._values import convert_text as convert_text  # noqa: PLC0414
from hwb_action._values import convert_toml, value_problem
from hwb_action._values import parse_pairs as parse_pairs  # noqa: PLC0414
from hwb_action.errors import ConfigError, UsageError
from hwb_action.option_table import ALL_COMMANDS as ALL_COMMANDS  # noqa: PLC0414
from hwb_action.option_table import BY_NAME as BY_NAME  # noqa: PLC0414
from hwb_action.option_table import OPTIONS as OPTIONS  # noqa: PLC0414
from hwb_action.option_table import Command as Command  # noqa: PLC0414
from hwb_action.option_table import Kind as Kind  # noqa: PLC0414
from hwb_action.option_table import Option as Option  # noqa: PLC0414
from hwb_action.option_table import options_for as options_for  # noqa: PLC0414

_CIBW_SHARED = ("build", "skip", "archs", "test-command", "test-requires", "before-build",
                "environment")


# -- resolution -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Origin:
    """Where a resolved value came from, for error messages and annotations."""

    kind: Literal["default", "cibuildwheel", "pyproject", "env", "cli"]
    file: str | None = None
    line: int | None = None
    name: str | None = None  # env var or flag

    def describe(self) -> str:
        if self.kind in ("pyproject", "cibuildwheel") and self.file:
            return location(self.file, self.line)
        if self.kind in ("env", "cli") and self.name:
            return self.name
        return "default"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one command: values by option name, and where each came from."""

    command: str
    values: Mapping[str, Any]
    origins: Mapping[str, Origin] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def origin(self, name: str) -> Origin:
        return self.origins.get(name, Origin(kind="default"))

    def error(self, name: str, message: str, *, hint: str | None = None) -> UsageError:
        """A configuration error that points at where ``name`` was set."""
        origin = self.origin(name)
        if origin.kind in ("pyproject", "cibuildwheel"):
            table = "tool.hwb" if origin.kind == "pyproject" else "tool.cibuildwheel"
            return ConfigError(f"[{table}] {name}: {message}", file=origin.file,
                               line=origin.line, hint=hint)
        where = origin.name or BY_NAME[name].flag
        return UsageError(f"{where}: {message}", hint=hint)


# A layer of the precedence: option name -> (converted value, where it came from).
_Layer = dict[str, tuple[Any, Origin]]


def resolve(
    command: str,
    *,
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
    pyproject: tuple[dict[str, Any], str, Path | None] | None = None,
) -> Settings:
    """Resolve every option of ``command`` through the precedence in the module docstring.

    ``cli`` holds values already converted by the CLI (``None`` means "not given").
    """
    data, text, path = pyproject if pyproject is not None else read_pyproject(project_dir)
    file = str(path) if path else "pyproject.toml"
    mine = options_for(command)
    values: dict[str, Any] = {opt.name: _copy(opt.default) for opt in mine}
    origins: dict[str, Origin] = {}
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    # Lowest first; each layer is converted (and may fail) before the next is read.
    for layer in (_cibuildwheel_layer(command, tool.get("cibuildwheel"), text, file),
                  _hwb_layer(command, tool.get("hwb"), text, file),
                  _environ_layer(mine, environ or {}),
                  _cli_layer(mine, cli or {})):
        for name, (value, origin) in layer.items():
            values[name] = value
            origins[name] = origin
    settings = Settings(command, values, origins)
    for opt in mine:
        _check_value(settings, opt)
    return settings


def _cibuildwheel_layer(command: str, cibw: Any, text: str, file: str) -> _Layer:
    """The options hwb shares with ``[tool.cibuildwheel]``."""
    layer: _Layer = {}
    if not isinstance(cibw, dict):
        return layer
    for key in _CIBW_SHARED:
        if key in cibw and command in BY_NAME[key].commands:
            line = _key_line(text, "tool.cibuildwheel", key, cibw[key])
            value = convert_toml(BY_NAME[key], cibw[key], f"[tool.cibuildwheel] {key}", line,
                                 file, cibuildwheel=True)
            layer[key] = value, Origin(kind="cibuildwheel", file=file, line=line)
    return layer


def _hwb_layer(command: str, hwb: Any, text: str, file: str) -> _Layer:
    """``[tool.hwb]``: every key must be an option; those of other commands are skipped."""
    layer: _Layer = {}
    if hwb is None:
        return layer
    if not isinstance(hwb, dict):
        raise ConfigError("[tool.hwb] must be a table", file=file,
                          line=locate_key(text, "tool", "hwb"))
    for key, value in hwb.items():
        line = _key_line(text, "tool.hwb", key, value)
        found = BY_NAME.get(key)
        if found is None or not found.in_config:
            raise _unknown_key(key, value, file, line)
        if command in found.commands:
            layer[key] = (convert_toml(found, value, f"[tool.hwb] {key}", line, file),
                          Origin(kind="pyproject", file=file, line=line))
    return layer


def _environ_layer(mine: list[Option], environ: Mapping[str, str]) -> _Layer:
    # An empty variable counts as unset (a CI input left blank).
    return {opt.name: (convert_text(opt, raw, opt.env), Origin(kind="env", name=opt.env))
            for opt in mine if (raw := environ.get(opt.env))}


def _cli_layer(mine: list[Option], cli: Mapping[str, Any]) -> _Layer:
    return {opt.name: (cli[opt.name], Origin(kind="cli", name=opt.flag))
            for opt in mine if cli.get(opt.name) is not None}


def _check_value(settings: Settings, opt: Option) -> None:
    value = settings[opt.name]
    problem = value_problem(opt, value)
    if problem is not None:
        raise settings.error(opt.name, problem, hint=f"{opt.name}: {opt.help}")
    if opt.choices is not None and value not in opt.choices:
        choices = ", ".join(c for c in opt.choices if c)
        raise settings.error(
            opt.name,
            f"must be one of {choices}, not {value!r}" + did_you_mean(str(value), opt.choices),
        )


def _key_line(text: str, table: str, key: str, value: Any) -> int | None:
    # A table value may be written as its own [table.KEY] header.
    if isinstance(value, dict):
        line = locate_key(text, f"{table}.{key}")
        if line is not None:
            return line
    return locate_key(text, table, key)


def _unknown_key(key: str, value: Any, file: str, line: int | None) -> ConfigError:
    known = [o.name for o in OPTIONS if o.in_config]
    if isinstance(value, dict):
        tables = [o.name for o in OPTIONS if o.in_config and o.kind == "dict"]
        if key in (*ALL_COMMANDS, "linux", "macos", "windows"):
            why = f": hwb has no per-{'command' if key in ALL_COMMANDS else 'platform'} tables"
        else:
            why = did_you_mean(key, tables)
        shown = ", ".join(f"[tool.hwb.{t}]" for t in tables)
        return ConfigError(
            f"unknown table [tool.hwb.{key}]{why}", file=file, line=line,
            hint="put the keys in [tool.hwb] itself; the only tables hwb takes are " + shown,
        )
    return ConfigError(
        f"unknown key {key!r} in [tool.hwb]{did_you_mean(key, known)}", file=file, line=line,
        hint="known keys: " + ", ".join(sorted(known)),
    )


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
