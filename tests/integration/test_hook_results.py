"""Nothing a build backend returns is trusted as a path.

Each test is the attack: a backend (tests/packages/hostile_backend) whose build_wheel
returns a name outside the directory it was given, an absolute path to someone else's file,
a link, a missing file, a directory or None.  Each must be a build error naming the backend
and the value, before anything is moved: no traceback, nothing in dist/, the file elsewhere
untouched.  Both ways hwb runs hooks are attacked: the fork server and plain processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]
NAME = "hostile-1.0-py3-none-any.whl"


@pytest.fixture(params=["1", "0"], ids=["hook-server", "plain-processes"])
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(tmp_path: Path, server: str,
          *config: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    project = tmp_path / "hostile"
    if not project.exists():
        shutil.copytree(PACKAGES / "hostile_backend", project)
    env = dict(os.environ, PYTHONPATH=str(ROOT), HWB_HOOK_SERVER=server,
               HWB_CACHE_DIR=str(tmp_path / "cache"))
    args = [a for c in config for a in ("-C", c)]
    proc = subprocess.run(
        [sys.executable, "-m", "hwb_action", "build", "--wheel", "--isolation", "none", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
    return project, proc


def assert_refused(project: Path, proc: subprocess.CompletedProcess[str], value: str,
                   why: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert f"build backend 'hostile' returned {value} from build_wheel" in proc.stderr
    assert why in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "dist").exists(), list((project / "dist").iterdir())


def test_a_dotdot_name_pulls_nothing_into_dist(tmp_path: Path, server: str) -> None:
    project, proc = build(tmp_path, server, "mode=dotdot")
    assert_refused(project, proc, f"'../{NAME}'", "not a plain file name")


def test_an_absolute_path_neither_moves_nor_deletes_that_file(tmp_path: Path,
                                                              server: str) -> None:
    victim = tmp_path / "precious" / NAME
    victim.parent.mkdir()
    victim.write_bytes(b"someone else's file")
    project, proc = build(tmp_path, server, "mode=absolute", f"target={victim}")
    assert_refused(project, proc, repr(str(victim)), "not a plain file name")
    assert victim.read_bytes() == b"someone else's file"


def test_a_symlink_to_a_file_outside_is_refused(tmp_path: Path, server: str) -> None:
    project, proc = build(tmp_path, server, "mode=symlink")
    assert_refused(project, proc, f"'{NAME}'", "symbolic link")


@pytest.mark.parametrize(
    ("mode", "value", "why"),
    [
        ("none", "None", "expected the file name of the distribution it built"),
        ("missing", f"'{NAME}'", "no such file"),
        ("directory", f"'{NAME}'", "not a regular file"),
    ],
)
def test_a_broken_answer_is_a_build_error(tmp_path: Path, server: str, mode: str, value: str,
                                          why: str) -> None:
    project, proc = build(tmp_path, server, f"mode={mode}")
    assert_refused(project, proc, value, why)
