"""The hook runner forks hook calls from a server that has the backend imported; each call
still gets its own process, working directory, environment and captured output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyproject_hooks import BuildBackendHookCaller

from hwb_action.builder.hooks import HookRunner
from hwb_action.ci import NullReporter

BACKEND = '''
import json, os, sys
STATE = []

def get_requires_for_build_wheel(config_settings=None):
    STATE.append("called")
    print("hello from the backend")
    return ["dep-" + os.environ.get("HWB_TEST_MARK", "none")]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    STATE.append("called")
    name = "probe-1.0-py3-none-any.whl"
    with open(os.path.join(wheel_directory, "facts.json"), "w") as fh:
        json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
                   "state": len(STATE), "settings": config_settings}, fh)
    open(os.path.join(wheel_directory, name), "wb").close()
    return name

def build_sdist(sdist_directory, config_settings=None):
    sys.stderr.write("sdist went wrong\\n")
    raise SystemExit(7)
'''


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "be").mkdir(parents=True)
    (root / "be" / "probe_backend.py").write_text(BACKEND)
    return root


def caller(tree: Path, runner: HookRunner) -> BuildBackendHookCaller:
    return BuildBackendHookCaller(str(tree), "probe_backend", backend_path=["be"],
                                  python_executable=sys.executable, runner=runner)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the server needs os.fork")
def test_calls_are_forked_from_the_server(tree: Path, tmp_path: Path) -> None:
    env = dict(os.environ, HWB_TEST_MARK="x")
    runner = HookRunner(python=sys.executable, env=env, backend="probe_backend",
                        backend_path=["be"], reporter=NullReporter())
    try:
        hooks = caller(tree, runner)
        assert hooks.get_requires_for_build_wheel() == ["dep-x"]
        assert runner.last_output == ["hello from the backend"]
        out = tmp_path / "out"
        out.mkdir()
        assert hooks.build_wheel(str(out), {"k": "v"}) == "probe-1.0-py3-none-any.whl"
        facts = json.loads((out / "facts.json").read_text())
        server = runner._server
        assert server is not None, "the server fell back to plain processes"
        assert facts["ppid"] == server.pid  # forked from the server, not started by us
        assert facts["pid"] != server.pid
        assert facts["cwd"] == str(tree)
        assert facts["state"] == 1  # module state does not leak from one call to the next
        assert facts["settings"] == {"k": "v"}
        with pytest.raises(subprocess.CalledProcessError) as info:
            hooks.build_sdist(str(out))
        assert info.value.returncode == 7
        assert "sdist went wrong" in runner.last_output
    finally:
        runner.close()


def test_plain_processes_give_the_same_answers(tree: Path, tmp_path: Path) -> None:
    env = dict(os.environ, HWB_TEST_MARK="y")
    runner = HookRunner(python=sys.executable, env=env, backend="probe_backend",
                        backend_path=["be"], reporter=NullReporter(), use_server=False)
    try:
        hooks = caller(tree, runner)
        assert hooks.get_requires_for_build_wheel() == ["dep-y"]
        out = tmp_path / "out"
        out.mkdir()
        hooks.build_wheel(str(out))
        facts = json.loads((out / "facts.json").read_text())
        assert facts["ppid"] == os.getpid()
        assert facts["state"] == 1
    finally:
        runner.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the server needs os.fork")
def test_a_module_printing_while_preloaded_does_not_break_the_protocol(
        tree: Path, tmp_path: Path) -> None:
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "noisy_mod.py").write_text("print('noise at import', flush=True)\n")
    preload = tmp_path / "preload.json"
    preload.write_text(json.dumps(["noisy_mod"]))
    env = dict(os.environ, PYTHONPATH=str(libdir), HWB_TEST_MARK="z")
    runner = HookRunner(python=sys.executable, env=env, backend="probe_backend",
                        backend_path=["be"], reporter=NullReporter(), preload_file=preload)
    try:
        hooks = caller(tree, runner)
        assert hooks.get_requires_for_build_wheel() == ["dep-z"]
        out = tmp_path / "out"
        out.mkdir()
        hooks.build_wheel(str(out))
        server = runner._server
        assert server is not None, "the server fell back to plain processes"
        assert json.loads((out / "facts.json").read_text())["ppid"] == server.pid
    finally:
        runner.close()
