"""The output directory: checked before anything is built, a staging directory inside it
where built files wait until every check passed (so that a failed or interrupted build leaves
nothing half-written), and a lock that builds sharing it take while they move files in and
write ``SHA256SUMS``."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hwb_action.errors import BuildError
from hwb_action.options import BuildOptions

# Another build holds the lock only while it moves files and writes checksums (seconds);
# waiting longer than this means it hangs.
LOCK_TIMEOUT = 300.0


def check_out_dir(out_dir: Path, options: BuildOptions) -> None:
    """Refuse, before building, an output directory that is a file or cannot be written."""
    existing = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
    if existing is None:
        return
    if not existing.is_dir():
        what = "is a file" if existing == out_dir else f"is under {existing}, which is a file"
        raise options.settings.error(
            "out-dir", f"{out_dir} {what}, not a directory",
            hint="pass a directory with -o/--out-dir (it is created if missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise options.settings.error(
            "out-dir", f"{existing} is not writable by this user",
            hint="pass a directory you can write with -o/--out-dir, or fix its permissions")


@contextlib.contextmanager
def staging_dir(out_dir: Path) -> Iterator[Path]:
    """A fresh staging directory inside ``out_dir``, removed afterwards (with ``out_dir``
    itself when this build created it and left it empty)."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".hwb-staging-", dir=out_dir))
    except OSError as err:
        msg = f"cannot create the output directory {out_dir}: {err.strerror or err}"
        raise BuildError(msg, hint="pass a directory you can write with -o/--out-dir"
                         ) from err
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            # A failed first build leaves no empty dist/ behind (rmdir fails if not empty).
            with contextlib.suppress(OSError):
                out_dir.rmdir()


@contextlib.contextmanager
def out_dir_lock(out_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the output directory's lock: one build at a time moves files in and writes
    ``SHA256SUMS``, so the sums always describe the files on disk."""
    if sys.platform == "win32":
        with _file_lock(out_dir, timeout):
            yield
        return
    # On POSIX the directory itself is locked (flock on its descriptor): a lock file inside
    # would end up in `dist/*` uploads and artifacts.
    import fcntl

    fd = os.open(out_dir, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _lock_timeout(out_dir, timeout) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _file_lock(out_dir: Path, timeout: float) -> Iterator[None]:
    import filelock

    key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    lock = filelock.FileLock(Path(tempfile.gettempdir()) / f"hwb-out-{key}.lock")
    try:
        with lock.acquire(timeout=timeout):
            yield
    except filelock.Timeout as err:
        raise _lock_timeout(out_dir, timeout) from err


def _lock_timeout(out_dir: Path, timeout: float) -> BuildError:
    msg = f"another build held the lock on {out_dir} for more than {timeout:.0f} s"
    return BuildError(msg, hint="check for a hung hwb process writing into the same "
                      "directory, or build into another --out-dir")
