"""Tar extraction: extended headers bounded before tarfile reads them, each member
checked by the guard, then extracted one at a time and checked against the tree on disk
(see :mod:`hwb_action.source.archive`).  Imports on Python 3.8 and later."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hwb_action.errors import SourceError
from hwb_action.source._guard import Guard, Member, inside

MAX_HEADER = 1024**2
"""Bytes in one pax or GNU long-name header, checked before tarfile reads it."""


def _tar_member(info: tarfile.TarInfo) -> Member:
    if info.isreg():
        return Member(name=info.name, kind="file", size=info.size)
    if info.isdir():
        return Member(name=info.name, kind="dir", size=0)
    if info.issym():
        return Member(name=info.name, kind="symlink", size=0, link=info.linkname)
    if info.islnk():
        return Member(name=info.name, kind="hardlink", size=0, link=info.linkname)
    what = (
        "character device" if info.ischr()
        else "block device" if info.isblk()
        else "FIFO" if info.isfifo()
        else f"member of tar type {info.type!r}"
    )
    return Member(name=info.name, kind="other", size=info.size, why_other=what)


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


def _check_on_disk(guard: Guard, root: str, info: tarfile.TarInfo, name: str) -> None:
    """Resolve where ``info`` would land, and what a link of it points to, against the
    tree as extracted so far (links included); all of it must stay under ``root``."""
    target = os.path.join(root, *name.split("/"))
    if not inside(root, os.path.realpath(os.path.dirname(target))):
        raise guard.refuse(info.name, "would be written outside the tree through a link "
                                      "extracted before it")
    if info.issym():
        where = os.path.realpath(os.path.join(os.path.dirname(target), info.linkname))
        if not inside(root, where):
            raise guard.refuse(info.name, f"is a symlink to {info.linkname!r}, which leaves "
                                          "the tree through a link extracted before it")
    elif info.islnk():
        # As tarfile joins it (and the kernel then follows the links on the way).
        source = os.path.join(root, info.linkname)
        where = os.path.realpath(source)
        if not inside(root, where):
            raise guard.refuse(info.name, f"is a hard link to {info.linkname!r}, which leaves "
                                          "the tree through a link")
        if os.path.islink(source) or not os.path.isfile(where):
            raise guard.refuse(info.name, f"is a hard link to {info.linkname!r}, which is not "
                                          "a regular file extracted before it")


def _check_links_after(guard: Guard, root: str) -> None:
    """Every symlink in the finished tree still resolves inside it (a link extracted later
    can change where an earlier one leads)."""
    for top, dirs, files in os.walk(root):
        for entry in dirs + files:
            path = os.path.join(top, entry)
            if os.path.islink(path) and not inside(root, os.path.realpath(path)):
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


def extract_tar(archive: Path, dest: Path, guard: Guard) -> None:
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
