"""The wheel checks behind :func:`hwb_action.artifacts.check_artifact`: a readable zip
(every member read, CRC checked), a PEP 427 filename with valid tags, one
``{name}-{version}.dist-info`` directory that matches it, ``WHEEL``, ``METADATA`` and a
``RECORD`` whose every row matches its member by hash and size and that lists every member.

A wheel is read once: RECORD, WHEEL and METADATA first (small, found through the zip's
directory), then every member streamed in archive order, its hash and size compared with
its RECORD row as its stream ends.
"""

from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from hwb_action._distcheck import (
    Findings,
    Parsed,
    Source,
    check_member_names,
    check_metadata,
    zip_bounded,
)

_CHUNK = 1 << 20
# RECORD and its signatures cannot hold their own hashes (PEP 376 / PEP 427).
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
# PEP 427: hash algorithms weaker than sha256 are not allowed in RECORD.
_WEAK_HASHES = frozenset({"md5", "sha1", "sha224"})
# packaging.tags lower-cases what it parses; a valid tag is already lower-case.
_TAG_PART = re.compile(r"^[a-z0-9_]+$")
# PyPI accepts Linux binary wheels only with a manylinux/musllinux platform tag.
_PYPI_REJECTED_PLATFORM = re.compile(r"^linux_")


def check_wheel(source: Source, filename: str, found: Findings, parsed: Parsed, *,
                layout: bool = False, layout_config: Path | None = None) -> None:
    """Every wheel check; findings go to ``found``, what was learnt to ``parsed``.
    ``layout`` adds check-wheel-contents' layout checks (warnings), configured by its
    configuration files in the directory ``layout_config``, if any."""
    want_name: str | None = None
    want_version: Version | None = None
    try:
        name, version, _build, tagset = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion) as err:
        found.problem(f"invalid wheel filename: {err}")
    else:
        want_name, want_version = name, version
        parsed.tags = tuple(sorted(str(t) for t in tagset))
        _check_tags(filename, found)

    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        found.problem(f"not a valid zip file ({err}); the file is truncated or corrupt")
        return
    with zf:
        if not zip_bounded(zf, found):
            return
        infos = zf.infolist()
        names = [i.filename for i in infos]
        check_member_names(names, found)
        dist_info = _find_dist_info(names, want_name, want_version, found)
        if dist_info is None:
            _stream_members(zf, infos, {}, set(), found)  # CRC errors are still worth reporting
            return
        small = {part: _small_member(zf, f"{dist_info}/{part}")
                 for part in ("RECORD", "WHEEL", "METADATA")}
        rows = _record_rows(small["RECORD"], dist_info, found)
        unhashed = {f"{dist_info}/{n}" for n in _UNHASHED}
        archive = source.getbuffer() if isinstance(source, io.BytesIO) else None
        digests = _stream_members(zf, infos, rows if rows is not None else {}, unhashed,
                                  found, archive=archive)
        parsed.files = {n: size for n, (_, size) in digests.items()}
        if rows is not None:
            _check_record_listing(rows, dist_info=dist_info, names=names, digests=digests,
                                  found=found)
        root_is_purelib = True
        if small["WHEEL"] is None:
            found.problem(f"{dist_info}/WHEEL is missing")
        else:
            root_is_purelib = _check_wheel_file(small["WHEEL"], parsed.tags, found)
        if small["METADATA"] is None:
            found.problem(f"{dist_info}/METADATA is missing")
        else:
            check_metadata(small["METADATA"], "METADATA", want_name=want_name,
                           want_version=want_version, found=found, parsed=parsed,
                           member=f"{dist_info}/METADATA")
    if layout:
        from hwb_action._layout import layout_findings

        stem = dist_info[: -len(".dist-info")]
        layout_findings(dist_info=dist_info, data_dir=f"{stem}.data",
                        root_is_purelib=root_is_purelib, members=digests, found=found,
                        config_dir=layout_config)


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


def _small_member(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
        return None  # reported as a corrupt member when the stream reaches it


_Row = tuple[int, str, str]
"""A RECORD row: its line number, hash field and size field."""


def _record_rows(record: bytes | None, dist_info: str, found: Findings) -> dict[str, _Row] | None:
    if record is None:
        found.problem(f"{dist_info}/RECORD is missing")
        return None
    try:
        rows = list(csv.reader(io.StringIO(record.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as err:
        found.problem(f"RECORD cannot be read: {err}")
        return None
    out: dict[str, _Row] = {}
    for number, row in enumerate(rows, start=1):
        if not row or row == [""]:
            continue
        if len(row) != 3:
            found.problem(f"RECORD line {number}: expected 3 fields (path,hash,size), "
                          f"got {len(row)}")
            continue
        member, hash_field, size_field = row
        if member in out:
            found.problem(f"RECORD: {member} listed twice", member=member)
        out[member] = (number, hash_field, size_field)
    return out


def _stream_members(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], rows: Mapping[str, _Row],
    unhashed: set[str], found: Findings, *, archive: memoryview | None = None,
) -> dict[str, tuple[str, int]]:
    """Read every member once, in archive order: CRC and decompression errors surface
    here, and each file's hash and size are checked against its RECORD row as soon as its
    stream ends.  Returns each readable file's sha256 (urlsafe base64) and size.

    With the ``archive`` bytes in memory, small stored or deflated members are inflated in
    one call (zipfile's per-member file objects cost more than a small member's inflating).
    """
    digests: dict[str, tuple[str, int]] = {}
    for info in infos:
        if info.is_dir():
            continue
        row = rows.get(info.filename)
        algorithm = _row_algorithm(row[1]) if row is not None else None
        sha256 = hashlib.sha256()
        other = hashlib.new(algorithm) if algorithm not in (None, "sha256") else None
        size = 0
        try:
            data = _inflate(archive, info) if archive is not None else None
            chunks = [data] if data is not None else _chunks(zf, info)
            for chunk in chunks:
                sha256.update(chunk)
                if other is not None:
                    other.update(chunk)
                size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as err:
            found.problem(f"corrupt zip member {info.filename!r}: {err}", member=info.filename)
            continue
        digest = _b64(sha256.digest())
        digests[info.filename] = (digest, size)
        if row is not None:
            actual = digest if other is None else _b64(other.digest())
            if not (info.filename in unhashed and not row[1]):
                _check_row(info.filename, row, actual, size, found)
    return digests


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with zf.open(info) as member:
        while chunk := member.read(_CHUNK):
            yield chunk


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_INFLATE_AT_ONCE = 8 * 1024**2


def _inflate(archive: memoryview, info: zipfile.ZipInfo) -> bytes | None:
    """The member's bytes, CRC and size checked, or None to leave it to zipfile (large,
    encrypted, or compressed other than stored/deflated).  The sizes were bounded from the
    directory already (:func:`hwb_action._zipcheck.zip_problems`), and inflating stops at
    the declared size."""
    if info.file_size > _INFLATE_AT_ONCE or info.flag_bits & 0x1 \
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    header = archive[start:start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or bytes(header[:4]) != b"PK\x03\x04":
        raise zipfile.BadZipFile("Bad magic number for file header")
    name_len, extra_len = _LOCAL_HEADER.unpack(header)[9:11]
    begin = start + _LOCAL_HEADER.size + name_len + extra_len
    raw = archive[begin:begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise EOFError("the member's data is cut short")
    if info.compress_type == zipfile.ZIP_STORED:
        data = bytes(raw)
    else:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, info.file_size + 1)
        if len(data) > info.file_size or not inflater.eof:
            raise zipfile.BadZipFile(f"{info.filename!r}: the data does not end at its "
                                     "declared size")
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename!r}: {len(data)} bytes, the directory "
                                 f"says {info.file_size}")
    if zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def _row_algorithm(hash_field: str) -> str | None:
    algorithm, sep, expected = hash_field.partition("=")
    if sep and expected and algorithm not in _WEAK_HASHES \
            and algorithm in hashlib.algorithms_guaranteed:
        return algorithm
    return None


def _check_row(member: str, row: _Row, actual: str, size: int, found: Findings) -> None:
    _number, hash_field, size_field = row
    if not hash_field:
        found.problem(f"RECORD: no hash for {member}", member=member)
    else:
        algorithm, sep, expected = hash_field.partition("=")
        if not sep or not expected:
            found.problem(f"RECORD: malformed hash {hash_field!r} for {member}", member=member)
        elif _row_algorithm(hash_field) is None:
            found.problem(f"RECORD: hash algorithm {algorithm!r} for {member} is not allowed "
                          "(use sha256)", member=member)
        elif actual != expected.rstrip("="):
            found.problem(f"RECORD: hash mismatch for {member}", member=member)
    if not size_field:
        found.problem(f"RECORD: no size for {member}", member=member)
    elif size_field != str(size):
        found.problem(f"RECORD: size mismatch for {member} "
                      f"(RECORD says {size_field}, the file has {size})", member=member)


def _check_record_listing(
    rows: Mapping[str, _Row], *, dist_info: str, names: list[str],
    digests: Mapping[str, tuple[str, int]], found: Findings,
) -> None:
    """Rows without a member, and members without a row."""
    present = set(names)
    for member in rows:
        if member not in digests and member not in present:
            found.problem(f"RECORD: {member} is listed but not in the wheel", member=member)
    unhashed = {f"{dist_info}/{n}" for n in _UNHASHED}
    for name in names:
        if name.endswith("/") or name in rows or name in unhashed:
            continue
        found.problem(f"RECORD: {name} is not listed", member=name)


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


def _check_wheel_file(data: bytes, tags: tuple[str, ...], found: Findings) -> bool:
    """Check WHEEL; returns its Root-Is-Purelib (true when it cannot be read)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        found.problem("WHEEL is not valid UTF-8")
        return True
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
    return purelib != "false"


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
