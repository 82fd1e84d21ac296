"""Benchmark for `hwb plan` (issue #13).

A binary project with a large `[tool.cibuildwheel]` table (platform tables, overrides,
environment, test settings: tests/packages/plan_tables): `hwb plan --json` (every platform,
the whole matrix, identifiers from cibuildwheel's own selection in-process) vs the three
`cibuildwheel --print-build-identifiers --platform P --archs A` calls a user would run to get
the same identifiers, with the archs of the plan's runners.  The identifiers are checked to
be the same first.  Alternating, median of RUNS (default 7; at least 5).  Target: <= 0.5 x.

    python benchmarks/bench_plan.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, report, time_command

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "packages" / "plan_tables"


def main(argv: list[str]) -> int:
    runs = max(5, int(argv[0]) if argv else 7)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HWB_", "CIBW_", "GITHUB_", "GITLAB_"))}
    env["PYTHONPATH"] = str(ROOT)
    hwb_cmd = [sys.executable, "-m", "hwb_action", "plan", "--json", str(PROJECT)]
    out = subprocess.run(hwb_cmd, env=env, capture_output=True, text=True, check=True).stdout
    cells = json.loads(out)["include"]
    archs: dict[str, list[str]] = {}
    planned: dict[str, set[str]] = {}
    for cell in cells:
        archs.setdefault(cell["platform"], []).extend(cell["arch"].split(","))
        planned.setdefault(cell["platform"], set()).update(cell["identifiers"])
    cibw_cmds = {p: [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers",
                     "--platform", p, "--archs", ",".join(a), "."] for p, a in archs.items()}
    for name, cmd in cibw_cmds.items():
        printed = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True,
                                 check=True).stdout.split()
        missing = set(printed) - planned[name]
        if missing:
            raise SystemExit(f"{name}: the plan lacks {sorted(missing)}")

    def hwb() -> float:
        return time_command(hwb_cmd, cwd=str(PROJECT), env=env)

    def cibuildwheel() -> float:
        return sum(time_command(cmd, cwd=str(PROJECT), env=env) for cmd in cibw_cmds.values())

    samples = alternate({"hwb plan --json": hwb,
                         "cibuildwheel --print-build-identifiers x3": cibuildwheel}, runs)
    count = sum(len(c["identifiers"]) for c in cells)
    print(f"median of {runs} alternating runs, project {PROJECT.name}: {len(cells)} cells, "
          f"{count} identifiers")
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
    for _ in range(20):
        start = time.perf_counter()
        plan = plan_targets(project, from_settings(PlanOptions, settings), environ={})
        times.append(time.perf_counter() - start)
    print(f"in-process plan_targets: {statistics.median(times) * 1e3:.1f} ms median of 20 "
          f"({len(plan.targets)} identifiers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
