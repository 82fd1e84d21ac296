"""Helpers for the binary-wheel tests: build a raw wheel of a test package, and run code in a
fresh environment of a given interpreter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import uv

UV = str(uv.find_uv_bin())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def build_raw_wheel(package: Path, workdir: Path, python: Path | None = None) -> Path:
    """An unrepaired ``linux_*`` wheel of ``package`` for ``python`` (default: this one).

    This interpreter builds without isolation (its setuptools, no network); another one
    builds through ``uv build`` in an isolated environment.
    """
    src = workdir / f"src-{package.name}"
    if not src.exists():
        shutil.copytree(package, src)
    out = workdir / "raw"
    out.mkdir(exist_ok=True)
    before = set(out.glob("*.whl"))
    if python is None or Path(python) == Path(sys.executable):
        cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
               str(out), str(src)]
    else:
        cmd = [UV, "build", "--no-config", "--wheel", "--python", str(python), "--out-dir",
               str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, env=_env())
    made = sorted(set(out.glob("*.whl")) - before)
    assert len(made) == 1, made
    return made[0]


def run_in_fresh_venv(wheel: Path, python: Path, code: str, workdir: Path) -> str:
    """Install ``wheel`` into a new virtual environment of ``python`` and run ``code``."""
    venv = workdir / f"venv-{wheel.stem}"
    subprocess.run([UV, "venv", "--no-config", "--quiet", "--python", str(python), str(venv)],
                   check=True, capture_output=True, env=_env())
    vpython = venv / "bin" / "python"
    subprocess.run([UV, "pip", "install", "--no-config", "--python", str(vpython), str(wheel)],
                   check=True, capture_output=True, env=_env())
    done = subprocess.run([str(vpython), "-c", code], check=True, capture_output=True,
                          text=True, cwd=workdir)
    return done.stdout
