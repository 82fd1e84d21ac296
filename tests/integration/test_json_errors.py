"""`--json` prints one JSON document on stdout, also when the command fails (issue 14,
item 4): ``{"error": {"message", "hint", "exit_code", "file", "line", "details"}}``."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES

KEYS = {"message", "hint", "exit_code", "file", "line", "details"}


def _error(stdout: str, code: int) -> dict[str, Any]:
    document = json.loads(stdout)  # the whole of stdout is one document
    assert isinstance(document, dict)
    error = document["error"]
    assert set(error) == KEYS
    assert error["exit_code"] == code
    assert error["message"]
    return document


def test_usage_error_from_the_command_line(tmp_path: Path) -> None:
    proc = run_hwb("build", "--json", "--no-such-flag", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no-such-flag" in _error(proc.stdout, 2)["error"]["message"]


def test_usage_error_from_a_setting(tmp_path: Path) -> None:
    shutil.copytree(PACKAGES / "recorder", tmp_path / "p")
    proc = run_hwb("build", "--json", "--isolation", "bogus", cwd=tmp_path / "p")
    assert proc.returncode == 2
    assert "bogus" in _error(proc.stdout, 2)["error"]["message"]


def test_config_error_names_the_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "bad_toml"
    shutil.copytree(PACKAGES / "bad_toml", project)
    proc = run_hwb("build", "--json", cwd=project)
    assert proc.returncode == 2
    error = _error(proc.stdout, 2)["error"]
    assert error["file"].endswith("pyproject.toml")
    assert error["line"] == 8


def test_build_failure_carries_the_backend_output(tmp_path: Path) -> None:
    project = tmp_path / "failing_backend"
    shutil.copytree(PACKAGES / "failing_backend", project)
    proc = run_hwb("build", "--json", cwd=project, cache=tmp_path / "cache")
    assert proc.returncode == 1
    error = _error(proc.stdout, 1)["error"]
    assert "failed" in error["message"]
    assert error["hint"]
    assert isinstance(error["details"], list)


def test_check_failure_keeps_the_report(tmp_path: Path) -> None:
    bad = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("demo/__init__.py", "")
    proc = run_hwb("check", "--json", str(bad), cwd=tmp_path)
    assert proc.returncode == 1
    document = _error(proc.stdout, 1)
    assert len(document) > 1  # the check's own report is still there
