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

This module and :mod:`hwb_action._zipcheck` import on Python 3.8 and later, so that the
tests can run them under interpreters without the filters.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

from hwb_action._zipcheck import zip_problems
from hwb_action.errors import SourceError, UnsafeArchiveError

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Sum of the (declared) sizes of all members."""
DEFAULT_MAX_MEMBERS = 100_000
DEFAULT_MAX_RATIO = 200
"""Uncompressed bytes per archive byte; text sdists compress about 5:1, bombs 1000:1."""
RATIO_FLOOR = 16 * 1024**2
"""The ratio guard applies only once this many bytes would be written."""
MAX_NAME = 4096
"""Characters in a member name or link target (PATH_MAX on Linux)."""
MAX_HEADER = 1024**2
"""Bytes in one pax or GNU long-name header, checked before tarfile reads it."""

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
ZIP_SUFFIXES = (".zip",)
ARCHIVE_SUFFIXES = TAR_SUFFIXES + ZIP_SUFFIXES

_DRIVE = re.compile(r"^[A-Za-z]:")
_HOSTILE_HINT = ("the archive is malformed or hostile; rebuild it with `python -m build "
                 "--sdist` or fetch it again from a trusted place")

ArchiveFormat = Literal["tar", "zip"]
MemberKind = Literal["file", "dir", "symlink", "hardlink", "other"]


def archive_format(path: Path | str) -> ArchiveFormat | None:
    """``"tar"`` or ``"zip"`` by the file name's suffix, else None."""
    name = os.fspath(path).lower()
    if name.endswith(TAR_SUFFIXES):
        return "tar"
    if name.endswith(ZIP_SUFFIXES):
        return "zip"
    return None


class _Member(NamedTuple):
    name: str
    kind: MemberKind
    size: int
    link: str = ""
    why_other: str = ""


class _Guard:
    """The checks shared by tar and zip, fed one member at a time in archive order."""

    def __init__(self, archive: Path, *, max_bytes: int, max_members: int, max_ratio: int):
        self.archive = archive
        self.max_bytes = max_bytes
        self.max_members = max_members
        self.max_ratio = max_ratio
        self.archive_size = max(archive.stat().st_size, 1)
        self.count = 0
        self.total = 0
        self.links: set[str] = set()
        self.names: set[str] = set()

    def refuse(self, member: str, why: str) -> UnsafeArchiveError:
        msg = f"refusing to extract {self.archive.name}: member {member!r} {why}"
        return UnsafeArchiveError(msg, file=str(self.archive), hint=_HOSTILE_HINT)

    def check(self, member: _Member) -> str:
        """Check one member; returns its normalised name."""
        self.count += 1
        if self.count > self.max_members:
            raise self.refuse(member.name, f"is past the limit of {self.max_members} members")
        name = _check_name(self, member.name)
        if len(member.link) > MAX_NAME:
            raise self.refuse(member.name, f"has a link target longer than {MAX_NAME} "
                                           "characters")
        if member.kind == "other":
            raise self.refuse(member.name, f"is a {member.why_other}, not a file or directory")
        if member.kind == "symlink":
            if not member.link or member.link.startswith("/") or _DRIVE.match(member.link):
                raise self.refuse(member.name, f"is a symlink to an absolute path {member.link!r}")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.link))
            if target == ".." or target.startswith("../"):
                raise self.refuse(
                    member.name, f"is a symlink whose target {member.link!r} leaves the tree"
                )
        if member.kind == "hardlink":
            target = posixpath.normpath(member.link.replace("\\", "/")) if member.link else ""
            if (
                not target
                or target.startswith("/")
                or _DRIVE.match(target)
                or target == ".."
                or target.startswith("../")
            ):
                raise self.refuse(
                    member.name, f"is a hard link whose target {member.link!r} leaves the tree"
                )
        # A path that runs through a link of this archive could be redirected anywhere,
        # and a second member with a link's name would be written through that link.
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            if "/".join(parts[:i]) in self.links:
                raise self.refuse(member.name, "would be written through a link in the archive")
        if member.kind in ("symlink", "hardlink"):
            if name in self.names:
                raise self.refuse(member.name, "is a link that replaces an earlier member")
            self.links.add(name)
        self.names.add(name)
        self.total += member.size
        if self.total > self.max_bytes:
            raise self.refuse(
                member.name,
                f"takes the archive past {_mib(self.max_bytes)} uncompressed "
                f"({_mib(self.total)} so far)",
            )
        if self.total > RATIO_FLOOR and self.total > self.max_ratio * self.archive_size:
            raise self.refuse(
                member.name,
                f"takes the archive past a compression ratio of {self.max_ratio}:1 "
                f"({_mib(self.total)} from {_mib(self.archive_size)}): a decompression bomb",
            )
        return name


def _mib(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB"


def _check_name(guard: _Guard, raw: str) -> str:
    if not raw or "\x00" in raw:
        raise guard.refuse(raw, "has an empty or NUL-containing name")
    if len(raw) > MAX_NAME:
        raise guard.refuse(raw[:60] + "...", f"has a name longer than {MAX_NAME} characters")
    # Backslashes are separators on Windows: judge the name as Windows would read it too.
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise guard.refuse(raw, "has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise guard.refuse(raw, "has a '..' component")
    return "/".join(parts) or "."


# -- tar ---------------------------------------------------------------------------------------


def _tar_member(info: tarfile.TarInfo) -> _Member:
    if info.isreg():
        return _Member(name=info.name, kind="file", size=info.size)
    if info.isdir():
        return _Member(name=info.name, kind="dir", size=0)
    if info.issym():
        return _Member(name=info.name, kind="symlink", size=0, link=info.linkname)
    if info.islnk():
        return _Member(name=info.name, kind="hardlink", size=0, link=info.linkname)
    what = (
        "character device" if info.ischr()
        else "block device" if info.isblk()
        else "FIFO" if info.isfifo()
        else f"member of tar type {info.type!r}"
    )
    return _Member(name=info.name, kind="other", size=info.size, why_other=what)


class _HeaderTooLarge(Exception):
    """A pax or GNU long-name header larger than :data:`MAX_HEADER` (raised before it is
    read, from inside tarfile's header parsing)."""


_LONG_HEADERS = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                 tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


class _BoundedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses an oversized extended header before tarfile reads it whole.

    ``_proc_member`` is where tarfile dispatches on the header type (the same since
    Python 2); the size it holds is the header's declared length.
    """

    def _proc_member(self, tf: tarfile.TarFile) -> Any:
        if self.type in _LONG_HEADERS and self.size > MAX_HEADER:
            raise _HeaderTooLarge(
                f"is an extended header of {self.size} bytes (the limit is {MAX_HEADER})"
            )
        return super()._proc_member(tf)  # type: ignore[misc]


def _iter_tar(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    # Lazily, so that a bomb is refused at its first oversized header, before the
    # decompressor has to skip through its data.
    while True:
        info = tf.next()
        if info is None:
            return
        yield info


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_on_disk(guard: _Guard, root: str, info: tarfile.TarInfo, name: str) -> None:
    """Resolve where ``info`` would land, and what a link of it points to, against the
    tree as extracted so far (links included); all of it must stay under ``root``."""
    target = os.path.join(root, *name.split("/"))
    if not _inside(root, os.path.realpath(os.path.dirname(target))):
        raise guard.refuse(info.name, "would be written outside the tree through a link "
                                      "extracted before it")
    if info.issym():
        where = os.path.realpath(os.path.join(os.path.dirname(target), info.linkname))
        if not _inside(root, where):
            raise guard.refuse(info.name, f"is a symlink to {info.linkname!r}, which leaves "
                                          "the tree through a link extracted before it")
    elif info.islnk():
        # As tarfile joins it (and the kernel then follows the links on the way).
        source = os.path.join(root, info.linkname)
        where = os.path.realpath(source)
        if not _inside(root, where):
            raise guard.refuse(info.name, f"is a hard link to {info.linkname!r}, which leaves "
                                          "the tree through a link")
        if os.path.islink(source) or not os.path.isfile(where):
            raise guard.refuse(info.name, f"is a hard link to {info.linkname!r}, which is not "
                                          "a regular file extracted before it")


def _check_links_after(guard: _Guard, root: str) -> None:
    """Every symlink in the finished tree still resolves inside it (a link extracted later
    can change where an earlier one leads)."""
    for top, dirs, files in os.walk(root):
        for entry in dirs + files:
            path = os.path.join(top, entry)
            if os.path.islink(path) and not _inside(root, os.path.realpath(path)):
                member = os.path.relpath(path, root).replace(os.sep, "/")
                raise guard.refuse(member, f"is a symlink to {os.readlink(path)!r}, which "
                                           "leaves the tree through another link")


def _extract_one(tf: tarfile.TarFile, info: tarfile.TarInfo, dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        tf.extract(info, dest, filter="data")
        return
    # Python before 3.11.4 has no extraction filters: the guard and the on-disk checks
    # have vetted the member; write it without owners or special permission bits.
    if info.isdir():
        info.mode = 0o755
    else:
        info.mode = ((info.mode or 0o644) & 0o755) | 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tf.extract(info, dest)


def _extract_tar(archive: Path, dest: Path, guard: _Guard) -> None:
    try:
        with tarfile.open(archive, "r:*", tarinfo=_BoundedTarInfo) as tf:
            members: list[tuple[tarfile.TarInfo, str]] = []
            try:
                for info in _iter_tar(tf):
                    members.append((info, guard.check(_tar_member(info))))
            except _HeaderTooLarge as err:
                after = members[-1][0].name if members else "(the first)"
                raise guard.refuse(f"after {after}", str(err)) from err
            root = os.path.realpath(dest)
            for info, name in members:
                _check_on_disk(guard, root, info, name)
                try:
                    _extract_one(tf, info, dest)
                except tarfile.TarError as err:
                    filter_error = getattr(tarfile, "FilterError", None)
                    if filter_error is not None and isinstance(err, filter_error):
                        raise guard.refuse(info.name, f"was refused: {err}") from err
                    raise
            _check_links_after(guard, root)
    except _HeaderTooLarge as err:  # in the first header, inside tarfile.open
        raise guard.refuse("(the first)", str(err)) from err
    except (tarfile.TarError, EOFError, OSError) as err:
        msg = f"cannot read {archive.name}: {err}"
        raise SourceError(msg, file=str(archive), hint="the archive is truncated or not "
                          "a tar archive; download or build it again") from err


# -- zip ---------------------------------------------------------------------------------------

_ZIP_TARGET_MAX = 4096


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Member:
    mode = info.external_attr >> 16
    # Only archives made on Unix (create_system 3) carry a meaningful st_mode.
    if info.create_system == 3 and mode:
        if stat.S_ISLNK(mode):
            if info.file_size > _ZIP_TARGET_MAX:
                return _Member(name=info.filename, kind="other", size=0,
                               why_other="symlink with an oversized target")
            link = zf.read(info).decode("utf-8", "replace")
            return _Member(name=info.filename, kind="symlink", size=info.file_size, link=link)
        for test, what in (
            (stat.S_ISCHR, "character device"),
            (stat.S_ISBLK, "block device"),
            (stat.S_ISFIFO, "FIFO"),
            (stat.S_ISSOCK, "socket"),
        ):
            if test(mode):
                return _Member(name=info.filename, kind="other", size=0, why_other=what)
    if info.is_dir():
        return _Member(name=info.filename, kind="dir", size=0)
    return _Member(name=info.filename, kind="file", size=info.file_size)


def _extract_zip(archive: Path, dest: Path, guard: _Guard) -> None:
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
                raise UnsafeArchiveError(msg, file=str(archive), hint=_HOSTILE_HINT)
            root = os.path.realpath(dest)
            for info, name in checked:
                target = dest.joinpath(*name.split("/"))
                if not _inside(root, os.path.realpath(target.parent)):
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
    guard = _Guard(archive, max_bytes=max_bytes, max_members=max_members, max_ratio=max_ratio)
    try:
        if fmt == "tar":
            _extract_tar(archive, dest, guard)
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
