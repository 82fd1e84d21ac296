"""Publishing against an index that misbehaves, written as the attacks and faults it must
survive: an index that cannot be read once (and accepts overwrites), one that gives a
malformed sha256, one that echoes the credentials back; credentials in URLs."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_hwb
from tests.publish_support import MotoServer, build_dists, running

USER = "uploader"
PASSWORD = "p@ss/w0rd+x y%41-7f3a"  # every character URL encoding and base64 change


@dataclass
class IndexState:
    """What the stand-in index holds and how it behaves next."""

    files: dict[str, bytes] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    fail_reads: int = 0  # answer 503 to the next N page reads (-1: always)
    bad_sha256: str | None = None  # give this instead of each file's sha256
    echo_credentials: bool = False  # answer uploads with 400 and the credentials echoed
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    """A PEP 503 index and legacy upload API that, unlike a real one, accepts overwrites."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if path == "/simple/":
            self._send(200, "<html><body></body></html>")
            return
        with st.lock:
            fail = st.fail_reads != 0
            if st.fail_reads > 0:
                st.fail_reads -= 1
        if fail:
            self._send(503, "Service Unavailable")
            return
        project = path.strip("/").split("/")[-1]
        links = []
        for name, data in sorted(st.files.items()):
            if name.replace("_", "-").startswith(project):
                digest = (hashlib.sha256(data).hexdigest() if st.bad_sha256 is None
                          else st.bad_sha256)
                links.append(f'<a href="/files/{name}#sha256={digest}">{name}</a><br>')
        if not links:
            self._send(404, "Not Found")
            return
        self._send(200, "<html><body>" + "\n".join(links) + "</body></html>")

    def do_POST(self) -> None:
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if st.echo_credentials:
            # As some proxies and index error pages do: the request, credentials and all.
            user, _, password = base64.b64decode(auth.split()[-1]).decode().partition(":")
            self._send(400, f"Bad Request: cannot parse upload. Authorization: {auth}; "
                            f"user={user}&password={urllib.parse.quote(password)}&"
                            f"again={urllib.parse.quote_plus(password)}",
                       "text/plain")
            return
        if auth != "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode():
            self._send(403, "Forbidden")
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "content":
                name = str(part.get_filename())
                with st.lock:
                    st.files[name] = bytes(part.get_payload(decode=True))
                    st.uploads.append(name)
        self._send(200, "OK")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: IndexState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@pytest.fixture
def index() -> Iterator[tuple[str, IndexState]]:
    state = IndexState()
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def dists(tmp_path: Path) -> list[Path]:
    return build_dists(tmp_path / "dist")


CREDENTIALS = {"TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD}


def statuses(stdout: str) -> list[str]:
    return [r["status"] for r in json.loads(stdout)["results"]]


def test_rerun_when_the_index_cannot_be_read_once_skips(
        index: tuple[str, IndexState], dists: list[Path], tmp_path: Path) -> None:
    url, state = index
    first = run_hwb("publish", "--json", "-r", url, cwd=tmp_path, env=CREDENTIALS)
    assert first.returncode == 0, first.stderr
    assert statuses(first.stdout) == ["uploaded", "uploaded"]
    published = dict(state.files)

    state.fail_reads = 1  # a transient error: the next read of the page fails
    again = run_hwb("publish", "--json", "-r", url, cwd=tmp_path, env=CREDENTIALS)
    assert again.returncode == 0, again.stderr
    assert statuses(again.stdout) == ["skipped", "skipped"]
    assert "reading the index again" in again.stderr
    assert len(state.uploads) == 2  # nothing was sent again...
    assert state.files == published  # ...so nothing was replaced


def test_an_index_that_cannot_be_read_gets_nothing(
        index: tuple[str, IndexState], dists: list[Path], tmp_path: Path) -> None:
    url, state = index
    first = run_hwb("publish", "--json", "-r", url, cwd=tmp_path, env=CREDENTIALS)
    assert first.returncode == 0, first.stderr
    rebuilt = build_dists(tmp_path / "rebuilt", value="other bytes, same names")
    state.fail_reads = -1
    result = run_hwb("publish", "--json", "-r", url, "--retries", "1", *map(str, rebuilt),
                     cwd=tmp_path, env=CREDENTIALS)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert [r["status"] for r in doc["results"]] == ["failed", "failed"]
    for r in doc["results"]:
        assert "could not read the index to check whether" in r["error"]
        assert "HTTP 503" in r["error"]
        assert "not uploaded, so that a published file is never replaced" in r["error"]
    assert len(state.uploads) == 2  # the first run's only
    assert {n: hashlib.sha256(d).hexdigest() for n, d in state.files.items()} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dists}


def test_opting_out_of_the_index_check_uploads_and_says_so(
        index: tuple[str, IndexState], dists: list[Path]) -> None:
    from hwb_action.ci import NullReporter
    from hwb_action.publish import PublishOptions, publish

    url, state = index
    state.fail_reads = -1
    reporter = NullReporter()
    options = PublishOptions(repository=url, username=USER, password=PASSWORD,
                             index_check=False, retries=0)
    report = publish(dists, options, environ={}, reporter=reporter)
    assert [r.status for r in report.results] == ["uploaded", "uploaded"]
    assert any("index check off" in line and "may replace a published file" in line
               for line in reporter.lines)


@pytest.mark.parametrize("bad", ["0" * 63, "g" * 64, "", "a" * 64 + "%0A::error::injected"])
def test_malformed_sha256_from_the_index_is_refused(
        bad: str, index: tuple[str, IndexState], dists: list[Path], tmp_path: Path) -> None:
    url, state = index
    assert run_hwb("publish", "-r", url, cwd=tmp_path, env=CREDENTIALS).returncode == 0
    state.bad_sha256 = bad
    result = run_hwb("publish", "--json", "-r", url, cwd=tmp_path, env=CREDENTIALS)
    assert result.returncode == 1
    for r in json.loads(result.stdout)["results"]:
        assert r["status"] == "failed"
        assert "already on the index" in r["error"]
        assert "not replaced" in r["error"]
        assert "malformed sha256" in r["error"]
    assert len(state.uploads) == 2
    assert "::error::injected" not in result.stdout


def _hidden_forms(password: str, user: str = USER) -> list[str]:
    pair = f"{user}:{password}".encode()
    return [password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password),
            urllib.parse.quote_plus(password), base64.b64encode(pair).decode(),
            base64.b64encode(password.encode()).decode().rstrip("=")]


def _outputs(result: Any, tmp_path: Path) -> dict[str, str]:
    texts = {"stdout": result.stdout,
             "stderr": "\n".join(line for line in result.stderr.splitlines()
                                 if not line.startswith("::add-mask::"))}
    for name in ("gh-output", "gh-summary.md"):
        path = tmp_path / name
        texts[name] = path.read_text() if path.exists() else ""
    return texts


def test_echoed_credentials_never_show(index: tuple[str, IndexState], dists: list[Path],
                                       tmp_path: Path) -> None:
    url, state = index
    state.echo_credentials = True
    github = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "gh-output"),
              "GITHUB_STEP_SUMMARY": str(tmp_path / "gh-summary.md")}
    quoted = urllib.parse.quote(PASSWORD, safe="")
    runs = [
        (["--json", "-v", "-r", url], {**CREDENTIALS, **github}),
        # the same pair written into the repository URL, percent-encoded
        (["--json", "-v", "-r", url.replace("//", f"//{USER}:{quoted}@")], github),
    ]
    for args, env in runs:
        result = run_hwb("publish", *args, cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        texts = _outputs(result, tmp_path)
        # the index's answer is shown (redacted), so the test would see a leak
        assert "Bad Request" in texts["stdout"]
        assert "Authorization: Basic ***" in texts["stdout"]
        for where, text in texts.items():
            for form in _hidden_forms(PASSWORD):
                assert form not in text, f"{form!r} leaked into {where}"


def test_token_as_url_user_never_shows(index: tuple[str, IndexState], dists: list[Path],
                                       tmp_path: Path) -> None:
    url, _ = index
    token = "pypi-AgEIcHlwaS5vcmcCJGExYjJjM2Q0"
    result = run_hwb("publish", "--json", "-v", "-r", url.replace("//", f"//{token}@"),
                      "--check", cwd=tmp_path, env=CREDENTIALS)
    for where, text in _outputs(result, tmp_path).items():
        for form in _hidden_forms(token):
            assert form not in text, f"{form!r} leaked into {where}"
    assert url in result.stdout  # the URL is shown, without its user


def test_credentials_in_the_endpoint_url_are_used_and_hidden(tmp_path: Path) -> None:
    secret = "s3-secret/key+value=="
    for moto in running(MotoServer(tmp_path)):
        moto.client().create_bucket(Bucket="wheels")
        files = build_dists(tmp_path / "dist")
        endpoint = moto.url.replace("//", f"//AKIDTEST:{urllib.parse.quote(secret, safe='')}@")
        result = run_hwb("publish", "--json", "-v", "-r", "s3://wheels/idx", "--endpoint-url",
                          endpoint, *map(str, files), cwd=tmp_path,
                          env={"AWS_DEFAULT_REGION": "us-east-1"})
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert [r["status"] for r in doc["results"]] == ["uploaded", "uploaded"]
        for r in doc["results"]:
            assert r["url"].startswith(moto.url + "/wheels/idx/packages/")
        for where, text in _outputs(result, tmp_path).items():
            for form in _hidden_forms(secret, "AKIDTEST"):
                assert form not in text, f"{form!r} leaked into {where}"
