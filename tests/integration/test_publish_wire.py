"""What goes over the wire: hwb publish sends the very form fields `twine upload` sends.

hwb makes the upload request itself (speed: no twine.repository import, one shared
keep-alive session); these tests upload the same files with twine and with hwb to two
recording indexes on 127.0.0.1 and compare every field, repeats included.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.index_support import RecordingIndex

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "Wire_Demo"
version = "1.2.3"
description = "fields with \\"quotes\\", ünïcödé and a comma, here"
readme = "README.md"
requires-python = ">=3.9"
license = "MIT"
keywords = ["alpha", "beta gamma"]
authors = [{name = "Ada Lovelace", email = "ada@example.org"}]
classifiers = [
    "Programming Language :: Python :: 3",
    "Operating System :: OS Independent",
    "Development Status :: 4 - Beta",
]
dependencies = ["packaging>=20", "tomli; python_version < '3.11'"]

[project.optional-dependencies]
extra = ["rich"]

[project.urls]
Homepage = "https://example.org/wire"
"Bug Tracker" = "https://example.org/wire/issues"

[tool.hatch.build.targets.wheel]
packages = ["src/wire_demo"]
"""


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    src = tmp_path_factory.mktemp("wire-src")
    (src / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (src / "README.md").write_text("# Wire demo\n\nA line.\r\nAnother: ünïcödé.\n",
                                   encoding="utf-8")
    (src / "src" / "wire_demo").mkdir(parents=True)
    (src / "src" / "wire_demo" / "__init__.py").write_text("VALUE = 1\n")
    out = tmp_path_factory.mktemp("wire-dist")
    code = ("import hatchling.build as b, sys; "
            "print(b.build_sdist(sys.argv[1])); print(b.build_wheel(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, check=True,
                          capture_output=True, text=True)
    return [out / line for line in done.stdout.split()]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("TWINE_", "HWB_", "GITHUB_", "GITLAB_"))}


def test_hwb_sends_what_twine_sends(dists: list[Path], tmp_path: Path) -> None:
    with RecordingIndex("uploader", "pw-wire") as by_twine, \
            RecordingIndex("uploader", "pw-wire") as by_hwb:
        twine = subprocess.run(
            [sys.executable, "-m", "twine", "upload", "--repository-url", by_twine.url,
             "-u", "uploader", "-p", "pw-wire", "--non-interactive", "--disable-progress-bar",
             *map(str, dists)], env=_env(), capture_output=True, text=True, check=False)
        assert twine.returncode == 0, twine.stdout + twine.stderr
        hwb = run_hwb("publish", "--json", "-r", by_hwb.url, "--username", "uploader",
                      "--password", "pw-wire", "--no-attestations", *map(str, dists),
                      cwd=tmp_path, env=_env())
        assert hwb.returncode == 0, hwb.stderr
        names = sorted(d.name for d in dists)
        assert sorted(by_twine.state.forms) == names
        assert sorted(by_hwb.state.forms) == names
        for name in names:
            sent_by_twine = by_twine.state.forms[name]
            sent_by_hwb = by_hwb.state.forms[name]
            # twine's own field order follows a frozenset of metadata keys (it changes from
            # one process to the next); the fields and their values must be the same.
            assert sorted(sent_by_hwb) == sorted(sent_by_twine), name
            keys = [key for key, _ in sent_by_hwb]
            # The fields an index needs, and the repeats (one per classifier, per URL).
            assert {":action", "protocol_version", "sha256_digest", "blake2_256_digest",
                    "name", "version", "filetype", "pyversion", "metadata_version",
                    "content"} <= set(keys)
            assert keys.count("classifiers") == 3
            assert keys.count("project_urls") == 2
            assert ("keywords", "alpha, beta gamma") in sent_by_hwb
            assert dict(sent_by_hwb)[":action"] == "file_upload"
            assert by_hwb.state.files[name] == (dists[0].parent / name).read_bytes()


def test_redirect_is_refused_not_followed(dists: list[Path], tmp_path: Path) -> None:
    """A 301/302/307/308 from the upload URL is an error naming the new location; the file
    is not sent there (a redirect may change POST into GET, or point elsewhere)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Redirecting(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            hits.append(f"GET {self.path}")
            found = self.path == "/upload/simple/"  # the index root; no project is there
            body = b"<html><body></body></html>" if found else b""
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            hits.append(f"POST {self.path}")
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/upload/"
        done = run_hwb("publish", "--json", "-r", url, "--username", "u", "--password", "p",
                       "--no-attestations", str(dists[0]), cwd=tmp_path, env=_env())
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert done.returncode == 1
    assert "redirect (HTTP 307)" in done.stdout + done.stderr
    assert "127.0.0.1:9/elsewhere/" in done.stdout + done.stderr
    assert [h for h in hits if h.startswith("POST")] == ["POST /upload/"]


def test_known_project_uploads_in_parallel(tmp_path: Path) -> None:
    """A project the index already holds needs no leader: its sdist and wheel are in flight
    together (the index below holds each upload until a second one arrives; uploads one at a
    time would break that barrier and get HTTP 500)."""
    import threading

    from tests.index_support import _IndexHandler
    from tests.publish_support import build_dists

    barrier = threading.Barrier(2, timeout=30)

    class TwoAtOnce(_IndexHandler):
        def do_POST(self) -> None:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                length = int(self.headers.get("Content-Length", "0") or 0)
                self.rfile.read(length)
                self._send(500, b"uploads came one at a time")
                return
            super().do_POST()

    new = build_dists(tmp_path / "dist", "1.0.1")
    with RecordingIndex("uploader", "pw-wire") as index:
        index.server.RequestHandlerClass = TwoAtOnce
        index.state.files["hwb_publish_demo-1.0.0.tar.gz"] = b"an earlier release"
        done = run_hwb("publish", "--json", "-r", index.url, "--username", "uploader",
                       "--password", "pw-wire", "--no-attestations", "--jobs", "2",
                       "--retries", "0", *map(str, new), cwd=tmp_path, env=_env())
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(index.state.forms) == sorted(p.name for p in new)
