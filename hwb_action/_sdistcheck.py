"""The sdist checks behind :func:`hwb_action.artifacts.check_artifact`: a readable gzip'd
tar (or legacy zip), a PEP 625 filename, one top-level ``{name}-{version}/`` directory, safe
members (no escaping paths or links, no device files), a ``PKG-INFO`` that parses and
matches the filename, and no stray files (build logs, editor and OS files, caches).

The tar is read once as a stream; only ``PKG-INFO`` is kept in memory.  Links are judged by
their names alone (what :func:`tarfile.data_filter` decides for a destination that does not
exist yet), so that the check runs the same on every Python: ``data_filter`` is missing from
3.11 before 3.11.4 (Debian 12 ships 3.11.2).
"""

from __future__ import annotations

import fnmatch
import gzip
import posixpath
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass

from packaging.utils import InvalidSdistFilename, parse_sdist_filename
from packaging.version import InvalidVersion, Version

from hwb_action._distcheck import (
    Findings,
    Parsed,
    Source,
    check_member_names,
    check_metadata,
    unsafe_path,
    zip_bounded,
)

_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class _Stray:
    """Files that have no place in an sdist: where they match, and what to say."""

    what: str
    names: tuple[str, ...] = ()
    """fnmatch patterns on a member's base name."""
    dirs: tuple[str, ...] = ()
    """Directory names; the directory is reported once, not each file in it."""


# Build leftovers, caches, editor and OS files: shipped by accident when a backend includes
# whatever is in the tree (setuptools' MANIFEST.in `graft`, hatchling without a .gitignore).
STRAY_FILES: tuple[_Stray, ...] = (
    _Stray("version-control data", dirs=(".git", ".hg", ".svn", ".bzr")),
    _Stray("a virtual environment or test-runner environments",
           dirs=(".venv", ".tox", ".nox")),
    _Stray("tool caches", dirs=("__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                                ".hypothesis", ".ipynb_checkpoints")),
    _Stray("editor settings", dirs=(".idea", ".vscode")),
    _Stray("compiled bytecode", names=("*.pyc", "*.pyo")),
    _Stray("build or test logs", names=("*.log",)),
    _Stray("coverage data", names=(".coverage", ".coverage.*")),
    _Stray("editor swap or backup files",
           names=("*.swp", "*.swo", "*~", ".#*", "#*#", "*.orig", "*.rej", "*.bak")),
    _Stray("operating-system files", names=(".DS_Store", "Thumbs.db", "desktop.ini")),
)


@dataclass(kw_only=True)
class SdistListing:
    """What reading an sdist found: member names (directories without their ``/``), the
    files among them with their sizes, and the bytes of ``PKG-INFO`` candidates."""

    names: list[str]
    files: dict[str, int]
    pkg_info: dict[str, bytes]


def check_sdist(source: Source, filename: str, found: Findings, parsed: Parsed) -> None:
    """Every sdist check (.tar.gz, or a legacy .zip); findings go to ``found``, what was
    learnt to ``parsed`` (``parsed.files`` lists the members for a summary)."""
    want_name: str | None = None
    want_version: Version | None = None
    stem: str | None = None
    try:
        want_name, want_version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion) as err:
        found.problem(f"invalid sdist filename: {err}")
    else:
        stem = filename[: -len(".tar.gz")] if filename.endswith(".tar.gz") else filename[:-4]
        project_part = stem.rpartition("-")[0]
        normalized = want_name.replace("-", "_")
        if project_part != normalized:
            found.warn(f"the filename should start with the normalized name {normalized!r} "
                       "(PEP 625; PyPI is phasing out other spellings); "
                       "upgrade the build backend (setuptools >= 69.3)")
    zipped = filename.endswith(".zip")
    listing = _zip_listing(source, found) if zipped else _tar_listing(source, found)
    if listing is None:
        return
    parsed.files = listing.files
    tops = sorted({m.split("/", 1)[0] for m in listing.names})
    if len(tops) != 1:
        found.problem(f"expected exactly one top-level directory, found {len(tops)}"
                      + (f": {', '.join(tops[:5])}" if tops else ""))
        return
    top = tops[0]
    if stem is not None and top != stem:
        found.problem(f"top-level directory {top!r} does not match the filename "
                      f"(expected {stem!r})")
    stray_files(listing.names, found)
    pkg_info = listing.pkg_info.get(f"{top}/PKG-INFO")
    if pkg_info is None:
        found.problem(f"{top}/PKG-INFO is missing")
        return
    check_metadata(pkg_info, "PKG-INFO", want_name=want_name, want_version=want_version,
                   found=found, parsed=parsed, member=f"{top}/PKG-INFO")


def stray_files(names: list[str], found: Findings) -> None:
    """One warning per kind of stray file, naming the first such member and the count;
    a member is counted under the first kind it matches only (``__pycache__/x.pyc`` is a
    tool cache, not also compiled bytecode)."""
    claimed: set[str] = set()
    for rule in STRAY_FILES:
        hits: list[str] = []
        seen: set[str] = set()
        for name in names:
            if name in claimed:
                continue
            parts = name.split("/")
            hit = None
            for depth, part in enumerate(parts[1:], start=1):  # parts[0]: the top directory
                if part in rule.dirs:
                    hit = "/".join(parts[: depth + 1]) + "/"
                    break
            if hit is None and rule.names and any(
                    fnmatch.fnmatchcase(parts[-1], p) for p in rule.names):
                hit = name
            if hit is not None:
                claimed.add(name)
                if hit not in seen:  # a directory once, not each file in it
                    seen.add(hit)
                    hits.append(hit)
        if hits:
            more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
            found.warn(f"stray file in the sdist ({rule.what}): {hits[0]}{more}; exclude it "
                       "(MANIFEST.in, [tool.hatch.build] exclude, or .gitignore)",
                       member=hits[0].rstrip("/"))


def link_problem(info: tarfile.TarInfo, name: str) -> str | None:
    """Why a link or special-file member is unsafe to extract, or None."""
    if info.issym():
        link = info.linkname
        if not link or link.startswith("/") or _DRIVE.match(link):
            return f"is a symlink to an absolute path {link!r}"
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
        if target == ".." or target.startswith("../"):
            return f"is a symlink whose target {link!r} leaves the tree"
        return None
    if info.islnk():
        target = posixpath.normpath(info.linkname.replace("\\", "/")) if info.linkname else ""
        if not target or unsafe_path(target) or target in (".", ".."):
            return f"is a hard link to {info.linkname!r}, outside the tree"
        return None
    if info.isfile() or info.isdir():
        return None
    return "is a device, FIFO or other special file, not a file or directory"


def _tar_listing(source: Source, found: Findings) -> SdistListing | None:
    """The members of a gzip'd tar; the whole stream is read, so that a bad CRC or a
    truncated file shows up."""
    listing = SdistListing(names=[], files={}, pkg_info={})
    try:
        with gzip.open(source, "rb") as gz, tarfile.open(fileobj=gz, mode="r:") as tar:
            for info in tar:
                name = info.name.rstrip("/").removeprefix("./")
                if name in ("", "."):  # some tar writers add the archive root itself
                    continue
                if unsafe_path(name):
                    found.problem(f"unsafe member path {info.name!r} (absolute or containing '..')",
                                  member=info.name)
                    continue
                why = link_problem(info, name)
                if why is not None:
                    found.problem(f"unsafe member {info.name!r}: {why}", member=name)
                listing.names.append(name)
                if info.isfile():
                    listing.files[name] = info.size
                if name.count("/") == 1 and name.endswith("/PKG-INFO"):
                    if not info.isfile():
                        found.problem(f"{name} is not a regular file", member=name)
                        continue
                    extracted = tar.extractfile(info)
                    listing.pkg_info[name] = extracted.read() if extracted is not None else b""
            while gz.read(_CHUNK):  # the rest of the stream, to reach the CRC check
                pass
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as err:
        found.problem(f"not a valid gzip'd tar archive ({err or type(err).__name__}); "
                      "the file is truncated or corrupt")
        return None
    return listing


def _zip_listing(source: Source, found: Findings) -> SdistListing | None:
    listing = SdistListing(names=[], files={}, pkg_info={})
    try:
        with zipfile.ZipFile(source) as zf:
            if not zip_bounded(zf, found):
                return None
            infos = zf.infolist()
            check_member_names([i.filename for i in infos], found)
            for info in infos:
                data = zf.read(info)  # every member: CRC errors surface here
                name = info.filename.rstrip("/")
                if unsafe_path(name):
                    continue
                listing.names.append(name)
                if not info.is_dir():
                    listing.files[name] = info.file_size
                if name.endswith("/PKG-INFO"):
                    listing.pkg_info[name] = data
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as err:
        found.problem(f"not a valid zip file ({err}); the file is truncated or corrupt")
        return None
    return listing
