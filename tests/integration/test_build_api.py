"""``hwb_action.build``: the Python API takes the CLI's options, with the CLI's rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hwb_action
from hwb_action.ci import NullReporter
from hwb_action.errors import UsageError
from hwb_action.options import BuildOptions
from tests.conftest import PACKAGES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "st_pyproject"
    shutil.copytree(PACKAGES / "st_pyproject", dest)
    return dest


def test_a_misspelt_option_is_an_error_not_ignored(project: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        hwb_action.build(str(project), out_dri=str(tmp_path / "out"), cwd=project)
    assert info.value.message == ("build() got an unknown option 'out_dri' "
                                  "(did you mean 'out_dir'?)")
    assert info.value.hint is not None
    assert "out_dir" in info.value.hint
    assert not (project / "dist").exists()
    assert not (tmp_path / "out").exists()


def test_cache_no_means_no_cache(project: Path, tmp_path: Path) -> None:
    """``cache="no"`` converts as HWB_CACHE=no does: false (a non-empty string is truthy)."""
    cache = tmp_path / "cache"
    result = hwb_action.build(str(project), out_dir=str(tmp_path / "a"), isolation="uv",
                              wheel=True, cache="no", cache_dir=str(cache), cwd=project)
    assert [a.kind for a in result.artifacts] == ["wheel"]
    assert not cache.exists()
    hwb_action.build(str(project), out_dir=str(tmp_path / "b"), isolation="uv", wheel=True,
                     cache="yes", cache_dir=str(cache), cwd=project)
    assert list((cache / "envs").iterdir())


def test_options_given_are_the_options_used(project: Path, tmp_path: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.hwb]\nout-dir = "from-config"\n')
    options = BuildOptions(out_dir=str(tmp_path / "given"), isolation="none")
    reporter = NullReporter()
    result = hwb_action.build(str(project), options, wheel=True, reporter=reporter,
                              environ={}, cwd=project)
    assert result.out_dir == tmp_path / "given"
    assert [a.filename for a in result.artifacts] == ["st_pyproject-1.2.0-py3-none-any.whl"]
    assert (tmp_path / "given" / "SHA256SUMS").is_file()
    assert not (project / "from-config").exists()
    assert not (project / "dist").exists()
    assert result.wheels[0].path == tmp_path / "given" / "st_pyproject-1.2.0-py3-none-any.whl"


def test_an_override_of_the_wrong_type_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError) as info:
        hwb_action.build(str(project), jobs="many", cwd=project)
    assert "jobs" in info.value.message
