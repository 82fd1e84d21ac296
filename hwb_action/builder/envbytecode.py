"""Bytecode for cached build environments, compiled by hwb on an environment's second use.

Compiling every module of the build requirements costs more than the rest of a cold build,
and a CI job with an empty cache uses its environments once; so an environment is made
without bytecode and compiled when a later build reuses it
(:meth:`~hwb_action.builder.isolation.EnvProvider.get`): by hwb, with the base interpreter in
isolated mode (nothing of the environment is imported), under the environment's lock, right
after verifying it, and only when no other build has it in use (each user keeps a file in
``.hwb-users/`` while it has, since that build compares the environment with its record
after its backends stopped and would take new bytecode for a change).  Its record is then
written again.

The marker and the user files are outside the environment's record: a build that writes or
removes them costs speed only, as hwb compiles only what it has just verified.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from hwb_action._process import run
from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError

COMPILED = ".hwb-bytecode"
USERS = ".hwb-users"
_STALE_USER = 24 * 3600  # a user file this old is a killed build's


def is_compiled(path: Path) -> bool:
    """Whether hwb compiled the environment at ``path``."""
    return (path / COMPILED).exists()


def mark_compiled(path: Path) -> None:
    (path / COMPILED).touch()


def user_file(path: Path, owner: int) -> Path:
    """The file that says this process (``owner``: one of its providers) uses ``path``."""
    return path / USERS / f"{os.getpid()}-{owner}"


def other_users(path: Path) -> bool:
    """Whether another build has the environment at ``path`` in use (its user file is there
    and not a killed build's)."""
    now = time.time()
    try:
        with os.scandir(path / USERS) as it:
            return any(now - entry.stat().st_mtime < _STALE_USER for entry in it)
    except FileNotFoundError:
        return False


def compile_env(path: Path, base_python: str, *, env: Mapping[str, str],
                reporter: Reporter) -> None:
    """Compile the modules of the environment at ``path`` with ``base_python``."""
    lib = path / ("Lib" if os.name == "nt" else "lib")
    reporter.debug(f"compiling the build environment {path} (its second use)")
    try:
        run([base_python, "-I", "-m", "compileall", "-q", "-j", "0", str(lib)],
            reporter=reporter, env=env, what="python -m compileall")
    except ProcessError as err:
        # Bytecode is speed only: a module that does not compile (a test file of a
        # dependency written for another Python) must not fail the build.
        reporter.debug(f"compileall: {err.message}")
