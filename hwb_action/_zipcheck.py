"""Bounds on a zip archive, checked from its directory before any member is read.

A zip bomb either declares huge sizes, holds a huge number of members, or makes many
central-directory entries point into the same compressed bytes (overlapping entries, so
a small file expands without bound while every declared size looks modest).  All three
are visible from the central directory and the 30-byte local headers, so they are
refused here before decompression starts.  Used by safe extraction and by ``hwb check``.

Kept importable on Python 3.8 (like :mod:`hwb_action.source.archive`).
"""

from __future__ import annotations

import struct
import zipfile
from typing import IO

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"
RATIO_FLOOR = 16 * 1024**2
"""The ratio bound applies only once this many bytes would be written."""


def zip_problems(
    zf: zipfile.ZipFile,
    archive_size: int,
    *,
    max_members: int,
    max_bytes: int,
    max_ratio: int,
) -> list[str]:
    """What is wrong with ``zf``'s layout and sizes (empty when nothing is), without
    decompressing anything: too many members, too many bytes declared, a compression
    ratio past ``max_ratio``, entries that overlap or run into the central directory."""
    infos = zf.infolist()
    if len(infos) > max_members:
        return [f"has {len(infos)} members, more than the limit of {max_members}"]
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        return [f"declares {total} bytes uncompressed, more than the limit of {max_bytes}"]
    if total > RATIO_FLOOR and total > max_ratio * max(archive_size, 1):
        return [f"declares {total} bytes from {archive_size}: a compression ratio past "
                f"{max_ratio}:1 (a decompression bomb)"]
    fp = zf.fp
    if fp is None:
        return []
    return _overlaps(fp, infos, getattr(zf, "start_dir", None))


def _overlaps(fp: IO[bytes], infos: list[zipfile.ZipInfo], end: int | None) -> list[str]:
    spans = []
    for info in sorted(infos, key=lambda i: i.header_offset):
        fp.seek(info.header_offset)
        raw = fp.read(_LOCAL_HEADER.size)
        if len(raw) != _LOCAL_HEADER.size or raw[:4] != _LOCAL_MAGIC:
            return [f"member {info.filename!r} has no local header where the directory "
                    "says it starts"]
        name_len, extra_len = _LOCAL_HEADER.unpack(raw)[9:11]
        data_end = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        spans.append((info.header_offset, data_end + info.compress_size, info.filename))
    problems: list[str] = []
    for i in range(1, len(spans)):  # (itertools.pairwise is not in Python 3.8)
        (_, stop, name), (start, _, following) = spans[i - 1], spans[i]
        if start < stop:
            problems.append(f"members {name!r} and {following!r} overlap (a zip bomb or a "
                            "corrupt archive)")
            break
    if end is not None and spans and spans[-1][1] > end:
        problems.append(f"member {spans[-1][2]!r} runs into the central directory")
    return problems
