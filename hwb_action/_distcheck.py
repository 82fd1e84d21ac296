"""The checks behind :func:`hwb_action.artifacts.check_artifact`: what the kinds share
(:class:`Findings`, member paths, zip bounds, METADATA / PKG-INFO) and the wheel checks.
The wheel checks are in :mod:`hwb_action._wheelcheck`, the sdist checks in
:mod:`hwb_action._sdistcheck`, the wheel layout checks in :mod:`hwb_action._layout`, the
long description in :mod:`hwb_action._readme`.

Each check appends to a :class:`Findings` (problems fail, warnings do not) and goes on, so
that a user sees every problem at once.  Nothing here raises for a bad distribution.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from packaging.metadata import Metadata, RawMetadata, parse_email
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hwb_action._readme import Readme
from hwb_action._zipcheck import zip_problems

_CHUNK = 1 << 20
# RECORD and its signatures cannot hold their own hashes (PEP 376 / PEP 427).
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
# PEP 427: hash algorithms weaker than sha256 are not allowed in RECORD.
_WEAK_HASHES = frozenset({"md5", "sha1", "sha224"})
# packaging.tags lower-cases what it parses; a valid tag is already lower-case.
_TAG_PART = re.compile(r"^[a-z0-9_]+$")
# PyPI accepts Linux binary wheels only with a manylinux/musllinux platform tag.
_PYPI_REJECTED_PLATFORM = re.compile(r"^linux_")
# Zip bounds checked before any member is read: generous for real wheels (the largest on
# PyPI hold tens of thousands of files and a few GiB), fatal for zip bombs.
ZIP_MAX_MEMBERS = 200_000
ZIP_MAX_BYTES = 16 * 1024**3
ZIP_MAX_RATIO = 200
_DRIVE = re.compile(r"^[A-Za-z]:")

Source = Path | IO[bytes]
"""A distribution to read: its path, or its bytes already in memory."""


@dataclass(frozen=True)
class Finding:
    """One problem or warning: ``text`` names the file (``"x.whl: ..."``); ``member`` is
    the archive member it is about, ``code`` a check-wheel-contents code (``W001``)."""

    level: Literal["problem", "warning"]
    text: str
    member: str | None = None
    code: str | None = None


class Findings:
    """Problems and warnings for one file, each line prefixed with the file name."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.items: list[Finding] = []

    def problem(self, text: str, *, member: str | None = None) -> None:
        line = f"{self.filename}: {text}"
        self.problems.append(line)
        self.items.append(Finding("problem", line, member))

    def warn(self, text: str, *, member: str | None = None, code: str | None = None) -> None:
        line = f"{self.filename}: {text}"
        if line in self.warnings:  # the same warning twice says nothing more
            return
        self.warnings.append(line)
        self.items.append(Finding("warning", line, member, code))


@dataclass(kw_only=True)
class Parsed:
    """What the kind-specific checks learnt, for the Artifact and the summary."""

    metadata: bytes | None = None
    name: str | None = None
    version: str | None = None
    requires_python: str | None = None
    license: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    files: dict[str, int] = field(default_factory=dict)
    """Every file member with its size (directories left out)."""
    readme: Readme | None = None
    """An rst long description still to render (see :mod:`hwb_action._readme`)."""
    metadata_member: str | None = None
    """The archive member the metadata came from (``x.dist-info/METADATA``)."""


# -- shared by wheels and sdists --------------------------------------------------------------
def zip_bounded(zf: zipfile.ZipFile, found: Findings) -> bool:
    """False (with the problem recorded) when the zip's layout or sizes are a bomb's."""
    try:
        fp = zf.fp
        size = fp.seek(0, io.SEEK_END) if fp is not None else 0
        problems = zip_problems(zf, size, max_members=ZIP_MAX_MEMBERS,
                                max_bytes=ZIP_MAX_BYTES, max_ratio=ZIP_MAX_RATIO)
    except OSError as err:
        problems = [f"cannot be read ({err})"]
    for problem in problems:
        found.problem(f"zip {problem}; not read further")
    return not problems


def check_member_names(names: list[str], found: Findings) -> None:
    """Unsafe (absolute, ``..``) and duplicate member names."""
    seen: set[str] = set()
    for name in names:
        if unsafe_path(name):
            found.problem(f"unsafe member path {name!r} (absolute or containing '..')",
                          member=name)
        if name in seen:
            found.problem(f"duplicate member {name!r}", member=name)
        seen.add(name)


def unsafe_path(name: str) -> bool:
    """Whether extracting a member called ``name`` could write outside the target."""
    posix = name.replace("\\", "/")
    return (posix.startswith("/") or _DRIVE.match(posix) is not None
            or ".." in posix.split("/"))


# -- metadata and long description ---------------------------------------------------------
def check_metadata(
    data: bytes,
    label: str,
    *,
    want_name: str | None,
    want_version: Version | None,
    found: Findings,
    parsed: Parsed,
    member: str | None = None,
) -> None:
    """METADATA / PKG-INFO (the archive's ``member``): parses and validates, matches the
    filename, and has a long description (rst is left in ``parsed.readme`` to render)."""
    raw, unparsed = parse_email(data)
    # As twine and PyPI do: setuptools wrote License-File under Metadata-Version 2.1 for
    # years; tolerate it below 2.4 rather than reject half of PyPI.
    try:
        below_24 = Version(raw.get("metadata_version", "0")) < Version("2.4")
    except InvalidVersion:
        below_24 = False
    if below_24:
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    errors = [f"unrecognized or malformed field {key!r}" for key in unparsed]
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        errors.extend(str(e) for e in _leaves(group))
    for error in sorted(set(errors)):
        found.problem(f"{label}: {error}", member=member)

    name = raw.get("name")
    version = raw.get("version")
    if want_name is not None and name and canonicalize_name(name) != want_name:
        found.problem(f"{label}: name {name!r} does not match the filename ({want_name})",
                      member=member)
    if want_version is not None and version:
        try:
            same = Version(version) == want_version
        except InvalidVersion:
            same = True  # already reported as invalid metadata
        if not same:
            found.problem(f"{label}: version {version!r} does not match the filename "
                          f"({want_version})", member=member)
    parsed.readme = _check_description(raw, found, member)
    parsed.metadata = data
    parsed.metadata_member = member
    parsed.name = name
    parsed.version = version
    parsed.requires_python = raw.get("requires_python")
    parsed.license = raw.get("license_expression") or _first_line(raw.get("license"))
    parsed.summary = raw.get("summary")


def _first_line(text: str | None) -> str | None:
    """A License field is sometimes the whole license text: its first line names it."""
    if not text:
        return None
    return text.strip().splitlines()[0] if text.strip() else None


def _leaves(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    out: list[Exception] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        else:
            out.append(exc)
    return out


def _check_description(raw: RawMetadata, found: Findings, member: str | None) -> Readme | None:
    """The long description, judged exactly as ``twine check`` judges it; returns the rst
    that must still render (see :mod:`hwb_action._readme`)."""
    import email.message

    description = raw.get("description")
    content_type_value = raw.get("description_content_type")
    if content_type_value is None:
        found.warn("long_description_content_type missing; defaulting to text/x-rst",
                   member=member)
        content_type_value = "text/x-rst"
    message = email.message.EmailMessage()
    message["content-type"] = content_type_value
    content_type = message.get_content_type()
    params = dict(message["content-type"].params)
    if not description or description.rstrip() == "UNKNOWN":
        found.warn("long_description missing", member=member)
        return None
    if content_type in ("text/plain", "text/markdown"):
        return None
    return Readme(description, tuple(sorted(params.items())))


def readme_problem(found: Findings, detail: str, member: str | None = None) -> None:
    """Record that the long description does not render (as twine words it)."""
    found.problem("long description has syntax errors in markup and would not be "
                  "rendered on PyPI" + (f": {detail}" if detail else ""), member=member)


# -- one file by path (the earlier interface, kept for callers outside hwb check) -----------
def check_wheel(path: Path, found: Findings) -> Parsed:
    """Every wheel check on the file at ``path`` (see :mod:`hwb_action._wheelcheck`)."""
    from hwb_action._wheelcheck import check_wheel as check

    parsed = Parsed()
    check(path, path.name, found, parsed)
    return parsed


def check_sdist(path: Path, found: Findings) -> Parsed:
    """Every sdist check on the file at ``path`` (see :mod:`hwb_action._sdistcheck`)."""
    from hwb_action._sdistcheck import check_sdist as check

    parsed = Parsed()
    check(path, path.name, found, parsed)
    return parsed
