"""A legacy-upload-API index on 127.0.0.1, in a thread of the test process, that keeps every
form field of every upload (``attestations`` among them) and serves what it stored as PEP 503
pages, so that re-runs and ``--skip-existing`` see it as they see any index."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.http_support import JsonHandler, ServedInThread


@dataclass
class IndexState:
    username: str
    password: str
    files: dict[str, bytes] = field(default_factory=dict)
    uploads: list[dict[str, str]] = field(default_factory=list)
    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """filename -> every form field of its upload, in order, repeats kept (the file part as
    ``("content", "FILENAME sha256=HEX")``)."""
    authorizations: list[tuple[str, str]] = field(default_factory=list)
    """(method, Authorization header) of every request that carried one, in order."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _form_fields(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes],
                                                          list[tuple[str, str]]]:
    """The text fields, the (filename, content) and every field in order of a
    multipart/form-data upload."""
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    upload = ("", b"")
    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_filename():
            upload = (str(part.get_filename()), data)
            pairs.append((str(name), f"{part.get_filename()} "
                                     f"sha256={hashlib.sha256(data).hexdigest()}"))
        elif isinstance(name, str):
            fields[name] = data.decode()
            pairs.append((name, data.decode()))
    return fields, upload, pairs


class _IndexHandler(JsonHandler):
    server: _IndexServer

    def _send(self, status: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record_authorization(self) -> None:
        header = self.headers.get("Authorization")
        if header is not None:
            with self.server.state.lock:
                self.server.state.authorizations.append((self.command, header))

    def do_GET(self) -> None:
        st = self.server.state
        self._record_authorization()
        path = urlsplit(self.path).path
        if path.startswith("/files/") and path[7:] in st.files:
            self._send(200, st.files[path[7:]], "application/octet-stream")
            return
        if path.rstrip("/") == "/simple":  # the root page: hwb probes it to find the index
            self._send(200, b"<html><body></body></html>", "text/html")
            return
        if path.startswith("/simple/"):
            project = path.strip("/").split("/")[-1]
            links = "".join(
                f'<a href="/files/{name}#sha256={hashlib.sha256(data).hexdigest()}">{name}</a>\n'
                for name, data in sorted(st.files.items())
                if name.lower().replace("_", "-").startswith(project + "-"))
            if not links:
                self._send(404, b"not found")
                return
            self._send(200, f"<html><body>\n{links}</body></html>".encode(), "text/html")
            return
        self._send(404, b"not found")

    def do_POST(self) -> None:
        st = self.server.state
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length)
        self._record_authorization()
        expected = "Basic " + base64.b64encode(f"{st.username}:{st.password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(403, b"Invalid or non-existent authentication information.")
            return
        fields, (filename, content), pairs = _form_fields(self.headers["Content-Type"], body)
        if fields.get(":action") != "file_upload" or not filename:
            self._send(400, b"not an upload")
            return
        with st.lock:
            if filename in st.files:
                self._send(400, b"File already exists.")
                return
            st.files[filename] = content
            st.uploads.append({"filename": filename, **fields})
            st.forms[filename] = pairs
        self._send(200, b"OK")


class _IndexServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: IndexState) -> None:
        super().__init__(("127.0.0.1", 0), _IndexHandler)
        self.state = state


class RecordingIndex(ServedInThread):
    """A legacy-upload-API index (upload at ``/``, PEP 503 pages at ``/simple/``) that keeps
    every form field of every upload, ``attestations`` among them."""

    def __init__(self, username: str, password: str) -> None:
        self.state = IndexState(username=username, password=password)
        super().__init__(_IndexServer(self.state))

    def attestations(self) -> dict[str, list[dict[str, Any]]]:
        """filename -> the attestations its upload carried (``[]``: the field was absent)."""
        return {u["filename"]: json.loads(u.get("attestations", "[]"))
                for u in self.state.uploads}
