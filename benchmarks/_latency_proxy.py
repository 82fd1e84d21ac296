"""An HTTP proxy on 127.0.0.1 that holds every request ``delay`` seconds before passing it
on: an index across a network (PyPI answers in 100-300 ms) for the publish benchmark.

The client's Host header is passed on, so that URLs the index writes point at the proxy.
Keep-alive on both sides (one upstream connection per client connection), so a client that
reuses connections gains what it would gain on a real network.  Chunked request bodies
(some clients stream uploads) are read whole and passed on with a Content-Length.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade", "content-length"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def _upstream(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self, "_conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
            self._conn: http.client.HTTPConnection | None = conn
        return conn

    def _relay(self) -> None:
        body = self._body()
        time.sleep(self.server.delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # the upstream may have closed an idle connection
            conn = self._upstream()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        self.send_response(resp.status, resp.reason)
        for key, value in resp.getheaders():
            if key.lower() not in _HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with self.server.lock:
            self.server.requests += 1

    do_GET = do_POST = do_PUT = do_HEAD = _relay


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parts = urlsplit(upstream)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = 0


class LatencyProxy:
    """``with LatencyProxy("http://127.0.0.1:PORT/", 0.1) as proxy: ... proxy.url``"""

    def __init__(self, upstream: str, delay: float) -> None:
        self.server = _Server(upstream, delay)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def requests(self) -> int:
        return self.server.requests

    def __enter__(self) -> LatencyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
