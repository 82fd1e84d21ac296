"""Safe extraction of sdists and tarballs (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``,
``.tar``, ``.zip``).

Every member is checked before anything is written: no absolute paths, no ``..``
components, no path that runs through a link of the same archive, no link whose target
leaves the tree, no device files or FIFOs, no name or link target past 4096 characters,
and bounds on the number of members, on the sum of their sizes and on the ratio of that
sum to the archive's size (a zip/gzip bomb).  Tar pax and GNU long-name headers are
bounded before tarfile reads them into memory; a zip's directory is checked for
overlapping entries before anything is decompressed.

Then each member is extracted in turn, and checked again against what is already on
disk: its directory, a symlink's target and a hard link's source are resolved
(``realpath``, following the links extracted before it) and must stay inside the tree;
once all are written every symlink is resolved once more, since a later link can change
where an earlier one leads.  This holds on every interpreter, also those without
tarfile's extraction filters (before 3.11.4, e.g. Debian 12's 3.11.2); where the
``"data"`` filter exists it is applied as well.  Zip members go through :mod:`zipfile`,
which never creates links.  When a member is refused, whatever was extracted is removed.

The member checks live in :mod:`._guard`, tar extraction in :mod:`._tar`, zip layout
bounds in :mod:`hwb_action._zipcheck`; all of them import on Python 3.8 and later, so
that the tests can run them under interpreters without the filters.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Literal

from hwb_action._zipcheck import zip_problems
from hwb_action.errors import SourceError, UnsafeArchiveError
from hwb_action.source._guard import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RATIO,
    HOSTILE_HINT,
    MAX_NAME,
    Guard,
    Member,
    inside,
)
from hwb_action.source._tar import MAX_HEADER, extract_tar

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RATIO",
    "MAX_HEADER",
    "MAX_NAME",
    "archive_format",
    "safe_extract",
]

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
ZIP_SUFFIXES = (".zip",)
ARCHIVE_SUFFIXES = TAR_SUFFIXES + ZIP_SUFFIXES

ArchiveFormat = Literal["tar", "zip"]


def archive_format(path: Path | str) -> ArchiveFormat | None:
    """``"tar"`` or ``"zip"`` by the file name's suffix, else None."""
    name = os.fspath(path).lower()
    if name.endswith(TAR_SUFFIXES):
        return "tar"
    if name.endswith(ZIP_SUFFIXES):
        return "zip"
    return None


# -- zip ---------------------------------------------------------------------------------------

_ZIP_TARGET_MAX = 4096


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Member:
    mode = info.external_attr >> 16
    # Only archives made on Unix (create_system 3) carry a meaningful st_mode.
    if info.create_system == 3 and mode:
        if stat.S_ISLNK(mode):
            if info.file_size > _ZIP_TARGET_MAX:
                return Member(name=info.filename, kind="other", size=0,
                               why_other="symlink with an oversized target")
            link = zf.read(info).decode("utf-8", "replace")
            return Member(name=info.filename, kind="symlink", size=info.file_size, link=link)
        for test, what in (
            (stat.S_ISCHR, "character device"),
            (stat.S_ISBLK, "block device"),
            (stat.S_ISFIFO, "FIFO"),
            (stat.S_ISSOCK, "socket"),
        ):
            if test(mode):
                return Member(name=info.filename, kind="other", size=0, why_other=what)
    if info.is_dir():
        return Member(name=info.filename, kind="dir", size=0)
    return Member(name=info.filename, kind="file", size=info.file_size)


def _extract_zip(archive: Path, dest: Path, guard: Guard) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > guard.max_members:
                raise guard.refuse(
                    infos[guard.max_members].filename,
                    f"is past the limit of {guard.max_members} members",
                )
            checked: list[tuple[zipfile.ZipInfo, str]] = []
            for info in infos:
                checked.append((info, guard.check(_zip_member(zf, info))))
            problems = zip_problems(zf, guard.archive_size, max_members=guard.max_members,
                                    max_bytes=guard.max_bytes, max_ratio=guard.max_ratio)
            if problems:
                msg = f"refusing to extract {archive.name}: it {problems[0]}"
                raise UnsafeArchiveError(msg, file=str(archive), hint=HOSTILE_HINT)
            root = os.path.realpath(dest)
            for info, name in checked:
                target = dest.joinpath(*name.split("/"))
                if not inside(root, os.path.realpath(target.parent)):
                    raise guard.refuse(info.filename, "would be written outside the tree "
                                                      "through a link")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # zipfile stops reading at the declared size and checks the CRC, so the
                # bound checked above is the bound written.
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
                mode = (info.external_attr >> 16) & 0o777
                if info.create_system == 3 and mode & 0o111:
                    target.chmod(0o755)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
        msg = f"cannot read {archive.name}: {err}"
        raise SourceError(msg, file=str(archive), hint="the archive is truncated or not "
                          "a zip archive; download or build it again") from err


def _empty(dest: Path) -> None:
    for entry in list(dest.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink()


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_ratio: int = DEFAULT_MAX_RATIO,
) -> Path:
    """Extract ``archive`` into ``dest`` (a new or empty directory) after checking every member.

    Returns the single top-level directory when the archive holds exactly one (as an
    sdist does), else ``dest``.  Raises :class:`UnsafeArchiveError` naming the archive
    and the member for anything that could escape or exhaust ``dest``.
    """
    fmt = archive_format(archive)
    if fmt is None:
        msg = f"{archive.name} is not a supported archive"
        raise SourceError(msg, file=str(archive),
                          hint="supported: " + ", ".join(ARCHIVE_SUFFIXES))
    if not archive.is_file():
        msg = f"archive not found: {archive}"
        raise SourceError(msg, file=str(archive))
    dest.mkdir(parents=True, exist_ok=True)
    was_empty = not any(dest.iterdir())
    guard = Guard(archive, max_bytes=max_bytes, max_members=max_members, max_ratio=max_ratio)
    try:
        if fmt == "tar":
            extract_tar(archive, dest, guard)
        else:
            _extract_zip(archive, dest, guard)
    except UnsafeArchiveError:
        if was_empty:  # leave no half-extracted tree, and no link that escapes, behind
            _empty(dest)
        raise
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest
