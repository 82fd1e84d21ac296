"""Shared helpers for the benchmark scripts: alternate commands, report medians, ratios and
peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence

PEAK_RSS_MB: dict[str, float] = {}
"""Contender name -> the largest peak RSS (MB) of any of its runs, filled by :func:`alternate`."""

_last = {"peak_mb": 0.0}  # the peak RSS of the last time_command run


def tool_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for the timed tools: bytecode may be written (``PYTHONDONTWRITEBYTECODE`` off),
    as for an installed package; otherwise hwb, run from this tree, would compile every
    module on every run while the peers load theirs from site-packages' bytecode."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def precompile() -> None:
    """Write the bytecode of the hwb_action under test once, before anything is timed."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("hwb_action")
    if spec is not None and spec.submodule_search_locations:
        for where in spec.submodule_search_locations:
            compileall.compile_dir(where, quiet=1)


def run_measured(cmd: Sequence[str], *, cwd: str, env: Mapping[str, str] | None = None
                 ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, peak RSS in MB, the finished process) of one run.

    The peak comes from ``wait4`` on this child: its rusage covers the child and every
    descendant it waited for (uv, the backend, the compiler), and, unlike
    ``getrusage(RUSAGE_CHILDREN)``, it is this run's alone, not the largest of all runs so far.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env) if env else None,
                                stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(list(cmd), proc.returncode, out.read(), err.read())
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, peak, done


def time_command(cmd: Sequence[str], *, cwd: str, env: Mapping[str, str] | None = None,
                 before: Callable[[], None] | None = None, ok: Collection[int] = (0,)) -> float:
    """Wall time of one run; fails loudly if the command exits with a code not in ``ok``.
    The run's peak RSS is kept for :func:`alternate` to record."""
    if before is not None:
        before()
    elapsed, peak, proc = run_measured(cmd, cwd=cwd, env=env)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    _last["peak_mb"] = peak
    return elapsed


def alternate(contenders: Mapping[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Run each contender once per round, rotating the order, ``runs`` rounds.  The peak RSS
    of each contender's runs made through :func:`time_command` lands in :data:`PEAK_RSS_MB`."""
    names = list(contenders)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for i in range(runs):
        order = names[i % len(names):] + names[: i % len(names)]
        for name in order:
            _last["peak_mb"] = 0.0
            samples[name].append(contenders[name]())
            if _last["peak_mb"]:
                PEAK_RSS_MB[name] = max(PEAK_RSS_MB.get(name, 0.0), _last["peak_mb"])
    return samples


def report(samples: Mapping[str, list[float]], baseline: str, subject: str = "hwb") -> str:
    """A table of medians (and peak RSS where known) and each contender's ratio, plus
    subject/baseline."""
    lines = [f"{'tool':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MB':>8}  runs"]
    for name, values in samples.items():
        peak = f"{PEAK_RSS_MB[name]:8.0f}" if name in PEAK_RSS_MB else f"{'-':>8}"
        lines.append(f"{name:<34} {statistics.median(values):>9.3f} {min(values):>7.3f} "
                     f"{max(values):>7.3f} {peak}  {len(values)}")
    base = statistics.median(samples[baseline])
    for name, values in samples.items():
        if name != baseline:
            lines.append(f"ratio {name} / {baseline}: {statistics.median(values) / base:.2f}")
    if subject in samples:
        ratio = statistics.median(samples[subject]) / base
        lines.append(f"=> {subject} = {ratio:.2f} x {baseline}")
    return "\n".join(lines)


def best_peer(samples: Mapping[str, list[float]], subject: str) -> tuple[str, float]:
    """(name, median) of the fastest contender other than ``subject``."""
    peers = {n: statistics.median(v) for n, v in samples.items() if n != subject}
    name = min(peers, key=lambda n: peers[n])
    return name, peers[name]
