"""``--isolation none`` lists the unmet build requirements before the backend runs (issue 14,
item 7), as build does."""

from __future__ import annotations

import shutil
from pathlib import Path

from hwb_action.builder.depcheck import unmet
from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def _project(tmp_path: Path, requires: list[str]) -> Path:
    dest = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", dest)
    text = (dest / "pyproject.toml").read_text()
    (dest / "pyproject.toml").write_text(text.replace("requires = []",
                                                      f"requires = {requires!r}"))
    return dest


def test_unmet_requirements_are_listed_and_the_backend_never_runs(tmp_path: Path) -> None:
    project = _project(tmp_path, ["packaging>=20", "hwb-surely-not-installed>=1",
                                  "pytest>=999"])
    proc = run_hwb("build", "--isolation", "none", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "does not meet the build requirements" in proc.stderr
    assert "hwb-surely-not-installed>=1 (not installed)" in proc.stderr
    assert "pytest>=999 (" in proc.stderr and " is installed)" in proc.stderr
    assert "packaging" not in proc.stderr.split("does not meet")[1]
    assert not (project / "dist").exists()


def test_met_requirements_build(tmp_path: Path) -> None:
    project = _project(tmp_path, ["packaging>=20", 'nothing-here; python_version < "3"'])
    proc = run_hwb("build", "--isolation", "none", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert len(list((project / "dist").glob("*.whl"))) == 1


def test_extras_are_checked_recursively() -> None:
    data = {"env": {"python_version": "3.12", "sys_platform": "linux"}, "dists": {
        "demo": {"name": "demo", "version": "1.0",
                 "requires": ['helper>=2; extra == "fast"', "base"]},
        "base": {"name": "base", "version": "1"},
        "helper": {"name": "helper", "version": "1.5"},
    }}
    assert unmet(["demo[fast]>=1"], data) == ['helper>=2 (1.5 is installed, needed by '
                                              'demo[fast])']
    assert unmet(["demo>=1"], data) == []
    assert unmet(["Demo==2"], data) == ["Demo==2 (1.0 is installed)"]
