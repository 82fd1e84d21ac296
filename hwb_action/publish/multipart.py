"""The legacy upload API's request body: the form fields twine sends, streamed from disk.

Why not ``twine.repository.Repository.upload``: importing it costs about 70 ms (rich's
progress bars, requests-toolbelt) and each ``Repository`` makes its own session, with a
user-agent string read from installed packages' metadata, so a parallel upload paid for a
session per thread and could not share keep-alive connections.  What twine sends is kept
exactly: the fields are twine's own :meth:`twine.package.PackageFile.metadata_dictionary`
(metadata from the file, ``name``, ``pyversion``, ``filetype``, ``sha256_digest``,
``blake2_256_digest``, ``attestations`` when attached), turned into form fields the way
twine does it (the reverse of Warehouse's ``parse_form_metadata``), then
``:action=file_upload``, ``protocol_version=1`` and the file as ``content``.

The body is a read-only file object of known length: requests sends it with a
``Content-Length`` (indexes refuse chunked uploads) and reads the file in blocks, so a
large wheel is never held in memory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

_BLOCK = 1 << 16


def form_fields(metadata: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The upload's form fields, in order, from twine's ``metadata_dictionary()``.

    Lists become one field per item, ``project_urls`` ``"name, url"`` fields, ``keywords``
    one comma-separated field, ``gpg_signature`` stays a ``(filename, bytes)`` file part."""
    fields: list[tuple[str, Any]] = []
    for key, value in metadata.items():
        if key == "gpg_signature":
            fields.append((key, tuple(value)))
        elif key == "project_urls":
            fields.extend((key, f"{label}, {url}") for label, url in dict(value).items())
        elif key == "keywords":
            fields.append((key, ", ".join(value) if isinstance(value, list | tuple) else value))
        elif isinstance(value, list | tuple):
            fields.extend((key, str(item)) for item in value)
        else:
            fields.append((key, str(value)))
    fields.append((":action", "file_upload"))
    fields.append(("protocol_version", "1"))
    return fields


def _quoted(value: str) -> str:
    # Field names and filenames here are ASCII (metadata keys, distribution filenames);
    # quotes, backslashes and line breaks are escaped so that no value can end the header.
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "%0D")
            .replace("\n", "%0A"))


class MultipartBody:
    """``multipart/form-data`` of ``fields`` plus ``path`` as the ``content`` file part,
    read in order by :meth:`read`; ``len()`` is the exact size of the body."""

    def __init__(self, fields: Iterable[tuple[str, Any]], path: Path | str, filename: str) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.path = Path(path)
        dash = f"--{self.boundary}\r\n".encode()
        head = bytearray()
        for name, value in fields:
            head += dash
            if isinstance(value, tuple):  # a file part: (filename, bytes)
                part_name, data = value
                head += (f'Content-Disposition: form-data; name="{_quoted(name)}"; '
                         f'filename="{_quoted(part_name)}"\r\n\r\n').encode()
                head += bytes(data) + b"\r\n"
            else:
                head += (f'Content-Disposition: form-data; name="{_quoted(name)}"'
                         "\r\n\r\n").encode()
                head += str(value).encode() + b"\r\n"
        head += dash
        head += (f'Content-Disposition: form-data; name="content"; '
                 f'filename="{_quoted(filename)}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode()
        self._head = bytes(head)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._size = os.path.getsize(self.path)
        self._stage = 0  # 0 head, 1 file, 2 tail, 3 done
        self._offset = 0
        self._file: BinaryIO | None = None

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def _next_stage(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._stage += 1
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body (``-1``: a block); ``b""`` at the end."""
        want = _BLOCK if size is None or size < 0 else size
        out = bytearray()
        while len(out) < want and self._stage < 3:
            if self._stage == 1:
                if self._file is None:
                    self._file = self.path.open("rb")
                chunk = self._file.read(want - len(out))
                if not chunk:
                    self._next_stage()
                    continue
                out += chunk
                continue
            data = self._head if self._stage == 0 else self._tail
            chunk = data[self._offset:self._offset + want - len(out)]
            self._offset += len(chunk)
            out += chunk
            if self._offset >= len(data):
                self._next_stage()
        return bytes(out)

    def close(self) -> None:
        """Close the file if a read was cut short."""
        if self._file is not None:
            self._file.close()
            self._file = None
