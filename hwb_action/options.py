"""Typed options per command, made once from the resolved settings.

:func:`hwb_action.settings.resolve` walks the precedence chain and remembers where each value
came from; the dataclasses here are what the library reads afterwards: frozen, keyword-only,
converted and validated once.  Each keeps the :class:`~hwb_action.settings.Settings` it was
made from (``settings``) so that a later check can still point at the file, line, variable or
flag that set a value (``options.settings.error("target", ...)``).

Field names are the option names with ``_`` for ``-``; a test keeps the fields and the option
table in step.  The Python API converts keyword overrides through :func:`overrides_for`, with
the same rules as the environment (``cache="no"`` is false) and a "did you mean" for a
misspelt name.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

from hwb_action._suggest import did_you_mean
from hwb_action._values import value_problem
from hwb_action.errors import UsageError
from hwb_action.settings import BY_NAME, Command, Option, Settings, convert_text, options_for

Isolation = Literal["auto", "uv", "pip", "none", "container"]
TrustedMode = Literal["auto", "always", "never"]
PlanFormatChoice = Literal["", "github", "gitlab", "gitlab-pipeline", "table", "json"]
ContainerEngineChoice = Literal["", "docker", "podman"]

_EMPTY: Mapping[str, str] = types.MappingProxyType({})


def _no_settings() -> Settings:
    return Settings("", {})


@dataclass(frozen=True, kw_only=True)
class _Options:
    """What every command's options share: the settings they were made from."""

    settings: Settings = field(default_factory=_no_settings, repr=False, compare=False)

    @classmethod
    def command(cls) -> Command:
        raise NotImplementedError

    def __post_init__(self) -> None:
        # resolve() checks every value already; options made directly (the Python API,
        # tests) meet the same rules, reported against the same origin.
        for item in dataclasses.fields(self):
            option = BY_NAME.get(item.name.replace("_", "-"))
            if option is None:
                continue
            value = getattr(self, item.name)
            problem = value_problem(option, value)
            if problem is None and option.choices is not None and value not in option.choices:
                problem = (f"must be one of {', '.join(c for c in option.choices if c)}, "
                           f"not {value!r}" + did_you_mean(str(value), option.choices))
            if problem is not None:
                raise self.settings.error(option.name, problem,
                                          hint=f"{option.name}: {option.help}")


@dataclass(frozen=True, kw_only=True)
class _PlanInputs(_Options):
    """What a plan is computed from: options of ``hwb plan`` and of ``hwb build`` alike
    (a build's ``--target`` is a cell of its plan)."""

    source: str = "."
    manylinux: str = ""
    musllinux: str = ""
    test_command: str = ""
    test_requires: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    archs: tuple[str, ...] = ()
    python_versions: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    free_threaded: bool = False
    pypy: bool = False
    runners: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    gitlab_runners: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class PlanOptions(_PlanInputs):
    """``hwb plan`` (and the plan part of ``hwb build --target``)."""

    matrix: Literal["runner", "target"] = "runner"
    format: PlanFormatChoice = ""
    gitlab_publish: bool = False

    @classmethod
    def command(cls) -> Command:
        return "plan"


@dataclass(frozen=True, kw_only=True)
class BuildOptions(_PlanInputs):
    """``hwb build``."""

    out_dir: str = "dist"
    isolation: Isolation = "auto"
    python: str = ""
    sdist: bool = False
    wheel: bool = False
    config_settings: Mapping[str, str | list[str]] = field(default_factory=lambda: _EMPTY)
    cache: bool = True
    cache_dir: str = ""
    cache_max_size: int = 4096
    keep_temp: bool = False
    check_reproducible: bool = False
    build_timeout: int = 3600
    install_timeout: int = 900
    jobs: int = 0
    target: str = ""
    repair: bool = True
    test: bool = False
    before_build: str = ""
    environment: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    container_engine: ContainerEngineChoice = ""
    container_create_args: str = ""

    @classmethod
    def command(cls) -> Command:
        return "build"

    def plan_options(self) -> PlanOptions:
        """The plan a ``--target`` must come from: the plan options of this build."""
        names = {f.name for f in dataclasses.fields(_PlanInputs)}
        return PlanOptions(**{n: getattr(self, n) for n in names})


@dataclass(frozen=True, kw_only=True)
class CacheOptions(_Options):
    """``hwb cache``."""

    cache_action: Literal["info", "clean", "prune"] = "info"
    cache_dir: str = ""
    cache_max_size: int = 4096

    @classmethod
    def command(cls) -> Command:
        return "cache"


@dataclass(frozen=True, kw_only=True)
class CheckOptions(_Options):
    """``hwb check``."""

    dists: tuple[str, ...] = ()
    verify_attestations: bool = False
    identity: str = ""
    sigstore_trust_config: str = ""
    strict: bool = False

    @classmethod
    def command(cls) -> Command:
        return "check"


@dataclass(frozen=True, kw_only=True)
class PublishOptions(_Options):
    """``hwb publish``."""

    dists: tuple[str, ...] = ()
    jobs: int = 0
    repository: str = "pypi"
    endpoint_url: str = ""
    s3_acl: str = ""
    index_url: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    trusted_publishing: TrustedMode = "auto"
    attestations: bool = True
    sigstore_trust_config: str = ""
    skip_existing: bool = True
    index_check: bool = True
    check_only: bool = False
    retries: int = 4
    timeout: int = 120

    @classmethod
    def command(cls) -> Command:
        return "publish"


@dataclass(frozen=True, kw_only=True)
class VersionOptions(_Options):
    """``hwb version``; checked further by :class:`hwb_action.versioning.VersionConfig`."""

    path: str = "."
    tag_format: str = "v{version}"
    paths: tuple[str, ...] = ()
    scheme: Literal["semver", "calver"] = "semver"
    calver_format: str = "YYYY.MM.MICRO"
    major_on_zero: bool = True
    bump_map: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    unparsed: Literal["other", "ignore"] = "other"
    version_file: str = ""
    changelog: str = "CHANGELOG.md"
    pre: Literal["", "a", "b", "rc"] = ""
    date: str = ""
    remote: str = "origin"
    version_files: tuple[str, ...] = ()
    bump: Literal["", "major", "minor", "patch", "prerelease"] = ""
    version: str = ""
    finalize: bool = False
    all: bool = False

    @classmethod
    def command(cls) -> Command:
        return "version"


@dataclass(frozen=True, kw_only=True)
class ReleaseOptions(VersionOptions):
    """``hwb release``: the version options and what to do with the plan."""

    commit: bool = True
    commit_message: str = "chore(release): {version}"
    tag: bool = True
    push: bool = False
    allow_dirty: bool = False
    github_release: bool = False
    gitlab_release: bool = False
    dist_dir: str = "dist"

    @classmethod
    def command(cls) -> Command:
        return "release"


OptionsT = TypeVar("OptionsT", bound=_Options)

OPTIONS_CLASSES: Mapping[str, type[_Options]] = types.MappingProxyType({
    cls.command(): cls
    for cls in (PlanOptions, BuildOptions, CheckOptions, PublishOptions, VersionOptions,
                ReleaseOptions, CacheOptions)
})


def field_name(option: Option) -> str:
    """The dataclass field of an option: ``out-dir`` -> ``out_dir``."""
    return option.name.replace("-", "_")


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, Mapping):
        return types.MappingProxyType(dict(value))
    return value


def from_settings(cls: type[OptionsT], settings: Settings) -> OptionsT:
    """Make ``cls`` from resolved settings of its command (converted, then validated)."""
    names = {f.name for f in dataclasses.fields(cls)} - {"settings"}
    values = {name: _freeze(settings.values[name.replace("_", "-")])
              for name in names if name.replace("_", "-") in settings.values}
    return cls(settings=settings, **values)


def overrides_for(command: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword overrides of the Python API as CLI-level values of ``command``.

    Names are field names (``out_dir``) or option names (``out-dir``); an unknown name is a
    :class:`UsageError` with a suggestion.  Strings convert as environment values do
    (``cache="no"`` is false, ``jobs="4"`` is 4); other values must have the option's type.
    """
    mine = {field_name(o): o for o in options_for(command)}
    out: dict[str, Any] = {}
    for given, value in overrides.items():
        name = given.replace("-", "_")
        option = mine.get(name)
        if option is None:
            msg = f"{command}() got an unknown option {given!r}" + did_you_mean(name, mine)
            raise UsageError(msg, hint="options: " + ", ".join(sorted(mine)))
        if value is None:
            continue
        out[option.name] = _convert_value(option, value, given)
    return out


def _convert_value(option: Option, value: Any, where: str) -> Any:
    if isinstance(value, str) and option.kind != "str":
        return convert_text(option, value, where)
    expected: dict[str, tuple[type, ...]] = {
        "str": (str,), "bool": (bool,), "int": (int,), "list": (list, tuple),
        "dict": (Mapping,),
    }
    ok = isinstance(value, expected[option.kind]) and not (
        option.kind == "int" and isinstance(value, bool))
    if not ok:
        msg = f"{where}: expected {option.kind}, got {type(value).__name__} {value!r}"
        raise UsageError(msg)
    if option.kind == "list":
        return [str(v) for v in value]
    if option.kind == "dict" and option.name == "config-settings":
        return {str(k): [str(x) for x in v] if isinstance(v, list | tuple) else str(v)
                for k, v in cast(Mapping[Any, Any], value).items()}
    if option.kind == "dict":
        return {str(k): str(v) for k, v in cast(Mapping[Any, Any], value).items()}
    return value


def option_of(name: str) -> Option:
    """The table entry of a field or option name."""
    return BY_NAME[name.replace("_", "-")]
