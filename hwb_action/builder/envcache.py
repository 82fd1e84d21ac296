"""The build-environment cache as a whole: what it holds, a size bound, and cleaning.

Environments live in ``<cache>/envs/<key>/`` (:mod:`~hwb_action.builder.isolation`); each
use touches its ``.hwb-used`` file (an own file, outside the environment's record), so that
:func:`prune` removes the least recently used environments first until the cache fits its
bound.  Removal takes the environment's lock, as making one does, so a build that is using
or making an environment is never pulled from under.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from hwb_action.builder.envdigest import READY

USED = ".hwb-used"
SIZE = ".hwb-size"
"""The environment's size in bytes, written when it is made, so that listing the cache
after every build reads one small file per environment instead of walking it."""
MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class CachedEnv:
    """One cached environment."""

    path: Path
    size: int
    last_used: float
    complete: bool
    python: str
    requires: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "size": self.size, "last-used": self.last_used,
                "complete": self.complete, "python": self.python,
                "requires": list(self.requires)}


def _size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def record_size(path: Path) -> None:
    """Write the size of the environment at ``path`` (just made) next to its record."""
    with contextlib.suppress(OSError):
        (path / SIZE).write_text(str(_size(path)))


def _known_size(path: Path) -> int:
    try:
        return int((path / SIZE).read_text())
    except (OSError, ValueError):
        return _size(path)


def mark_used(path: Path) -> None:
    """Record that the environment at ``path`` was used now."""
    with contextlib.suppress(OSError):
        (path / USED).touch()


def entries(cache_dir: Path) -> list[CachedEnv]:
    """Every environment in the cache, least recently used first."""
    envs = cache_dir / "envs"
    if not envs.is_dir():
        return []
    found = []
    for path in envs.iterdir():
        if not path.is_dir() or path.is_symlink():
            continue
        info: dict[str, object] = {}
        with contextlib.suppress(OSError, ValueError):
            info = json.loads((path / READY).read_text())
        last = 0.0
        for name in (USED, READY):
            with contextlib.suppress(OSError):
                last = max(last, (path / name).stat().st_mtime)
        requires = info.get("requires")
        found.append(CachedEnv(
            path=path, size=_known_size(path), last_used=last or path.stat().st_mtime,
            complete=(path / READY).is_file(), python=str(info.get("python", "")),
            requires=tuple(str(r) for r in requires) if isinstance(requires, list) else ()))
    found.sort(key=lambda e: e.last_used)
    return found


def _remove(env: Path) -> bool:
    """Remove one environment under its lock; False when a build holds it."""
    lock = FileLock(str(env.parent / f"{env.name}.lock"))
    try:
        with lock.acquire(timeout=0):
            (env / READY).unlink(missing_ok=True)  # never half-removed yet "complete"
            shutil.rmtree(env, ignore_errors=True)
    except Timeout:
        return False
    with contextlib.suppress(OSError):
        os.unlink(env.parent / f"{env.name}.lock")
    return True


def prune(cache_dir: Path, max_bytes: int, *, keep: Collection[Path] = (),
          grace_seconds: float = 3600.0) -> list[CachedEnv]:
    """Remove the least recently used environments until the cache holds at most
    ``max_bytes``; ``keep`` (the ones this build used) and environments used in the last
    ``grace_seconds`` (a build running now may hold them: uses take no lock) stay.
    Returns what was removed."""
    if max_bytes <= 0:
        return []
    found = entries(cache_dir)
    total = sum(e.size for e in found)
    kept = {Path(p).resolve() for p in keep}
    now = time.time()
    removed = []
    for env in found:
        if total <= max_bytes:
            break
        if env.path.resolve() in kept or now - env.last_used < grace_seconds:
            continue
        if _remove(env.path):
            total -= env.size
            removed.append(env)
    return removed


def clean(cache_dir: Path) -> tuple[list[CachedEnv], list[CachedEnv]]:
    """Remove every environment no build holds: ``(removed, busy)``."""
    removed: list[CachedEnv] = []
    busy: list[CachedEnv] = []
    for env in entries(cache_dir):
        (removed if _remove(env.path) else busy).append(env)
    return removed, busy
