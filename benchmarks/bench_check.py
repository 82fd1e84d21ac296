"""`hwb check` against `twine check` on the same distributions.

Usage: python benchmarks/bench_check.py [DIST ...]

Without arguments it builds tests/packages/check_demo (sdist + wheel) and checks those; pass
real-world wheels/sdists (e.g. from `pip download`) for a fuller picture.  The two tools run
alternately, RUNS times each; the script prints the median wall time of each and the ratio,
then the in-process time of hwb_action.artifacts.check_artifact per file (what `hwb build`
pays per artifact).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
    return time.perf_counter() - start, proc.returncode


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from hwb_action.artifacts import inspect_artifact

    tmp = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        dists = [Path(a).resolve() for a in argv]
        if not dists:
            subprocess.run([sys.executable, "-m", "build", "--no-isolation", "-o", str(tmp),
                            str(ROOT / "tests" / "packages" / "check_demo")],
                           check=True, capture_output=True)
            dists = sorted(tmp.iterdir())
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_CONFIG_FILE": os.devnull}
        env.pop("GITHUB_ACTIONS", None)
        twine = shutil.which("twine") or "twine"
        hwb_cmd = [sys.executable, "-m", "hwb_action", "check", "--json", *map(str, dists)]
        twine_cmd = [twine, "check", *map(str, dists)]
        hwb_times: list[float] = []
        twine_times: list[float] = []
        verdicts: set[tuple[int, int]] = set()
        for _ in range(RUNS):
            t_hwb, rc_hwb = _timed(hwb_cmd, env)
            t_twine, rc_twine = _timed(twine_cmd, env)
            hwb_times.append(t_hwb)
            twine_times.append(t_twine)
            verdicts.add((rc_hwb, rc_twine))
        h, t = statistics.median(hwb_times), statistics.median(twine_times)
        print(f"{len(dists)} files, median of {RUNS} alternating runs")
        print(f"  hwb check   {h * 1000:8.1f} ms")
        print(f"  twine check {t * 1000:8.1f} ms")
        print(f"  ratio hwb/twine = {h / t:.2f}  (exit codes hwb, twine: {sorted(verdicts)})")

        print("in-process check_artifact (median of 7, after one warm-up run):")
        for dist in dists:
            inspect_artifact(dist)
            times = []
            for _ in range(7):
                start = time.perf_counter()
                inspect_artifact(dist)
                times.append(time.perf_counter() - start)
            print(f"  {dist.name:50s} {statistics.median(times) * 1000:7.2f} ms "
                  f"({dist.stat().st_size // 1024} KiB)")
        # Without the render cache: what the first check of an rst README costs.
        from hwb_action import _distcheck

        cold = []
        for _ in range(7):
            _distcheck._render_rst.cache_clear()
            start = time.perf_counter()
            inspect_artifact(dists[-1])
            cold.append(time.perf_counter() - start)
        print(f"  {dists[-1].name} with a cold README cache: "
              f"{statistics.median(cold) * 1000:.2f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
