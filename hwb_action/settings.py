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

# Re-exported (marked "as"): the rest of hwb imports these from settings.
from hwb_action._configfile import locate_key as locate_key  # noqa: PLC0414
from hwb_action._configfile import read_pyproject as read_pyproject  # noqa: PLC0414
from hwb_action._suggest import did_you_mean
from hwb_action._text import location
from hwb_action._values import convert_text as convert_text  # noqa: PLC0414
from hwb_action._values import convert_toml, value_problem
from hwb_action._values import parse_pairs as parse_pairs  # noqa: PLC0414
from hwb_action.errors import ConfigError, UsageError

Kind = Literal["str", "bool", "int", "list", "dict"]
Command = Literal["build", "check", "plan", "publish", "version", "release", "cache"]

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
    # Values (list items too) must be one line without control characters; false only where
    # a multi-line value is meaningful (a commit message, a shell script).
    single_line: bool = True
    minimum: int | None = None  # the least value of an int option

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
    # -- check options --
    Option(name="strict", kind="bool", default=False, commands=("check",),
           help="fail (exit 1) on warnings too, as twine check --strict does: README "
                "warnings, wheel layout (check-wheel-contents), stray files in sdists"),
    # -- build options --
    Option(name="out-dir", kind="str", default="dist", flags=("-o",), commands=_BUILD,
           metavar="DIR",
           help="directory for the built distributions"),
    Option(name="isolation", kind="str", default="auto", commands=_BUILD,
           metavar="{auto,uv,pip,none,container}",
           choices=("auto", "uv", "pip", "none", "container"),
           help="build environment: uv (default when available), pip, none, or container "
                "(manylinux/musllinux through cibuildwheel)"),
    Option(name="python", metavar="VERSION", kind="str", default="", commands=_BUILD,
           help="interpreter(s) to build wheels for: a version (3.12), a comma-separated "
                "list, 'all', or a path (hwb plan: see python-versions)"),
    Option(name="sdist", kind="bool", default=False, in_config=False, commands=_BUILD,
           help="build only the sdist"),
    Option(name="wheel", kind="bool", default=False, in_config=False, commands=_BUILD,
           help="build only the wheel (straight from the source tree, as uv build --wheel does)"),
    Option(name="config-settings", kind="dict", default={}, flags=("-C",), commands=_BUILD,
           metavar="KEY=VALUE", help="PEP 517 config settings for the backend (repeatable; a key "
           "given again makes a list; KEY alone is an empty value; in HWB_CONFIG_SETTINGS one "
           "per line)"),
    Option(name="cache", kind="bool", default=True, commands=_BUILD,
           help="reuse build environments across builds (--no-cache to build afresh)"),
    Option(name="cache-dir", metavar="DIR", kind="str", default="", commands=("build", "cache"),
           help="where build environments are cached (default: the user cache dir)"),
    Option(name="cache-max-size", kind="int", default=4096, minimum=0,
           commands=("build", "cache"), metavar="MIB",
           help="after a build, remove the least recently used cached build environments "
                "until the cache holds at most this many MiB (0: no limit)"),
    Option(name="keep-temp", kind="bool", default=False, in_config=False, commands=_BUILD,
           help="keep the build environments and unpacked trees and print where they are "
                "(to debug a failed build)"),
    Option(name="check-reproducible", kind="bool", default=False, in_config=False,
           commands=_BUILD,
           help="build a second time and compare the artifacts byte for byte, naming the "
                "first differing member"),
    Option(name="build-timeout", kind="int", default=3600, minimum=1, commands=_BUILD,
           metavar="SECONDS",
           help="seconds one build backend hook (the sdist, a wheel, their requirements) may "
                "take before the backend and every process it started are stopped"),
    Option(name="install-timeout", kind="int", default=900, minimum=1, commands=_BUILD,
           metavar="SECONDS",
           help="seconds uv or pip may take to create a build or test environment or to "
                "install into one before it is stopped"),
    Option(name="cache-action", kind="str", default="info", positional=True, in_config=False,
           commands=("cache",), choices=("info", "clean", "prune"), metavar="ACTION",
           help="info: list the cached build environments; clean: remove them all; prune: "
                "remove the least recently used down to cache-max-size"),
    Option(name="jobs", metavar="N", kind="int", default=0, flags=("-j",), minimum=0,
           commands=("build", "publish"),
           help="parallel builds or uploads (default: CPU count for builds, 4 for uploads)"),
    Option(name="target", metavar="TARGET", kind="str", default="", commands=_BUILD,
           help="what to build from `hwb plan`: a cell's target, identifiers joined by commas "
                "or spaces (e.g. cp312-manylinux_x86_64), or pure; cibuildwheel builds them; "
                "sdist: the sdist alone"),
    Option(name="repair", kind="bool", default=True, commands=_BUILD,
           help="repair binary wheels (auditwheel on a Linux host; --no-repair also turns off "
                "cibuildwheel's auditwheel/delocate/delvewheel step)"),
    Option(name="manylinux", metavar="POLICY|IMAGE", kind="str", default="", commands=_PLAN_BUILD,
           help="manylinux policy to demand (e.g. 2_28) or a container image; "
                "'none' plans no manylinux wheels"),
    Option(name="musllinux", metavar="POLICY|IMAGE", kind="str", default="", commands=_PLAN_BUILD,
           help="musllinux policy (e.g. 1_2) or a container image; 'none' plans no "
                "musllinux wheels"),
    Option(name="test-command", metavar="COMMAND", kind="str", default="", commands=_PLAN_BUILD,
           single_line=False,
           help="command run against each built wheel ({project} and {package} placeholders)"),
    Option(name="test", kind="bool", default=False, commands=_BUILD,
           help="run test-command against each built wheel; without it a local build runs "
                "[tool.cibuildwheel] test-command only for a matrix cell (--target) or in CI, "
                "and a test-command set for hwb ([tool.hwb], HWB_TEST_COMMAND, the flag) "
                "always; --no-test: never"),
    Option(name="test-requires", kind="list", default=[], commands=_PLAN_BUILD,
           metavar="REQUIREMENT",
           help="requirements installed before test-command"),
    Option(name="before-build", kind="str", default="", commands=_BUILD, single_line=False,
           metavar="COMMAND",
           help="command run before each wheel build (container builds)"),
    Option(name="environment", kind="dict", default={}, commands=_BUILD, metavar="KEY=VALUE",
           help="environment variables for container builds"),
    Option(name="container-engine", kind="str", default="", commands=_BUILD,
           metavar="{docker,podman}",
           choices=("", "docker", "podman"),
           help="container engine for --isolation container (default: what is found)"),
    Option(name="container-create-args", metavar="ARGS", kind="str", default="", commands=_BUILD,
           help="extra arguments for the container engine's create command"),
    # -- plan options --
    Option(name="platforms", metavar="PLATFORM", kind="list", default=[], commands=_PLAN_BUILD,
           help="platforms to plan: linux, macos, windows (default: all three)"),
    Option(name="archs", metavar="ARCH", kind="list", default=[], commands=_PLAN_BUILD,
           help="architectures: x86_64, aarch64, i686, ppc64le, s390x, armv7l, riscv64 "
                "(linux), arm64, x86_64, universal2 (macos), AMD64, x86, ARM64 (windows), or "
                "auto (the native set), auto64, auto32, all"),
    Option(name="python-versions", metavar="VERSION", kind="list", default=[], commands=_PLAN_BUILD,
           help="CPython versions to plan (default: every one requires-python allows)"),
    Option(name="build", metavar="SELECTOR", kind="list", default=[], commands=_PLAN_BUILD,
           help="build selectors: glob patterns on identifiers such as cp31*-manylinux_*"),
    Option(name="skip", metavar="SELECTOR", kind="list", default=[], commands=_PLAN_BUILD,
           help="skip selectors: glob patterns on identifiers"),
    Option(name="free-threaded", kind="bool", default=False, commands=_PLAN_BUILD,
           help="free-threaded CPython (cp314t, ...): planned as cibuildwheel selects them; "
                "--no-free-threaded leaves them out"),
    Option(name="pypy", kind="bool", default=False, commands=_PLAN_BUILD,
           help="also plan PyPy (cibuildwheel's pypy group); --no-pypy leaves it out"),
    Option(name="runners", kind="dict", default={}, commands=_PLAN_BUILD,
           metavar="KEY=LABEL",
           help="GitHub runner label per runner key (linux-x86_64, linux-aarch64, "
                "macos-x86_64, macos-arm64, windows-amd64, windows-arm64, ...), over the "
                "defaults"),
    Option(name="gitlab-runners", kind="dict", default={}, commands=_PLAN_BUILD,
           metavar="KEY=TAG",
           help="GitLab runner tag per runner key, over GitLab's hosted runner tags "
                "(hwb plan --format gitlab)"),
    Option(name="matrix", kind="str", default="runner", commands=("plan",),
           metavar="{runner,target}",
           choices=("runner", "target"),
           help="matrix cells: runner (one job per runner label, cibuildwheel building all "
                "its identifiers) or target (one job per identifier)"),
    Option(name="format", kind="str", default="", in_config=False, commands=("plan",),
           metavar="{github,gitlab,gitlab-pipeline,table,json}",
           choices=("", "github", "gitlab", "gitlab-pipeline", "table", "json"),
           help="output format: github (one-line matrix JSON), gitlab (parallel:matrix "
                "YAML), gitlab-pipeline (a GitLab child pipeline: one job per cell), table, "
                "json (default: table; --json prints the matrix)"),
    Option(name="gitlab-publish", kind="bool", default=False, commands=("plan",),
           help="with --format gitlab-pipeline: add a publish job that fans in (trusted "
                "publishing through id_tokens)"),
    # -- check options --
    Option(name="verify-attestations", kind="bool", default=False, commands=("check",),
           help="also verify each file's DIST.publish.attestation (PEP 740, Sigstore) against "
                "the trusted publisher given by --identity"),
    Option(name="identity", metavar="PUBLISHER", kind="str", default="", commands=("check",),
           help="the trusted publisher --verify-attestations expects: OWNER/REPO/WORKFLOW.yml "
                "(GitHub Actions) or NAMESPACE/PROJECT//CI_FILE (GitLab CI/CD)"),
    # -- publish options --
    Option(name="repository", kind="str", default="pypi", flags=("-r",), commands=("publish",),
           metavar="URL",
           help="where to publish: pypi, testpypi, an upload URL (legacy upload API: "
                "pypiserver, devpi, Artifactory, Nexus, GitLab), or s3://BUCKET/PREFIX"),
    Option(name="endpoint-url", metavar="URL", kind="str", default="", commands=("publish",),
           help="S3-compatible endpoint for s3:// repositories (MinIO, R2, Ceph, ...)"),
    Option(name="s3-acl", metavar="ACL", kind="str", default="", commands=("publish",),
           help="canned ACL for objects written to an s3:// index (e.g. public-read when the "
                "bucket itself serves the index; default: the bucket's own policy)"),
    Option(name="index-url", metavar="URL", kind="str", default="", commands=("publish",),
           help="simple index of the repository, to find files already published "
                "(default: derived from --repository)"),
    Option(name="username", metavar="USER", kind="str", default="", in_config=False, secret=True,
           commands=("publish",), help="user name for the index (default: __token__)"),
    Option(name="password", kind="str", default="", in_config=False, secret=True,
           metavar="PASSWORD",
           commands=("publish",), help="password for the index (prefer HWB_PASSWORD)"),
    Option(name="token", metavar="TOKEN", kind="str", default="", in_config=False, secret=True,
           commands=("publish",), help="API token for the index (prefer HWB_TOKEN)"),
    Option(name="trusted-publishing", kind="str", default="auto", commands=("publish",),
           metavar="{auto,always,never}",
           choices=("auto", "always", "never"),
           help="OIDC trusted publishing: auto (when no credential is given and the CI "
                "offers an ID token), always, or never"),
    Option(name="attestations", kind="bool", default=True, commands=("publish",),
           help="PEP 740 attestations: sign each file with the CI's OIDC identity (Sigstore) "
                "and upload the attestation with it; by default only under trusted "
                "publishing (--attestations: with any credential, --no-attestations: none, "
                "not even pre-made DIST.publish.attestation files)"),
    Option(name="sigstore-trust-config", kind="str", default="", commands=("check", "publish"),
           metavar="FILE",
           help="Sigstore client trust configuration (JSON: trusted root + signing config) to "
                "sign and verify attestations with (default: Sigstore's public-good instance)"),
    Option(name="skip-existing", kind="bool", default=True, commands=("publish",),
           help="skip files already on the index with the same sha256 (a different sha256 "
                "is always an error)"),
    Option(name="index-check", kind="bool", default=True, commands=("publish",),
           help="read the index before uploading a file, and upload none whose presence "
                "cannot be checked (--no-index-check uploads unchecked: an index that accepts "
                "overwrites may then replace a published file)"),
    Option(name="check-only", kind="bool", default=False, flags=("--check",), in_config=False,
           commands=("publish",),
           help="dry run: check files, resolve credentials (mint a token), look at the index, "
                "upload nothing"),
    Option(name="retries", metavar="N", kind="int", default=4, minimum=0, commands=("publish",),
           help="retries per file on 5xx answers, timeouts and dropped connections"),
    Option(name="timeout", kind="int", default=120, minimum=1, commands=("publish",),
           metavar="SECONDS",
           help="seconds to wait for the index to answer one request"),
    # -- version options --
    Option(name="path", metavar="DIR", kind="str", default=".", in_config=False, commands=_VERSION,
           help="project directory inside a git repository (default: the current directory)"),
    Option(name="tag-format", kind="str", default="v{version}", commands=_VERSION,
           metavar="PATTERN",
           help="release tag pattern; {version} is replaced (monorepos: e.g. pkg-a-v{version})"),
    Option(name="paths", metavar="PATH", kind="list", default=[], commands=_VERSION,
           help="count only commits touching these paths, relative to --path (monorepos)"),
    Option(name="scheme", kind="str", default="semver", commands=_VERSION,
           metavar="{semver,calver}",
           choices=("semver", "calver"), help="versioning scheme"),
    Option(name="calver-format", kind="str", default="YYYY.MM.MICRO", commands=_VERSION,
           metavar="FORMAT",
           help="CalVer format: tokens YYYY, YY, 0Y, MM, 0M, DD, 0D, MICRO joined by dots "
                "(e.g. YYYY.MM.MICRO, YY.0M.MICRO, YYYY.0M.0D)"),
    Option(name="major-on-zero", kind="bool", default=True, commands=_VERSION,
           help="a breaking change in 0.x bumps to 1.0.0 (--no-major-on-zero: bump the minor)"),
    Option(name="bump-map", kind="dict", default={}, commands=_VERSION, metavar="TYPE=LEVEL",
           help="commit type to bump level (major, minor, patch, none), over the defaults "
                "feat=minor, fix=patch, perf=patch, revert=patch"),
    Option(name="unparsed", kind="str", default="other", commands=_VERSION,
           metavar="{other,ignore}",
           choices=("other", "ignore"),
           help="commits that are not Conventional Commits: list them under Other, or ignore"),
    Option(name="version-file", metavar="FILE", kind="str", default="", commands=_VERSION,
           help="where the version lives: pyproject.toml, a file with __version__ = '...', "
                "or none (tag only); default: detected from pyproject.toml"),
    Option(name="changelog", metavar="FILE", kind="str", default="CHANGELOG.md", commands=_VERSION,
           help="Keep-a-Changelog file to extend (empty: no changelog)"),
    Option(name="pre", kind="str", default="", in_config=False, commands=_VERSION,
           metavar="{a,b,rc}",
           choices=("", "a", "b", "rc"), help="make a pre-release: a, b or rc (1.4.0rc1, rc2...)"),
    Option(name="date", kind="str", default="", in_config=False, commands=_VERSION,
           metavar="YYYY-MM-DD", help="release date for CalVer and the changelog (default: today)"),
    Option(name="remote", metavar="REMOTE", kind="str", default="origin", commands=_VERSION,
           help="git remote for --push and changelog compare links"),
    Option(name="commit", kind="bool", default=True, commands=("release",),
           help="commit the version and changelog changes"),
    Option(name="commit-message", kind="str", default="chore(release): {version}",
           metavar="MESSAGE",
           commands=("release",), single_line=False,
           help="message of the release commit ({version}, {tag})"),
    Option(name="tag", kind="bool", default=True, commands=("release",),
           help="create an annotated release tag"),
    Option(name="push", kind="bool", default=False, commands=("release",),
           help="push the release commit and tag to --remote"),
    Option(name="allow-dirty", kind="bool", default=False, in_config=False,
           commands=("release",), help="release even with uncommitted changes to tracked files"),
    Option(name="version-files", kind="list", default=[], commands=_VERSION,
           metavar="FILE[:VARIABLE]",
           help="more files that hold the version, all updated together: FILE (__version__, "
                "pyproject.toml, Cargo.toml, package.json) or FILE:VARIABLE (VARIABLE = "
                "'...'; a TOML table.key)"),
    Option(name="bump", kind="str", default="", in_config=False, commands=_VERSION,
           metavar="{major,minor,patch,prerelease}",
           choices=("", "major", "minor", "patch", "prerelease"),
           help="force this bump whatever the commits say"),
    Option(name="version", kind="str", default="", in_config=False, commands=_VERSION,
           metavar="X.Y.Z",
           help="release exactly this version (PEP 440, greater than the last release)"),
    Option(name="finalize", kind="bool", default=False, in_config=False, commands=_VERSION,
           help="release the pending pre-release as final (1.4.0rc2 -> 1.4.0)"),
    Option(name="all", kind="bool", default=False, in_config=False, commands=_VERSION,
           help="every package of the workspace (uv workspace members, or directories with "
                "their own tag-format) with its next version, as JSON (hwb version only)"),
    Option(name="github-release", kind="bool", default=False, commands=("release",),
           help="create or update the GitHub release of the tag (GITHUB_TOKEN), with the "
                "release notes and the dist files"),
    Option(name="gitlab-release", kind="bool", default=False, commands=("release",),
           help="create or update the GitLab release of the tag (CI_JOB_TOKEN), with the "
                "release notes and the dist files"),
    Option(name="dist-dir", metavar="DIR", kind="str", default="dist", commands=("release",),
           help="directory whose distributions are attached to a GitHub/GitLab release"),
)

_CIBW_SHARED = ("build", "skip", "archs", "test-command", "test-requires", "before-build",
                "environment")

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}


def options_for(command: str) -> list[Option]:
    """The options a command takes, in table order."""
    return [o for o in OPTIONS if command in o.commands]


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
