"""``hwb build --check-reproducible`` builds twice and names the first difference (issue 14,
item 10): a pure hatchling project is byte-reproducible; a backend that records a random
value is not, and the member is named; a compiled project is checked the same way."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from hwb_action.builder.reproducible import first_difference
from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(PACKAGES / name, dest)
    return dest


@pytest.mark.slow
def test_a_pure_hatchling_project_is_reproducible(tmp_path: Path) -> None:
    project = _copy("hatch_pkg", tmp_path)
    proc = run_hwb("build", "--check-reproducible", cwd=project, cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "Reproducible: a second build gave the same 2 artifact(s)" in proc.stderr


def test_a_random_member_is_named(tmp_path: Path) -> None:
    project = _copy("recorder", tmp_path)
    proc = run_hwb("build", "--sdist", "--check-reproducible", cwd=project,
                   cache=tmp_path / "cache", env={"RECORDER_RANDOM": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "1 of 1 artifacts are not reproducible" in proc.stderr
    assert "recorder-1.0.tar.gz: member recorder-1.0/recorder-sdist.json: its content" in (
        proc.stderr)


@pytest.mark.slow
def test_a_compiled_project_is_checked(tmp_path: Path) -> None:
    project = _copy("cext_simple", tmp_path)
    proc = run_hwb("build", "--check-reproducible", "--isolation", "uv", cwd=project,
                   cache=tmp_path / "cache")
    # Whether a compiled wheel reproduces depends on the compiler: either way hwb says so,
    # and a difference names the wheel and a member of it.
    if proc.returncode == 0:
        assert "Reproducible:" in proc.stderr
    else:
        assert proc.returncode == 1, proc.stderr
        assert ".whl: member " in proc.stderr or ".whl: the zip" in proc.stderr, proc.stderr


def _zip(path: Path, date: tuple[int, int, int, int, int, int]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("a.txt", date), b"same")
        zf.writestr(zipfile.ZipInfo("b.txt", date), b"same")
    return path


def test_first_difference_in_zips(tmp_path: Path) -> None:
    a = _zip(tmp_path / "a.zip", (2020, 1, 1, 0, 0, 0))
    same = _zip(tmp_path / "same.zip", (2020, 1, 1, 0, 0, 0))
    later = _zip(tmp_path / "later.zip", (2021, 1, 1, 0, 0, 0))
    assert first_difference(a, same) is None
    assert first_difference(a, later) == ("member a.txt: its timestamp "
                                          "((2020, 1, 1, 0, 0, 0) vs (2021, 1, 1, 0, 0, 0))")


def _targz(path: Path, mtime: int) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        info = tarfile.TarInfo("pkg-1.0/PKG-INFO")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"same"))
    path.write_bytes(gzip.compress(raw.getvalue(), mtime=mtime))
    return path


def test_first_difference_in_the_gzip_header(tmp_path: Path) -> None:
    a, b = _targz(tmp_path / "a.tar.gz", 1), _targz(tmp_path / "b.tar.gz", 2)
    assert first_difference(a, b) == "the gzip header (its timestamp or file name)"
