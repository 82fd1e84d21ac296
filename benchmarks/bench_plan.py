"""Benchmark for `hwb plan` (issue #4).

The cext_bz2 test project (a binary setuptools project): `hwb plan --json` (every platform,
the full matrix) vs the tool a user would pick instead, `cibuildwheel
--print-build-identifiers` (one platform per call, so it is run for linux, macos and windows
to get the same matrix).  Also the in-process cost of `plan_targets` alone.  Alternating,
median of RUNS (default 7).

    python benchmarks/bench_plan.py [RUNS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, report, time_command

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "packages" / "cext_bz2"


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 7
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HWB_", "CIBW_", "GITHUB_", "GITLAB_"))}
    env["PYTHONPATH"] = str(ROOT)
    cibw = shutil.which("cibuildwheel") or "cibuildwheel"
    hwb_cmd = [sys.executable, "-m", "hwb_action", "plan", "--json", str(PROJECT)]

    def hwb() -> float:
        return time_command(hwb_cmd, cwd=str(PROJECT), env=env)

    def cibuildwheel() -> float:
        return sum(time_command([cibw, "--print-build-identifiers", "--platform", p, "."],
                                cwd=str(PROJECT), env=env)
                   for p in ("linux", "macos", "windows"))

    samples = alternate({"hwb plan --json": hwb,
                         "cibuildwheel --print-build-identifiers x3": cibuildwheel}, runs)
    print(f"median of {runs} alternating runs, project {PROJECT.name}")
    print(report(samples, baseline="cibuildwheel --print-build-identifiers x3",
                 subject="hwb plan --json"))

    sys.path.insert(0, str(ROOT))
    from hwb_action import settings as settings_mod
    from hwb_action.options import PlanOptions, from_settings
    from hwb_action.plan import plan_targets
    from hwb_action.project import load_project

    project = load_project(PROJECT)
    settings = settings_mod.resolve("plan", project_dir=PROJECT)
    times = []
    for _ in range(50):
        start = time.perf_counter()
        plan = plan_targets(project, from_settings(PlanOptions, settings))
        times.append(time.perf_counter() - start)
    print(f"in-process plan_targets: {statistics.median(times) * 1e6:.0f} us median of 50 "
          f"({len(plan.targets)} targets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
