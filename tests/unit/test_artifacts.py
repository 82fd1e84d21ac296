"""hwb_action.artifacts: every check, on real builds and on copies with one defect each."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from hwb_action.artifacts import (
    Artifact,
    artifacts_table,
    check_artifact,
    check_files,
    find_dists,
    inspect_artifact,
    write_checksums,
    write_manifest,
)
from hwb_action.errors import CheckError, UsageError
from tests.artifacts_support import (
    build_dists,
    make_record,
    replace_header,
    rewrite_wheel,
    sdist_members,
    tar_file,
    wheel_members,
    write_sdist,
    write_wheel,
)

WHEEL = "check_demo-1.0-py3-none-any.whl"
SDIST = "check_demo-1.0.tar.gz"
DI = "check_demo-1.0.dist-info"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) of tests/packages/check_demo, built once by hatchling."""
    return build_dists("check_demo", tmp_path_factory.mktemp("good"))


@pytest.fixture
def sdist(built: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copy(built[0], tmp_path / SDIST))


@pytest.fixture
def wheel(built: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copy(built[1], tmp_path / WHEEL))


def problems_of(path: Path) -> list[str]:
    result = inspect_artifact(path)
    assert (result.artifact is None) == bool(result.problems)
    return list(result.problems)


def assert_only(path: Path, *expected: str) -> None:
    """Every problem names the file; the problems are exactly those expected (substrings)."""
    problems = problems_of(path)
    assert problems, f"{path.name} passed, expected {expected}"
    for p in problems:
        assert p.startswith(f"{path.name}: "), p
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected), problems


# -- good distributions --------------------------------------------------------------------
def test_real_wheel_and_sdist_pass(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    w = check_artifact(wheel)
    assert w.kind == "wheel"
    assert w.filename == WHEEL
    assert w.tags == ("py3-none-any",)
    assert (w.name, w.version, w.requires_python) == ("check-demo", "1.0", ">=3.9")
    assert w.metadata.startswith(b"Metadata-Version: ")
    assert w.size == wheel.stat().st_size
    assert w.warnings == ()
    s = check_artifact(sdist)
    assert s.kind == "sdist"
    assert s.tags == ()
    assert b"Name: check-demo" in s.metadata
    assert s.sha256 == subprocess.run(["sha256sum", str(sdist)], capture_output=True,
                                      text=True, check=True).stdout.split()[0]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["setuptools", "flit", "pdm"])
def test_other_backends_pass(backend: str, tmp_path: Path) -> None:
    for dist in build_dists(f"check_demo_{backend}", tmp_path):
        artifact = check_artifact(dist)
        assert artifact.name == f"check-demo-{backend}"
        assert artifact.version == "2.0.1"
        assert artifact.requires_python == ">=3.10"
        if backend == "setuptools" and artifact.kind == "sdist":
            # setuptools < 69.3 names sdists check-demo-setuptools-2.0.1.tar.gz
            assert all("PEP 625" in w for w in artifact.warnings), artifact.warnings
        else:
            assert artifact.warnings == ()


def test_to_json_has_exactly_the_contract_keys(wheel: Path) -> None:
    data = check_artifact(wheel).to_json()
    assert set(data) == {"path", "kind", "filename", "sha256", "size", "tags"}
    assert data["tags"] == ["py3-none-any"]
    assert data["path"] == str(wheel)
    json.dumps(data)


def test_compressed_tag_set_expands_sorted(wheel: Path, tmp_path: Path) -> None:
    def retag(m: dict[str, bytes]) -> None:
        m[f"{DI}/WHEEL"] = m[f"{DI}/WHEEL"].replace(
            b"Tag: py3-none-any", b"Tag: py2-none-any\nTag: py3-none-any")

    dest = rewrite_wheel(wheel, tmp_path / "out" / "check_demo-1.0-py3.py2-none-any.whl", retag)
    assert check_artifact(dest).tags == ("py2-none-any", "py3-none-any")


def test_setuptools_license_file_below_metadata_24_is_tolerated(
        wheel: Path, tmp_path: Path) -> None:
    # What setuptools wrote for years; twine and PyPI accept it.
    def old(m: dict[str, bytes]) -> None:
        meta = replace_header(m[f"{DI}/METADATA"], "Metadata-Version", "2.1")
        m[f"{DI}/METADATA"] = replace_header(meta, "License-File", "LICENSE")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, old)
    assert check_artifact(dest).name == "check-demo"


# -- wheel defects -------------------------------------------------------------------------
def test_truncated_wheel(wheel: Path) -> None:
    data = wheel.read_bytes()
    wheel.write_bytes(data[: len(data) // 2])
    assert_only(wheel, "not a valid zip file")


def test_corrupt_member_fails_crc(wheel: Path, tmp_path: Path) -> None:
    members = wheel_members(wheel)
    members["check_demo/__init__.py"] = b"MARKER" + b"x" * 200
    dest = write_wheel(tmp_path / "out" / WHEEL, members, compression=zipfile.ZIP_STORED)
    raw = bytearray(dest.read_bytes())
    at = raw.index(b"MARKER" + b"x" * 200)
    raw[at + 10] ^= 0xFF
    dest.write_bytes(bytes(raw))
    assert_only(dest, "corrupt zip member 'check_demo/__init__.py'")


@pytest.mark.parametrize("name", [
    "check_demo-1.0-py3-none.whl",
    "check_demo-not.a.version-py3-none-any.whl",
    "check-demo-1.0-py3-none-any.whl",
])
def test_bad_wheel_filename(wheel: Path, name: str) -> None:
    renamed = wheel.rename(wheel.with_name(name))
    problems = problems_of(renamed)
    assert any("invalid wheel filename" in p for p in problems), problems


def test_uppercase_tag_is_invalid(wheel: Path) -> None:
    renamed = wheel.rename(wheel.with_name("check_demo-1.0-PY3-none-any.whl"))
    problems = problems_of(renamed)
    assert any("invalid python tag 'PY3'" in p for p in problems), problems


def test_linux_platform_tag_is_a_warning(wheel: Path, tmp_path: Path) -> None:
    def retag(m: dict[str, bytes]) -> None:
        m[f"{DI}/WHEEL"] = m[f"{DI}/WHEEL"].replace(b"py3-none-any", b"cp311-cp311-linux_x86_64")

    dest = rewrite_wheel(wheel, tmp_path / "out" / "check_demo-1.0-cp311-cp311-linux_x86_64.whl",
                         retag)
    artifact = check_artifact(dest)
    assert artifact.tags == ("cp311-cp311-linux_x86_64",)
    assert any("rejected by PyPI" in w for w in artifact.warnings)


def test_missing_wheel_file(wheel: Path, tmp_path: Path) -> None:
    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, lambda m: m.pop(f"{DI}/WHEEL"))
    assert_only(dest, f"{WHEEL}: {DI}/WHEEL is missing")


def test_missing_metadata(wheel: Path, tmp_path: Path) -> None:
    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, lambda m: m.pop(f"{DI}/METADATA"))
    assert_only(dest, f"{DI}/METADATA is missing")


def test_name_mismatch(wheel: Path, tmp_path: Path) -> None:
    def rename(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Name", "other-project")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, rename)
    assert_only(dest, "METADATA: name 'other-project' does not match the filename (check-demo)")


def test_name_spelling_differences_are_not_a_mismatch(wheel: Path, tmp_path: Path) -> None:
    def respell(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Name", "Check_Demo")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, respell)
    assert check_artifact(dest).name == "Check_Demo"


def test_version_mismatch(wheel: Path, tmp_path: Path) -> None:
    def bump(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Version", "2.0")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, bump)
    assert_only(dest, "METADATA: version '2.0' does not match the filename (1.0)")


def test_invalid_metadata_reports_each_error(wheel: Path, tmp_path: Path) -> None:
    def spoil(m: dict[str, bytes]) -> None:
        meta = replace_header(m[f"{DI}/METADATA"], "Requires-Python", ">=>3")
        m[f"{DI}/METADATA"] = replace_header(meta, "Requires-Dist", "not a requirement !!")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, spoil)
    problems = problems_of(dest)
    assert len([p for p in problems if ": METADATA: " in p]) == 2, problems
    assert any("requires-python" in p.lower() for p in problems), problems
    assert any("requires-dist" in p.lower() for p in problems), problems


def test_record_hash_mismatch(wheel: Path, tmp_path: Path) -> None:
    def edit(m: dict[str, bytes]) -> None:  # same size, other bytes
        m["check_demo/__init__.py"] = m["check_demo/__init__.py"].replace(b"VALUE = 1",
                                                                          b"VALUE = 2")

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, edit, fix_record=False)
    assert_only(dest, f"{WHEEL}: RECORD: hash mismatch for check_demo/__init__.py")


def test_record_size_mismatch(wheel: Path, tmp_path: Path) -> None:
    def edit(m: dict[str, bytes]) -> None:
        size = str(len(m["check_demo/__init__.py"])).encode()
        rows = m[f"{DI}/RECORD"].split(b"\n")
        rows = [r.replace(b"," + size, b",999") if r.startswith(b"check_demo/__init__.py,")
                else r for r in rows]
        m[f"{DI}/RECORD"] = b"\n".join(rows)

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, edit, fix_record=False)
    assert_only(dest, "RECORD: size mismatch for check_demo/__init__.py (RECORD says 999")


def test_file_not_in_record(wheel: Path, tmp_path: Path) -> None:
    def add(m: dict[str, bytes]) -> None:
        m["check_demo/extra.py"] = b"X = 1\n"

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, add, fix_record=False)
    assert_only(dest, "RECORD: check_demo/extra.py is not listed")


def test_record_names_missing_file(wheel: Path, tmp_path: Path) -> None:
    def drop(m: dict[str, bytes]) -> None:
        del m["check_demo/__init__.py"]

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, drop, fix_record=False)
    assert_only(dest, "RECORD: check_demo/__init__.py is listed but not in the wheel")


def test_missing_record(wheel: Path, tmp_path: Path) -> None:
    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, lambda m: m.pop(f"{DI}/RECORD"),
                         fix_record=False)
    assert_only(dest, f"{DI}/RECORD is missing")


def test_weak_record_hash(wheel: Path, tmp_path: Path) -> None:
    def md5(m: dict[str, bytes]) -> None:
        m[f"{DI}/RECORD"] = make_record(m, DI).replace(b"sha256=", b"md5=", 1)

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, md5, fix_record=False)
    assert_only(dest, "hash algorithm 'md5'")


def test_unsafe_member_path(wheel: Path, tmp_path: Path) -> None:
    def escape(m: dict[str, bytes]) -> None:
        m["../evil.py"] = b"import os\n"

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, escape)
    assert_only(dest, "unsafe member path '../evil.py'")


def test_dist_info_name_mismatch(wheel: Path, tmp_path: Path) -> None:
    members = {n.replace(DI, "check_demo-1.1.dist-info"): d
               for n, d in wheel_members(wheel).items()}
    dest = write_wheel(tmp_path / "out" / WHEEL, members)
    problems = problems_of(dest)
    assert any("check_demo-1.1.dist-info does not match the filename" in p for p in problems)


def test_two_dist_info_dirs(wheel: Path, tmp_path: Path) -> None:
    def twice(m: dict[str, bytes]) -> None:
        m["other-1.0.dist-info/METADATA"] = m[f"{DI}/METADATA"]

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, twice)
    assert_only(dest, "more than one .dist-info directory")


def test_check_artifact_raises_with_every_problem(wheel: Path, tmp_path: Path) -> None:
    def two(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Version", "2.0")
        m["check_demo/extra.py"] = b""

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, two, fix_record=False)
    with pytest.raises(CheckError) as info:
        check_artifact(dest)
    assert WHEEL in info.value.message
    assert info.value.exit_code == 1
    # the edited METADATA no longer matches its RECORD hash either: three problems
    assert len(info.value.details) == 3
    assert any("hash mismatch for check_demo-1.0.dist-info/METADATA" in d
               for d in info.value.details)
    assert all(d.startswith(f"{WHEEL}: ") for d in info.value.details)
    assert "do not edit it by hand" in (info.value.hint or "")  # edited, not damaged


# -- sdist defects -------------------------------------------------------------------------
def test_sdist_without_pkg_info(sdist: Path, tmp_path: Path) -> None:
    members = [(i, d) for i, d in sdist_members(sdist) if not i.name.endswith("/PKG-INFO")]
    dest = write_sdist(tmp_path / "out" / SDIST, members)
    assert_only(dest, f"{SDIST}: check_demo-1.0/PKG-INFO is missing")


def test_sdist_pkg_info_version_mismatch(sdist: Path, tmp_path: Path) -> None:
    members = [(i, replace_header(d, "Version", "1.1") if i.name.endswith("/PKG-INFO") and d
                else d) for i, d in sdist_members(sdist)]
    dest = write_sdist(tmp_path / "out" / SDIST, members)
    assert_only(dest, "PKG-INFO: version '1.1' does not match the filename (1.0)")


def test_sdist_pkg_info_name_mismatch(sdist: Path, tmp_path: Path) -> None:
    members = [(i, replace_header(d, "Name", "other") if i.name.endswith("/PKG-INFO") and d
                else d) for i, d in sdist_members(sdist)]
    dest = write_sdist(tmp_path / "out" / SDIST, members)
    assert_only(dest, "PKG-INFO: name 'other' does not match the filename (check-demo)")


def test_sdist_two_top_level_dirs(sdist: Path, tmp_path: Path) -> None:
    members = [*sdist_members(sdist), tar_file("stray/file.txt", b"x")]
    dest = write_sdist(tmp_path / "out" / SDIST, members)
    assert_only(dest, "expected exactly one top-level directory, found 2")


def test_sdist_top_level_dir_must_match_filename(sdist: Path, tmp_path: Path) -> None:
    members = []
    for info, data in sdist_members(sdist):
        info.name = info.name.replace("check_demo-1.0", "check_demo-1.0rc1", 1)
        members.append((info, data))
    dest = write_sdist(tmp_path / "out" / SDIST, members)
    assert_only(dest, "top-level directory 'check_demo-1.0rc1' does not match the filename")


def test_sdist_with_dot_slash_names_passes(sdist: Path, tmp_path: Path) -> None:
    members = []
    for info, data in sdist_members(sdist):
        info.name = "./" + info.name
        members.append((info, data))
    root = tarfile.TarInfo(".")
    root.type = tarfile.DIRTYPE
    dest = write_sdist(tmp_path / "out" / SDIST, [(root, None), *members])
    assert check_artifact(dest).name == "check-demo"


def test_sdist_truncated(sdist: Path) -> None:
    data = sdist.read_bytes()
    sdist.write_bytes(data[:-20])
    assert_only(sdist, "not a valid gzip'd tar archive")


def test_sdist_unsafe_symlink(sdist: Path, tmp_path: Path) -> None:
    link = tarfile.TarInfo("check_demo-1.0/escape")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    dest = write_sdist(tmp_path / "out" / SDIST, [*sdist_members(sdist), (link, None)])
    assert_only(dest, "unsafe member 'check_demo-1.0/escape'")


def test_sdist_bad_filename(sdist: Path) -> None:
    renamed = sdist.rename(sdist.with_name("check_demo.tar.gz"))
    problems = problems_of(renamed)
    assert any("invalid sdist filename" in p for p in problems), problems


def test_unnormalized_sdist_name_is_a_warning(sdist: Path, tmp_path: Path) -> None:
    # What setuptools wrote before PEP 625: still valid, but PyPI wants the normalized name.
    members = []
    for info, data in sdist_members(sdist):
        info.name = info.name.replace("check_demo-1.0", "Check-Demo-1.0", 1)
        members.append((info, data))
    dest = write_sdist(tmp_path / "out" / "Check-Demo-1.0.tar.gz", members)
    artifact = check_artifact(dest)
    assert [w.split(": ", 1)[1][:48] for w in artifact.warnings] == [
        "the filename should start with the normalized na"]


def test_legacy_zip_sdist(sdist: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "check_demo-1.0.zip"
    dest.parent.mkdir()
    with zipfile.ZipFile(dest, "w") as zf:
        for info, data in sdist_members(sdist):
            if data is not None:
                zf.writestr(info.name, data)
    assert check_artifact(dest).kind == "sdist"
    with zipfile.ZipFile(dest, "a") as zf:
        zf.writestr("other/file.txt", b"")
    assert_only(dest, "expected exactly one top-level directory")


# -- long description ----------------------------------------------------------------------
def test_rst_that_does_not_render_fails_like_twine(tmp_path: Path) -> None:
    sdist, wheel = build_dists("check_bad_rst", tmp_path)
    for dist in (sdist, wheel):
        assert_only(dist, "long description has syntax errors in markup and would not be "
                          "rendered on PyPI: line 7")
    twine = subprocess.run([sys.executable, "-m", "twine", "check", str(sdist), str(wheel)],
                           capture_output=True, text=True, check=False)
    assert twine.returncode == 1  # the same verdict from the peer tool


def test_missing_description_is_a_warning(wheel: Path, tmp_path: Path) -> None:
    def strip(m: dict[str, bytes]) -> None:
        head = m[f"{DI}/METADATA"].partition(b"\n\n")[0]
        m[f"{DI}/METADATA"] = replace_header(head + b"\n", "Description-Content-Type", None)

    dest = rewrite_wheel(wheel, tmp_path / "out" / WHEEL, strip)
    artifact = check_artifact(dest)
    assert any("long_description missing" in w for w in artifact.warnings)
    assert any("long_description_content_type missing" in w for w in artifact.warnings)
    report = check_files([dest])
    assert report.ok
    assert report.warnings[WHEEL] == list(artifact.warnings)


def test_markdown_is_not_rendered_and_cannot_fail(wheel: Path, tmp_path: Path) -> None:
    def md(m: dict[str, bytes]) -> None:
        meta = replace_header(m[f"{DI}/METADATA"], "Description-Content-Type", "text/markdown")
        m[f"{DI}/METADATA"] = meta + b"\n`unclosed *markdown\n"

    assert check_artifact(rewrite_wheel(wheel, tmp_path / "out" / WHEEL, md)).warnings == ()


# -- several files, checksums, manifest ----------------------------------------------------
def test_check_files_reports_without_raising(built: tuple[Path, Path], tmp_path: Path) -> None:
    sdist, wheel = built
    bad = tmp_path / WHEEL.replace("1.0", "1.1")
    bad.write_bytes(b"not a zip")
    report = check_files([sdist, bad, str(wheel)])
    assert not report.ok
    assert [a.filename for a in report.artifacts] == [SDIST, WHEEL]
    assert list(report.problems) == [bad.name]


def test_check_files_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        check_files([tmp_path / WHEEL])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="not a distribution"):
        check_files([tmp_path / "notes.txt"])


def test_find_dists_sdists_first(tmp_path: Path) -> None:
    for name in ("b-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl", "b-1.0.tar.gz",
                 "a-1.0.zip", "SHA256SUMS", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.whl").mkdir()
    assert [p.name for p in find_dists(tmp_path)] == [
        "a-1.0.zip", "b-1.0.tar.gz", "a-1.0-py3-none-any.whl", "b-1.0-py3-none-any.whl"]
    assert find_dists(tmp_path / "missing") == []


def test_sha256sums_verify_with_sha256sum(built: tuple[Path, Path], tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    artifacts = [check_artifact(Path(shutil.copy(p, dist))) for p in reversed(built)]
    path = write_checksums(dist, artifacts)
    lines = path.read_text().splitlines()
    assert [ln.split("  ")[1] for ln in lines] == sorted(a.filename for a in artifacts)
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in dist.iterdir() if p.name.startswith(".")] == []  # no temp left
    (dist / WHEEL).write_bytes(b"changed")
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist,
                          capture_output=True, check=False).returncode == 1


def test_manifest_and_table(built: tuple[Path, Path], tmp_path: Path) -> None:
    artifacts = [check_artifact(p) for p in built]
    path = write_manifest(tmp_path, artifacts, {"version": "1.0", "artifacts": "ignored"})
    doc = json.loads(path.read_text())
    assert doc["version"] == "1.0"
    assert [a["filename"] for a in doc["artifacts"]] == [SDIST, WHEEL]
    table = artifacts_table(artifacts)
    rows = table.strip().splitlines()
    assert rows[0] == "| file | kind | tags | size | sha256 |"
    assert len(rows) == 4
    assert f"`{WHEEL}` | wheel | `py3-none-any`" in rows[3]
    assert artifacts[1].sha256 in rows[3]


def test_artifact_is_frozen(wheel: Path) -> None:
    artifact = check_artifact(wheel)
    with pytest.raises(AttributeError):
        artifact.size = 0  # type: ignore[misc]
    assert isinstance(artifact, Artifact)
