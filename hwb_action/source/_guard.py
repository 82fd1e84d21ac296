"""The checks every archive member passes before anything is written, for tar and zip
alike (see :mod:`hwb_action.source.archive`).  Imports on Python 3.8 and later."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Literal, NamedTuple

from hwb_action.errors import UnsafeArchiveError

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Sum of the (declared) sizes of all members."""
DEFAULT_MAX_MEMBERS = 100_000
DEFAULT_MAX_RATIO = 200
"""Uncompressed bytes per archive byte; text sdists compress about 5:1, bombs 1000:1."""
RATIO_FLOOR = 16 * 1024**2
"""The ratio guard applies only once this many bytes would be written."""
MAX_NAME = 4096
"""Characters in a member name or link target (PATH_MAX on Linux)."""

_DRIVE = re.compile(r"^[A-Za-z]:")
HOSTILE_HINT = ("the archive is malformed or hostile; rebuild it with `python -m build "
                "--sdist` or fetch it again from a trusted place")

MemberKind = Literal["file", "dir", "symlink", "hardlink", "other"]


class Member(NamedTuple):
    name: str
    kind: MemberKind
    size: int
    link: str = ""
    why_other: str = ""


class Guard:
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
        return UnsafeArchiveError(msg, file=str(self.archive), hint=HOSTILE_HINT)

    def check(self, member: Member) -> str:
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
        problem = _link_problem(member, name)
        if problem is not None:
            raise self.refuse(member.name, problem)
        self._check_place(member, name)
        self._check_size(member)
        return name

    def _check_place(self, member: Member, name: str) -> None:
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

    def _check_size(self, member: Member) -> None:
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


def _link_problem(member: Member, name: str) -> str | None:
    """Why a link member (named ``name`` once normalised) points out of the tree, if it does."""
    if member.kind == "symlink":
        if not member.link or member.link.startswith("/") or _DRIVE.match(member.link):
            return f"is a symlink to an absolute path {member.link!r}"
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.link))
        if target == ".." or target.startswith("../"):
            return f"is a symlink whose target {member.link!r} leaves the tree"
    if member.kind == "hardlink":
        target = posixpath.normpath(member.link.replace("\\", "/")) if member.link else ""
        if (
            not target
            or target.startswith("/")
            or _DRIVE.match(target)
            or target == ".."
            or target.startswith("../")
        ):
            return f"is a hard link whose target {member.link!r} leaves the tree"
    return None


def _mib(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB"


def _check_name(guard: Guard, raw: str) -> str:
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


def inside(root: str, path: str) -> bool:
    """True when ``path`` is ``root`` or below it (both already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
