"""Container builds for real: hwb -> cibuildwheel -> podman, with a locally built image.

The manylinux-like image (Debian bookworm, CPython 3.11, auditwheel, an offline wheelhouse)
is made once and cached by tests/container_support.py.  These tests skip only where podman
cannot exist (not Linux/x86_64, not installed, not root for debootstrap); .ci/run installs
and configures it so that in CI they run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwb_action.builder.container import CibuildwheelError, build_in_container, find_engine
from hwb_action.ci import NullReporter
from hwb_action.options import BuildOptions, from_settings
from hwb_action.settings import resolve
from tests.cli_support import run_hwb
from tests.container_support import Unavailable, ensure_manylinux_image, podman_env

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "tests" / "packages"
TARGET = "cp311-manylinux_x86_64"

pytestmark = [pytest.mark.container, pytest.mark.slow]


@pytest.fixture(scope="module")
def image() -> str:
    try:
        return ensure_manylinux_image()
    except Unavailable as err:
        pytest.skip(f"no container engine can run here: {err}")


def _env(**extra: str) -> dict[str, str]:
    env = podman_env()
    for name in list(env):
        if name.startswith(("CIBW_", "HWB_", "DOCKER_")) or name == "CI":
            del env[name]
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def _project(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(PACKAGES / name, dest)
    return dest


def _wheel_from_json(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(done.stdout)
    wheels = [a for a in data["artifacts"] if a["kind"] == "wheel"]
    assert len(wheels) == 1, data
    wheel: dict[str, object] = wheels[0]
    return wheel


def test_c_extension_builds_repairs_and_tests_inside_the_container(
        image: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "cext_simple")
    out = tmp_path / "dist"
    env = _env(HWB_TEST_MARK="passed-through",
               CIBW_ENVIRONMENT_PASS_LINUX="HWB_TEST_MARK")
    # What a matrix job does: take one cell of `hwb plan` and build exactly that target.
    plan = run_hwb("plan", str(project), "--json", cwd=ROOT, env=env)
    assert plan.returncode == 0, plan.stderr
    cells = [c for c in json.loads(plan.stdout)["include"] if TARGET in c["identifiers"]]
    assert len(cells) == 1
    done = run_hwb("build", str(project), "--isolation", "container",
                   "--target", TARGET,
                   "--container-engine", "podman", "--manylinux", image,
                   "--environment", "CEXT_GREETING=from-hwb-settings",
                   "--before-build", "echo before-build says $CEXT_GREETING",
                   "--test-requires", "pytest",
                   "--test-command", "python {project}/tests/test_add.py && pytest -q "
                   "{project}/tests && echo mark=$HWB_TEST_MARK",
                   "-o", str(out), "--json", cwd=ROOT, env=env)
    wheel = _wheel_from_json(done)
    log = done.stderr
    # Built, repaired and tested inside the container, through cibuildwheel.
    assert f"[{TARGET}]" in log
    assert "auditwheel repair" in log
    assert "before-build says from-hwb-settings" in log
    assert "cext_simple OK: 5" in log
    assert "1 passed" in log
    assert "mark=passed-through" in log  # a user's own CIBW_* variable passed through
    # ... and out checked, with a manylinux tag and a checksum.
    tags = wheel["tags"]
    assert isinstance(tags, list)
    assert all("manylinux" in t for t in tags), tags
    assert all(t.startswith("cp311-cp311-") for t in tags), tags
    path = Path(str(wheel["path"]))
    assert path.parent == out
    assert path.is_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert wheel["sha256"] == digest
    assert f"{digest}  {path.name}" in (out / "SHA256SUMS").read_text()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        wheel_meta = zf.read("cext_simple-0.1.0.dist-info/WHEEL").decode()
    assert any(n.startswith("cext_simple/_add.cpython-311-x86_64-linux-gnu") for n in names)
    assert "Root-Is-Purelib: false" in wheel_meta
    assert sorted(p.name for p in out.iterdir()) == sorted(["SHA256SUMS", path.name])


def test_compiler_error_becomes_a_build_error(image: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "cext_broken")
    environ = _env()
    options = from_settings(BuildOptions, resolve(
        "build", cli={"manylinux": image, "container-engine": "podman"},
        environ={}, project_dir=project))
    reporter = NullReporter()
    with pytest.raises(CibuildwheelError) as info:
        build_in_container(project_dir=project, targets=[TARGET], options=options,
                           out_dir=tmp_path / "out", reporter=reporter, environ=environ)
    err = info.value
    assert err.returncode == 1
    assert err.exit_code == 1
    assert err.message.startswith(f"cibuildwheel failed with exit code 1 building {TARGET}")
    assert any("error" in d and "hwb-test: this extension does not compile" in d
               for d in err.details), err.details
    assert "CIBW_DEBUG_KEEP_CONTAINER=1" in (err.hint or "")  # how to look into it
    # streamed as it came, prefixed with the target
    assert any(line.startswith(f"[{TARGET}] ") for line in reporter.lines)
    assert not list((tmp_path / "out").glob("*.whl"))


def test_target_not_in_the_plan_is_a_usage_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "cext_simple")
    done = run_hwb("build", str(project), "--isolation", "container", "--target",
                   "cp311-manylinux_s390x", "-o", str(tmp_path / "dist"), cwd=ROOT, env=_env())
    assert done.returncode == 2, done.stderr
    assert "cp311-manylinux_s390x" in done.stderr
    assert "not in the build plan" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def _broken_podman_env(tmp_path: Path) -> dict[str, str]:
    conf = tmp_path / "broken-containers.conf"
    conf.write_text('[engine]\nruntime = "hwb-no-such-runtime"\n')
    return _env(CONTAINERS_CONF=str(conf))


def test_broken_engine_is_a_clear_error(tmp_path: Path) -> None:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (.ci/setup-containers.sh installs it)")
    project = _project(tmp_path, "cext_simple")
    done = run_hwb("build", str(project), "--isolation", "container", "--container-engine",
                   "podman", "--target", TARGET, "-o", str(tmp_path / "dist"),
                   cwd=ROOT, env=_broken_podman_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "no working container engine (podman)" in done.stderr
    assert "hwb-no-such-runtime" in done.stderr  # podman's own reason
    assert "TIP:" in done.stderr
    assert "Traceback" not in done.stderr


def test_auto_falls_back_to_the_host_when_the_engine_is_broken(tmp_path: Path) -> None:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (.ci/setup-containers.sh installs it)")
    env = _broken_podman_env(tmp_path)
    options = from_settings(BuildOptions, resolve("build", cli={"container-engine": "podman"},
                                                  environ={}))
    assert find_engine(options, env) is None
    project = _project(tmp_path, "cext_simple")
    env["CI"] = "true"  # in CI, auto means containers when an engine works
    done = run_hwb("build", str(project), "--wheel", "--container-engine", "podman",
                   "-o", str(tmp_path / "dist"), "--json", cwd=ROOT, env=env)
    wheel = _wheel_from_json(done)
    assert "no working container engine" in done.stderr
    assert "host's glibc" in done.stderr
    assert "with cibuildwheel" not in done.stderr
    assert str(wheel["filename"]).startswith("cext_simple-0.1.0-cp311-cp311-")


@pytest.fixture
def docker_socket(image: str, tmp_path: Path) -> Iterator[str]:
    """``podman system service`` on a socket of its own, stopped by PID afterwards."""
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI to talk to the socket (.ci/setup-containers.sh installs "
                    "docker.io)")
    sock = tmp_path / "podman.sock"
    url = f"unix://{sock}"
    proc = subprocess.Popen(["podman", "system", "service", "--time=0", url], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"podman system service did not start: {proc.stderr!r}")
            time.sleep(0.1)
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def test_auto_uses_docker_through_docker_host(image: str, docker_socket: str,
                                              tmp_path: Path) -> None:
    project = _project(tmp_path, "cext_simple")
    env = _env(DOCKER_HOST=docker_socket)
    done = run_hwb("build", str(project), "--target", TARGET, "--manylinux", image,
                   "--test-command", "python {project}/tests/test_add.py",
                   "-o", str(tmp_path / "dist"), "--json", cwd=ROOT, env=env)
    wheel = _wheel_from_json(done)
    assert f"(docker at {docker_socket})" in done.stderr
    assert "cext_simple OK: 5" in done.stderr
    tags = wheel["tags"]
    assert isinstance(tags, list)
    assert all("manylinux" in t for t in tags)


def test_without_a_target_sdist_on_the_host_and_wheel_from_it_in_the_container(
        image: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "cext_simple")
    out = tmp_path / "dist"
    # Remove a file that the sdist leaves out: a wheel built from the tree would still hold it.
    (project / "MANIFEST.in").write_text("exclude src/cext_simple/not_in_sdist.py\n")
    (project / "src" / "cext_simple" / "not_in_sdist.py").write_text("LEAK = 1\n")
    # The test image holds CPython 3.11 only: select its targets as a user would.
    done = run_hwb("build", str(project), "--isolation", "container", "--container-engine",
                   "podman", "--manylinux", image, "--build", "cp311-manylinux*", "-o", str(out),
                   "--json",
                   cwd=ROOT, env=_env(HWB_CACHE_DIR=str(tmp_path / "cache")))
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(done.stdout)
    kinds = sorted(a["kind"] for a in data["artifacts"])
    assert kinds == ["sdist", "wheel"]
    (wheel,) = [a for a in data["artifacts"] if a["kind"] == "wheel"]
    assert "manylinux" in wheel["filename"]
    assert data["wheels"][0]["python"] == "3.11"
    with zipfile.ZipFile(wheel["path"]) as zf:
        names = zf.namelist()
    assert "cext_simple/__init__.py" in names
    assert "cext_simple/not_in_sdist.py" not in names


def _recorded_settings(wheel_path: str) -> dict[str, str]:
    with zipfile.ZipFile(wheel_path) as zf:
        recorded: dict[str, str] = json.loads(zf.read("cext_config_record/config_settings.json"))
    return recorded


@pytest.mark.parametrize("matrix", ["runner", "target"])
def test_a_plan_cell_builds_through_cibuildwheel_with_config_settings(
        image: str, tmp_path: Path, matrix: str) -> None:
    """What a matrix job does: `hwb plan` gives the cells, the job passes its cell's
    ``target`` to `hwb build`; cibuildwheel builds the cell's identifiers in one run, from
    the sdist hwb built first, and the config settings reach the in-tree backend inside
    the container (it writes them into the wheel)."""
    project = _project(tmp_path, "cext_config_record")
    env = _env()
    # The image holds CPython 3.11 only: a plan narrowed to what it can build.
    narrow = ("--platforms", "linux", "--archs", "x86_64", "--python-versions", "3.11",
              "--musllinux", "none")
    plan = run_hwb("plan", str(project), *narrow, "--matrix", matrix, "--json", cwd=ROOT,
                   env=env)
    assert plan.returncode == 0, plan.stderr
    # the one wheel cell, and the plan's sdist cell after it
    (cell, sdist) = json.loads(plan.stdout)["include"]
    assert cell["identifiers"] == [TARGET]
    assert sdist["target"] == "sdist"
    out = tmp_path / "dist"
    done = run_hwb("build", str(project), *narrow, "--target", cell["target"],
                   "--container-engine", "podman", "--manylinux", image,
                   "-C", "record-a=1", "-C", "record-b=two words", "-o", str(out), "--json",
                   cwd=ROOT, env=env)
    wheel = _wheel_from_json(done)
    assert "with cibuildwheel in containers (podman)" in done.stderr
    assert "Building sdist of cext-config-record" in done.stderr  # the wheel's source
    data = json.loads(done.stdout)
    assert [a["kind"] for a in data["artifacts"]] == ["wheel"]  # the sdist ships elsewhere
    (info,) = data["wheels"]
    assert info["identifiers"] == [TARGET]
    assert info["python"] == "3.11"
    assert _recorded_settings(str(wheel["path"])) == {"record-a": "1",
                                                       "record-b": "two words"}
    assert sorted(p.name for p in out.iterdir()) == sorted(["SHA256SUMS",
                                                            str(wheel["filename"])])
