"""`hwb check` as a user runs it: `python -m hwb_action check ...` in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.artifacts_support import build_dists, replace_header, rewrite_wheel
from tests.cli_support import hwb_environ, run_hwb

WHEEL = "check_demo-1.0-py3-none-any.whl"
SDIST = "check_demo-1.0.tar.gz"
DI = "check_demo-1.0.dist-info"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_dists("check_demo", tmp_path_factory.mktemp("good"))


@pytest.fixture
def project(built: tuple[Path, Path], tmp_path: Path) -> Path:
    """A directory with dist/ holding the good sdist and wheel."""
    dist = tmp_path / "dist"
    dist.mkdir()
    for p in built:
        shutil.copy(p, dist)
    return tmp_path


def test_json_for_good_dists_default_dist_dir(project: Path) -> None:
    result = run_hwb("check", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # stdout holds the JSON document and nothing else
    assert [a["filename"] for a in doc["artifacts"]] == [SDIST, WHEEL]  # sdists first
    assert doc["problems"] == {}
    wheel = doc["artifacts"][1]
    assert set(wheel) == {"path", "kind", "filename", "sha256", "size", "tags"}
    assert wheel["kind"] == "wheel"
    assert wheel["tags"] == ["py3-none-any"]
    assert wheel["size"] == (project / "dist" / WHEEL).stat().st_size


def test_bad_dist_exits_1_and_names_the_problem(project: Path) -> None:
    def bump(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Version", "9.9")

    bad = rewrite_wheel(project / "dist" / WHEEL, project / "bad" / WHEEL, bump)
    result = run_hwb("check", str(bad), "dist/" + SDIST, "--json", cwd=project)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert [a["filename"] for a in doc["artifacts"]] == [SDIST]
    assert doc["problems"] == {WHEEL: [
        f"{WHEEL}: METADATA: version '9.9' does not match the filename (1.0)"]}
    assert f"{WHEEL}: METADATA: version '9.9' does not match" in result.stderr


def test_human_output(project: Path) -> None:
    (project / "dist" / WHEEL).write_bytes(b"garbage")
    result = run_hwb("check", "dist", cwd=project)  # a directory is expanded like dist/*
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{SDIST}: PASSED", f"{WHEEL}: FAILED (1 problem)"]
    assert f"{WHEEL}: not a valid zip file" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(project: Path) -> None:
    result = run_hwb("check", "dist/nothere-1.0-py3-none-any.whl", "--json", cwd=project)
    assert result.returncode == 2
    # --json: the failure is the one document on stdout (issue 14).
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2 and "no such file" in error["message"]
    assert "nothere-1.0-py3-none-any.whl: no such file" in result.stderr


def test_shell_glob_of_a_built_dist_dir_skips_sha256sums(project: Path) -> None:
    from hwb_action.artifacts import check_artifact, find_dists, write_checksums

    dist = project / "dist"
    write_checksums(dist, [check_artifact(p) for p in find_dists(dist)])
    # What `hwb check dist/*` passes after `hwb build`: the dists and SHA256SUMS.
    result = run_hwb("check", *sorted(str(p) for p in dist.iterdir()), cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [f"{WHEEL}: PASSED", f"{SDIST}: PASSED"]


def test_unknown_file_type_is_a_usage_error(project: Path) -> None:
    (project / "notes.txt").write_text("x")
    result = run_hwb("check", "notes.txt", cwd=project)
    assert result.returncode == 2
    assert "not a distribution" in result.stderr


def test_no_dists_is_a_usage_error(tmp_path: Path) -> None:
    result = run_hwb("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "no distributions given" in result.stderr
    assert "TIP:" in result.stderr


def test_glob_from_the_environment(project: Path) -> None:
    # An action input reaches us as HWB_DISTS, unexpanded by any shell.
    result = run_hwb("check", "--json", cwd=project, env={"HWB_DISTS": "dist/*.whl"})
    assert result.returncode == 0, result.stderr
    assert [a["filename"] for a in json.loads(result.stdout)["artifacts"]] == [WHEEL]


def test_github_annotations_and_summary(project: Path, tmp_path: Path) -> None:
    (project / "dist" / WHEEL).write_bytes(b"garbage")
    summary = tmp_path / "summary.md"
    output = tmp_path / "output"
    result = run_hwb("check", cwd=project, env={
        "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output)})
    assert result.returncode == 1
    assert any(line.startswith("::error") and WHEEL in line
               for line in result.stdout.splitlines() + result.stderr.splitlines())
    text = summary.read_text()
    assert "### hwb check" in text
    assert f"`{SDIST}` | sdist" in text
    assert f"{WHEEL}: not a valid zip file" in text


def test_check_does_not_import_the_publishing_stack(project: Path) -> None:
    """`hwb check` runs on every build and in pre-commit hooks: no twine, no boto3."""
    script = ("import sys; from hwb_action.cli import main; code = main(['check']); "
              "print(sorted(m for m in ('twine', 'boto3', 'hwb_action.publish') "
              "if m in sys.modules), code)")
    environ = hwb_environ()
    done = subprocess.run([sys.executable, "-c", script], cwd=project, env=environ,
                          capture_output=True, text=True, check=False)
    assert done.stdout.splitlines()[-1] == "[] 0", done.stderr
