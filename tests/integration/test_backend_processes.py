"""A build leaves no backend process behind: not one a backend started in the background,
not the hook it was running when hwb was interrupted.  Both ways hwb runs hooks are tried:
the fork server and plain processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")


@pytest.fixture(params=["1", "0"], ids=["hook-server", "plain-processes"])
def server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie nobody reaped yet counts as ended)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ended(pid: int) -> bool:
    """Wait (bounded) for ``pid`` to end: SIGKILL is delivered asynchronously."""
    deadline = time.monotonic() + 30
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid)


def start(tmp_path: Path, server: str, *args: str) -> tuple[Path, subprocess.Popen[str]]:
    project = tmp_path / "lingering"
    shutil.copytree(PACKAGES / "lingering_backend", project)
    env = dict(os.environ, PYTHONPATH=str(ROOT), HWB_HOOK_SERVER=server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwb_action", "build", "--isolation", "none", *args],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return project, proc


def test_a_process_a_backend_leaves_running_ends_with_the_build(tmp_path: Path,
                                                                server: str) -> None:
    pidfile = tmp_path / "pids"
    project, proc = start(tmp_path, server, "-C", f"pidfile={pidfile}")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    pids = [int(line) for line in pidfile.read_text().split()]
    assert len(pids) == 2  # one from build_sdist, one from build_wheel
    assert all(ended(pid) for pid in pids), [p for p in pids if running(p)]
    assert (project / "dist" / "SHA256SUMS").is_file()


def test_an_interrupt_ends_the_hook_that_was_running(tmp_path: Path, server: str) -> None:
    pidfile = tmp_path / "hook-pid"
    project, proc = start(tmp_path, server, "--sdist", "-C", "hang=1", "-C",
                          f"pidfile-self={pidfile}")
    deadline = time.monotonic() + 120
    while not (pidfile.is_file() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pidfile.is_file(), "the backend never started"
    hook = int(pidfile.read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert ended(hook)
    assert not (project / "dist").exists()
