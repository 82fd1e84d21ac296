"""The action's build step, as the runner drives it, against the step users write by hand.

hwb: the hwb step of action.yml (bash, entrypoint.py, the private environment already made by
an earlier step of the job, `hwb build`: sdist, wheel from the sdist, checks, SHA256SUMS).
Peer: `python -m build && python -m twine check dist/*` in the same Python.
Alternating, median of N runs each (default 5), on tests/packages/action_demo.  The one-off
creation of the private environment (first step of a job) is timed and printed separately.

    python benchmarks/action_step.py [RUNS]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.action_support import run_step  # noqa: E402

FIXTURE = ROOT / "tests" / "packages" / "action_demo"


def _fresh(base: Path, name: str) -> Path:
    ws = base / name
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(FIXTURE, ws)
    return ws


def time_hwb(base: Path, runner_temp: Path) -> float:
    ws = _fresh(base, "hwb")
    start = time.perf_counter()
    step = run_step({"command": "build"}, workspace=ws, runner_temp=runner_temp)
    elapsed = time.perf_counter() - start
    if step.returncode != 0:
        raise SystemExit(step.log)
    return elapsed


def time_peer(base: Path) -> float:
    ws = _fresh(base, "peer")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "build", "--outdir", "dist", "."], cwd=ws, check=True,
                   capture_output=True)
    dists = sorted(str(p) for p in (ws / "dist").iterdir())
    subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *dists], cwd=ws,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="hwb-bench-") as tmp:
        base = Path(tmp)
        runner_temp = base / "runner-temp"
        start = time.perf_counter()
        first = run_step({"command": "plan"}, workspace=_fresh(base, "warm"),
                         runner_temp=runner_temp)
        if first.returncode != 0:
            raise SystemExit(first.log)
        print(f"private environment made once per job: {time.perf_counter() - start:.2f}s")
        hwb: list[float] = []
        peer: list[float] = []
        for _ in range(runs):
            hwb.append(time_hwb(base, runner_temp))
            peer.append(time_peer(base))
        h, p = statistics.median(hwb), statistics.median(peer)
        print(f"hwb action build step (warm): median {h:.2f}s  {[round(x, 2) for x in hwb]}")
        print(f"python -m build + twine check: median {p:.2f}s  {[round(x, 2) for x in peer]}")
        print(f"ratio hwb/peer: {h / p:.2f}")


if __name__ == "__main__":
    main()
