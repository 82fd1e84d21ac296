"""The environment every test's hwb runs in: nothing of the machine or CI job leaks in."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli_support import ROOT, hwb_environ, run_hwb

MACHINE = {
    "HWB_REPOSITORY": "https://upload.example/", "TWINE_PASSWORD": "pw", "CIBW_BUILD": "cp3*",
    "CI": "true", "GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "CI_JOB_TOKEN": "t",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/", "PYPI_ID_TOKEN": "jwt",
    "PIP_INDEX_URL": "https://mirror.example/simple", "UV_INDEX_URL": "https://mirror.example/",
    "GIT_DIR": "/elsewhere/.git", "DOCKER_HOST": "unix:///elsewhere.sock",
    "PIP_CONFIG_FILE": "/etc/pip.conf", "PYTHONPATH": "/site", "HOME": "/home/tester",
}


def test_machine_variables_are_dropped_and_the_rest_kept() -> None:
    env = hwb_environ(base=MACHINE)
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["HOME"] == "/home/tester"
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/site"]
    leaked = set(env) - {"PIP_CONFIG_FILE", "HOME", "PYTHONPATH"}
    assert not leaked, f"reach hwb from the machine: {sorted(leaked)}"


def test_what_a_test_gives_wins(tmp_path: Path) -> None:
    env = hwb_environ({"GITHUB_ACTIONS": "true", "PYTHONPATH": "/own"}, cache=tmp_path,
                      base=MACHINE)
    assert env["GITHUB_ACTIONS"] == "true"
    assert env["HWB_CACHE_DIR"] == str(tmp_path)
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)  # this checkout still first


def test_run_hwb_runs_hwb_from_any_directory(tmp_path: Path) -> None:
    done = run_hwb("--version", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hwb ")
