"""The build session lets go of everything it holds, and finalize keeps dist/ consistent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hwb_action.builder.finalize import check_all, finalize
from hwb_action.builder.output import out_dir_lock
from hwb_action.builder.session import BuildSession
from hwb_action.ci import NullReporter
from hwb_action.errors import BuildError
from tests.artifacts_support import write_wheel


def wheel(directory: Path, version: str) -> Path:
    info = f"demo-{version}.dist-info"
    return write_wheel(directory / f"demo-{version}-py3-none-any.whl", {
        "demo/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\n"
                            "Summary: x\n\nx\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    })


def session(out_dir: Path) -> BuildSession:
    return BuildSession(out_dir=out_dir, installer="none", cache_dir=None,
                        reporter=NullReporter(), environ={})


def test_an_interrupt_leaves_no_staging_tree_or_new_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    held: list[Path] = []

    def interrupted_build() -> None:
        with session(out) as s:
            held.extend([s.staging, s.temp_dir("hwb-test-")])
            (held[1] / "tree").mkdir()
            s.submit(lambda: None).result()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_build()
    assert len(held) == 2
    assert not any(p.exists() for p in held)
    assert not out.exists()


def test_an_existing_out_dir_and_its_files_stay(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "other.txt").write_text("kept")
    with pytest.raises(RuntimeError), session(out):
        raise RuntimeError("boom")
    assert [p.name for p in out.iterdir()] == ["other.txt"]


def test_the_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    with out_dir_lock(tmp_path), pytest.raises(BuildError) as info, \
            out_dir_lock(tmp_path, timeout=0):
        pass
    assert "another build held the lock" in info.value.message
    with out_dir_lock(tmp_path, timeout=0):  # released again
        pass


def test_finalize_moves_rehashes_and_lists_other_jobs_dists(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    staging = out / ".hwb-staging-x"
    staging.mkdir(parents=True)
    wheel(out, "0.9")  # from another job
    artifacts = check_all([wheel(staging, "1.0")], NullReporter())
    placed, sums = finalize(out, artifacts)
    assert [a.path for a in placed] == [out / "demo-1.0-py3-none-any.whl"]
    lines = sums.read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == [
        "demo-0.9-py3-none-any.whl", "demo-1.0-py3-none-any.whl"]
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_sums_that_cannot_be_written_take_this_builds_files_out_again(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    staging = out / ".hwb-staging-x"
    staging.mkdir(parents=True)
    (out / "SHA256SUMS").mkdir()  # os.replace onto a directory fails, as a full disk would
    artifacts = check_all([wheel(staging, "1.0")], NullReporter())
    with pytest.raises(BuildError) as info:
        finalize(out, artifacts)
    assert info.value.message.startswith(f"cannot write SHA256SUMS in {out}")
    assert sorted(p.name for p in out.iterdir()) == [".hwb-staging-x", "SHA256SUMS"]
    assert not list((out / "SHA256SUMS").iterdir())
