"""What the tests' stand-in HTTP servers share: a quiet JSON-speaking handler, and a server
served on 127.0.0.1 from a daemon thread for the length of a ``with`` block."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Self


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no log lines, and the two helpers every stand-in needs."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""


class ServedInThread:
    """``server`` served from a thread between ``__enter__`` and ``__exit__``; ``url`` is
    ``http://127.0.0.1:PORT`` followed by ``url_suffix``."""

    url_suffix = "/"

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.url_suffix}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
