"""Build environments: uv (default), pip, or none — cached across builds.

A build environment is keyed by its installer, the base interpreter and the sorted build
requirements, plus the ISO week, so that unpinned requirements are re-resolved at least once
a week.  Cached environments live in ``<cache>/envs/<key>/``; one is created under a file
lock and marked complete last, so concurrent builds either reuse a finished environment or
wait for the one being made.  Environments are never modified after they are marked.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filelock import FileLock

from hwb_action._process import run
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError, UsageError

Installer = Literal["uv", "pip", "none"]
_READY = ".hwb-ready"
PRELOAD = ".hwb-preload.json"


def find_uv(environ: Mapping[str, str]) -> str | None:
    """The uv binary: ``HWB_UV``, the ``uv`` package's, or one on PATH."""
    explicit = environ.get("HWB_UV")
    if explicit:
        return explicit
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv", path=environ.get("PATH"))


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``HWB_CACHE_DIR``, else the platform's user cache dir for hwb."""
    explicit = environ.get("HWB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hwb", appauthor=False))


def _env_python(path: Path) -> Path:
    if sys.platform == "win32":
        return path / "Scripts" / "python.exe"
    return path / "bin" / "python"


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
        """``base`` with the environment's scripts first on PATH, as an activated venv has."""
        env = dict(base)
        env.pop("PYTHONHOME", None)
        if self.bin_dir is not None:
            path = env.get("PATH", "")
            env["PATH"] = f"{self.bin_dir}{os.pathsep}{path}" if path else str(self.bin_dir)
            env["VIRTUAL_ENV"] = str(self.path)
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
    ) -> None:
        self.installer = installer
        self.base_python = base_python
        self.base_version = base_version
        self.cache_dir = cache_dir
        self.reporter = reporter
        self.environ = dict(environ)
        self._temporary: list[Path] = []
        self._uv = find_uv(environ) if installer == "uv" else None
        if installer == "uv" and self._uv is None:
            msg = "isolation 'uv' was asked for but no uv binary was found"
            raise UsageError(msg, hint="pip install uv, or use --isolation pip")

    def key(self, requirements: Collection[str]) -> str:
        """The content address of an environment."""
        year, week, _ = datetime.date.today().isocalendar()
        payload = json.dumps({
            "installer": self.installer,
            "python": os.path.realpath(self.base_python),
            "version": self.base_version,
            "requires": sorted({r.strip() for r in requirements}),
            "week": f"{year}-{week}",
        }, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def get(self, requirements: Collection[str]) -> BuildEnv:
        """An environment with ``requirements`` installed (reused when cached)."""
        if self.installer == "none":
            return BuildEnv(python=self.base_python, path=None, bin_dir=None, cached=False)
        reqs = sorted({r.strip() for r in requirements})
        if self.cache_dir is None:
            path = Path(tempfile.mkdtemp(prefix="hwb-env-"))
            self._temporary.append(path)
            self._create(path, reqs)
            return self._env(path, cached=False)
        envs = self.cache_dir / "envs"
        key = self.key(reqs)
        path = envs / key
        if (path / _READY).is_file():
            return self._env(path, cached=True)
        envs.mkdir(parents=True, exist_ok=True)
        with FileLock(str(envs / f"{key}.lock")):
            if not (path / _READY).is_file():
                shutil.rmtree(path, ignore_errors=True)  # a half-made one from a killed build
                try:
                    self._create(path, reqs)
                except BaseException:
                    shutil.rmtree(path, ignore_errors=True)
                    raise
                (path / _READY).write_text(json.dumps(
                    {"requires": reqs, "python": self.base_python, "created": time.time()}))
        return self._env(path, cached=True)

    def _env(self, path: Path, *, cached: bool) -> BuildEnv:
        python = _env_python(path)
        return BuildEnv(python=str(python), path=path, bin_dir=python.parent, cached=cached)

    def _create(self, path: Path, reqs: list[str]) -> None:
        shown = ", ".join(reqs) or "nothing"
        self.reporter.info(f"Creating build environment ({self.installer}): {shown}")
        env = dict(self.environ)
        env.pop("VIRTUAL_ENV", None)
        try:
            if self.installer == "uv":
                assert self._uv is not None
                run([self._uv, "venv", "--quiet", "--no-project", "--python", self.base_python,
                     str(path)], reporter=self.reporter, env=env, what="uv venv")
                if reqs:
                    run([self._uv, "pip", "install", "--quiet", "--python",
                         str(_env_python(path)), *reqs], reporter=self.reporter, env=env,
                        what="uv pip install")
            else:
                self._create_with_pip(path, reqs, env)
        except ProcessError as err:
            msg = f"could not install the build requirements ({shown})"
            raise BuildError(
                msg, details=err.details,
                hint="check [build-system] requires in pyproject.toml: every requirement must "
                     "exist on the index and support this Python",
            ) from err

    def _create_with_pip(self, path: Path, reqs: list[str], env: dict[str, str]) -> None:
        try:
            import pip  # noqa: F401

            host_pip = True
        except ImportError:
            host_pip = False
        if host_pip:
            # pip >= 22.3 installs into another interpreter with --python: no pip in the env.
            run([self.base_python, "-m", "venv", "--without-pip", str(path)],
                reporter=self.reporter, env=env, what="python -m venv")
            if reqs:
                run([sys.executable, "-m", "pip", "--python", str(_env_python(path)),
                     "install", "--quiet", *reqs], reporter=self.reporter, env=env,
                    what="pip install")
        else:
            run([self.base_python, "-m", "venv", str(path)], reporter=self.reporter, env=env,
                what="python -m venv")
            if reqs:
                run([str(_env_python(path)), "-m", "pip", "install", "--quiet", *reqs],
                    reporter=self.reporter, env=env, what="pip install")

    def close(self) -> None:
        """Remove uncached environments."""
        for path in self._temporary:
            shutil.rmtree(path, ignore_errors=True)
        self._temporary.clear()
