"""Benchmark for binary wheels on the host (issue: binary wheels).

The C project tests/packages/cext_bz2 for four interpreters (3.10-3.13) with repair:
`hwb build --python 3.10,3.11,3.12,3.13` (sdist, four wheels from it in parallel, auditwheel
repair, checks) vs a sequential loop of `uv build --wheel --python X` + `auditwheel repair`.
Alternating, median of RUNS (default 5), warm caches.  Target: hwb <= 0.6 x the loop.

    python benchmarks/bench_binary.py [RUNS]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, report, time_command

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ["3.10", "3.11", "3.12", "3.13"]


def interpreter_paths() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from hwb_action.builder.interpreters import find_interpreters
    from hwb_action.ci import NullReporter

    found = find_interpreters(",".join(VERSIONS), allowed=None, environ=dict(os.environ),
                              reporter=NullReporter())
    return [str(i.path) for i in found]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = Path(tempfile.mkdtemp(prefix="hwb-bench-binary-"))
    project = work / "cext_bz2"
    shutil.copytree(ROOT / "tests" / "packages" / "cext_bz2", project)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    bindir = Path(sys.executable).parent
    hwb = shutil.which("hwb", path=str(bindir)) or "hwb"
    uv = shutil.which("uv", path=str(bindir)) or "uv"
    pythons = interpreter_paths()
    hwb_out = work / "hwb-dist"
    loop_out = work / "loop-dist"

    def hwb_run() -> float:
        shutil.rmtree(hwb_out, ignore_errors=True)
        return time_command([hwb, "build", "--isolation", "uv", "--python", ",".join(VERSIONS),
                             "-o", str(hwb_out)], cwd=str(project), env=env)

    def loop_run() -> float:
        shutil.rmtree(loop_out, ignore_errors=True)
        raw = loop_out / "raw"
        start = time.perf_counter()
        for python in pythons:
            subprocess.run([uv, "build", "--wheel", "--quiet", "--python", python,
                            "--out-dir", str(raw)], cwd=project, env=env, check=True,
                           capture_output=True)
        for wheel in sorted(raw.glob("*.whl")):
            subprocess.run([sys.executable, "-m", "auditwheel", "repair", "-w",
                            str(loop_out), str(wheel)], env=env, check=True,
                           capture_output=True)
        return time.perf_counter() - start

    hwb_run()
    loop_run()  # warm both
    samples = alternate({"hwb build (4 pythons)": hwb_run,
                         "uv build + auditwheel loop": loop_run}, runs)
    print(report(samples, baseline="uv build + auditwheel loop",
                 subject="hwb build (4 pythons)"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
