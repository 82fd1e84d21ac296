"""Package installers that make build and test environments: uv and pip behind one
:class:`PackageInstaller` protocol, and where they and hwb's cache are found.

Kept apart from :mod:`hwb_action.builder.isolation` (which owns the cached environments and
their trust record) so that each module keeps one job."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from hwb_action._host import venv_python
from hwb_action._process import run
from hwb_action.ci import Reporter
from hwb_action.errors import UsageError

Installer = Literal["uv", "pip", "none"]
"""The isolation names; :class:`PackageInstaller` is what each (but ``none``) does."""
DEFAULT_INSTALL_TIMEOUT = 900.0
"""Seconds one installer command may take (``install-timeout``)."""


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


def env_python(path: Path) -> Path:
    """The interpreter of the virtual environment at ``path``."""
    return venv_python(path)


class PackageInstaller(Protocol):
    """Makes virtual environments and installs into them (uv or pip)."""

    @property
    def name(self) -> str:
        """``uv`` or ``pip``, for messages."""

    def create(self, path: Path, python: str, *, env: Mapping[str, str],
               reporter: Reporter) -> None:
        """A new virtual environment of ``python`` at ``path``."""

    def install(self, path: Path, requirements: Sequence[str], *, env: Mapping[str, str],
                reporter: Reporter, compile_bytecode: bool = False) -> None:
        """Install ``requirements`` into the environment at ``path``; files are copied, never
        linked to the installer's cache (a build that writes to one would change the cache)."""


@dataclass(frozen=True)
class UvInstaller:
    """uv: ``uv venv`` and ``uv pip install``."""

    uv: str
    no_config: bool = False
    """Ignore ``uv.toml``/``pyproject.toml`` uv settings (test environments)."""
    name: str = "uv"
    extra_args: tuple[str, ...] = ()
    """The user's pip settings as uv options (:mod:`~hwb_action.builder.installer_config`)."""
    timeout: float = DEFAULT_INSTALL_TIMEOUT

    def _config(self) -> list[str]:
        return ["--no-config"] if self.no_config else []

    def create(self, path: Path, python: str, *, env: Mapping[str, str],
               reporter: Reporter) -> None:
        if _is_running_python(python):
            # The same environment as ``uv venv`` makes (a pyvenv.cfg and a link to the base
            # interpreter), in a few milliseconds: uv would first start and ask the
            # interpreter about itself, which with an empty uv cache (a CI job) costs a
            # tenth of a cold build.
            import venv

            reporter.debug(f"+ venv.EnvBuilder(symlinks=True).create({path})")
            venv.EnvBuilder(symlinks=True, with_pip=False).create(str(path))
            return
        run([self.uv, "venv", "--quiet", *self._config(), "--no-project", "--python", python,
             str(path)], reporter=reporter, env=env, what="uv venv", timeout=self.timeout,
            timeout_setting="install-timeout")

    def install(self, path: Path, requirements: Sequence[str], *, env: Mapping[str, str],
                reporter: Reporter, compile_bytecode: bool = False) -> None:
        if not requirements:
            return
        args = [self.uv, "pip", "install", "--quiet", *self._config(), "--link-mode", "copy",
                "--python", str(env_python(path))]
        if compile_bytecode:
            args.append("--compile-bytecode")
        run([*args, *self.extra_args, *requirements], reporter=reporter, env=env,
            what="uv pip install", timeout=self.timeout, timeout_setting="install-timeout")


@dataclass(frozen=True)
class PipInstaller:
    """pip: ``python -m venv`` and pip, from hwb's environment when it has pip (pip >= 22.3
    installs into another interpreter with ``--python``), else the new environment's own."""

    name: str = "pip"
    timeout: float = DEFAULT_INSTALL_TIMEOUT

    @staticmethod
    def _host_pip() -> bool:
        try:
            import pip  # noqa: F401
        except ImportError:
            return False
        return True

    def create(self, path: Path, python: str, *, env: Mapping[str, str],
               reporter: Reporter) -> None:
        extra = ["--without-pip"] if self._host_pip() else []
        run([python, "-m", "venv", *extra, str(path)], reporter=reporter, env=env,
            what="python -m venv", timeout=self.timeout, timeout_setting="install-timeout")

    def install(self, path: Path, requirements: Sequence[str], *, env: Mapping[str, str],
                reporter: Reporter, compile_bytecode: bool = False) -> None:
        if not requirements:
            return
        python = str(env_python(path))
        pip = ([sys.executable, "-m", "pip", "--python", python] if self._host_pip()
               else [python, "-m", "pip"])
        # pip copies files and compiles bytecode unless told not to.
        compiling = [] if compile_bytecode else ["--no-compile"]
        run([*pip, "install", "--quiet", *compiling, *requirements], reporter=reporter,
            env=env, what="pip install", timeout=self.timeout,
            timeout_setting="install-timeout")


def installer_for(name: Installer, environ: Mapping[str, str], uv_args: Sequence[str] = (),
                  timeout: float = DEFAULT_INSTALL_TIMEOUT) -> PackageInstaller | None:
    """The installer behind an isolation name; ``None`` for ``none`` (the base interpreter).
    Each of its commands is stopped after ``timeout`` seconds (``install-timeout``)."""
    if name == "none":
        return None
    if name == "pip":
        return PipInstaller(timeout=timeout)
    uv = find_uv(environ)
    if uv is None:
        msg = "isolation 'uv' was asked for but no uv binary was found"
        raise UsageError(msg, hint="pip install uv, or use --isolation pip")
    return UvInstaller(uv, extra_args=tuple(uv_args), timeout=timeout)



def _is_running_python(python: str) -> bool:
    """Whether ``python`` is the interpreter hwb runs on (whose ``venv`` module then makes its
    environments); POSIX only, where a virtual environment's interpreter is a link."""
    if os.name == "nt":
        return False
    try:
        return os.path.samefile(python, sys.executable)
    except OSError:
        return False
