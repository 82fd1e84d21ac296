"""`hwb check` against `twine check` on the same distributions.

Usage: python benchmarks/bench_check.py [--runs N] [--cache DIR] [DIST ...]

Without DIST it checks 50 real, popular pure-Python wheels, downloaded once with
`pip download --no-deps --only-binary=:all:` into a cache directory that later runs reuse
(default: ~/.cache/hwb-bench/real-wheels, or $HWB_BENCH_CACHE).

The tools run alternately, RUNS times each (default 5), as subprocesses; the script prints
the median wall time and CPU time (user + sys) of each, the ratios, and each one's peak RSS.
hwb runs twice per round: with a fresh HWB_CACHE_DIR (no README verdict kept: every rst
README is rendered, as twine renders it) and with a warm one (the verdicts of an earlier
run, as a second check of the same files finds them).  Then, in-process, the time of
`check_files` serially, with threads, and with a process pool, to show which wins.
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

# Popular pure-Python wheels (py3-none-any or py2.py3-none-any), by downloads.
REAL_WHEELS = (
    "requests", "urllib3", "certifi", "idna", "six", "python-dateutil", "packaging",
    "setuptools", "pip", "wheel", "typing-extensions", "attrs", "jinja2", "click", "s3transfer",
    "jmespath", "pyasn1", "rsa", "pytz", "tzdata", "filelock", "platformdirs", "pluggy",
    "iniconfig", "pytest", "exceptiongroup", "soupsieve", "beautifulsoup4", "docutils",
    "pygments", "sqlparse", "isodate", "oauthlib", "requests-oauthlib", "google-auth",
    "cachetools", "pyparsing", "decorator", "more-itertools", "zipp", "importlib-metadata",
    "distlib", "virtualenv", "werkzeug", "flask", "itsdangerous", "blinker", "annotated-types",
    "sniffio", "markdown",
)


def real_wheels(cache: Path) -> list[Path]:
    """The 50 wheels, downloaded into ``cache`` the first time."""
    wheels = sorted(cache.glob("*.whl"))
    if len(wheels) < len(REAL_WHEELS):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--only-binary=:all:", "-d", str(cache), *REAL_WHEELS], check=True)
        wheels = sorted(cache.glob("*.whl"))
    return wheels


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + sys), peak RSS in KiB and exit code of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode


def compare(dists: list[Path], runs: int, tmp: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_CONFIG_FILE": os.devnull}
    for name in [k for k in env if k.startswith(("GITHUB_", "GITLAB_", "HWB_")) or k == "CI"]:
        env.pop(name)
    hwb = [sys.executable, "-m", "hwb_action", "check", "--json", *map(str, dists)]
    twine = [sys.executable, "-m", "twine", "check", *map(str, dists)]
    warm = {**env, "HWB_CACHE_DIR": str(tmp / "warm")}
    timed(hwb, warm)  # fills the warm cache
    rows: dict[str, list[tuple[float, float, int, int]]] = {
        "hwb check (cold README cache)": [], "hwb check (warm README cache)": [],
        "twine check": []}
    for i in range(runs):
        cold = {**env, "HWB_CACHE_DIR": str(tmp / f"cold-{i}")}
        rows["hwb check (cold README cache)"].append(timed(hwb, cold))
        rows["twine check"].append(timed(twine, env))
        rows["hwb check (warm README cache)"].append(timed(hwb, warm))
    twine_wall = statistics.median(r[0] for r in rows["twine check"])
    twine_cpu = statistics.median(r[1] for r in rows["twine check"])
    print(f"{len(dists)} files, median of {runs} alternating runs "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"  {'':32s} {'wall':>9s} {'cpu':>9s} {'wall/twine':>11s} {'cpu/twine':>10s} "
          f"{'peak RSS':>9s}  exit")
    for label, results in rows.items():
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        rss = max(r[2] for r in results)
        codes = sorted({r[3] for r in results})
        print(f"  {label:32s} {wall * 1000:7.0f}ms {cpu * 1000:7.0f}ms {wall / twine_wall:11.2f}"
              f" {cpu / twine_cpu:10.2f} {rss / 1024:7.1f}MB  {codes}")


def in_process(dists: list[Path], runs: int, tmp: Path) -> None:
    """check_files serially, with threads, and with a process pool (warm verdicts, so that
    the reading and checking is what is compared)."""
    sys.path.insert(0, str(ROOT))
    from concurrent.futures import ProcessPoolExecutor

    from hwb_action.artifacts import check_files, inspect_artifact

    cache = tmp / "warm"
    workers = os.cpu_count() or 1

    def serial() -> object:
        return check_files(dists, layout=True, readme_cache=cache, jobs=1)

    def threads() -> object:
        return check_files(dists, layout=True, readme_cache=cache, jobs=workers)

    def processes() -> object:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_inspect, dists, [cache] * len(dists), chunksize=4))

    print(f"in-process check_files of {len(dists)} files (median of {runs}, warm verdicts):")
    serial()  # imports and first-use costs out of the way
    _ = inspect_artifact
    for label, fn in (("serial", serial), (f"{workers} threads", threads),
                      (f"process pool of {workers}", processes)):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        print(f"  {label:24s} {statistics.median(times) * 1000:7.0f} ms")


def _inspect(path: Path, cache: Path) -> object:
    from hwb_action.artifacts import inspect_artifact

    return inspect_artifact(path, layout=True, readme_cache=cache).problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dists", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "HWB_BENCH_CACHE", Path.home() / ".cache" / "hwb-bench" / "real-wheels")))
    args = parser.parse_args(argv)
    dists = [p.resolve() for p in args.dists] or real_wheels(args.cache)
    tmp = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        compare(dists, args.runs, tmp)
        in_process(dists, args.runs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
