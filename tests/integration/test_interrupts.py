"""SIGTERM and SIGINT in the middle of a build leave nothing behind: no staging directory,
no partial file, no temporary tree, no backend process; hwb exits 143 and 130.

The project is written into tmp_path: an in-tree backend whose build_wheel writes its pid,
starts a partial wheel, and then sleeps, as a slow compiler would.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.signal_support import gone, interrupt_build, processes_under, slow_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the process table from /proc")

@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_build_leaves_nothing_behind(tmp_path: Path, signum: int,
                                                  code: int) -> None:
    project, pidfile = slow_project(tmp_path)
    out = tmp_path / "dist"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = tmp_path / "hwb.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITHUB_"))}
    env.update({"TMPDIR": str(tmp), "HWB_NO_PROGRESS": "1",
                "PYTHONPATH": os.environ.get("PYTHONPATH", str(Path(__file__).parents[2]))})
    returncode, backend, text = interrupt_build(
        [sys.executable, "-m", "hwb_action", "build", "--wheel", "--no-cache", "--out-dir",
         str(out), "--verbose"], cwd=project, env=env, pidfile=pidfile, log=log,
        signum=signum, timeout=60)
    assert returncode == code, text
    assert "Traceback" not in text
    assert gone(backend), text
    leftovers = list(out.iterdir()) if out.exists() else []
    assert leftovers == [], text  # no .hwb-staging-*, no partial wheel
    assert [p.name for p in tmp.iterdir() if p.name.startswith("hwb-")] == [], text
    assert processes_under(tmp_path) == [], text
