"""SIGTERM and SIGINT in the middle of a build leave nothing behind: no staging directory,
no partial file, no temporary tree, no backend process; hwb exits 143 and 130.

The project is written into tmp_path: an in-tree backend whose build_wheel writes its pid,
starts a partial wheel, and then sleeps, as a slow compiler would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the process table from /proc")

BACKEND = """
import os
import time

PIDFILE = {pidfile!r}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(wheel_directory, "slow-1.0-py3-none-any.whl"), "wb") as fh:
        fh.write(b"partial")
    with open(PIDFILE + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(PIDFILE + ".tmp", PIDFILE)
    print("backend started", flush=True)
    time.sleep(30)
    raise SystemExit("the test should have ended this build")
"""


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "slow"
    project.mkdir()
    pidfile = tmp_path / "backend.pid"
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["."]

        [project]
        name = "slow"
        version = "1.0"
    """), encoding="utf-8")
    (project / "backend.py").write_text(BACKEND.format(pidfile=str(pidfile)), encoding="utf-8")
    return project, pidfile


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def _gone(pid: int) -> bool:
    for _ in range(200):  # a killed orphan is reaped by init a moment later
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _processes_under(directory: Path) -> list[str]:
    """Processes (of this user) whose working directory or command line is in directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not _alive(int(entry.name)):
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(directory)) or str(directory) in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def _wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path) -> int:
    for _ in range(2400):  # bounded: the build environment is made first
        if path.is_file():
            return int(path.read_text())
        if proc.poll() is not None:
            pytest.fail(f"hwb ended before the backend started:\n{log.read_text()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the backend did not start:\n{log.read_text()}")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_build_leaves_nothing_behind(tmp_path: Path, signum: int,
                                                  code: int) -> None:
    project, pidfile = _project(tmp_path)
    out = tmp_path / "dist"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = tmp_path / "hwb.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITHUB_"))}
    env.update({"TMPDIR": str(tmp), "HWB_NO_PROGRESS": "1",
                "PYTHONPATH": os.environ.get("PYTHONPATH", str(Path(__file__).parents[2]))})
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hwb_action", "build", "--wheel", "--no-cache",
             "--out-dir", str(out), "--verbose"],
            cwd=project, env=env, stdout=fh, stderr=subprocess.STDOUT,
        )
        try:
            backend = _wait_for(pidfile, proc, log)
            proc.send_signal(signum)
            returncode = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert returncode == code, text
    assert "Traceback" not in text
    assert _gone(backend), text
    leftovers = list(out.iterdir()) if out.exists() else []
    assert leftovers == [], text  # no .hwb-staging-*, no partial wheel
    assert [p.name for p in tmp.iterdir() if p.name.startswith("hwb-")] == [], text
    assert _processes_under(tmp_path) == [], text
