"""Per-target overhead of going through hwb for a container build.

``hwb build --isolation container --target X`` against the equivalent bare
``cibuildwheel --only X`` on the same local manylinux-like image with podman, alternating,
median of N runs (default 5).  Target: hwb / cibuildwheel <= 1.1.

    python benchmarks/bench_container.py [--runs 5]

Needs podman (.ci/setup-containers.sh); the image is built once and cached by
tests/container_support.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.container_support import ensure_manylinux_image, podman_env  # noqa: E402

TARGET = "cp311-manylinux_x86_64"


def _env(image: str) -> dict[str, str]:
    env = {k: v for k, v in podman_env().items()
           if not k.startswith(("CIBW_", "HWB_", "PIP_", "DOCKER_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PYTHONPATH"] = str(ROOT)
    return env


def _timed(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    image = ensure_manylinux_image()
    env = _env(image)
    with tempfile.TemporaryDirectory(prefix="hwb-bench-container-") as tmp:
        work = Path(tmp)
        project = work / "cext_simple"
        shutil.copytree(ROOT / "tests" / "packages" / "cext_simple", project)
        cibw_env = dict(env, CIBW_CONTAINER_ENGINE="podman", CIBW_MANYLINUX_X86_64_IMAGE=image)
        hwb_times: list[float] = []
        cibw_times: list[float] = []
        for i in range(args.runs):
            out_h, out_c = work / f"hwb-{i}", work / f"cibw-{i}"
            hwb_cmd = [sys.executable, "-m", "hwb_action", "build", str(project),
                       "--isolation", "container", "--target", TARGET, "--container-engine",
                       "podman", "--manylinux", image, "-o", str(out_h)]
            cibw_cmd = [sys.executable, "-m", "cibuildwheel", "--only", TARGET,
                        "--output-dir", str(out_c), "."]
            # Alternate which goes first, so neither always runs on a warmer machine.
            pair = [("hwb", hwb_cmd, project.parent, env, hwb_times),
                    ("cibw", cibw_cmd, project, cibw_env, cibw_times)]
            if i % 2:
                pair.reverse()
            for name, cmd, cwd, run_env, into in pair:
                into.append(_timed(cmd, cwd=cwd, env=run_env))
                print(f"run {i + 1} {name:5s} {into[-1]:6.2f} s", flush=True)
    h, c = statistics.median(hwb_times), statistics.median(cibw_times)
    print(f"\nmedian of {args.runs}: hwb {h:.2f} s, cibuildwheel {c:.2f} s, "
          f"ratio {h / c:.3f} (target <= 1.1)")


if __name__ == "__main__":
    main()
