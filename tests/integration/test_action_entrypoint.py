"""The action's hwb step, driven as the runner drives it: env from action.yml, bash, files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import action_install
from tests.action_support import ROOT, run_step
from tests.runner_support import parse_file_command
from tests.signal_support import gone, interrupt_build, processes_under, slow_project

PACKAGES = ROOT / "tests" / "packages"
# Most tests run hwb in the test interpreter (install: none); one test installs it for real.
FAST = {"install": "none"}


def _workspace(tmp_path: Path, package: str) -> Path:
    ws = tmp_path / "workspace"
    shutil.copytree(PACKAGES / package, ws)
    return ws


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=hwb test", "-c", "user.email=hwb@example.invalid",
                    "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                   cwd=cwd, check=True, capture_output=True)


def test_plan_writes_a_one_line_matrix(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    step = run_step({**FAST, "command": "plan"}, workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 0, step.log
    matrix = step.outputs["matrix"]
    assert "\n" not in matrix
    cells = json.loads(matrix)["include"]
    assert cells
    assert all({"runner", "python", "platform", "arch", "target", "artifact-name"} <= set(c)
               for c in cells)
    assert step.env_file == ""  # hwb leaves the job's environment alone


def test_build_outputs_and_summary(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    step = run_step({**FAST, "command": "build", "isolation": "none", "out-dir": "wheelhouse"},
                    workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 0, step.log
    artifacts = json.loads(step.outputs["artifacts"])
    names = sorted(a["filename"] for a in artifacts)
    assert names == ["action_demo-1.0.0-py3-none-any.whl", "action_demo-1.0.0.tar.gz"]
    wheels = step.outputs["wheels"].split()
    assert len(wheels) == 1
    assert (ws / wheels[0]).is_file()
    sdist = step.outputs["sdist"]
    assert sdist.endswith("action_demo-1.0.0.tar.gz")
    assert (ws / "wheelhouse" / "action_demo-1.0.0.tar.gz").is_file()
    for a in artifacts:
        assert a["sha256"] in step.summary  # the artifacts table: file, tags, size, sha256
        assert a["filename"] in step.summary
    # Builds are grouped in the log.
    assert any(c.name == "group" for c in step.commands)
    assert sum(c.name == "group" for c in step.commands) == sum(
        c.name == "endgroup" for c in step.commands)


def test_config_error_is_annotated_at_its_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_bad_config")
    step = run_step({**FAST, "command": "build"}, workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 2, step.log
    errors = [c for c in step.commands if c.name == "error"]
    assert len(errors) == 1, step.log
    (error,) = errors
    assert error.properties["file"] == "pyproject.toml"
    lines = (ws / "pyproject.toml").read_text().splitlines()
    assert "isolaton" in lines[int(error.properties["line"]) - 1]
    assert "isolation" in error.data  # the "did you mean"
    assert "isolaton" in step.summary
    assert "pyproject.toml:" in step.summary
    assert "Traceback" not in step.log


def test_hostile_values_survive_outputs_and_annotations(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "chore: initial")
    _git(ws, "tag", "v1.0.0")
    (ws / "feature.txt").write_text("x\n")
    _git(ws, "add", "feature.txt")
    hostile = "feat: 100% more ::error::power, ghadelimiter_0 <<EOF a=b %0A"
    _git(ws, "commit", "-qm", hostile + "\n\nBody line\n::warning::in body")
    step = run_step({**FAST, "command": "version"}, workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 0, step.log
    assert step.outputs["version"] == "1.1.0"
    assert step.outputs["previous-version"] == "1.0.0"
    assert step.outputs["tag"] == "v1.1.0"
    notes = step.outputs["release-notes"]
    assert "100% more ::error::power, ghadelimiter_0 <<EOF a=b %0A" in notes
    assert "\n" in notes
    # The same notes as `hwb version --json` gives: nothing lost or added on the way.
    doc = subprocess.run([sys.executable, "-m", "hwb_action", "version", "--json"], cwd=ws,
                         capture_output=True, text=True, check=True, env={
                             "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert notes == json.loads(doc.stdout)["release_notes"]
    # No command was smuggled in through the log.
    assert [c for c in step.commands if c.name in ("error", "warning")] == []


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    step = run_step({**FAST, "command": "bild"}, workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 2
    (error,) = [c for c in step.commands if c.name == "error"]
    assert "build, check, plan, publish, version, release" in error.data
    assert "'bild'" in error.data


def test_input_variables_of_javascript_style_actions_are_mapped(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    out = tmp_path / "out"
    out.write_text("")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITHUB_ACTIONS": "true",
           "GITHUB_OUTPUT": str(out), "INPUT_COMMAND": "build", "INPUT_ISOLATION": "none",
           "INPUT_OUT-DIR": "out dir", "INPUT_INSTALL": "none", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    outputs = parse_file_command(out.read_text())
    assert outputs["sdist"].endswith("out dir/action_demo-1.0.0.tar.gz")
    assert (ws / "out dir" / "action_demo-1.0.0.tar.gz").is_file()


def test_missing_python_is_explained(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    step = run_step({**FAST, "command": "plan"}, workspace=ws, runner_temp=tmp_path / "rt",
                    extra_env={"PATH": f"{empty}:/nonexistent"})
    assert step.returncode == 2
    (error,) = [c for c in step.commands if c.name == "error"]
    assert "python-version" in error.data


def _uv_next_to_python() -> bool:
    # The step finds uv on its PATH, which starts with the test interpreter's bin/ (run_step).
    return shutil.which("uv", path=str(Path(sys.executable).parent)) is not None


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python3*/site-packages")
    return {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}


@pytest.mark.slow
@pytest.mark.skipif(not _uv_next_to_python(), reason="uv is not installed next to the test "
                    "interpreter")
def test_private_environment_is_installed_once_per_job(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    rt = tmp_path / "rt"
    first = run_step({"command": "plan"}, workspace=ws, runner_temp=rt)
    assert first.returncode == 0, first.log
    assert "hwb-action: installing hwb-action into" in first.log
    assert "from action-plan.txt" in first.log
    venvs = sorted((rt / "hwb-action").iterdir())
    assert [v.name.startswith("venv-") and v.name.endswith("-plan") for v in venvs] == [True]
    marker = venvs[0] / ".hwb-ready"
    stamp = marker.stat().st_mtime_ns
    # hwb ran from the private environment, not from the test's interpreter; its program
    # runs there too (the environment was made elsewhere and renamed: it is relocatable).
    version = subprocess.run([str(venvs[0] / "bin" / "hwb"), "--version"], capture_output=True,
                             text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    assert version.stdout.startswith("hwb ")
    # Only what plan needs: hwb-action, its lock (cibuildwheel, whose selection the plan is),
    # nothing to upload with or to make environments with.
    installed = _site_packages(venvs[0])
    assert {"hwb_action", "packaging", "pyyaml", "cibuildwheel"} <= installed
    assert not installed & {"twine", "uv", "requests", "auditwheel", "sigstore"}
    second = run_step({"command": "plan"}, workspace=ws, runner_temp=rt)
    assert second.returncode == 0, second.log
    assert "installing" not in second.log
    assert second.outputs["matrix"] == first.outputs["matrix"]
    assert sorted((rt / "hwb-action").iterdir()) == venvs
    assert marker.stat().st_mtime_ns == stamp
    # version's lock is within plan's: the same environment serves it.
    third = run_step({"command": "version"}, workspace=ws, runner_temp=rt)
    assert "installing" not in third.log
    assert sorted((rt / "hwb-action").iterdir()) == venvs


def _copy_action(tmp_path: Path) -> Path:
    """The action's own files (what `uses:` checks out), to change one of them."""
    action = tmp_path / "action"
    action.mkdir()
    for name in ("entrypoint.py", "action_install.py", "pyproject.toml", "README.md",
                 "action.yml"):
        shutil.copy2(ROOT / name, action / name)
    for tree in ("hwb_action", "requirements"):
        shutil.copytree(ROOT / tree, action / tree,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return action


@pytest.mark.slow
@pytest.mark.skipif(not _uv_next_to_python(), reason="uv is not installed next to the test "
                    "interpreter")
def test_a_file_that_does_not_match_the_locked_hash_is_refused(tmp_path: Path) -> None:
    # The attack: the index (or a mirror, or a proxy) serves other bytes for packaging 26.x.
    # Stood in for by a lock whose hashes for packaging are not the real file's.
    action = _copy_action(tmp_path)
    lock = action / "requirements" / "action-plan.txt"
    text = lock.read_text()
    start = text.index("\npackaging==") + 1
    end = text.index("\n", text.index("# via", start))
    block = text[start:end]
    forged = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, block)
    lock.write_text(text.replace(block, forged))
    ws = _workspace(tmp_path, "action_demo")
    rt = tmp_path / "rt"
    step = run_step({"command": "plan"}, workspace=ws, runner_temp=rt, extra_env={
        "GITHUB_ACTION_PATH": str(action), "UV_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert step.returncode == 1, step.log
    (error,) = [c for c in step.commands if c.name == "error"]
    assert "packaging" in error.data
    assert "0" * 64 in error.data  # the hash the lock expects, beside the one computed
    assert "sha256 that hwb-action's lock" in error.data
    assert "Traceback" not in step.log
    assert "matrix" not in step.outputs
    # No environment, whole or half-made, is left for a later step to pick up.
    assert [p.name for p in (rt / "hwb-action").iterdir() if p.name.startswith("venv-")] == []


@pytest.mark.slow
@pytest.mark.parametrize("with_pip", [True, False], ids=["pip", "no-pip"])
def test_without_uv_on_path_the_pinned_uv_is_bootstrapped(tmp_path: Path,
                                                          with_pip: bool) -> None:
    ws = _workspace(tmp_path, "action_demo")
    rt = tmp_path / "rt"
    bin_dir = tmp_path / "bin"  # python3 and nothing else: no uv
    bin_dir.mkdir()
    python = Path(sys.executable)
    if not with_pip:
        # A Python without pip (as Debian's python3 is): pip comes from a throwaway venv.
        bare = tmp_path / "bare"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
        python = bare / "bin" / "python"
    (bin_dir / "python3").symlink_to(python)
    step = run_step({"command": "plan"}, workspace=ws, runner_temp=rt,
                    extra_env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert step.returncode == 0, step.log
    assert sorted(p.name for p in (rt / "hwb-action").iterdir() if ".tmp-" in p.name) == []
    version = dict(action_install.pins(ROOT / "requirements" / "action-uv.txt"))["uv"]
    assert f"installing uv {version} (pinned, hash-checked)" in step.log
    assert (rt / "hwb-action" / f"uv-{version}" / "uv" / "bin" / "uv").is_file()
    assert json.loads(step.outputs["matrix"])["include"]


class _Stalling(socketserver.ThreadingTCPServer):
    """An index that accepts connections and never answers: an install that hangs."""

    daemon_threads = True
    allow_reuse_address = True


class _Hold(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)
        self.server.stopped.wait(120)  # type: ignore[attr-defined]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.skipif(not _uv_next_to_python(), reason="uv is not installed next to the test "
                    "interpreter")
def test_a_step_cancelled_while_installing_leaves_nothing_behind(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    rt = tmp_path / "rt"
    server = _Stalling(("127.0.0.1", 0), _Hold)
    server.stopped = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    index = f"http://127.0.0.1:{server.server_address[1]}/simple"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(rt), "PIP_CONFIG_FILE": os.devnull,
           "UV_CACHE_DIR": str(tmp_path / "cache"), "UV_DEFAULT_INDEX": index,
           "HWB_COMMAND": "build"}
    log = tmp_path / "step.log"
    try:
        with open(log, "wb") as fh:
            proc = subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws,
                                    env=env, stdout=fh, stderr=subprocess.STDOUT)
            try:
                # Cancel once the environment is being made (the index holds the rest).
                base = rt / "hwb-action"
                while proc.poll() is None and not (
                        base.is_dir() and any(".wheel-" not in p.name and ".tmp-" in p.name
                                              for p in base.iterdir())):
                    time.sleep(0.02)
                assert proc.poll() is None, log.read_text(errors="replace")
                time.sleep(0.5)  # the lock install and the wheel build are both waiting
                proc.send_signal(signal.SIGTERM)
                returncode = proc.wait(timeout=90)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
    finally:
        server.stopped.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
    text = log.read_text(errors="replace")
    assert returncode == 143, text
    assert "Traceback" not in text
    assert sorted(p.name for p in (rt / "hwb-action").iterdir()) == [], text
    assert processes_under(tmp_path) == [], text


def test_install_only_prints_where_hwb_is(tmp_path: Path) -> None:
    # The GitLab template's use: `entrypoint.py --install COMMAND` on stdout names the
    # directory of the private environment's programs.  Here the environment exists already.
    rt = tmp_path / "rt"
    venv = action_install.venv_path({"RUNNER_TEMP": str(rt)}, "publish")
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / ".hwb-ready").write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RUNNER_TEMP": str(rt)}
    done = subprocess.run([sys.executable, str(ROOT / "entrypoint.py"), "--install", "publish"],
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{venv / 'bin'}\n"
    bad = subprocess.run([sys.executable, str(ROOT / "entrypoint.py"), "--install", "publsh"],
                         env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "build, check, plan, publish, version, release" in bad.stderr
    assert bad.stdout == ""


def _fake_tool_cache(tmp_path: Path) -> tuple[Path, Path]:
    """A runner tool cache holding "Python 3.11.7": a wrapper around the test interpreter."""
    cache = tmp_path / "hostedtoolcache"
    exe = cache / "Python" / "3.11.7" / "x64" / "bin" / "python3"
    exe.parent.mkdir(parents=True)
    used = tmp_path / "tool-cache-python-used"
    exe.write_text(f"#!/bin/sh\ntouch '{used}'\nexec '{sys.executable}' \"$@\"\n")
    exe.chmod(0o755)
    return cache, used


def test_python_version_comes_from_the_tool_cache(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    cache, used = _fake_tool_cache(tmp_path)
    step = run_step({**FAST, "command": "plan", "python-version": "3.11"}, workspace=ws,
                    runner_temp=tmp_path / "rt", extra_env={"RUNNER_TOOL_CACHE": str(cache)})
    assert step.returncode == 0, step.log
    assert used.exists()
    assert json.loads(step.outputs["matrix"])["include"]


def test_python_version_not_found_is_explained(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    cache, used = _fake_tool_cache(tmp_path)
    step = run_step({**FAST, "command": "plan", "python-version": "3.99"}, workspace=ws,
                    runner_temp=tmp_path / "rt", extra_env={"RUNNER_TOOL_CACHE": str(cache)})
    assert step.returncode == 2
    (error,) = [c for c in step.commands if c.name == "error"]
    assert "Python 3.99" in error.data
    assert "actions/setup-python" in error.data
    assert not used.exists()


def test_bad_input_is_annotated_at_the_workflow_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "action_demo")
    workflow = ws / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - uses: ./\n        with:\n          command: build\n"
                        "          isolation: containr\n")
    step = run_step({**FAST, "command": "build", "isolation": "containr"}, workspace=ws,
                    runner_temp=tmp_path / "rt",
                    extra_env={"GITHUB_REPOSITORY": "o/r",
                               "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/ci.yml@refs/heads/m"})
    assert step.returncode == 2, step.log
    (error,) = [c for c in step.commands if c.name == "error"]
    assert error.properties == {"file": ".github/workflows/ci.yml", "line": "9"}
    assert "containr" in error.data
    assert "container" in error.data  # did you mean


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_cancelled_step_reaches_hwb_and_leaves_nothing_behind(
    tmp_path: Path, signum: int, code: int
) -> None:
    project, pidfile = slow_project(tmp_path)
    rt = tmp_path / "rt"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # The private environment, made earlier in the job: its python is this interpreter, with
    # PYTHONPATH honoured (the entrypoint runs it with -I) so that hwb is this tree's.
    venv = action_install.venv_path({"RUNNER_TEMP": str(rt)}, "build")
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\n[ "$1" = -I ] && shift\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / ".hwb-ready").write_text("")
    out = tmp_path / "dist"
    log = tmp_path / "step.log"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(rt), "TMPDIR": str(tmp),
           "PYTHONPATH": str(ROOT), "PIP_CONFIG_FILE": os.devnull,
           "HWB_COMMAND": "build", "HWB_WHEEL": "true", "HWB_CACHE": "false",
           "HWB_OUT_DIR": str(out), "HWB_VERBOSE": "true"}
    # The runner cancels the job.
    returncode, backend, text = interrupt_build(
        [sys.executable, str(ROOT / "entrypoint.py")], cwd=project, env=env, pidfile=pidfile,
        log=log, signum=signum, timeout=90)
    assert returncode == code, text
    assert "Traceback" not in text
    assert gone(backend), text
    assert (list(out.iterdir()) if out.exists() else []) == [], text
    assert [p.name for p in tmp.iterdir() if p.name.startswith("hwb-")] == [], text
    assert processes_under(tmp_path) == [], text
