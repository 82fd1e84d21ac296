"""Real servers for the publish tests, each on 127.0.0.1 on a free port, stopped by PID.

- :class:`PypiServer`: pypiserver with htpasswd auth (passlib);
- :class:`DevpiServer`: devpi-server with a user and a non-volatile index;
- :class:`MotoServer`: moto_server, an S3 API;
- :class:`IndexProxy`: an HTTP server in front of an index that can play PyPI's trusted
  publishing endpoints and GitHub's ID-token endpoint (nothing real can run here for those),
  answer 503 or cut connections on purpose, and forward everything else.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.cli_support import tool
from tests.http_support import JsonHandler, ServedInThread

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "tests" / "packages" / "publish_demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60, proc: subprocess.Popen[bytes] | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def build_dists(out: Path, version: str = "0.1.0", *, value: str = "demo",
                name: str = "hwb-publish-demo") -> list[Path]:
    """Build the demo project's sdist and wheel (hatchling, in a subprocess) into ``out``."""
    work = out.parent / f".src-{name}-{version}-{value}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(DEMO, work)
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text().replace('version = "0.1.0"', f'version = "{version}"')
    text = text.replace('name = "hwb-publish-demo"', f'name = "{name}"')
    pyproject.write_text(text)
    (work / "src" / "hwb_publish_demo" / "__init__.py").write_text(f"VALUE = {value!r}\n")
    out.mkdir(parents=True, exist_ok=True)
    code = ("import hatchling.build as b, sys; "
            "print(b.build_sdist(sys.argv[1])); print(b.build_wheel(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=work, check=True,
                          capture_output=True, text=True)
    return [out / line for line in done.stdout.split()]


def pip_install(index_url: str, requirement: str, target: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir",
         "--no-deps", "--index-url", index_url, "--target", str(target), requirement],
        env=env, capture_output=True, text=True, check=False, timeout=120)


# -- pypiserver ---------------------------------------------------------------------------
@dataclass
class PypiServer:
    root: Path
    users: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def simple(self) -> str:
        return f"{self.url}simple/"

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    def start(self) -> PypiServer:
        from passlib.apache import HtpasswdFile

        self.packages.mkdir(parents=True, exist_ok=True)
        ht = HtpasswdFile(str(self.root / "htpasswd"), new=True)
        for user, password in self.users.items():
            ht.set_password(user, password)
        ht.save()
        self.port = free_port()
        log = self.root / "pypiserver.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pypiserver", "run", "-p", str(self.port), "-i", "127.0.0.1",
             "-P", str(self.root / "htpasswd"), "-a", "update", "--disable-fallback",
             str(self.packages)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        wait_http(self.simple, proc=self.proc, log=log)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class DevpiServer:
    root: Path
    user: str = "alice"
    password: str = "devpi-secret-pw"
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def index(self) -> str:
        return f"{self.url}{self.user}/dev/"

    @property
    def simple(self) -> str:
        return f"{self.index}+simple/"

    def start(self) -> DevpiServer:
        server_dir = self.root / "server"
        subprocess.run([tool("devpi-init"), "--serverdir", str(server_dir),
                        "--root-passwd", "root-pw", "--no-root-pypi"],
                       check=True, capture_output=True)
        self.port = free_port()
        log = self.root / "devpi.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devpi_server", "--serverdir", str(server_dir),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        wait_http(self.url + "+api", timeout=120, proc=self.proc, log=log)
        client = ["--clientdir", str(self.root / "client")]
        for args in (["use", self.url], ["user", "-c", self.user, f"password={self.password}"],
                     ["login", self.user, "--password", self.password],
                     ["index", "-c", "dev", "volatile=False"]):
            subprocess.run([sys.executable, "-m", "devpi", *client, *args], check=True,
                           capture_output=True)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class MotoServer:
    root: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self.port = free_port()
        log = self.root / "moto.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        wait_http(self.url + "/moto-api/", proc=self.proc, log=log)
        return self

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id="testing",
                            aws_secret_access_key="testing", region_name="us-east-1")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


# -- fake PyPI OIDC endpoints / GitHub ID-token endpoint / fault proxy -----------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT (the fake index "verifies" it by remembering what it issued)."""
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(os.urandom(32))}"


GITHUB_CLAIMS = {
    "iss": "https://token.actions.githubusercontent.com", "sub": "repo:octo/demo:ref:refs/tags/v1",
    "repository": "octo/demo", "repository_owner": "octo", "repository_owner_id": "42",
    "workflow_ref": "octo/demo/.github/workflows/release.yml@refs/tags/v1",
    "job_workflow_ref": "octo/demo/.github/workflows/release.yml@refs/tags/v1",
    "ref": "refs/tags/v1", "environment": "pypi", "event_name": "push",
}
GITLAB_CLAIMS = {
    "iss": "https://gitlab.com", "sub": "project_path:octo/demo:ref_type:tag:ref:v1",
    "project_path": "octo/demo",
    "ci_config_ref_uri": "gitlab.com/octo/demo//.gitlab-ci.yml@refs/tags/v1",
    "ref_path": "refs/tags/v1", "environment": "pypi",
}


@dataclass
class ProxyState:
    upstream: str
    audience: str = "pypi"
    minted_token: str = ""
    request_token: str = ""
    claims: dict[str, Any] = field(default_factory=lambda: dict(GITHUB_CLAIMS))
    mint_error: str | None = None
    oidc: bool = False
    issued: set[str] = field(default_factory=set)
    exchanged: set[str] = field(default_factory=set)
    mints: int = 0
    burned: list[str] = field(default_factory=list)
    fail_uploads: int = 0  # answer 503 to the next N uploads
    cut_uploads: int = 0  # read part of the next N uploads, then drop the connection
    cut_after_forward: int = 0  # forward the next N uploads, then drop the connection
    uploads_seen: int = 0
    upload_delay: float = 0.0  # seconds added to each upload (a distant index, for benchmarks)
    uploads_forwarded: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, audience: str | None = None, **extra: Any) -> str:
        jwt = make_jwt({**self.claims, "aud": audience or self.audience, **extra})
        self.issued.add(jwt)
        return jwt


MINT_DESCRIPTIONS = {
    "invalid-payload": "1 validation error for TokenPayload",
    "not-enabled": "GitHub-based trusted publishing functionality not enabled",
    "invalid-token": "malformed or invalid token",
    "invalid-pending-publisher": "valid token, but project already exists",
    "invalid-reuse-token": "invalid token: already used",
    "invalid-publisher": "valid token, but no corresponding publisher (Publisher with "
                         "matching claims was not found)",
}


class _Handler(JsonHandler):
    server: _ProxyServer

    def do_GET(self) -> None:
        st = self.server.state
        parts = urlsplit(self.path)
        if st.oidc and parts.path == "/_/oidc/audience":
            self._json(200, {"audience": st.audience})
            return
        if st.oidc and parts.path == "/github-oidc":
            if self.headers.get("Authorization") != f"bearer {st.request_token}":
                self._json(401, {"message": "bad request token"})
                return
            audience = parse_qs(parts.query).get("audience", [st.audience])[0]
            self._json(200, {"value": st.issue(audience)})
            return
        self._forward(b"")

    def do_POST(self) -> None:
        st = self.server.state
        path = urlsplit(self.path).path
        if st.oidc and path == "/_/oidc/mint-token":
            self._mint(self._body())
            return
        if st.oidc and path == "/_/oidc/burn-token":
            try:
                st.burned.append(json.loads(self._body())["token"])
            except (ValueError, KeyError):
                self._json(400, {"message": "bad payload"})
                return
            self._json(200, {"success": True})
            return
        with st.lock:
            st.uploads_seen += 1
            fail = st.fail_uploads > 0
            st.fail_uploads -= fail
            cut = not fail and st.cut_uploads > 0
            st.cut_uploads -= cut
            cut_after = not fail and not cut and st.cut_after_forward > 0
            st.cut_after_forward -= cut_after
        if fail:
            self._body()
            self._json(503, {"message": "Service Unavailable"})
            return
        if cut:
            length = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(max(1, length // 2))
            self._drop()
            return
        body = self._body()
        if st.upload_delay:
            time.sleep(st.upload_delay)
        if cut_after:
            self._forward(body, respond=False)
            self._drop()
            return
        self._forward(body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _mint(self, raw: bytes) -> None:
        st = self.server.state
        with st.lock:
            st.mints += 1
        if st.mint_error:
            code = st.mint_error
            self._json(422, {"message": "Token request failed",
                             "errors": [{"code": code, "description": MINT_DESCRIPTIONS[code]}]})
            return
        try:
            jwt = json.loads(raw)["token"]
        except (ValueError, KeyError, TypeError):
            self._json(422, {"message": "Token request failed", "errors": [
                {"code": "invalid-payload", "description": MINT_DESCRIPTIONS["invalid-payload"]}]})
            return
        if jwt not in st.issued:
            self._json(422, {"message": "Token request failed", "errors": [
                {"code": "invalid-token", "description": MINT_DESCRIPTIONS["invalid-token"]}]})
            return
        if jwt in st.exchanged:
            self._json(422, {"message": "Token request failed", "errors": [
                {"code": "invalid-reuse-token",
                 "description": MINT_DESCRIPTIONS["invalid-reuse-token"]}]})
            return
        st.exchanged.add(jwt)
        self._json(200, {"success": True, "token": st.minted_token,
                         "expires": int(time.time()) + 900})

    def _forward(self, body: bytes, *, respond: bool = True) -> None:
        st = self.server.state
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        resp = requests.request(self.command, st.upstream.rstrip("/") + self.path, data=body,
                                headers=headers, allow_redirects=False, timeout=60)
        if self.command == "POST" and resp.status_code == 200:
            with st.lock:
                st.uploads_forwarded.append(self.path)
        if not respond:
            return
        self.send_response(resp.status_code, resp.reason)
        for key, value in resp.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                   "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.content)))
        self.end_headers()
        self.wfile.write(resp.content)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ProxyState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class IndexProxy(ServedInThread):
    """The proxy, in a thread of the test process."""

    def __init__(self, upstream: str, **state: Any) -> None:
        self.state = ProxyState(upstream=upstream, **state)
        super().__init__(_ProxyServer(self.state))


def running(server: Any) -> Iterator[Any]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
