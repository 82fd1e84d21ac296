"""Shared helpers for the benchmark scripts: alternate commands, report medians and ratios."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence


def time_command(cmd: Sequence[str], *, cwd: str, env: Mapping[str, str] | None = None,
                 before: Callable[[], None] | None = None) -> float:
    """Wall time of one run; fails loudly if the command fails."""
    if before is not None:
        before()
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=dict(env) if env else None,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def alternate(contenders: Mapping[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Run each contender once per round, rotating the order, ``runs`` rounds."""
    names = list(contenders)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for i in range(runs):
        order = names[i % len(names):] + names[: i % len(names)]
        for name in order:
            samples[name].append(contenders[name]())
    return samples


def report(samples: Mapping[str, list[float]], baseline: str, subject: str = "hwb") -> str:
    """A table of medians and each contender's ratio, plus subject/baseline."""
    lines = [f"{'tool':<28} {'median s':>9} {'min s':>7} {'max s':>7}  runs"]
    for name, values in samples.items():
        lines.append(f"{name:<28} {statistics.median(values):>9.3f} {min(values):>7.3f} "
                     f"{max(values):>7.3f}  {len(values)}")
    base = statistics.median(samples[baseline])
    for name, values in samples.items():
        if name != baseline:
            lines.append(f"ratio {name} / {baseline}: {statistics.median(values) / base:.2f}")
    if subject in samples:
        ratio = statistics.median(samples[subject]) / base
        lines.append(f"=> {subject} = {ratio:.2f} x {baseline}")
    return "\n".join(lines)
