"""Run ``hwb`` as users do, in a subprocess, with one environment policy for every test.

The policy: nothing of the machine or the CI job that runs the tests may change what hwb, pip,
uv or git do.  No ``HWB_*`` setting, no CI detection (``CI``, ``GITHUB_*``, ``GITLAB_*``,
``ACTIONS_*``, OIDC tokens), no package index configuration (``PIP_CONFIG_FILE`` is
/dev/null), no container engine socket, no git repository chosen by variable; this checkout's
``hwb_action`` first on ``PYTHONPATH``.  A test adds what it means to test through ``env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_DROPPED_PREFIXES = ("HWB_", "TWINE_", "CIBW_", "GITHUB_", "GITLAB_", "ACTIONS_", "RUNNER_",
                     "CI_", "DOCKER_")
_DROPPED_NAMES = frozenset({
    "CI",
    # the machine's package indexes (pip's own configuration file is replaced)
    "PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX",
    "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_INDEX", "UV_DEFAULT_INDEX",
    "UV_NO_INDEX",
    # git reads these before any repository it is pointed at (a pre-commit hook sets some)
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
})


def is_machine_variable(name: str) -> bool:
    """Whether the test environment drops ``name`` (see the module docstring)."""
    return (name in _DROPPED_NAMES or name.startswith(_DROPPED_PREFIXES)
            or name.endswith("_ID_TOKEN"))


def hwb_environ(env: Mapping[str, str] | None = None, *, cache: Path | None = None,
                base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ``os.environ``) under the policy, then ``HWB_CACHE_DIR=cache``
    when given, then ``env`` as it is; this checkout first on PYTHONPATH."""
    out = {k: v for k, v in (os.environ if base is None else base).items()
           if not is_machine_variable(k)}
    out["PIP_CONFIG_FILE"] = os.devnull
    if cache is not None:
        out["HWB_CACHE_DIR"] = str(cache)
    out.update(env or {})
    # This checkout first, also when ``env`` is a whole environment with its own PYTHONPATH.
    paths = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT), *paths])
    return out


def run_hwb(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
            cache: Path | None = None, timeout: float = 900,
            ) -> subprocess.CompletedProcess[str]:
    """``python -m hwb_action ARGS`` in ``cwd`` under the policy, plus ``env``; captured.

    ``cache`` is the build-environment cache (``HWB_CACHE_DIR``) that tests share to be fast.
    The timeout only keeps a hung build from hanging the suite.
    """
    return subprocess.run([sys.executable, "-m", "hwb_action", *args], cwd=cwd,
                          env=hwb_environ(env, cache=cache), capture_output=True, text=True,
                          encoding="utf-8", errors="replace", check=False, timeout=timeout)


def tool(name: str) -> str:
    """A console script installed next to the test interpreter (one with no ``-m`` entry),
    whether or not that directory is on PATH."""
    return str(Path(sys.executable).parent / name)
