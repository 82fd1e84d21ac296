"""Benchmark: `hwb publish` vs `twine upload` of 30 distributions to a local pypiserver.

Each run gets a fresh, empty pypiserver (started before the clock starts); the two tools
alternate; the median of N runs (default 5) of each is compared.  Target: hwb <= 0.5 x twine.

    python benchmarks/bench_publish.py [--runs 5] [--versions 15] [--latency 0.1]

``--latency`` puts a proxy in front of pypiserver that holds each upload that many seconds,
like an index across a network (PyPI answers an upload in a few hundred milliseconds);
without it the index is on the same machine and answers in ~10 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.publish_support import IndexProxy, PypiServer, build_dists  # noqa: E402

PASSWORD = "bench-password"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--versions", type=int, default=15, help="sdist + wheel each")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds a proxy holds each upload (0: no proxy)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "TWINE_", "GITHUB_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dists: list[Path] = []
        for i in range(args.versions):
            dists += build_dists(work / "dist", f"1.0.{i}")
        files = [str(p) for p in dists]
        print(f"{len(files)} distributions")
        tools: dict[str, Callable[[str], list[str]]] = {
            "hwb": lambda url: [sys.executable, "-m", "hwb_action", "publish", "-r", url,
                                "--username", "uploader", "--password", PASSWORD, *files],
            "twine": lambda url: [sys.executable, "-m", "twine", "upload", "--repository-url",
                                  url, "-u", "uploader", "-p", PASSWORD,
                                  "--disable-progress-bar", "--non-interactive", *files],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        for run in range(args.runs):
            for name, make in tools.items():
                server = PypiServer(work / f"srv-{name}-{run}", {"uploader": PASSWORD}).start()
                proxy = IndexProxy(server.url, upload_delay=args.latency).__enter__() \
                    if args.latency else None
                try:
                    elapsed = timed(make(proxy.url if proxy else server.url), env)
                    uploaded = len(list(server.packages.iterdir()))
                    assert uploaded == len(files), f"{name} uploaded {uploaded}"
                finally:
                    if proxy is not None:
                        proxy.__exit__(None, None, None)
                    server.stop()
                times[name].append(elapsed)
                print(f"run {run + 1}: {name:5} {elapsed:6.2f}s")
        hwb = statistics.median(times["hwb"])
        twine = statistics.median(times["twine"])
        where = f"with {args.latency:g}s per upload" if args.latency else "local"
        print(f"{where}: median hwb publish {hwb:.2f}s, twine upload {twine:.2f}s, "
              f"ratio {hwb / twine:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
