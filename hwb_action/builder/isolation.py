"""Build environments: uv (default), pip, or none; cached across builds, and tamper-evident.

A build environment is keyed by its installer, the base interpreter, the sorted build
requirements and the user's installer configuration (indexes, constraints and the files'
contents: :mod:`~hwb_action.builder.installer_config`), plus the ISO week, so that unpinned
requirements are re-resolved at least once a week.  Without a cache (``--no-cache``) one
environment per requirement set serves the whole build.  Cached environments live in
``<cache>/envs/<key>/``; one is created under a file lock and marked complete last, so
concurrent builds either reuse a finished environment or wait for the one being made.

**A cached environment is read-only to builds.**  A build backend, a build hook or a
``setup.py`` runs as the user hwb runs as (root in most CI jobs), so file permissions cannot
stop it from writing into its environment, and whatever it leaves there (a ``.pth`` file,
an edited module, a ``.pyc``) would run in the next build of any project with the same
build requirements, with that project's environment.  So:

- hwb writes everything an environment needs: packages are copied, not hard-linked from
  uv's cache (a write through a hard link would change uv's cache, and so every later
  environment; this holds for an environment used once too, since uv's cache outlives it);
  backends run with ``PYTHONDONTWRITEBYTECODE=1``, so an unchanged environment stays
  byte-for-byte unchanged;
- bytecode is compiled by hwb, not by a backend, on an environment's second use (a cold
  CI job uses it once): :mod:`~hwb_action.builder.envbytecode`;
- the marker records the environment's content (:mod:`~hwb_action.builder.envdigest`: a
  sha256 per file and a stat seal that a write cannot keep); before each reuse the seal, or
  failing that the content, is compared, and a changed environment is rebuilt with a
  warning that names what changed;
- after a build (its backend processes stopped) hwb compares the environment with what it
  verified in memory before the build, so that a build that also rewrites the marker is
  caught too, and removes an environment the build changed, with a warning.

What sharing a cache across trust levels means: the checks above stop one build's writes
from running in another through the cache, for every change made while hwb watches.  They
cannot stop code that targets hwb itself: a build runs as your user, so it can equally edit
hwb, the base interpreters, uv's or pip's caches, or start a process that outlives the
build and edits the cache afterwards.  Builds of code you do not trust (pull requests,
third-party sdists) belong in a job of their own, or at least a cache of their own
(``--cache-dir``, or ``--no-cache``); never in the job that holds publishing credentials.

Environments get :func:`~hwb_action.trust.untrusted_environ` (no publishing secret), the
installers :func:`~hwb_action.trust.installer_environ` (their own index credentials only).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from hwb_action._cachedir import default_cache_dir
from hwb_action.builder.envbytecode import (
    compile_env,
    is_compiled,
    mark_compiled,
    other_users,
    user_file,
)
from hwb_action.builder.envcache import mark_used, record_size
from hwb_action.builder.envdigest import READY, Verified, changed_since, verify, write_record
from hwb_action.builder.installer_config import (
    first_unreachable,
    installer_config,
    unreachable_index,
)
from hwb_action.builder.installers import (
    DEFAULT_INSTALL_TIMEOUT,
    Installer,
    PackageInstaller,
    PipInstaller,
    UvInstaller,
    env_python,
    find_uv,
    installer_for,
)
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError
from hwb_action.trust import installer_environ, register_secrets, untrusted_environ

__all__ = [  # the installers are re-exported: callers know them from here
    "DEFAULT_INSTALL_TIMEOUT", "PRELOAD", "BuildEnv", "EnvProvider", "Installer",
    "PackageInstaller", "PipInstaller", "UvInstaller", "default_cache_dir", "env_python",
    "find_uv", "installer_for",
]
PRELOAD = ".hwb-preload.json"



@dataclass(frozen=True, kw_only=True)
class BuildEnv:
    """An environment to run a build backend in (build's ``IsolatedEnv`` protocol)."""

    python: str
    path: Path | None
    bin_dir: Path | None
    cached: bool

    @property
    def python_executable(self) -> str:
        return self.python

    @property
    def preload_file(self) -> Path | None:
        return self.path / PRELOAD if self.path is not None and self.cached else None

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment a build backend runs with: ``base`` less every publishing secret
        (:func:`~hwb_action.trust.untrusted_environ`), with the environment's scripts first on
        PATH as an activated venv has; a cached environment is not written to."""
        env = untrusted_environ(base)
        env.pop("PYTHONHOME", None)
        if self.bin_dir is not None:
            path = env.get("PATH", "")
            env["PATH"] = f"{self.bin_dir}{os.pathsep}{path}" if path else str(self.bin_dir)
            env["VIRTUAL_ENV"] = str(self.path)
        if self.cached:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env


class EnvProvider:
    """Hands out build environments for one base interpreter."""

    def __init__(
        self,
        *,
        installer: Installer,
        base_python: str,
        base_version: str,
        cache_dir: Path | None,
        reporter: Reporter,
        environ: Mapping[str, str],
        install_timeout: float = DEFAULT_INSTALL_TIMEOUT,
    ) -> None:
        self.installer = installer
        self.base_python = base_python
        self.base_version = base_version
        self.cache_dir = cache_dir
        self.reporter = reporter
        # Backends get no publishing secret; the installers only their own credentials; and
        # a backend that finds one elsewhere and prints it cannot show it.
        register_secrets(environ, reporter)
        self.environ = untrusted_environ(environ)
        base = installer_environ(environ)
        base.pop("VIRTUAL_ENV", None)
        # The user's pip/uv configuration, for whichever installer runs (and the cache key).
        self._config = installer_config(base, installer)
        self._installer_environ = self._config.environ
        self._temporary: list[Path] = []
        self._uncached: dict[tuple[str, ...], BuildEnv] = {}
        self._in_use: dict[Path, Verified] = {}
        self.keep_temp = False
        """``--keep-temp``: uncached environments are left for the user (:meth:`kept`)."""
        self._tool = installer_for(installer, environ, self._config.uv_args, install_timeout)

    @property
    def isolated(self) -> bool:
        """False for ``--isolation none`` (the base interpreter as it is)."""
        return self._tool is not None

    def key(self, requirements: Collection[str]) -> str:
        """The content address of an environment."""
        year, week, _ = datetime.date.today().isocalendar()
        payload = json.dumps({
            "installer": self.installer,
            "python": os.path.realpath(self.base_python),
            "version": self.base_version,
            "requires": sorted({r.strip() for r in requirements}),
            "week": f"{year}-{week}",
            "installer-config": self._config.digest,
        }, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def get(self, requirements: Collection[str]) -> BuildEnv:
        """An environment with ``requirements`` installed (reused when cached and unchanged)."""
        if self._tool is None:
            return BuildEnv(python=self.base_python, path=None, bin_dir=None, cached=False)
        reqs = sorted({r.strip() for r in requirements})
        if self.cache_dir is None:
            # One environment per requirement set for the whole build (sdist and wheel), as
            # build makes at most one per distribution.
            made = self._uncached.get(tuple(reqs))
            if made is not None:
                return made
            path = Path(tempfile.mkdtemp(prefix="hwb-env-"))
            self._temporary.append(path)
            self._create(path, reqs, compile_bytecode=False)
            made = self._uncached[tuple(reqs)] = self._env(path, cached=False)
            return made
        envs = self.cache_dir / "envs"
        key = self.key(reqs)
        path = envs / key
        if path in self._in_use:
            return self._env(path, cached=True)
        verify(path, self.reporter)  # outside the lock: warns once of a changed one
        envs.mkdir(parents=True, exist_ok=True)
        with FileLock(str(envs / f"{key}.lock")):
            # Another build may have made, compiled or changed it meanwhile.
            verified = verify(path, self.reporter, warn=False)
            if verified is None:
                verified = self._make_cached(path, reqs)
            elif not is_compiled(path) and not other_users(path):
                verified = self._compile(path, reqs)
            # Under the lock, so that no other build compiles it while this one uses it.
            self._user_file(path).parent.mkdir(exist_ok=True)
            self._user_file(path).touch()
        self._in_use[path] = verified
        mark_used(path)
        return self._env(path, cached=True)

    def _user_file(self, path: Path) -> Path:
        return user_file(path, id(self))

    def _compile(self, path: Path, reqs: list[str]) -> Verified:
        """Compile a verified environment (:func:`~hwb_action.builder.envbytecode.compile_env`),
        then record it again."""
        compile_env(path, self.base_python, env=self._installer_environ, reporter=self.reporter)
        verified = write_record(path, requires=reqs, python=self.base_python)
        mark_compiled(path)
        record_size(path)
        return verified

    def _make_cached(self, path: Path, reqs: list[str]) -> Verified:
        shutil.rmtree(path, ignore_errors=True)  # a half-made or changed one
        try:
            # Not compiled: a cold job uses it once; its second use compiles it (_compile).
            self._create(path, reqs, compile_bytecode=False)
            verified = write_record(path, requires=reqs, python=self.base_python)
            record_size(path)
            return verified
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def _check_after_use(self, path: Path, verified: Verified) -> None:
        """Remove, with a warning, an environment that the build changed."""
        changes = changed_since(path, verified)
        if changes is None:
            return
        with FileLock(str(path.parent / f"{path.name}.lock")):
            (path / READY).unlink(missing_ok=True)
            shutil.rmtree(path, ignore_errors=True)
        self.reporter.warning(
            f"this build changed its cached build environment {path} ({changes}); hwb "
            "removed it, so that no later build runs what was written there")

    def _env(self, path: Path, *, cached: bool) -> BuildEnv:
        python = env_python(path)
        return BuildEnv(python=str(python), path=path, bin_dir=python.parent, cached=cached)

    def _create(self, path: Path, reqs: list[str], *, compile_bytecode: bool) -> None:
        tool = self._tool
        assert tool is not None
        shown = ", ".join(reqs) or "nothing"
        self.reporter.info(f"Creating build environment ({tool.name}, {self.base_python}): {shown}")
        env = self._installer_environ
        try:
            tool.create(path, self.base_python, env=env, reporter=self.reporter)
            tool.install(path, reqs, env=env, reporter=self.reporter,
                         compile_bytecode=compile_bytecode)
        except ProcessError as err:
            if err.timed_out:  # the hint names install-timeout; the index may be the cause
                msg = (f"installing the build requirements ({shown}): {err.message} "
                       "(install-timeout)")
                raise BuildError(msg, details=err.details, hint=err.hint) from err
            index = unreachable_index(err.details) or first_unreachable(self._config.indexes)
            if index is not None:
                msg = (f"could not reach {index} to install the build requirements "
                       f"({shown})")
                raise BuildError(
                    msg, details=err.details,
                    hint="check the network and the index settings "
                         "(PIP_INDEX_URL/UV_INDEX_URL, PIP_EXTRA_INDEX_URL, certificates: "
                         "SSL_CERT_FILE/PIP_CERT); hwb does not fall back to another index",
                ) from err
            msg = f"could not install the build requirements ({shown})"
            raise BuildError(
                msg, details=err.details,
                hint="check [build-system] requires in pyproject.toml: every requirement must "
                     "exist on the index and support this Python",
            ) from err

    def close(self) -> None:
        """Check the cached environments this provider handed out (backend processes must
        have stopped: close the frontends first); remove uncached ones."""
        in_use, self._in_use = self._in_use, {}
        for path, verified in in_use.items():
            self._check_after_use(path, verified)
            self._user_file(path).unlink(missing_ok=True)
        if not self.keep_temp:
            for path in self._temporary:
                shutil.rmtree(path, ignore_errors=True)
            self._temporary.clear()
        self._uncached.clear()

    def environments(self) -> list[Path]:
        """The environments this provider handed out (cached and uncached)."""
        return [*self._in_use, *self._temporary]

    def temporary(self) -> list[Path]:
        """The uncached environments (removed by :meth:`close` unless kept)."""
        return list(self._temporary)


