"""Benchmark for `hwb build` (issue: foundation).

A pure hatchling project, sdist + wheel built from the sdist, warm caches:
`hwb build` vs `uv build` vs `python -m build` (pip isolation), and the floor, a
backend call without isolation (`python -m build --no-isolation`).  Alternating, median of
RUNS (default 7).  Target: hwb <= 0.6 x uv build.

    python benchmarks/bench_build.py [RUNS]
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, report, time_command

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    work = Path(tempfile.mkdtemp(prefix="hwb-bench-build-"))
    project = work / "hatch_pkg"
    shutil.copytree(ROOT / "tests" / "packages" / "hatch_pkg", project)
    env = dict(os.environ)
    env["PIP_CONFIG_FILE"] = os.devnull
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        env.pop(var, None)
    bindir = Path(sys.executable).parent
    hwb = shutil.which("hwb", path=str(bindir)) or "hwb"
    uv = shutil.which("uv", path=str(bindir)) or "uv"
    out = project / "dist"

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    commands = {
        "hwb build": [hwb, "build"],
        "uv build": [uv, "build", "--quiet"],
        "python -m build": [sys.executable, "-m", "build"],
        "build --no-isolation (floor)": [sys.executable, "-m", "build", "--no-isolation"],
    }
    for cmd in commands.values():  # warm every cache once
        time_command(cmd, cwd=str(project), env=env, before=clean)
    samples = alternate(
        {name: functools.partial(time_command, cmd, cwd=str(project), env=env, before=clean)
         for name, cmd in commands.items()},
        runs,
    )
    print(report(samples, baseline="uv build", subject="hwb build"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
