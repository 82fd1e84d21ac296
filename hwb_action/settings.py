"""Settings: one table of options, one resolution function, one precedence.

Precedence, lowest first:

1. the defaults in :data:`OPTIONS`;
2. ``[tool.cibuildwheel]`` in pyproject.toml, for the keys hwb shares with it
   (``build``, ``skip``, ``archs``, ``test-command``, ``test-requires``, ``before-build``,
   ``environment``) so that a project that already configures cibuildwheel keeps working;
3. ``[tool.hwb]`` in pyproject.toml;
4. ``HWB_*`` environment variables (the GitHub Action maps its inputs to these);
5. command-line flags.

Every option is a kebab-case key in ``[tool.hwb]`` (unless ``in_config`` is false), an
``HWB_<KEY>`` variable, and a ``--key`` flag of the commands that use it.  Unknown keys in
``[tool.hwb]`` are an error with a "did you mean".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hwb_action._suggest import did_you_mean
from hwb_action.errors import ConfigError, UsageError

Kind = Literal["str", "bool", "int", "list", "dict"]
Command = Literal["build", "check", "plan", "publish", "version", "release"]

ALL_COMMANDS: tuple[Command, ...] = ("build", "check", "plan", "publish", "version", "release")


@dataclass(frozen=True, kw_only=True)
class Option:
    """One setting: its key, type, default, help, and the commands that take it."""

    name: str
    kind: Kind
    default: Any
    help: str
    commands: tuple[Command, ...]
    choices: tuple[str, ...] | None = None
    flags: tuple[str, ...] = ()
    in_config: bool = True
    secret: bool = False
    positional: bool = False
    metavar: str | None = None

    @property
    def env(self) -> str:
        """The environment variable that sets this option."""
        return "HWB_" + self.name.upper().replace("-", "_")

    @property
    def flag(self) -> str:
        return "--" + self.name


_BUILD: tuple[Command, ...] = ("build",)
_PLAN_BUILD: tuple[Command, ...] = ("build", "plan")
_VERSION: tuple[Command, ...] = ("version", "release")

OPTIONS: tuple[Option, ...] = (
    # -- shared options --
    Option(name="source", kind="str", default=".", positional=True, in_config=False,
           commands=("build", "plan"), metavar="SOURCE",
           help="project directory, git URL (git+https://...@REF#subdirectory=DIR), "
                "or sdist/tarball path or https URL"),
    Option(name="dists", kind="list", default=[], positional=True, in_config=False,
           commands=("check", "publish"), metavar="DIST",
           help="distribution files (default: dist/*.whl and dist/*.tar.gz)"),
    # -- build options --
    Option(name="out-dir", kind="str", default="dist", flags=("-o",), commands=_BUILD,
           help="directory for the built distributions"),
    Option(name="isolation", kind="str", default="auto", commands=_BUILD,
           choices=("auto", "uv", "pip", "none", "container"),
           help="build environment: uv (default when available), pip, none, or container "
                "(manylinux/musllinux through cibuildwheel)"),
    Option(name="python", kind="str", default="", commands=_BUILD,
           help="interpreter(s) to build wheels for: a version (3.12), a comma-separated "
                "list, 'all', or a path (hwb plan: see python-versions)"),
    Option(name="sdist", kind="bool", default=False, in_config=False, commands=_BUILD,
           help="build only the sdist"),
    Option(name="wheel", kind="bool", default=False, in_config=False, commands=_BUILD,
           help="build only the wheel (straight from the source tree, as uv build --wheel does)"),
    Option(name="config-settings", kind="dict", default={}, flags=("-C",), commands=_BUILD,
           metavar="KEY=VALUE", help="PEP 517 config settings for the backend (repeatable)"),
    Option(name="cache", kind="bool", default=True, commands=_BUILD,
           help="reuse build environments across builds (--no-cache to build afresh)"),
    Option(name="cache-dir", kind="str", default="", commands=_BUILD,
           help="where build environments are cached (default: the user cache dir)"),
    Option(name="jobs", kind="int", default=0, flags=("-j",),
           commands=("build", "publish"),
           help="parallel builds or uploads (default: CPU count for builds, 4 for uploads)"),
    Option(name="target", kind="str", default="", commands=_BUILD,
           help="one build target from `hwb plan` (e.g. cp312-manylinux_x86_64, or pure)"),
    Option(name="repair", kind="bool", default=True, commands=_BUILD,
           help="repair Linux binary wheels with auditwheel"),
    Option(name="manylinux", kind="str", default="", commands=_PLAN_BUILD,
           help="manylinux policy to demand (e.g. 2_28) or a container image; "
                "'none' plans no manylinux wheels"),
    Option(name="musllinux", kind="str", default="", commands=_PLAN_BUILD,
           help="musllinux policy (e.g. 1_2) or a container image; musllinux wheels are "
                "planned only when this is set or a build selector names musllinux"),
    Option(name="test-command", kind="str", default="", commands=_PLAN_BUILD,
           help="command run against each built wheel ({project} and {package} placeholders)"),
    Option(name="test-requires", kind="list", default=[], commands=_PLAN_BUILD,
           help="requirements installed before test-command"),
    Option(name="before-build", kind="str", default="", commands=_BUILD,
           help="command run before each wheel build (container builds)"),
    Option(name="environment", kind="dict", default={}, commands=_BUILD, metavar="KEY=VALUE",
           help="environment variables for container builds"),
    Option(name="container-engine", kind="str", default="", commands=_BUILD,
           choices=("", "docker", "podman"),
           help="container engine for --isolation container (default: what is found)"),
    Option(name="container-create-args", kind="str", default="", commands=_BUILD,
           help="extra arguments for the container engine's create command"),
    # -- plan options --
    Option(name="platforms", kind="list", default=[], commands=_PLAN_BUILD,
           help="platforms to plan: linux, macos, windows (default: all three)"),
    Option(name="archs", kind="list", default=[], commands=_PLAN_BUILD,
           help="architectures: x86_64, aarch64, i686, ppc64le, s390x, armv7l, riscv64 "
                "(linux), arm64, x86_64, universal2 (macos), AMD64, x86, ARM64 (windows), or "
                "auto (the native set), auto64, auto32, all"),
    Option(name="python-versions", kind="list", default=[], commands=_PLAN_BUILD,
           help="CPython versions to plan (default: every one requires-python allows)"),
    Option(name="build", kind="list", default=[], commands=_PLAN_BUILD,
           help="build selectors: glob patterns on identifiers such as cp31*-manylinux_*"),
    Option(name="skip", kind="list", default=[], commands=_PLAN_BUILD,
           help="skip selectors: glob patterns on identifiers"),
    Option(name="free-threaded", kind="bool", default=False, commands=_PLAN_BUILD,
           help="also plan free-threaded CPython (cp313t, cp314t)"),
    Option(name="pypy", kind="bool", default=False, commands=_PLAN_BUILD,
           help="also plan PyPy"),
    Option(name="format", kind="str", default="", in_config=False, commands=("plan",),
           choices=("", "github", "gitlab", "table", "json"),
           help="output format: github (one-line matrix JSON), gitlab (parallel:matrix "
                "YAML), table, json (default: table; --json prints the matrix)"),
    # -- publish options --
    Option(name="repository", kind="str", default="pypi", flags=("-r",), commands=("publish",),
           help="where to publish: pypi, testpypi, an upload URL (legacy upload API: "
                "pypiserver, devpi, Artifactory, Nexus, GitLab), or s3://BUCKET/PREFIX"),
    Option(name="endpoint-url", kind="str", default="", commands=("publish",),
           help="S3-compatible endpoint for s3:// repositories (MinIO, R2, Ceph, ...)"),
    Option(name="s3-acl", kind="str", default="", commands=("publish",),
           help="canned ACL for objects written to an s3:// index (e.g. public-read when the "
                "bucket itself serves the index; default: the bucket's own policy)"),
    Option(name="index-url", kind="str", default="", commands=("publish",),
           help="simple index of the repository, to find files already published "
                "(default: derived from --repository)"),
    Option(name="username", kind="str", default="", in_config=False, secret=True,
           commands=("publish",), help="user name for the index (default: __token__)"),
    Option(name="password", kind="str", default="", in_config=False, secret=True,
           commands=("publish",), help="password for the index (prefer HWB_PASSWORD)"),
    Option(name="token", kind="str", default="", in_config=False, secret=True,
           commands=("publish",), help="API token for the index (prefer HWB_TOKEN)"),
    Option(name="trusted-publishing", kind="str", default="auto", commands=("publish",),
           choices=("auto", "always", "never"),
           help="OIDC trusted publishing: auto (when no credential is given and the CI "
                "offers an ID token), always, or never"),
    Option(name="skip-existing", kind="bool", default=True, commands=("publish",),
           help="skip files already on the index with the same sha256 (a different sha256 "
                "is always an error)"),
    Option(name="check-only", kind="bool", default=False, flags=("--check",), in_config=False,
           commands=("publish",),
           help="dry run: check files, resolve credentials (mint a token), look at the index, "
                "upload nothing"),
    Option(name="retries", kind="int", default=4, commands=("publish",),
           help="retries per file on 5xx answers, timeouts and dropped connections"),
    Option(name="timeout", kind="int", default=120, commands=("publish",),
           help="seconds to wait for the index to answer one request"),
    # -- version options --
    Option(name="path", kind="str", default=".", in_config=False, commands=_VERSION,
           help="project directory inside a git repository (default: the current directory)"),
    Option(name="tag-format", kind="str", default="v{version}", commands=_VERSION,
           help="release tag pattern; {version} is replaced (monorepos: e.g. pkg-a-v{version})"),
    Option(name="paths", kind="list", default=[], commands=_VERSION,
           help="count only commits touching these paths, relative to --path (monorepos)"),
    Option(name="scheme", kind="str", default="semver", commands=_VERSION,
           choices=("semver", "calver"), help="versioning scheme"),
    Option(name="calver-format", kind="str", default="YYYY.MM.MICRO", commands=_VERSION,
           help="CalVer format: tokens YYYY, YY, 0Y, MM, 0M, DD, 0D, MICRO joined by dots "
                "(e.g. YYYY.MM.MICRO, YY.0M.MICRO, YYYY.0M.0D)"),
    Option(name="major-on-zero", kind="bool", default=True, commands=_VERSION,
           help="a breaking change in 0.x bumps to 1.0.0 (--no-major-on-zero: bump the minor)"),
    Option(name="bump-map", kind="dict", default={}, commands=_VERSION, metavar="TYPE=LEVEL",
           help="commit type to bump level (major, minor, patch, none), over the defaults "
                "feat=minor, fix=patch, perf=patch, revert=patch"),
    Option(name="unparsed", kind="str", default="other", commands=_VERSION,
           choices=("other", "ignore"),
           help="commits that are not Conventional Commits: list them under Other, or ignore"),
    Option(name="version-file", kind="str", default="", commands=_VERSION,
           help="where the version lives: pyproject.toml, a file with __version__ = '...', "
                "or none (tag only); default: detected from pyproject.toml"),
    Option(name="changelog", kind="str", default="CHANGELOG.md", commands=_VERSION,
           help="Keep-a-Changelog file to extend (empty: no changelog)"),
    Option(name="pre", kind="str", default="", in_config=False, commands=_VERSION,
           choices=("", "a", "b", "rc"), help="make a pre-release: a, b or rc (1.4.0rc1, rc2...)"),
    Option(name="date", kind="str", default="", in_config=False, commands=_VERSION,
           metavar="YYYY-MM-DD", help="release date for CalVer and the changelog (default: today)"),
    Option(name="remote", kind="str", default="origin", commands=_VERSION,
           help="git remote for --push and changelog compare links"),
    Option(name="commit", kind="bool", default=True, commands=("release",),
           help="commit the version and changelog changes"),
    Option(name="commit-message", kind="str", default="chore(release): {version}",
           commands=("release",), help="message of the release commit ({version}, {tag})"),
    Option(name="tag", kind="bool", default=True, commands=("release",),
           help="create an annotated release tag"),
    Option(name="push", kind="bool", default=False, commands=("release",),
           help="push the release commit and tag to --remote"),
    Option(name="allow-dirty", kind="bool", default=False, in_config=False,
           commands=("release",), help="release even with uncommitted changes to tracked files"),
)

_CIBW_SHARED = ("build", "skip", "archs", "test-command", "test-requires", "before-build",
                "environment")

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}


def options_for(command: str) -> list[Option]:
    """The options a command takes, in table order."""
    return [o for o in OPTIONS if command in o.commands]


# -- value conversion -----------------------------------------------------------------------
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[,\s]+", text.strip()) if p]


def parse_pairs(items: Sequence[str], where: str) -> dict[str, str]:
    """``KEY=VALUE`` items as a dict; keys are stripped, values kept as given."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            msg = f"{where}: expected KEY=VALUE, got {item!r}"
            raise UsageError(msg, hint=f"write it as {where} {key.strip() or 'KEY'}=VALUE")
        out[key.strip()] = value
    return out


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
    if option.kind == "dict":
        # Newlines or commas separate pairs in the environment (action inputs are multi-line).
        items = [p.strip() for p in re.split(r"[\n,]", text) if p.strip()]
        return parse_pairs(items, where)
    return text


_TOML_EXAMPLES = {"bool": "true", "int": "4", "list": '["a", "b"]',
                  "dict": '{ KEY = "value" }'}


def _convert_toml(option: Option, value: Any, where: str, line: int | None, file: str) -> Any:
    def bad(expected: str) -> ConfigError:
        example = _TOML_EXAMPLES.get(option.kind, '"value"')
        return ConfigError(
            f"{where} must be {expected}, not {type(value).__name__} {value!r}",
            file=file, line=line, hint=f"write it as {option.name} = {example}",
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
            return _split_list(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise bad("a string or an array of strings")
    if option.kind == "dict":
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        raise bad("a table of strings")
    if not isinstance(value, str):
        raise bad("a string")
    return value


def locate_key(text: str, table: str, key: str | None = None) -> int | None:
    """1-based line of ``key`` in TOML ``[table]`` (or of the table header), if found.

    tomllib keeps no positions, so this scans the text: good enough for annotations.
    """
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    any_header = re.compile(r"^\s*\[")
    start = None
    for i, line in enumerate(lines):
        if header.match(line):
            start = i
            break
    if start is None:
        if key is not None:
            dotted = re.compile(r"^\s*" + re.escape(f"{table}.{key}") + r"\s*=")
            for i, line in enumerate(lines):
                if dotted.match(line):
                    return i + 1
        return None
    if key is None:
        return start + 1
    pattern = re.compile(r"""^\s*["']?""" + re.escape(key) + r"""["']?\s*[=.]""")
    for i in range(start + 1, len(lines)):
        if any_header.match(lines[i]):
            break
        if pattern.match(lines[i]):
            return i + 1
    return start + 1


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
            return f"{self.file}:{self.line}" if self.line else self.file
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
            return ConfigError(message, file=origin.file, line=origin.line, hint=hint)
        where = origin.name or BY_NAME[name].flag
        return UsageError(f"{where}: {message}", hint=hint)


def read_pyproject(project_dir: Path | None) -> tuple[dict[str, Any], str, Path | None]:
    """The parsed pyproject.toml of ``project_dir`` (empty when absent), its text and path."""
    if project_dir is None:
        return {}, "", None
    path = project_dir / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, "", None
    except UnicodeDecodeError as err:
        msg = f"not valid UTF-8 ({err.reason})"
        raise ConfigError(msg, file=str(path)) from err
    try:
        return tomllib.loads(text), text, path
    except tomllib.TOMLDecodeError as err:
        raise toml_error(err, path) from err


def toml_error(err: tomllib.TOMLDecodeError, path: Path) -> ConfigError:
    """A ConfigError at the line and column that tomllib names."""
    text = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    line = int(match.group(1)) if match else None
    col = int(match.group(2)) if match else None
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) or "invalid TOML"
    if match is None and "end of document" in text:
        message = text
    return ConfigError(
        f"invalid TOML: {message}", file=str(path), line=line, col=col,
        hint="fix the syntax; see https://toml.io",
    )


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
    cli = cli or {}
    environ = environ or {}
    data, text, path = pyproject if pyproject is not None else read_pyproject(project_dir)
    file = str(path) if path else "pyproject.toml"
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    mine = options_for(command)
    for opt in mine:
        values[opt.name] = _copy(opt.default)

    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    cibw = tool.get("cibuildwheel")
    if isinstance(cibw, dict):
        for key in _CIBW_SHARED:
            opt = BY_NAME[key]
            if key in cibw and command in opt.commands:
                line = locate_key(text, "tool.cibuildwheel", key)
                where = f"[tool.cibuildwheel] {key}"
                value = cibw[key]
                if opt.kind == "list" and isinstance(value, str):
                    value = _split_list(value)
                values[key] = _convert_toml(opt, value, where, line, file)
                origins[key] = Origin(kind="cibuildwheel", file=file, line=line)

    hwb = tool.get("hwb")
    if hwb is not None:
        if not isinstance(hwb, dict):
            raise ConfigError("[tool.hwb] must be a table", file=file,
                              line=locate_key(text, "tool", "hwb"))
        known = [o.name for o in OPTIONS if o.in_config]
        for key, value in hwb.items():
            line = locate_key(text, "tool.hwb", key)
            found = BY_NAME.get(key)
            if found is None or not found.in_config:
                suggestion = did_you_mean(key, known)
                raise ConfigError(
                    f"unknown key {key!r} in [tool.hwb]{suggestion}",
                    file=file, line=line,
                    hint="known keys: " + ", ".join(sorted(known)),
                )
            if command not in found.commands:
                continue
            values[key] = _convert_toml(found, value, f"[tool.hwb] {key}", line, file)
            origins[key] = Origin(kind="pyproject", file=file, line=line)

    for opt in mine:
        raw = environ.get(opt.env)
        if raw is None or (raw == "" and opt.kind != "bool"):
            continue
        if raw == "" and opt.kind == "bool":
            continue
        values[opt.name] = convert_text(opt, raw, opt.env)
        origins[opt.name] = Origin(kind="env", name=opt.env)

    for opt in mine:
        given = cli.get(opt.name)
        if given is None:
            continue
        values[opt.name] = given
        origins[opt.name] = Origin(kind="cli", name=opt.flag)

    settings = Settings(command, values, origins)
    for opt in mine:
        if opt.choices is not None and values[opt.name] not in opt.choices:
            value = values[opt.name]
            choices = ", ".join(c for c in opt.choices if c)
            raise settings.error(
                opt.name,
                f"{opt.name} must be one of {choices}, not {value!r}"
                + did_you_mean(str(value), opt.choices),
            )
    return settings


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
