"""The committed locks are what scripts/lock.py makes today, and every platform has the wheels.

Against PyPI: the locks are regenerated at their recorded resolution date (uv's
--exclude-newer, so a new release on PyPI changes nothing) and compared with the committed
files; then each pinned file must have a wheel for every platform and Python the action runs
on (scripts/lock.py PLATFORMS x PYTHONS).  tests/unit/test_action_locks.py checks the rest
offline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_locks_regenerate_as_committed_with_wheels_for_every_platform() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "lock.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, (
        f"{done.stderr}\nrequirements/ differs from what `python scripts/lock.py` makes, or a "
        "platform lacks a wheel")
