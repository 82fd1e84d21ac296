"""The option table: every setting hwb takes, its key, type, default, help and commands.

:mod:`hwb_action.settings` resolves values for these options (and re-exports the table);
``scripts/generate.py`` makes the CLI reference, ``action.yml`` inputs and the GitLab
template's variables from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}


def options_for(command: str) -> list[Option]:
    """The options a command takes, in table order."""
    return [o for o in OPTIONS if command in o.commands]
