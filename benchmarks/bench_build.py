"""Benchmark for `hwb build` on five project shapes, cold and warm (issue 18).

Shapes: a pure hatchling project, a setuptools project, a C extension (setuptools), a
2,000-module hatchling project generated here, and a real sdist downloaded from PyPI once
(cached in ~/.cache/hwb-bench) and unpacked.  Modes: sdist + wheel, ``--sdist``,
``--wheel``.  Contenders: ``hwb build``, ``uv build`` and ``python -m build --installer
uv``, all with the same interpreter and from PyPI.  Cold: fresh ``HWB_CACHE_DIR`` and
``UV_CACHE_DIR`` for every run (emptied before the clock starts); warm: one cache per tool,
filled before timing.  Alternating, median of RUNS (default 5); each case prints the
medians, the peak RSS and hwb / the fastest peer, and a table of every case ends the run.

    python benchmarks/bench_build.py [RUNS] [--shapes hatch,setuptools,cext,many,real]
                                     [--modes full,sdist,wheel] [--caches cold,warm]

Targets: cold <= 0.8 x the fastest peer in every case, warm <= 0.6 x.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import PEAK_RSS_MB, alternate, best_peer, precompile, report, time_command, tool_env

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "tests" / "packages"
REAL = ("packaging", "24.2")  # flit-core; a real project's sdist as PyPI serves it
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hwb-bench"
MODES = {"full": [], "sdist": ["--sdist"], "wheel": ["--wheel"]}


def many_modules(dest: Path, count: int = 2000) -> Path:
    """A hatchling project of ``count`` modules in packages of 100."""
    (dest / "src" / "many").mkdir(parents=True)
    (dest / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "many-modules"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n'
        'description = "2,000 modules"\n\n[tool.hatch.build.targets.wheel]\n'
        'packages = ["src/many"]\n')
    (dest / "src" / "many" / "__init__.py").write_text("")
    for i in range(count):
        pkg = dest / "src" / "many" / f"p{i // 100:02d}"
        if not pkg.exists():
            pkg.mkdir()
            (pkg / "__init__.py").write_text("")
        (pkg / f"m{i:04d}.py").write_text(
            f'"""Module {i}."""\n\n\ndef value() -> int:\n    return {i}\n')
    return dest


def real_sdist(dest: Path) -> Path:
    """The real sdist, downloaded once into the cache, unpacked into ``dest``."""
    name, version = REAL
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{name}-{version}.tar.gz"
    if not cached.exists():
        request = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                                         headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            files = json.load(resp)["files"]
        entry = next(f for f in files if f["filename"] == cached.name)
        with urllib.request.urlopen(entry["url"], timeout=120) as resp:
            data = resp.read()
        if hashlib.sha256(data).hexdigest() != entry["hashes"]["sha256"]:
            raise SystemExit(f"{cached.name}: the download does not match PyPI's sha256")
        partial = cached.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(cached)
    with tarfile.open(cached) as tar:
        tar.extractall(dest, filter="data")
    return next(p for p in dest.iterdir() if p.is_dir())


def make_shapes(work: Path, wanted: list[str]) -> dict[str, Path]:
    makers: dict[str, Callable[[Path], Path]] = {
        "hatch": lambda d: Path(shutil.copytree(PACKAGES / "hatch_pkg", d)),
        "setuptools": lambda d: Path(shutil.copytree(PACKAGES / "st_pyproject", d)),
        "cext": lambda d: Path(shutil.copytree(PACKAGES / "cext_simple", d)),
        "many": many_modules,
        "real": real_sdist,
    }
    return {name: makers[name](work / "src" / name) for name in wanted}


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HWB_", "UV_", "PIP_", "GITHUB_", "GITLAB_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--shapes", default="hatch,setuptools,cext,many,real")
    parser.add_argument("--modes", default="full,sdist,wheel")
    parser.add_argument("--caches", default="cold,warm")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hwb-bench-build-"))
    bindir = Path(sys.executable).parent
    hwb = shutil.which("hwb", path=str(bindir)) or "hwb"
    uv = shutil.which("uv", path=str(bindir)) or "uv"
    env0 = tool_env(base_env())
    precompile()
    # `python -m build --installer uv` finds uv on PATH.
    env0["PATH"] = f"{bindir}{os.pathsep}{env0.get('PATH', '')}"
    rows: list[str] = []
    try:
        shapes = make_shapes(work, args.shapes.split(","))
        for cache in args.caches.split(","):
            for shape, project in shapes.items():
                for mode in args.modes.split(","):
                    rows.append(run_case(work, project, shape, mode, cache, args.runs,
                                         env0, hwb=hwb, uv=uv))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| case | hwb s | uv build s | build --installer uv s | hwb / best peer | "
          "peak RSS hwb MB |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def run_case(work: Path, project: Path, shape: str, mode: str, cache: str, runs: int,
             env0: dict[str, str], *, hwb: str, uv: str) -> str:
    flags = MODES[mode]
    out = work / "out"
    tools = {
        "hwb build": [hwb, "build", "-o", str(out), *flags],
        "uv build": [uv, "build", "--quiet", "--python", sys.executable, "-o", str(out),
                     *flags],
        "build --installer uv": [sys.executable, "-m", "build", "--installer", "uv",
                                 "-o", str(out), *flags],
    }
    contenders: dict[str, Callable[[], float]] = {}
    for name, cmd in tools.items():
        caches = work / "caches" / f"{shape}-{mode}-{cache}-{name.split()[0]}"
        env = {**env0, "HWB_CACHE_DIR": str(caches / "hwb"), "UV_CACHE_DIR": str(caches / "uv")}

        def before(caches: Path = caches, cold: bool = cache == "cold") -> None:
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(project / "dist", ignore_errors=True)
            shutil.rmtree(project / "build", ignore_errors=True)
            if cold:
                shutil.rmtree(caches, ignore_errors=True)
            caches.mkdir(parents=True, exist_ok=True)

        run = functools.partial(time_command, cmd, cwd=str(project), env=env, before=before)
        if cache == "warm":
            run()  # fill this tool's caches once
        contenders[name] = run
    for name in tools:
        PEAK_RSS_MB.pop(name, None)
    samples = alternate(contenders, runs)
    title = f"{shape}, {mode}, {cache} caches"
    print(f"\n## {title}")
    print(report(samples, baseline="uv build", subject="hwb build"))
    peer, peer_median = best_peer(samples, "hwb build")
    hwb_median = statistics.median(samples["hwb build"])
    print(f"=> hwb build = {hwb_median / peer_median:.2f} x {peer} (best peer)", flush=True)
    shutil.rmtree(work / "caches", ignore_errors=True)
    return (f"| {title} | {hwb_median:.2f} | {statistics.median(samples['uv build']):.2f} | "
            f"{statistics.median(samples['build --installer uv']):.2f} | "
            f"{hwb_median / peer_median:.2f} | {PEAK_RSS_MB.get('hwb build', 0):.0f} |")


if __name__ == "__main__":
    main()
