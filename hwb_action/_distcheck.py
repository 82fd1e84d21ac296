"""The checks behind :func:`hwb_action.artifacts.check_artifact`, one distribution at a time.

Each check appends to a :class:`Findings` (problems fail, warnings do not) and goes on, so
that a user sees every problem at once.  Nothing here raises for a bad distribution.
"""

from __future__ import annotations

import base64
import csv
import email.message
import email.parser
import functools
import gzip
import hashlib
import io
import os
import re
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.metadata import Metadata, RawMetadata, parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

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


class Findings:
    """Problems and warnings for one file, each line prefixed with the file name."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.filename}: {text}")

    def warn(self, text: str) -> None:
        self.warnings.append(f"{self.filename}: {text}")


@dataclass(kw_only=True)
class Parsed:
    """What the kind-specific checks learnt, for building the Artifact."""

    metadata: bytes | None = None
    name: str | None = None
    version: str | None = None
    requires_python: str | None = None
    tags: tuple[str, ...] = ()


# -- wheels --------------------------------------------------------------------------------
def check_wheel(path: Path, found: Findings) -> Parsed:
    """Every wheel check; problems and warnings go to ``found``."""
    parsed = Parsed()
    want_name: str | None = None
    want_version: Version | None = None
    try:
        name, version, _build, tagset = parse_wheel_filename(path.name)
    except (InvalidWheelFilename, InvalidVersion) as err:
        found.problem(f"invalid wheel filename: {err}")
    else:
        want_name, want_version = name, version
        parsed.tags = tuple(sorted(str(t) for t in tagset))
        _check_tags(path.name, found)

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        found.problem(f"not a valid zip file ({err}); the file is truncated or corrupt")
        return parsed
    with zf:
        if not _zip_bounded(zf, path, found):
            return parsed
        infos = zf.infolist()
        names = [i.filename for i in infos]
        _check_member_names(names, found)
        digests = _read_members(zf, infos, found)
        dist_info = _find_dist_info(names, want_name, want_version, found)
        if dist_info is None:
            return parsed
        wheel_text = _member_bytes(zf, f"{dist_info}/WHEEL", digests)
        if wheel_text is None:
            found.problem(f"{dist_info}/WHEEL is missing")
        else:
            _check_wheel_file(wheel_text, parsed.tags, found)
        meta_bytes = _member_bytes(zf, f"{dist_info}/METADATA", digests)
        if meta_bytes is None:
            found.problem(f"{dist_info}/METADATA is missing")
        else:
            _check_metadata(meta_bytes, "METADATA", want_name=want_name,
                            want_version=want_version, found=found, parsed=parsed)
        record = _member_bytes(zf, f"{dist_info}/RECORD", digests)
        if record is None:
            found.problem(f"{dist_info}/RECORD is missing")
        else:
            _check_record(zf, record, dist_info=dist_info, names=names, digests=digests,
                          found=found)
    return parsed


def _zip_bounded(zf: zipfile.ZipFile, path: Path, found: Findings) -> bool:
    """False (with the problem recorded) when the zip's layout or sizes are a bomb's."""
    try:
        problems = zip_problems(zf, path.stat().st_size, max_members=ZIP_MAX_MEMBERS,
                                max_bytes=ZIP_MAX_BYTES, max_ratio=ZIP_MAX_RATIO)
    except OSError as err:
        problems = [f"cannot be read ({err})"]
    for problem in problems:
        found.problem(f"zip {problem}; not read further")
    return not problems


def _check_tags(filename: str, found: Findings) -> None:
    parts = filename[: -len(".whl")].split("-")
    for kind, group in zip(("python", "abi", "platform"), parts[-3:], strict=True):
        for tag in group.split("."):
            if not _TAG_PART.match(tag):
                found.problem(f"invalid {kind} tag {tag!r} in the filename "
                              "(lower-case letters, digits and '_' only)")
            elif kind == "platform" and _PYPI_REJECTED_PLATFORM.match(tag):
                found.warn(f"platform tag {tag!r} is rejected by PyPI; "
                           "repair the wheel with auditwheel for a manylinux tag")


def _check_member_names(names: list[str], found: Findings) -> None:
    seen: set[str] = set()
    for name in names:
        if _unsafe_path(name):
            found.problem(f"unsafe member path {name!r} (absolute or containing '..')")
        if name in seen:
            found.problem(f"duplicate member {name!r}")
        seen.add(name)


def _unsafe_path(name: str) -> bool:
    posix = name.replace("\\", "/")
    return (posix.startswith("/") or re.match(r"^[A-Za-z]:", posix) is not None
            or ".." in PurePosixPath(posix).parts)


def _read_members(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], found: Findings
) -> dict[str, tuple[str, int]]:
    """Read every member once: CRC and decompression errors surface here, and the sha256
    (urlsafe base64, as RECORD writes it) and size of each file are kept."""
    digests: dict[str, tuple[str, int]] = {}
    for info in infos:
        if info.is_dir():
            continue
        h = hashlib.sha256()
        size = 0
        try:
            with zf.open(info) as member:
                while chunk := member.read(_CHUNK):
                    h.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as err:
            found.problem(f"corrupt zip member {info.filename!r}: {err}")
            continue
        digests[info.filename] = (_b64(h.digest()), size)
    return digests


def _member_bytes(
    zf: zipfile.ZipFile, name: str, digests: Mapping[str, tuple[str, int]]
) -> bytes | None:
    if name not in digests:  # missing, or unreadable (already reported)
        return None
    return zf.read(name)


def _find_dist_info(
    names: list[str], want_name: str | None, want_version: Version | None, found: Findings
) -> str | None:
    tops = {n.replace("\\", "/").split("/", 1)[0] for n in names if "/" in n}
    dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if not dist_infos:
        found.problem("no .dist-info directory")
        return None
    if len(dist_infos) > 1:
        found.problem(f"more than one .dist-info directory: {', '.join(dist_infos)}")
        return None
    dist_info = dist_infos[0]
    stem = dist_info[: -len(".dist-info")]
    if want_name is not None and want_version is not None:
        name_part, _, version_part = stem.rpartition("-")
        if not _same(name_part, version_part, want_name, want_version):
            found.problem(f"{dist_info} does not match the filename "
                          f"(expected {want_name}-{want_version}.dist-info)")
    for data_dir in sorted(t for t in tops if t.endswith(".data")):
        if data_dir != f"{stem}.data":
            found.problem(f"{data_dir} does not match {dist_info} (expected {stem}.data)")
    return dist_info


def _same(name: str, version: str, want_name: str, want_version: Version) -> bool:
    try:
        return canonicalize_name(name) == want_name and Version(version) == want_version
    except InvalidVersion:
        return False


def _check_wheel_file(data: bytes, tags: tuple[str, ...], found: Findings) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        found.problem("WHEEL is not valid UTF-8")
        return
    msg = email.parser.Parser().parsestr(text)
    version = msg.get("Wheel-Version")
    if not version:
        found.problem("WHEEL: no Wheel-Version")
    else:
        major = version.strip().split(".", 1)[0]
        if major != "1":
            found.problem(f"WHEEL: unsupported Wheel-Version {version.strip()!r} "
                          "(installers support 1.x)")
    purelib = (msg.get("Root-Is-Purelib") or "").strip().lower()
    if purelib not in ("true", "false"):
        found.problem("WHEEL: Root-Is-Purelib must be true or false")
    wheel_tags = sorted({t.strip() for t in msg.get_all("Tag") or []})
    if tags and wheel_tags and wheel_tags != list(tags):
        # Installers go by the filename; a stale WHEEL only misleads tools that read it.
        found.warn(f"WHEEL: Tag lines {', '.join(wheel_tags)} differ from the filename's "
                   f"tags {', '.join(tags)}")


def _check_record(
    zf: zipfile.ZipFile,
    record: bytes,
    *,
    dist_info: str,
    names: list[str],
    digests: Mapping[str, tuple[str, int]],
    found: Findings,
) -> None:
    try:
        rows = list(csv.reader(io.StringIO(record.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as err:
        found.problem(f"RECORD cannot be read: {err}")
        return
    unhashed = {f"{dist_info}/{n}" for n in _UNHASHED}
    listed: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not row or row == [""]:
            continue
        if len(row) != 3:
            found.problem(f"RECORD line {number}: expected 3 fields (path,hash,size), "
                          f"got {len(row)}")
            continue
        member, hash_field, size_field = row
        if member in listed:
            found.problem(f"RECORD: {member} listed twice")
        listed.add(member)
        if member not in digests:
            if member in names:  # unreadable, already reported
                continue
            found.problem(f"RECORD: {member} is listed but not in the wheel")
            continue
        if member in unhashed and not hash_field:
            continue
        if not hash_field:
            found.problem(f"RECORD: no hash for {member}")
        else:
            _check_record_hash(zf, member, hash_field, digests[member][0], found)
        if not size_field:
            found.problem(f"RECORD: no size for {member}")
        elif size_field != str(digests[member][1]):
            found.problem(f"RECORD: size mismatch for {member} "
                          f"(RECORD says {size_field}, the file has {digests[member][1]})")
    for name in names:
        if name.endswith("/") or name in listed or name in unhashed:
            continue
        found.problem(f"RECORD: {name} is not listed")


def _check_record_hash(
    zf: zipfile.ZipFile, member: str, hash_field: str, sha256: str, found: Findings
) -> None:
    algorithm, sep, expected = hash_field.partition("=")
    if not sep or not expected:
        found.problem(f"RECORD: malformed hash {hash_field!r} for {member}")
        return
    if algorithm == "sha256":
        actual = sha256
    elif algorithm in _WEAK_HASHES or algorithm not in hashlib.algorithms_guaranteed:
        found.problem(f"RECORD: hash algorithm {algorithm!r} for {member} is not allowed "
                      "(use sha256)")
        return
    else:  # rare (sha384, sha512, ...): hash that one member again
        actual = _b64(hashlib.new(algorithm, zf.read(member)).digest())
    if actual != expected.rstrip("="):
        found.problem(f"RECORD: hash mismatch for {member}")


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# -- sdists --------------------------------------------------------------------------------
def check_sdist(path: Path, found: Findings) -> Parsed:
    """Every sdist check (.tar.gz, or a legacy .zip); problems and warnings go to ``found``."""
    parsed = Parsed()
    want_name: str | None = None
    want_version: Version | None = None
    stem: str | None = None
    try:
        want_name, want_version = parse_sdist_filename(path.name)
    except (InvalidSdistFilename, InvalidVersion) as err:
        found.problem(f"invalid sdist filename: {err}")
    else:
        stem = path.name[: -len(".tar.gz")] if path.name.endswith(".tar.gz") else path.stem
        project_part = stem.rpartition("-")[0]
        normalized = want_name.replace("-", "_")
        if project_part != normalized:
            found.warn(f"the filename should start with the normalized name {normalized!r} "
                       "(PEP 625; PyPI is phasing out other spellings); "
                       "upgrade the build backend (setuptools >= 69.3)")
    if path.name.endswith(".zip"):
        members = _sdist_zip_members(path, found)
    else:
        members = _sdist_tar_members(path, found)
    if members is None:
        return parsed
    tops = sorted({m.split("/", 1)[0] for m in members})
    if len(tops) != 1:
        found.problem(f"expected exactly one top-level directory, found {len(tops)}"
                      + (f": {', '.join(tops[:5])}" if tops else ""))
        return parsed
    top = tops[0]
    if stem is not None and top != stem:
        found.problem(f"top-level directory {top!r} does not match the filename "
                      f"(expected {stem!r})")
    pkg_info = members.get(f"{top}/PKG-INFO")
    if pkg_info is None:
        found.problem(f"{top}/PKG-INFO is missing")
        return parsed
    _check_metadata(pkg_info, "PKG-INFO", want_name=want_name, want_version=want_version,
                    found=found, parsed=parsed)
    return parsed


def _sdist_tar_members(path: Path, found: Findings) -> dict[str, bytes] | None:
    """Member names (without a trailing ``/``) -> the bytes of PKG-INFO candidates.

    The whole gzip stream is read, so that a bad CRC or a truncated file shows up.
    """
    members: dict[str, bytes] = {}
    dest = os.path.join(tempfile.gettempdir(), "hwb-check-nonexistent")
    try:
        with gzip.open(path, "rb") as gz, tarfile.open(fileobj=gz, mode="r:") as tar:
            for info in tar:
                name = info.name.rstrip("/").removeprefix("./")
                if name in ("", "."):  # some tar writers add the archive root itself
                    continue
                if _unsafe_path(name):
                    found.problem(f"unsafe member path {info.name!r} (absolute or containing '..')")
                    continue
                if not (info.isfile() or info.isdir()):
                    # links and special files: the standard library's own rules for safe
                    # extraction (PEP 706); for plain files the path check above is enough
                    # and realpath() on every member would cost more than the rest.
                    try:
                        tarfile.data_filter(info, dest)
                    except tarfile.FilterError as err:
                        found.problem(f"unsafe member {info.name!r}: {err}")
                if name.count("/") == 1 and name.endswith("/PKG-INFO"):
                    if not info.isfile():
                        found.problem(f"{name} is not a regular file")
                        continue
                    extracted = tar.extractfile(info)
                    members[name] = extracted.read() if extracted is not None else b""
                else:
                    members[name] = b""
            while gz.read(_CHUNK):  # the rest of the stream, to reach the CRC check
                pass
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as err:
        found.problem(f"not a valid gzip'd tar archive ({err or type(err).__name__}); "
                      "the file is truncated or corrupt")
        return None
    return members


def _sdist_zip_members(path: Path, found: Findings) -> dict[str, bytes] | None:
    members: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            if not _zip_bounded(zf, path, found):
                return None
            infos = zf.infolist()
            _check_member_names([i.filename for i in infos], found)
            for info in infos:
                data = zf.read(info)  # every member: CRC errors surface here
                name = info.filename.rstrip("/")
                if not _unsafe_path(name):
                    members[name] = data if name.endswith("/PKG-INFO") else b""
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as err:
        found.problem(f"not a valid zip file ({err}); the file is truncated or corrupt")
        return None
    return members


# -- metadata and long description ---------------------------------------------------------
def _check_metadata(
    data: bytes,
    label: str,
    *,
    want_name: str | None,
    want_version: Version | None,
    found: Findings,
    parsed: Parsed,
) -> None:
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
        found.problem(f"{label}: {error}")

    name = raw.get("name")
    version = raw.get("version")
    if want_name is not None and name and canonicalize_name(name) != want_name:
        found.problem(f"{label}: name {name!r} does not match the filename ({want_name})")
    if want_version is not None and version:
        try:
            same = Version(version) == want_version
        except InvalidVersion:
            same = True  # already reported as invalid metadata
        if not same:
            found.problem(f"{label}: version {version!r} does not match the filename "
                          f"({want_version})")
    _check_description(raw, found)
    parsed.metadata = data
    parsed.name = name
    parsed.version = version
    parsed.requires_python = raw.get("requires_python")


def _leaves(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    out: list[Exception] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        else:
            out.append(exc)
    return out


def _check_description(raw: RawMetadata, found: Findings) -> None:
    """The long description, judged exactly as ``twine check`` judges it.

    twine renders only reStructuredText (and anything it does not recognise, as rst);
    text/plain and text/markdown cannot fail to render on PyPI, so it does not render them,
    and neither do we (rendering Markdown would only cost time).
    """
    description = raw.get("description")
    content_type_value = raw.get("description_content_type")
    if content_type_value is None:
        found.warn("long_description_content_type missing; defaulting to text/x-rst")
        content_type_value = "text/x-rst"
    message = email.message.EmailMessage()
    message["content-type"] = content_type_value
    content_type = message.get_content_type()
    params = dict(message["content-type"].params)
    if not description or description.rstrip() == "UNKNOWN":
        found.warn("long_description missing")
        return
    if content_type in ("text/plain", "text/markdown"):
        return
    rendered, detail = _render_rst(description, tuple(sorted(params.items())))
    if not rendered:
        found.problem("long description has syntax errors in markup and would not be "
                      "rendered on PyPI" + (f": {detail}" if detail else ""))


@functools.lru_cache(maxsize=16)
def _render_rst(description: str, params: tuple[tuple[str, str], ...]) -> tuple[bool, str]:
    """Whether readme_renderer renders ``description``, and docutils' complaints.

    Cached: docutils takes tens of milliseconds, and a build checks the same description
    in the sdist and in every wheel.
    """
    import readme_renderer.rst  # docutils is slow to import: only when there is rst to render

    stream = io.StringIO()
    rendered = readme_renderer.rst.render(description, stream=stream, **dict(params))
    return rendered is not None, _docutils_messages(stream.getvalue())


_DOCUTILS_REPORT = re.compile(
    r"^<string>:(?P<line>\d*): \((?P<level>[A-Z]+)/\d+\) (?P<message>.*)$"
)


def _docutils_messages(text: str) -> str:
    out = []
    for line in text.splitlines():
        m = _DOCUTILS_REPORT.match(line)
        if m:
            out.append(f"line {m['line']}: {m['level'].capitalize()}: {m['message']}")
    return "; ".join(out)
