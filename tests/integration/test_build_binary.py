"""`hwb build` of a binary project on the host: many interpreters in parallel, auditwheel
repair, and the test command, all through the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="auditwheel repairs wheels on Linux hosts only")


def cpythons_from_310() -> list[str]:
    from hwb_action.builder.interpreters import find_interpreters
    from hwb_action.ci import NullReporter

    found = find_interpreters("all", allowed=None, environ=dict(os.environ),
                              reporter=NullReporter())
    return sorted({i.minor for i in found if i.implementation == "cpython"
                   and not i.free_threaded and tuple(map(int, i.minor.split("."))) >= (3, 10)})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "cext_bz2"
    shutil.copytree(PACKAGES / "cext_bz2", dest)
    return dest


@pytest.mark.slow
def test_every_interpreter_repaired_tested_in_parallel(project: Path, tmp_path: Path) -> None:
    minors = cpythons_from_310()
    assert len(minors) >= 2, f"the machine should have several CPythons, found {minors}"
    proc = run_hwb("build", "--isolation", "uv", "--python", ",".join(minors), "--jobs", "2",
                   "--test-command", "python {project}/tests/check.py", "--json", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    wheels = data["wheels"]
    assert sorted(w["python"].rsplit(".", 1)[0] for w in wheels) == minors
    for wheel in wheels:
        assert wheel["repaired"] and wheel["tested"], wheel
        match = re.search(r"manylinux_2_(\d+)_x86_64", wheel["tag"])
        assert match and int(match.group(1)) >= 25, wheel["tag"]  # getrandom is glibc 2.25
        assert any("libbz2" in lib for lib in wheel["vendored"]), wheel["vendored"]
    # One sdist shared by every wheel; every wheel in the output is a repaired one.
    arts = data["artifacts"]
    assert [a["kind"] for a in arts].count("sdist") == 1
    assert not any("linux_x86_64" in a["filename"] and "manylinux" not in a["filename"]
                   for a in arts)
    # Parallel output stays readable: each test run's output is prefixed by its Python.
    for minor in minors:
        assert f"[py{minor}]" in proc.stderr


def test_missing_interpreter_lists_what_was_found(project: Path, tmp_path: Path) -> None:
    proc = run_hwb("build", "--isolation", "uv", "--python", "3.10,3.99", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    assert "3.99" in proc.stderr
    assert "found" in proc.stderr.lower()
    assert "Traceback" not in proc.stderr
    assert not (project / "dist").exists()


@pytest.mark.slow
def test_failing_test_command_fails_that_wheel(project: Path, tmp_path: Path) -> None:
    proc = run_hwb("build", "--wheel", "--isolation", "uv", "--test-command",
                   "python -c \"import sys; print('boom from test'); sys.exit(4)\"", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 1
    assert "test-command failed" in proc.stderr
    assert "boom from test" in proc.stderr
    assert not (project / "dist").exists()  # nothing half-written, not even dist/


@pytest.mark.slow
def test_demanding_an_old_manylinux_policy_fails_with_reason(project: Path,
                                                             tmp_path: Path) -> None:
    proc = run_hwb("build", "--wheel", "--manylinux", "2_17", "--isolation", "uv", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 1, proc.stderr
    assert "manylinux_2_17" in proc.stderr
    assert "GLIBC_2.25" in proc.stderr or "too-recent" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_target_on_the_host_builds_for_the_targets_python(project: Path, tmp_path: Path) -> None:
    minors = cpythons_from_310()
    minor = next(m for m in minors if m != f"{sys.version_info[0]}.{sys.version_info[1]}")
    nodot = minor.replace(".", "")
    proc = run_hwb("build", "--isolation", "uv", "--target", f"cp{nodot}-manylinux_x86_64",
                   "--json", cwd=project, cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = json.loads(proc.stdout)["wheels"]
    assert wheel["python"].startswith(minor + ".")
    assert f"-cp{nodot}-cp{nodot}-manylinux_" in wheel["filename"]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("cp311-macosx_arm64", "is for macos arm64; this machine is linux"),
        ("cp311-manylinx_x86_64", "did you mean 'cp311-manylinux_x86_64'"),
        ("pure", "not in the build plan"),
    ],
)
def test_targets_that_cannot_build_here(project: Path, tmp_path: Path, target: str,
                                        words: str) -> None:
    proc = run_hwb("build", "--isolation", "uv", "--target", target, cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_cells_identifiers_on_the_host_one_wheel_each(project: Path, tmp_path: Path) -> None:
    """Without an engine a Linux cell's target (identifiers joined by commas) builds on
    the host, one wheel per identifier's Python."""
    minors = cpythons_from_310()[:2]
    cell = ",".join(f"cp{m.replace('.', '')}-manylinux_x86_64" for m in minors)
    proc = run_hwb("build", "--isolation", "uv", "--target", cell, "--json", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    wheels = json.loads(proc.stdout)["wheels"]
    assert sorted(w["python"].rsplit(".", 1)[0] for w in wheels) == minors


@pytest.mark.slow
def test_host_build_names_the_cibuildwheel_options_it_skips(project: Path,
                                                            tmp_path: Path) -> None:
    with (project / "pyproject.toml").open("a") as f:
        f.write('\n[tool.cibuildwheel]\nbefore-all = "yum install -y bzip2-devel"\n'
                'test-skip = "*-musllinux*"\nrepair-wheel-command = ""\n'
                'test-command = "python {project}/tests/check.py"\n')
    # --test: a plain local build runs [tool.cibuildwheel] test-command only when asked.
    proc = run_hwb("build", "--wheel", "--isolation", "uv", "--test", "--json", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    warning = next(line for line in proc.stderr.splitlines()
                   if "does not apply these cibuildwheel options" in line)
    for name in ("before-all", "test-skip", "repair-wheel-command"):
        assert f"[tool.cibuildwheel] {name}" in warning
    assert "test-command" not in warning  # the host build runs it
    (wheel,) = json.loads(proc.stdout)["wheels"]
    assert wheel["tested"]


@pytest.mark.slow
def test_config_settings_reach_the_backend_on_the_host(tmp_path: Path) -> None:
    project = tmp_path / "cext_config_record"
    shutil.copytree(PACKAGES / "cext_config_record", project)
    proc = run_hwb("build", "--isolation", "uv", "-C", "record-a=1", "--json", cwd=project,
                   cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (wheel,) = [a for a in data["artifacts"] if a["kind"] == "wheel"]
    assert data["wheels"][0]["identifiers"] == []  # hwb's own build, no plan cell
    with zipfile.ZipFile(wheel["path"]) as zf:
        recorded = json.loads(zf.read("cext_config_record/config_settings.json"))
    assert recorded == {"record-a": "1"}
