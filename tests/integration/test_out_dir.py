"""The output directory stays consistent under concurrency and faults, and only the user
chooses where it is.

Builds run with ``--isolation none`` (the test environment has setuptools and flit_core), so
they start no installer and reach no index.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.artifacts_support import write_wheel
from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]


def hwb_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "hwb_action", "build", "--isolation", "none", *args]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), HWB_CACHE_DIR=str(tmp_path / "cache"),
                PYTHONDONTWRITEBYTECODE="1", **extra)


def run(cmd: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env(tmp_path), capture_output=True, text=True,
                          timeout=300, check=False)


def copy(name: str, dest: Path) -> Path:
    shutil.copytree(PACKAGES / name, dest)
    if name == "flit_pkg":
        # --isolation none checks the requirements first (as build does): the test
        # environment's flit_core is newer than the package's <4.
        pyproject = dest / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"flit_core>=3.9,<4"',
                                                           '"flit_core>=3.9"'))
    return dest


def sums(out: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: sha256}, after checking every line is the file on disk."""
    listed: dict[str, str] = {}
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
        listed[name] = digest
    return listed


def dists(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz"))}


def test_concurrent_builds_never_list_a_sum_that_is_not_the_file(tmp_path: Path) -> None:
    """Three builds into one directory at once; two make files of the same names with
    different contents.  Whatever order they finish in, SHA256SUMS is the files on disk."""
    out = tmp_path / "shared-dist"
    projects = []
    for index in range(2):
        project = copy("st_pyproject", tmp_path / f"same-{index}")
        init = project / "src" / "st_pyproject" / "__init__.py"
        init.write_text(init.read_text() + f"\nBUILD = {index}\n")
        projects.append(project)
    projects.append(copy("flit_pkg", tmp_path / "other"))
    procs = [subprocess.Popen(hwb_cmd("-o", str(out)), cwd=p, env=env(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in projects]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    listed = sums(out)
    assert set(listed) == dists(out)
    assert {"st_pyproject-1.2.0.tar.gz", "flit_pkg-0.5.0.tar.gz"} <= set(listed)
    assert not list(out.glob(".hwb-*"))


def _limit_file_size(limit: int) -> None:
    # Runs in the child: files larger than `limit` fail with EFBIG (SIGXFSZ ignored), as a
    # disk that fills up while SHA256SUMS is written.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _filler_wheels(out: Path, count: int) -> set[str]:
    names = set()
    for minor in range(count):
        version = f"1.{minor}"
        info = f"filler-{version}.dist-info"
        write_wheel(out / f"filler-{version}-py3-none-any.whl", {
            "filler/__init__.py": b"",
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: filler\nVersion: {version}\n"
                                f"Summary: x\n\nx\n".encode(),
            f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                             b"Tag: py3-none-any\n",
        })
        names.add(f"filler-{version}-py3-none-any.whl")
    return names


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="RLIMIT_FSIZE is POSIX")
def test_checksums_that_cannot_be_written_leave_no_artifact_without_a_sum(
        tmp_path: Path) -> None:
    """Sixty wheels from other jobs already in dist/ make SHA256SUMS larger than the files
    this build writes, so a 4 KiB file-size limit lets the build through and fails exactly
    the write of SHA256SUMS."""
    project = copy("st_pyproject", tmp_path / "project")
    out = project / "dist"
    others = _filler_wheels(out, 60)
    proc = subprocess.run(hwb_cmd(), cwd=project, env=env(tmp_path), capture_output=True,
                          text=True, timeout=300, check=False,
                          preexec_fn=lambda: _limit_file_size(4096))
    assert proc.returncode == 1, proc.stderr
    assert f"cannot write SHA256SUMS in {out}" in proc.stderr
    assert "the files of this build were removed again" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name for p in out.iterdir()} == others  # no sdist, wheel, sums or temp file


def test_out_dir_that_is_a_file_is_refused_before_building(tmp_path: Path) -> None:
    project = copy("st_pyproject", tmp_path / "project")
    (project / "dist").write_text("not a directory")
    proc = run(hwb_cmd(), project, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"--out-dir: {project / 'dist'} is a file, not a directory" in proc.stderr
    assert "Building" not in proc.stderr
    assert "Traceback" not in proc.stderr
    nested = run(hwb_cmd("-o", "dist/sub"), project, tmp_path)
    assert nested.returncode == 2, nested.stderr
    assert f"is under {project / 'dist'}, which is a file" in nested.stderr


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory this user cannot write: mode 0555, or for root (who writes anyway) a
    read-only tmpfs."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() != 0:
        yield locked
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                              str(locked)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("running as root and cannot mount a read-only tmpfs: "
                    + mounted.stderr.decode(errors="replace").strip())
    try:
        yield locked
    finally:
        subprocess.run(["umount", str(locked)], check=True)


def test_out_dir_that_cannot_be_written_is_refused(tmp_path: Path, read_only_dir: Path) -> None:
    project = copy("st_pyproject", tmp_path / "project")
    proc = run(hwb_cmd("-o", str(read_only_dir / "dist")), project, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"--out-dir: {read_only_dir} is not writable by this user" in proc.stderr
    assert "Building" not in proc.stderr
    assert "Traceback" not in proc.stderr


def _sdist_with_tool_hwb(tmp_path: Path, table: str) -> Path:
    tree = copy("st_pyproject", tmp_path / "st_pyproject-1.2.0")
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.hwb]\n" + table)
    (tree / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: st-pyproject\n"
                                   "Version: 1.2.0\n")
    archive = tmp_path / "st_pyproject-1.2.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    shutil.rmtree(tree)
    return archive


def test_an_sdist_cannot_choose_where_output_and_caches_go(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    archive = _sdist_with_tool_hwb(tmp_path, f'out-dir = "{elsewhere / "dist"}"\n'
                                             f'cache-dir = "{elsewhere / "cache"}"\n'
                                             'cache = true\n')
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(hwb_cmd(str(archive)), cwd=work, capture_output=True, text=True,
                          timeout=300, check=False,
                          env=dict(env(tmp_path), HWB_CACHE_DIR=""))
    assert proc.returncode == 0, proc.stderr
    assert not elsewhere.exists()
    assert dists(work / "dist") == {"st_pyproject-1.2.0-py3-none-any.whl"}
    assert f"Ignoring out-dir = '{elsewhere / 'dist'}' from " in proc.stderr
    assert "Ignoring cache-dir" in proc.stderr
    assert "does not choose where output goes" in proc.stderr


def test_the_users_own_out_dir_still_applies_to_an_sdist(tmp_path: Path) -> None:
    archive = _sdist_with_tool_hwb(tmp_path, 'out-dir = "/nowhere"\n')
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(hwb_cmd(str(archive)), cwd=work, capture_output=True, text=True,
                          timeout=300, check=False,
                          env=dict(env(tmp_path), HWB_OUT_DIR=str(tmp_path / "mine")))
    assert proc.returncode == 0, proc.stderr
    assert dists(tmp_path / "mine") == {"st_pyproject-1.2.0-py3-none-any.whl"}
    assert "Ignoring out-dir" not in proc.stderr


def test_a_local_project_chooses_its_out_dir(tmp_path: Path) -> None:
    project = copy("st_pyproject", tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.hwb]\nout-dir = "wheelhouse"\n')
    proc = run(hwb_cmd("--wheel"), project, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert dists(project / "wheelhouse") == {"st_pyproject-1.2.0-py3-none-any.whl"}
    assert "Ignoring" not in proc.stderr
