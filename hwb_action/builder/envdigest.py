"""What a cached build environment holds, recorded so that a changed one is noticed.

The record is the environment's marker (``.hwb-ready``, written last when the environment
is complete) and its content manifest (``.hwb-manifest.json``);
:func:`verify` compares an environment with its record before reuse, and
:func:`changed_since` with what was verified in memory, after a build used it.

Two records of one tree (every entry under it except hwb's own ``.hwb-*`` files at its top):

- the **content manifest**: per entry its kind, permission bits and the sha256 of its bytes
  (of its target, for a symlink).  Authoritative, and what a warning names the changes from;
  it costs a read of every byte (about 10 ms for a setuptools or hatchling environment).
- the **stat seal**: one digest of every entry's path, mode, size, inode, mtime and ctime.
  ``ctime`` is set by the kernel on every write, rename, chmod or link and cannot be set by
  a process (``os.utime`` cannot; only moving the system clock could), so an unchanged seal
  means unchanged bytes without reading them (about 1 ms).  Windows' ``st_ctime`` is the
  creation time, which proves nothing there: :data:`SEAL_PROVES_CONTENT` is false and the
  content is compared.

Directories count by path and mode only: a file made and removed again (a lock, a temporary
file) leaves nothing to run, but would change its directory's times.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb_action.ci import Reporter

OWN_PREFIX = ".hwb-"
"""Files at the top of an environment with this prefix are hwb's (marker, manifest, the
hook server's preload list), written after the environment was recorded."""

SEAL_PROVES_CONTENT = os.name != "nt"
READY = ".hwb-ready"
MANIFEST = ".hwb-manifest.json"
_FORMAT = 2  # the marker's layout: 2 records the content (markers without it are rebuilt)


@dataclass(frozen=True)
class Verified:
    """What hwb knows of an environment it hands out, kept in memory where no build can
    change it."""

    seal: str
    content: str


def _entries(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every entry under ``root`` (relative POSIX path, lstat), symlinks not followed."""
    found: list[tuple[str, os.stat_result]] = []
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, rel = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                if not rel and entry.name.startswith(OWN_PREFIX):
                    continue
                name = f"{rel}{entry.name}"
                st = entry.stat(follow_symlinks=False)
                found.append((name, st))
                if stat.S_ISDIR(st.st_mode):
                    stack.append((entry.path, name + "/"))
    found.sort(key=lambda item: item[0])
    return found


def stat_seal(root: Path) -> str:
    """The stat seal of ``root`` (see the module docstring)."""
    digest = hashlib.sha256()
    for name, st in _entries(root):
        if stat.S_ISDIR(st.st_mode):
            line = f"{name}\0{st.st_mode}\n"
        else:
            line = (f"{name}\0{st.st_mode}\0{st.st_size}\0{st.st_ino}\0{st.st_mtime_ns}\0"
                    f"{st.st_ctime_ns}\n")
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def content_manifest(root: Path) -> dict[str, str]:
    """The content manifest of ``root``: relative path -> ``kind:mode:digest``."""
    manifest: dict[str, str] = {}
    for name, st in _entries(root):
        mode = f"{stat.S_IMODE(st.st_mode):o}"
        full = os.path.join(root, name)
        if stat.S_ISDIR(st.st_mode):
            manifest[name] = f"dir:{mode}"
        elif stat.S_ISLNK(st.st_mode):
            manifest[name] = f"link:{os.readlink(full)}"
        elif stat.S_ISREG(st.st_mode):
            manifest[name] = f"file:{mode}:{_file_sha256(full)}"
        else:  # a fifo or socket has no business in an environment: record that it is there
            manifest[name] = f"other:{st.st_mode:o}"
    return manifest


def manifest_digest(manifest: dict[str, str]) -> str:
    """One digest of a content manifest."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def describe_changes(before: dict[str, str], after: dict[str, str], limit: int = 5) -> str:
    """``added x, changed y, removed z`` between two manifests, the first ``limit`` named."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    parts = []
    for label, names in (("added", added), ("changed", changed), ("removed", removed)):
        if names:
            more = f" and {len(names) - limit} more" if len(names) > limit else ""
            parts.append(f"{label} {', '.join(names[:limit])}{more}")
    return "; ".join(parts) or "its record is missing or unreadable"


def write_record(path: Path, *, requires: Sequence[str], python: str) -> Verified:
    """Record the environment at ``path`` as it is now, and mark it complete (last)."""
    manifest = content_manifest(path)
    verified = Verified(seal=stat_seal(path), content=manifest_digest(manifest))
    (path / MANIFEST).write_text(json.dumps(manifest, sort_keys=True))
    _write_marker(path, verified, {"requires": list(requires), "python": python,
                                   "created": time.time()})
    return verified


def _write_marker(path: Path, verified: Verified, info: dict[str, object]) -> None:
    tmp = path / f"{READY}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({**info, "format": _FORMAT, "seal": verified.seal,
                               "content": verified.content}))
    os.replace(tmp, path / READY)


def _recorded_changes(path: Path, manifest: dict[str, str]) -> str:
    try:
        recorded = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        recorded = {}
    return describe_changes(recorded if isinstance(recorded, dict) else {}, manifest)


def verify(path: Path, reporter: Reporter, *, warn: bool = True) -> Verified | None:
    """The record of the finished environment at ``path`` if the environment still holds
    exactly what it recorded; ``None`` if it must be made (again), with a warning naming
    the changes when it was changed."""
    marker = path / READY
    if not marker.is_file():
        return None  # never made, or a build was killed while making it
    try:
        info = json.loads(marker.read_text())
        seal, content = str(info["seal"]), str(info["content"])
        if info.get("format") != _FORMAT:
            raise ValueError(info.get("format"))
    except (OSError, ValueError, KeyError, TypeError):
        if warn:
            reporter.info(f"rebuilding the cached build environment {path}: it has no "
                          "record of its content (made by an older hwb)")
        return None
    now = stat_seal(path)
    if now == seal and SEAL_PROVES_CONTENT:
        return Verified(seal=seal, content=content)
    manifest = content_manifest(path)
    if manifest_digest(manifest) == content:
        # The same bytes with new inodes or times (a cache restored from an archive).
        verified = Verified(seal=now, content=content)
        with contextlib.suppress(OSError):
            _write_marker(path, verified, {k: v for k, v in info.items()
                                           if k in ("requires", "python", "created")})
        return verified
    if warn:
        reporter.warning(f"the cached build environment {path} was changed after hwb made it "
                         f"({_recorded_changes(path, manifest)}); rebuilding it, so that "
                         "nothing a build wrote there runs")
    return None


def changed_since(path: Path, verified: Verified) -> str | None:
    """What changed in the environment at ``path`` since it was ``verified``, or ``None``."""
    if not (path / READY).is_file():
        return None  # another build found it changed and is making it again
    try:
        if SEAL_PROVES_CONTENT and stat_seal(path) == verified.seal:
            return None
        manifest = content_manifest(path)
    except OSError:
        return None
    if manifest_digest(manifest) == verified.content:
        return None
    return _recorded_changes(path, manifest)
