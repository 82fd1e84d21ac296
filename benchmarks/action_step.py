"""The action on a cold runner: installing hwb-action, then the build step against the peer.

Install: what every CI job pays first, timed from an empty uv and pip cache and an empty
RUNNER_TEMP (a fresh one per run), through action.yml's hwb step as the runner drives it
(bash, entrypoint.py): for `plan` and `build`, with uv on PATH and with no uv on PATH (the
pinned uv is bootstrapped with pip).  The figure is the entrypoint's own "ready in" (venv,
hash-checked lock, hwb-action); the whole step is printed beside it.  `--baseline` adds the
unpinned install it replaced (`uv pip install ACTION_DIR` and `pip install ACTION_DIR`: every
dependency resolved at job time).

Build step (warm: the environment made earlier in the job): `hwb build` (sdist, wheel from the
sdist, checks, SHA256SUMS) against `python -m build && python -m twine check dist/*` in the
same Python, on tests/packages/action_demo.  Alternating, median of RUNS (default 5).

    python benchmarks/action_step.py [RUNS] [--baseline]
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.action_support import run_step  # noqa: E402

FIXTURE = ROOT / "tests" / "packages" / "action_demo"
_READY = re.compile(r"hwb-action: \S+ ready in ([0-9.]+)s")


def _fresh(base: Path, name: str) -> Path:
    ws = base / name
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(FIXTURE, ws)
    return ws


def _cold(base: Path, name: str) -> tuple[Path, dict[str, str]]:
    """An empty RUNNER_TEMP and empty caches: a new CI job."""
    job = base / name
    shutil.rmtree(job, ignore_errors=True)
    (job / "uv-cache").mkdir(parents=True)
    (job / "pip-cache").mkdir()
    return job / "runner-temp", {"UV_CACHE_DIR": str(job / "uv-cache"),
                                 "PIP_CACHE_DIR": str(job / "pip-cache")}


def time_install(base: Path, command: str, *, uv_on_path: bool) -> tuple[float, float]:
    """(install, whole step) seconds for ``command`` in a new job."""
    runner_temp, env = _cold(base, "job")
    if not uv_on_path:
        bin_dir = base / "no-uv-bin"
        bin_dir.mkdir(exist_ok=True)
        if not (bin_dir / "python3").exists():
            (bin_dir / "python3").symlink_to(sys.executable)
        env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    start = time.perf_counter()
    step = run_step({"command": command, "verbose": "true"}, workspace=_fresh(base, "ws"),
                    runner_temp=runner_temp, extra_env=env)
    whole = time.perf_counter() - start
    found = _READY.search(step.log)
    if step.returncode != 0 or not found:
        raise SystemExit(step.log)
    return float(found.group(1)), whole


def time_baseline(base: Path, installer: str) -> float:
    """The install the lock replaced: hwb-action and its dependencies resolved at job time."""
    runner_temp, env = _cold(base, "job")
    venv = runner_temp / "venv"
    python = str(venv / "bin" / "python")
    full = {**os.environ, **env, "PIP_CONFIG_FILE": os.devnull}
    full.pop("PIP_FIND_LINKS", None)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    steps = {
        "uv": [[uv, "venv", "-q", "--python", sys.executable, str(venv)],
               [uv, "pip", "install", "-q", "--python", python, str(ROOT)]],
        "pip": [[sys.executable, "-m", "venv", str(venv)],
                [python, "-m", "pip", "install", "-q", str(ROOT)]],
    }[installer]
    start = time.perf_counter()
    for cmd in steps:
        subprocess.run(cmd, env=full, check=True, capture_output=True)
    return time.perf_counter() - start


def time_hwb(base: Path, runner_temp: Path) -> float:
    ws = _fresh(base, "hwb")
    start = time.perf_counter()
    step = run_step({"command": "build"}, workspace=ws, runner_temp=runner_temp)
    elapsed = time.perf_counter() - start
    if step.returncode != 0:
        raise SystemExit(step.log)
    return elapsed


def time_peer(base: Path) -> float:
    ws = _fresh(base, "peer")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "build", "--outdir", "dist", "."], cwd=ws, check=True,
                   capture_output=True)
    dists = sorted(str(p) for p in (ws / "dist").iterdir())
    subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *dists], cwd=ws,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def _show(label: str, values: list[float]) -> None:
    print(f"{label}: median {statistics.median(values):.2f}s  {[round(v, 2) for v in values]}")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(args[0]) if args else 5
    with tempfile.TemporaryDirectory(prefix="hwb-bench-") as tmp:
        base = Path(tmp)
        cases: dict[str, Callable[[], tuple[float, float]]] = {
            f"{command}, uv {where}": functools.partial(time_install, base, command,
                                                        uv_on_path=on_path)
            for command in ("plan", "build")
            for where, on_path in (("on PATH", True), ("bootstrapped", False))
        }
        install: dict[str, list[float]] = {name: [] for name in cases}
        whole: dict[str, list[float]] = {name: [] for name in cases}
        baseline: dict[str, list[float]] = {"uv": [], "pip": []}
        for _ in range(runs):
            for name, case in cases.items():
                ready, step = case()
                install[name].append(ready)
                whole[name].append(step)
            if "--baseline" in sys.argv:
                for installer, values in baseline.items():
                    values.append(time_baseline(base, installer))
        print(f"cold install (empty caches, empty RUNNER_TEMP), median of {runs}:")
        for name in cases:
            _show(f"  install for {name}", install[name])
            _show(f"    whole step {name}", whole[name])
        for installer, values in baseline.items():
            if values:
                _show(f"  before: unpinned {installer} install of everything", values)
        runner_temp = base / "warm-runner-temp"
        first = run_step({"command": "build"}, workspace=_fresh(base, "warm"),
                         runner_temp=runner_temp)
        if first.returncode != 0:
            raise SystemExit(first.log)
        hwb: list[float] = []
        peer: list[float] = []
        for _ in range(runs):
            hwb.append(time_hwb(base, runner_temp))
            peer.append(time_peer(base))
        _show("hwb action build step (warm)", hwb)
        _show("python -m build + twine check", peer)
        print(f"ratio hwb/peer: {statistics.median(hwb) / statistics.median(peer):.2f}")


if __name__ == "__main__":
    main()
