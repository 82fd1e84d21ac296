"""PEP 517 config settings reach the backend as build and uv pass them (issue 14, item 2)."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def _project(tmp_path: Path, hwb_table: str = "") -> Path:
    dest = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", dest)
    if hwb_table:
        with open(dest / "pyproject.toml", "a") as fh:
            fh.write("\n[tool.hwb]\n" + hwb_table)
    return dest


def _recorded(project: Path) -> tuple[Any, Any]:
    (wheel,) = (project / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = json.loads(zf.read("recorder_pkg/recorder-wheel.json"))
    (sdist,) = (project / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tf:
        member = tf.extractfile("recorder-1.0/recorder-sdist.json")
        assert member is not None
        in_sdist = json.loads(member.read())
    return in_sdist["config_settings"], in_wheel["config_settings"]


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_repeated_keys_become_a_list_and_a_bare_key_is_empty(tmp_path: Path,
                                                            cache: Path) -> None:
    project = _project(tmp_path)
    proc = run_hwb("build", "-C", "key=a", "-C", "key=b", "-C", "flag", "-C", "x=1,2",
                   cwd=project, cache=cache)
    assert proc.returncode == 0, proc.stderr
    expected = {"key": ["a", "b"], "flag": "", "x": "1,2"}
    assert _recorded(project) == (expected, expected)


def test_a_toml_list_stays_a_list(tmp_path: Path, cache: Path) -> None:
    project = _project(tmp_path, 'config-settings = { opt = ["--a", "--b=1,2"], one = "x" }\n')
    proc = run_hwb("build", cwd=project, cache=cache)
    assert proc.returncode == 0, proc.stderr
    expected = {"opt": ["--a", "--b=1,2"], "one": "x"}
    assert _recorded(project) == (expected, expected)


def test_the_variable_takes_one_setting_per_line_with_commas_in_values(
        tmp_path: Path, cache: Path) -> None:
    project = _project(tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache, env={
        "HWB_CONFIG_SETTINGS": "define=A=1,B=2\ndefine=C\nlone\n"})
    assert proc.returncode == 0, proc.stderr
    expected = {"define": ["A=1,B=2", "C"], "lone": ""}
    assert _recorded(project) == (expected, expected)


def test_the_command_line_replaces_the_table(tmp_path: Path, cache: Path) -> None:
    project = _project(tmp_path, 'config-settings = { opt = ["--a", "--b"] }\n')
    proc = run_hwb("build", "-C", "other=1", cwd=project, cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert _recorded(project) == ({"other": "1"}, {"other": "1"})
