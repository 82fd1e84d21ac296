"""A plain local ``hwb build`` runs no tests unless asked (issue 14, item 8):
``[tool.cibuildwheel] test-command`` runs with ``--test``, in CI and for matrix cells; a
test command set for hwb runs; ``--no-test`` runs none; a build that skips configured tests
says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def _project(tmp_path: Path, table: str) -> tuple[Path, Path]:
    dest = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", dest)
    marker = tmp_path / "tests-ran"
    command = f"python -c \"open('{marker}', 'w').close()\""
    with open(dest / "pyproject.toml", "a") as fh:
        fh.write(f"\n[tool.{table}]\ntest-command = {json.dumps(command)}\n")
    return dest, marker


@pytest.mark.parametrize(("table", "args", "env", "runs"), [
    ("cibuildwheel", [], {}, False),
    ("cibuildwheel", ["--test"], {}, True),
    ("cibuildwheel", [], {"CI": "true"}, True),
    ("cibuildwheel", ["--target", "pure"], {}, True),
    ("hwb", [], {}, True),
    ("hwb", ["--no-test"], {}, False),
    ("cibuildwheel", [], {"CI": "true", "HWB_TEST": "false"}, False),
], ids=["cibw-local", "cibw-test", "cibw-ci", "cibw-cell", "hwb", "hwb-no-test",
        "ci-no-test"])
def test_when_tests_run(table: str, args: list[str], env: dict[str, str], runs: bool,
                        tmp_path: Path) -> None:
    project, marker = _project(tmp_path, table)
    proc = run_hwb("build", "--wheel", *args, cwd=project, cache=tmp_path / "cache", env=env)
    assert proc.returncode == 0, proc.stderr
    assert marker.exists() is runs, proc.stderr
    assert ("Not running the tests configured in" in proc.stderr) is (not runs), proc.stderr
