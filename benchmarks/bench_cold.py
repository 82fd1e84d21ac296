"""Benchmark for issue 18: `hwb build` with cold caches, as a CI job starts.

Five project shapes (pure hatchling, setuptools, a C extension, a 2,000-module hatchling
project, and a real sdist unpacked: attrs, hatchling + hatch-vcs + hatch-fancy-pypi-readme),
each built three ways (sdist + wheel, ``--sdist``, ``--wheel``) by `hwb build`, `uv build`
and `python -m build --installer uv`.  Cold: every run gets a fresh HWB_CACHE_DIR and
UV_CACHE_DIR (so build requirements are downloaded and installed again);  ``--warm``: the
caches of one warm-up run are kept.  Alternating, median of RUNS (default 5).
Target: hwb <= 0.8 x the fastest peer cold, <= 0.6 x warm, each case.

The real sdist is downloaded once with pip into ~/.cache/hwb-bench/sdists ($HWB_BENCH_CACHE).

    python benchmarks/bench_cold.py [--warm] [--runs N] [--only SHAPE] [--mode MODE]
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, time_command

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "tests" / "packages"
REAL_SDIST = "attrs==25.3.0"
MODULES = 2000
MODES = {"full": [], "sdist": ["--sdist"], "wheel": ["--wheel"]}
TARGET = {"cold": 0.8, "warm": 0.6}


def _many_modules(dest: Path) -> Path:
    pkg = dest / "src" / "manymods"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Many modules."""\n')
    for i in range(MODULES):
        (pkg / f"m{i:04d}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    (dest / "README.md").write_text("# manymods\n\nA project of many modules.\n")
    (dest / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "manymods"\nversion = "1.0"\ndescription = "Many modules"\n'
        'readme = "README.md"\nrequires-python = ">=3.9"\n'
        '\n[tool.hatch.build.targets.wheel]\npackages = ["src/manymods"]\n')
    return dest


def _real_sdist(dest: Path) -> Path:
    cache = Path(os.environ.get("HWB_BENCH_CACHE",
                                Path.home() / ".cache" / "hwb-bench")) / "sdists"
    found = sorted(cache.glob("attrs-*.tar.gz"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", "--index-url", "https://pypi.org/simple", REAL_SDIST,
                        "-d", str(cache)], check=True, capture_output=True)
        found = sorted(cache.glob("attrs-*.tar.gz"))
    with tarfile.open(found[0]) as tf:
        tf.extractall(dest, filter="data")
    [top] = [p for p in dest.iterdir() if p.is_dir()]
    return top


def shapes(work: Path) -> dict[str, Path]:
    made = {}
    for name, package in (("hatchling", "hatch_pkg"), ("setuptools", "st_pyproject"),
                          ("c-extension", "cext_simple")):
        made[name] = Path(shutil.copytree(PACKAGES / package, work / package))
    made["2000-modules"] = _many_modules(work / "manymods")
    made["real-sdist"] = _real_sdist(work / "real")
    return made


def commands(mode: str) -> dict[str, list[str]]:
    bindir = Path(sys.executable).parent
    hwb = shutil.which("hwb", path=str(bindir)) or "hwb"
    uv = shutil.which("uv", path=str(bindir)) or "uv"
    extra = MODES[mode]
    return {
        "hwb build": [hwb, "build", "-q", *extra],
        "uv build": [uv, "build", "--quiet", *extra],
        "build --installer uv": [sys.executable, "-m", "build", "--installer", "uv", *extra],
    }


def base_environ() -> dict[str, str]:
    env = dict(os.environ)
    # One index for every tool (PyPI): uv reads no pip configuration, so hwb reads none either.
    env["PIP_CONFIG_FILE"] = os.devnull
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT",
                "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
        env.pop(var, None)
    return env


def run_case(project: Path, mode: str, runs: int, warm: bool, caches: Path) -> dict[str, float]:
    env = base_environ()

    def fresh(name: str) -> dict[str, str]:
        run_env = dict(env)
        slot = caches / name.replace(" ", "-")
        if not warm:
            shutil.rmtree(slot, ignore_errors=True)
        run_env["HWB_CACHE_DIR"] = str(slot / "hwb")
        run_env["UV_CACHE_DIR"] = str(slot / "uv")
        return run_env

    def one(name: str, cmd: list[str]) -> float:
        shutil.rmtree(project / "dist", ignore_errors=True)
        return time_command(cmd, cwd=str(project), env=fresh(name))

    cmds = commands(mode)
    for name, cmd in cmds.items():  # the warm-up (and a check that each works)
        one(name, cmd)
    samples = alternate({n: functools.partial(one, n, c) for n, c in cmds.items()}, runs)
    return {n: statistics.median(v) for n, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--mode", action="append", default=[], choices=list(MODES))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hwb-bench-cold-"))
    kind = "warm" if args.warm else "cold"
    try:
        projects = shapes(work)
        print(f"{kind} caches, median of {args.runs}; ratio = hwb / fastest peer "
              f"(target <= {TARGET[kind]})")
        print(f"{'shape':<13} {'mode':<6} {'hwb s':>7} {'uv s':>7} {'build s':>8} "
              f"{'ratio':>6}  holds")
        for shape, project in projects.items():
            if args.only and shape not in args.only:
                continue
            for mode in args.mode or list(MODES):
                med = run_case(project, mode, args.runs, args.warm, work / "caches")
                best = min(med["uv build"], med["build --installer uv"])
                ratio = med["hwb build"] / best
                print(f"{shape:<13} {mode:<6} {med['hwb build']:>7.2f} {med['uv build']:>7.2f}"
                      f" {med['build --installer uv']:>8.2f} {ratio:>6.2f}  "
                      f"{'yes' if ratio <= TARGET[kind] else 'NO'}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
