"""sdists named by URL, downloaded from a real http.server on 127.0.0.1 started here."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import io
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hwb_action._text import human_size
from hwb_action.ci import NullReporter
from hwb_action.errors import EXIT_FAILED, SourceError, UsageError
from hwb_action.source import DEFAULT_MAX_DOWNLOAD, ResolvedSource, open_source, safe_extract
from hwb_action.source.download import download

USER, PASSWORD = "deploy", "s3cr3t-pa55word"


def _sdist_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b'[project]\nname = "demo"\nversion = "1.0"\n'
        info = tarfile.TarInfo("demo-1.0/pyproject.toml")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


SDIST = _sdist_bytes()


@dataclass
class Served:
    base: str
    auth_seen: dict[str, str | None] = field(default_factory=dict)


class _Handler(http.server.BaseHTTPRequestHandler):
    served: Served

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None,
              length: int | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _slow(self, *, drip: bool) -> None:
        """A slow server: one byte a second (each read gets data, so only a deadline for
        the whole download ends it), or headers and then nothing at all."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(SDIST)))
        self.end_headers()
        try:
            for byte in SDIST[:30]:
                if drip:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                time.sleep(1)
        except OSError:  # the client gave up, as it should
            return

    def _drip_headers(self) -> None:
        """A header line that never ends, one byte a second."""
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(30):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            return

    def do_GET(self) -> None:
        self.served.auth_seen[self.path] = self.headers.get("Authorization")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.path == "/files/demo-1.0.tar.gz":
            self._send(200, SDIST)
        elif self.path == "/private/demo-1.0.tar.gz":
            if self.headers.get("Authorization") == expected:
                self._send(200, SDIST)
            else:
                self._send(401, b"no", {"WWW-Authenticate": 'Basic realm="x"'})
        elif self.path == "/private-redirect/demo-1.0.tar.gz":
            self._send(302, headers={"Location": "/files/demo-1.0.tar.gz"})
        elif self.path == "/redirect-away/demo-1.0.tar.gz":
            self._send(302, headers={"Location": "http://files.example/demo-1.0.tar.gz"})
        elif self.path == "/stream/demo-1.0.tar.gz":  # no Content-Length: ends at close
            self.send_response(200)
            self.end_headers()
            self.wfile.write(SDIST)
        elif self.path == "/declared-big/demo-1.0.tar.gz":
            self._send(200, b"", length=10**9)
        elif self.path in ("/drip/demo-1.0.tar.gz", "/stall/demo-1.0.tar.gz"):
            self._slow(drip=self.path.startswith("/drip/"))
        elif self.path == "/drip-headers/demo-1.0.tar.gz":
            self._drip_headers()
        else:
            self._send(404, b"not here")


@pytest.fixture
def server() -> Iterator[Served]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    served = Served(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    _Handler.served = served
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield served
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _open(spec: str, workdir: Path, reporter: NullReporter | None = None,
          max_download: int = DEFAULT_MAX_DOWNLOAD,
          ) -> contextlib.AbstractContextManager[ResolvedSource]:
    return open_source(spec, reporter=reporter or NullReporter(verbose=True), environ={},
                       cwd=workdir.parent, workdir=workdir, max_download=max_download)


def test_download_and_extract(server: Served, tmp_path: Path) -> None:
    work = tmp_path / "w"
    reporter = NullReporter()
    digest = hashlib.sha256(SDIST).hexdigest()
    with _open(f"{server.base}/files/demo-1.0.tar.gz#sha256={digest}", work, reporter) as src:
        assert src.kind == "sdist"
        assert src.path.name == "demo-1.0.tar.gz"
        assert src.path.is_relative_to(work)
        assert src.path.read_bytes() == SDIST
        top = safe_extract(src.path, src.path.parent / "x")
        assert (top / "pyproject.toml").read_text().startswith("[project]")
    assert list(work.iterdir()) == []
    assert f"source: demo-1.0.tar.gz, {human_size(len(SDIST))}, sha256 {digest}" in reporter.lines
    with pytest.raises(SourceError, match="has sha256"), _open(
        f"{server.base}/files/demo-1.0.tar.gz#sha256={'0' * 64}", work
    ):
        pytest.fail("must not get here")


def test_credentials_sent_but_never_shown(server: Served, tmp_path: Path) -> None:
    reporter = NullReporter(verbose=True)
    spec = f"http://{USER}:{PASSWORD}@127.0.0.1:{server.base.rsplit(':', 1)[1]}" \
           "/private/demo-1.0.tar.gz"
    with _open(spec, tmp_path / "w", reporter) as src:
        assert src.path.read_bytes() == SDIST
        assert PASSWORD not in src.spec
        assert "***@" in src.spec
    assert server.auth_seen["/private/demo-1.0.tar.gz"] is not None
    assert not any(PASSWORD in line for line in reporter.lines)
    # Wrong password: the error names the URL without it.
    bad = spec.replace(PASSWORD, "wrong-password-1")
    with pytest.raises(SourceError) as info, _open(bad, tmp_path / "w", reporter):
        pytest.fail("must not get here")
    assert "HTTP 401" in info.value.message
    assert "wrong-password-1" not in str(info.value)
    assert "***@127.0.0.1" in info.value.message


def test_credentials_not_forwarded_on_redirect(server: Served, tmp_path: Path) -> None:
    spec = server.base.replace("http://", f"http://{USER}:{PASSWORD}@") \
        + "/private-redirect/demo-1.0.tar.gz"
    with _open(spec, tmp_path / "w") as src:
        assert src.path.read_bytes() == SDIST
    assert server.auth_seen["/private-redirect/demo-1.0.tar.gz"] is not None
    assert server.auth_seen["/files/demo-1.0.tar.gz"] is None


def test_http_404_is_a_clear_error(server: Served, tmp_path: Path) -> None:
    work = tmp_path / "w"
    with pytest.raises(SourceError) as info, _open(f"{server.base}/gone-1.0.tar.gz", work):
        pytest.fail("must not get here")
    assert info.value.exit_code == EXIT_FAILED
    assert info.value.message == f"download of {server.base}/gone-1.0.tar.gz failed: " \
                                 "HTTP 404 Not Found"
    assert list(work.iterdir()) == []


def test_redirect_to_plain_http_elsewhere_is_refused(server: Served, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="which is not https"), _open(
        f"{server.base}/redirect-away/demo-1.0.tar.gz", tmp_path / "w"
    ):
        pytest.fail("must not get here")


def test_size_bound(server: Served, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="more than the limit of 1000000"), _open(
        f"{server.base}/declared-big/demo-1.0.tar.gz", tmp_path / "w", max_download=10**6
    ):
        pytest.fail("must not get here")
    # Without a Content-Length the count of streamed bytes stops it.
    with pytest.raises(SourceError, match="more than the limit of 100 bytes"):
        download(f"{server.base}/stream/demo-1.0.tar.gz", tmp_path, environ={}, max_bytes=100)
    assert download(f"{server.base}/stream/demo-1.0.tar.gz", tmp_path / "ok", environ={},
                    max_bytes=1000).read_bytes() == SDIST


def test_truncated_body_is_an_error(server: Served, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cut off after 0 of 1000000000 bytes"), _open(
        f"{server.base}/declared-big/demo-1.0.tar.gz", tmp_path / "w"
    ):
        pytest.fail("must not get here")


def test_plain_http_elsewhere_needs_allow_http(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="plain http"):
        download("http://files.example/demo-1.0.tar.gz", tmp_path, environ={})


def test_a_slow_drip_is_cut_off_by_the_deadline(server: Served, tmp_path: Path) -> None:
    # Each read gets a byte within the per-read timeout; HWB_DOWNLOAD_DEADLINE ends it.
    with pytest.raises(SourceError, match="took longer than 2 seconds") as info, open_source(
        f"{server.base}/drip/demo-1.0.tar.gz", reporter=NullReporter(),
        environ={"HWB_DOWNLOAD_DEADLINE": "2"}, cwd=tmp_path, workdir=tmp_path / "w",
    ):
        pytest.fail("must not get here")
    assert "HWB_DOWNLOAD_DEADLINE" in (info.value.hint or "")
    assert list((tmp_path / "w").iterdir()) == []


def test_a_stalled_server_hits_the_read_timeout(server: Served, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no data for 1 seconds") as info:
        download(f"{server.base}/stall/demo-1.0.tar.gz", tmp_path, environ={}, timeout=1)
    assert "HWB_DOWNLOAD_TIMEOUT" in (info.value.hint or "")


def test_download_time_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="HWB_DOWNLOAD_DEADLINE='soon'"):
        download("https://files.example/demo-1.0.tar.gz", tmp_path,
                 environ={"HWB_DOWNLOAD_DEADLINE": "soon"})


def test_headers_that_drip_are_cut_off_by_the_deadline(server: Served, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="took longer than 2 seconds"):
        download(f"{server.base}/drip-headers/demo-1.0.tar.gz", tmp_path, environ={},
                 deadline=2)
