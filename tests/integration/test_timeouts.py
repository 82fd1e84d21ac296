"""Every wait has a limit: a build backend that hangs in a hook is stopped after
``build-timeout``, an installer that waits on an index that never answers after
``install-timeout``.  Either way hwb exits 1 with a message naming the setting, and leaves
no process, no staging directory and no temporary tree behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.signal_support import gone, processes_under, slow_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the process table from /proc")


def _hwb(tmp_path: Path, project: Path, *args: str,
         extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HWB_", "GITHUB_", "PIP_", "UV_"))}
    env.update({"TMPDIR": str(tmp), "HWB_NO_PROGRESS": "1",
                "PYTHONPATH": os.environ.get("PYTHONPATH", str(Path(__file__).parents[2]))})
    env.update(extra_env or {})
    # The test's own limit, far above the one under test: a hwb that ignores its setting
    # fails here instead of hanging the suite.
    proc = subprocess.run(
        [sys.executable, "-m", "hwb_action", "build", "--out-dir", str(tmp_path / "dist"),
         *args], cwd=project, env=env, capture_output=True, text=True, timeout=300,
        check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _nothing_left(tmp_path: Path, text: str) -> None:
    out = tmp_path / "dist"
    assert (list(out.iterdir()) if out.exists() else []) == [], text  # no staging dir
    tmp = tmp_path / "tmp"
    assert [p.name for p in tmp.iterdir() if p.name.startswith("hwb-")] == [], text
    assert processes_under(tmp_path) == [], text


@pytest.mark.parametrize("server", ["1", "0"], ids=["fork-server", "plain-process"])
def test_a_backend_that_hangs_in_build_wheel_is_stopped(tmp_path: Path, server: str) -> None:
    project, pidfile = slow_project(tmp_path)
    code, text = _hwb(tmp_path, project, "--wheel", "--no-cache", "--isolation", "none",
                      "--build-timeout", "2", extra_env={"HWB_HOOK_SERVER": server})
    assert code == 1, text
    assert "Traceback" not in text
    assert "build-timeout" in text
    assert "build_wheel" in text
    assert "'backend'" in text  # the backend is named
    assert "backend started" in text  # what it printed before it hung is shown
    assert pidfile.is_file(), text
    assert gone(int(pidfile.read_text())), text
    _nothing_left(tmp_path, text)


def test_an_install_from_an_index_that_never_answers_is_stopped(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["hwb-test-never-answered"]
        build-backend = "never_answered.backend"

        [project]
        name = "waits"
        version = "1.0"
    """), encoding="utf-8")
    # An index that takes the connection (the kernel completes it) and never says a word.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as index:
        index.bind(("127.0.0.1", 0))
        index.listen(16)
        url = f"http://127.0.0.1:{index.getsockname()[1]}/simple/"
        code, text = _hwb(tmp_path, project, "--sdist", "--no-cache", "--isolation", "uv",
                          "--install-timeout", "2",
                          extra_env={"UV_INDEX_URL": url, "PIP_INDEX_URL": url,
                                     "UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    assert code == 1, text
    assert "Traceback" not in text
    assert "install-timeout" in text
    assert "hwb-test-never-answered" in text
    _nothing_left(tmp_path, text)


HANGS_ON_IMPORT = """
import os
import time

with open({pidfile!r} + ".tmp", "w") as fh:
    fh.write(str(os.getpid()))
os.replace({pidfile!r} + ".tmp", {pidfile!r})
print("importing", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("server", ["1", "0"], ids=["fork-server", "plain-process"])
def test_a_backend_that_hangs_on_import_is_stopped(tmp_path: Path, server: str) -> None:
    # Installed (not in-tree), so the fork server imports it before its start-up handshake.
    lib = tmp_path / "lib"
    lib.mkdir()
    pidfile = tmp_path / "backend.pid"
    (lib / "hangs_on_import.py").write_text(HANGS_ON_IMPORT.format(pidfile=str(pidfile)),
                                            encoding="utf-8")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = []
        build-backend = "hangs_on_import"

        [project]
        name = "waits"
        version = "1.0"
    """), encoding="utf-8")
    path = os.pathsep.join([os.environ.get("PYTHONPATH", str(Path(__file__).parents[2])),
                            str(lib)])
    code, text = _hwb(tmp_path, project, "--sdist", "--isolation", "none",
                      "--build-timeout", "2",
                      extra_env={"HWB_HOOK_SERVER": server, "PYTHONPATH": path})
    assert code == 1, text
    assert "Traceback" not in text
    assert "build-timeout" in text
    assert "'hangs_on_import'" in text
    assert pidfile.is_file(), text
    assert gone(int(pidfile.read_text())), text
    _nothing_left(tmp_path, text)


def test_a_cibuildwheel_run_that_hangs_is_stopped(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every wait has a bound: a cibuildwheel run gets build-timeout + install-timeout per
    identifier, then it and every process it started are stopped, with a clear error."""
    import sys
    import time

    from hwb_action.builder import cibw
    from hwb_action.ci import NullReporter
    from hwb_action.errors import BuildError
    from hwb_action.options import BuildOptions

    hang = [sys.executable, "-c", "import time; print('building', flush=True); time.sleep(60)"]
    monkeypatch.setattr(cibw, "cibuildwheel_command", lambda **_: hang)
    (tmp_path / "pkg").mkdir()
    start = time.monotonic()
    with pytest.raises(BuildError, match="cibuildwheel did not finish within 2 s") as info:
        cibw.run_cibuildwheel(platform="linux", package=tmp_path / "pkg",
                              targets=["cp312-manylinux_x86_64"],
                              options=BuildOptions(build_timeout=1, install_timeout=1),
                              out_dir=tmp_path / "out", reporter=NullReporter(), environ={})
    assert time.monotonic() - start < 30
    assert info.value.hint and "build-timeout" in info.value.hint
