"""`hwb plan` end to end: a directory and an sdist as SOURCE, --json, formats, step output."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwb_action.cli import main

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def test_plan_json_and_github_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "github_output"
    output.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    code = main(["plan", str(PACKAGES / "cext_bz2"), "--json", "--platforms", "linux",
                 "--archs", "x86_64", "--python-versions", "3.11,3.12"])
    out = capsys.readouterr().out
    assert code == 0
    matrix = json.loads(out)
    # one cell per runner label: cibuildwheel builds all of them in one job; then the sdist
    assert [c["identifiers"] for c in matrix["include"]] == [[
        "cp311-manylinux_x86_64", "cp312-manylinux_x86_64", "cp311-musllinux_x86_64",
        "cp312-musllinux_x86_64"], ["sdist"]]
    assert matrix["include"][1] == {"runner": "ubuntu-latest", "python": "3.12",
                                    "platform": "linux", "arch": "x86_64", "target": "sdist",
                                    "identifiers": ["sdist"], "artifact-name": "dist-sdist"}
    assert matrix["include"][0]["target"] == ",".join(matrix["include"][0]["identifiers"])
    assert matrix["include"][0]["runner"] == "ubuntu-latest"
    assert list(matrix) == ["include"]
    lines = output.read_text().splitlines()
    matrix_lines = [ln for ln in lines if ln.startswith("matrix=")]
    assert len(matrix_lines) == 1, lines
    assert json.loads(matrix_lines[0].removeprefix("matrix=")) == matrix


def test_plan_of_an_sdist_and_formats(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    sdist = tmp_path / "cext_bz2-0.1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        tf.add(PACKAGES / "cext_bz2", arcname="cext_bz2-0.1.0")
    assert main(["plan", str(sdist), "--format", "gitlab", "--platforms", "windows"]) == 0
    rows = yaml.safe_load(capsys.readouterr().out)["parallel"]["matrix"]
    # GitLab has one hosted Windows machine (AMD64): every Windows identifier builds there
    # (the template's hwb-sdist job builds the sdist: no sdist row for hwb-build's matrix)
    assert [r["HWB_CELL_RUNNER"] for r in rows] == ["saas-windows-medium-amd64"]
    identifiers = rows[0]["HWB_CELL_IDENTIFIERS"].split()
    assert {f"cp3{n}-win_amd64" for n in range(9, 16)} | {"cp39-win32", "cp315t-win_arm64"} \
        <= set(identifiers)
    assert rows[0]["HWB_TARGET"].split(",") == identifiers
    assert main(["plan", str(PACKAGES / "cext_bz2"), "--platforms", "macos",
                 "--build", "cp313-*"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[0] == "target"
    assert [ln.split()[:5] for ln in table[1:-1]] == [
        ["cp313-macosx_x86_64", "3.13", "macos", "x86_64", "macos-15-intel"],
        ["cp313-macosx_arm64", "3.13", "macos", "arm64", "macos-latest"],
        ["sdist", "3.13", "linux", "x86_64", "ubuntu-latest"]]


def test_plan_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(PACKAGES / "cext_bz2"), "--archs", "arm65"]) == 2
    err = capsys.readouterr().err
    assert "--archs: unknown architecture 'arm65' (did you mean 'arm64'?)" in err


def test_plan_reads_cibw_variables_and_reports_cibuildwheel_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CIBW_BUILD", "cp312-*")
    monkeypatch.setenv("CIBW_ARCHS_WINDOWS", "ARM64")
    assert main(["plan", str(PACKAGES / "cext_bz2"), "--json", "--platforms", "windows"]) == 0
    cells = json.loads(capsys.readouterr().out)["include"]
    assert [(c["runner"], c["identifiers"]) for c in cells] == [
        ("windows-11-arm", ["cp312-win_arm64"]), ("ubuntu-latest", ["sdist"])]
    project = tmp_path / "proj"
    project.mkdir()
    text = (PACKAGES / "cext_bz2" / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text + '\n[tool.cibuildwheel]\nenable = ["pipy"]\n')
    (project / "setup.py").write_text((PACKAGES / "cext_bz2" / "setup.py").read_text())
    assert main(["plan", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"{project / 'pyproject.toml'}" in err
    assert "Unknown enable group: pipy" in err


def _pipeline(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run `hwb plan --format gitlab-pipeline ARGS`, check the YAML against GitLab's schema,
    return it as data."""
    assert main(["plan", *args, "--format", "gitlab-pipeline"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "hwb-pipeline.yml"
    path.write_text(text, encoding="utf-8")
    check = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
         str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_gitlab_child_pipeline_one_job_per_cell(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = _pipeline(capsys, tmp_path, str(PACKAGES / "cext_bz2"), "--python-versions",
                     "3.13", "--gitlab-publish", "--gitlab-runners", "windows-arm64=my-arm")
    jobs = {k: v for k, v in data.items() if k.startswith("hwb-")}
    builds = {k: v for k, v in jobs.items() if k.startswith("hwb-build")}
    # one job per cell, tagged with the plan's GitLab runner tag, building the cell's target
    assert [j["tags"] for j in builds.values()] == [
        ["saas-linux-medium-amd64"], ["saas-linux-medium-arm64"], ["saas-macos-medium-m1"],
        ["saas-windows-medium-amd64"], ["my-arm"]]
    macos = builds["hwb-build-macos-x86_64-arm64"]
    assert macos["script"][-1] == "hwb build --target cp313-macosx_x86_64,cp313-macosx_arm64"
    assert "image" not in macos  # a shell runner: no image
    assert builds["hwb-build-windows-arm64"]["extends"] == ".hwb-windows"
    assert "dist/" in data[".hwb"]["artifacts"]["paths"]  # what every build job extends
    assert jobs["hwb-sdist"]["script"][-1] == "hwb build --sdist"
    # hwb is installed from hwb-action's project at the ref the parent passes down, never
    # by a package name
    assert jobs["hwb-sdist"]["extends"] == ".hwb"
    assert data["variables"]["HWB_ACTION_REF"] == ""
    assert "HWB_ACTION_SPEC" not in data["variables"] and "pip install" not in str(data)
    assert "--install $env:HWB_CI_COMMAND" in data[".hwb-windows"]["before_script"][0]
    # the plan's sdist cell is the hwb-sdist job: no build job makes a second one
    assert not any("sdist" in " ".join(j["script"]) for j in builds.values())
    publish = jobs["hwb-publish"]
    assert publish["stage"] == "deploy"
    assert [n["job"] for n in publish["needs"]] == ["hwb-sdist", *builds]
    assert publish["id_tokens"]["PYPI_ID_TOKEN"] == {"aud": "pypi"}
    assert publish["script"][-1] == "hwb publish"
    assert publish["variables"] == {"HWB_CI_COMMAND": "publish"}  # the publish lock


def test_gitlab_child_pipeline_matrix_and_no_publish(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # --matrix target: cells that share a runner tag become one parallel:matrix job
    data = _pipeline(capsys, tmp_path, str(PACKAGES / "cext_bz2"), "--platforms", "linux",
                     "--archs", "x86_64", "--python-versions", "3.12,3.13", "--matrix", "target")
    assert "hwb-publish" not in data and data["stages"] == ["build"]
    job = data["hwb-build-linux-saas-linux-medium-amd64"]
    assert job["tags"] == ["saas-linux-medium-amd64"]
    assert job["script"][-1] == "hwb build"
    assert job["parallel"]["matrix"] == [{"HWB_TARGET": [
        "cp312-manylinux_x86_64", "cp313-manylinux_x86_64", "cp312-musllinux_x86_64",
        "cp313-musllinux_x86_64"]}]
    # a pure project: the sdist job and one wheel job
    data = _pipeline(capsys, tmp_path, str(PACKAGES / "hatch_pkg"))
    assert [k for k in data if k.startswith("hwb-")] == ["hwb-sdist", "hwb-build-pure"]
    assert data["hwb-build-pure"]["script"][-1] == "hwb build --wheel --target pure"
