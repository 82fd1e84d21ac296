"""A build that hangs in its backend, and what a test needs to see that an interrupted hwb
left nothing behind (Linux: the process table is read from /proc)."""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

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


def slow_project(tmp_path: Path) -> tuple[Path, Path]:
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


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def gone(pid: int) -> bool:
    for _ in range(200):  # a killed orphan is reaped by init a moment later
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def processes_under(directory: Path) -> list[str]:
    """Processes (of this user) whose working directory or command line is in directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not alive(int(entry.name)):
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


def wait_for_pid(path: Path, proc: subprocess.Popen[bytes], log: Path) -> int:
    for _ in range(2400):  # bounded: the build environment is made first
        if path.is_file():
            return int(path.read_text())
        if proc.poll() is not None:
            pytest.fail(f"hwb ended before the backend started:\n{log.read_text()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the backend did not start:\n{log.read_text()}")




def interrupt_build(cmd: list[str], *, cwd: Path, env: dict[str, str], pidfile: Path,
                    log: Path, signum: int, timeout: float) -> tuple[int, int, str]:
    """Run ``cmd`` (its output to ``log``), send ``signum`` once the backend has written its
    pid, and wait (bounded) for the end: the exit code, the backend's pid and the log."""
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            backend = wait_for_pid(pidfile, proc, log)
            proc.send_signal(signum)
            returncode = proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    return returncode, backend, log.read_text(errors="replace")
