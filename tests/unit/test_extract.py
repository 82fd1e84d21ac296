"""safe_extract against archives built here: a good sdist, and one archive per attack."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from hwb_action.errors import EXIT_FAILED, SourceError, UnsafeArchiveError
from hwb_action.source import safe_extract

Entry = tuple[tarfile.TarInfo, bytes | None]


def _file(name: str, data: bytes = b"x", mode: int = 0o644) -> Entry:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    return info, data


def _special(name: str, kind: bytes, linkname: str = "") -> Entry:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info, None


def make_tar(path: Path, entries: list[Entry], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def make_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def _unix(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


SDIST = [
    _special("demo-1.0", tarfile.DIRTYPE),
    _file("demo-1.0/pyproject.toml", b'[project]\nname = "demo"\nversion = "1.0"\n'),
    _file("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
    _file("demo-1.0/src/demo/__init__.py", b"VALUE = 1\n"),
    _file("demo-1.0/run.sh", b"#!/bin/sh\n", mode=0o755),
    _special("demo-1.0/src/alias", tarfile.SYMTYPE, "demo"),
    _special("demo-1.0/copy.py", tarfile.LNKTYPE, "demo-1.0/src/demo/__init__.py"),
]


@pytest.mark.parametrize(("suffix", "mode"), [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"),
                                         (".tar.xz", "w:xz"), (".tar", "w"), (".tgz", "w:gz")])
def test_good_sdist_extracts(tmp_path: Path, suffix: str, mode: str) -> None:
    archive = make_tar(tmp_path / f"demo-1.0{suffix}", SDIST, mode)
    top = safe_extract(archive, tmp_path / "out")
    assert top == tmp_path / "out" / "demo-1.0"
    assert (top / "src" / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (top / "src" / "alias").is_symlink()
    assert (top / "src" / "alias" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (top / "copy.py").read_text() == "VALUE = 1\n"
    assert (top / "run.sh").stat().st_mode & stat.S_IXUSR


def test_good_zip_extracts(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "demo-1.0.zip", [
        ("demo-1.0/pyproject.toml", b"[project]\n"),
        (_unix("demo-1.0/run.sh", stat.S_IFREG | 0o755), b"#!/bin/sh\n"),
        ("demo-1.0/src/demo/__init__.py", b"VALUE = 1\n"),
    ])
    top = safe_extract(archive, tmp_path / "out")
    assert top == tmp_path / "out" / "demo-1.0"
    assert (top / "src" / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (top / "run.sh").stat().st_mode & stat.S_IXUSR


def test_several_top_level_entries_return_dest(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "flat.tar.gz", [_file("a.txt"), _file("b/c.txt")])
    assert safe_extract(archive, tmp_path / "out") == tmp_path / "out"
    assert (tmp_path / "out" / "b" / "c.txt").is_file()


TAR_ATTACKS: dict[str, tuple[list[Entry], str, str]] = {
    # case: (entries, the member named, words of the reason)
    "absolute": ([_file("/tmp/hwb-evil")], "/tmp/hwb-evil", "absolute path"),
    "dotdot": ([_file("../x")], "../x", "'..' component"),
    "dotdot-inner": ([_file("demo/../../x")], "demo/../../x", "'..' component"),
    "dotdot-backslash": ([_file("demo\\..\\..\\x")], "demo\\..\\..\\x", "'..' component"),
    "symlink-escaping": ([_special("demo/etc", tarfile.SYMTYPE, "../../etc")], "demo/etc",
                         "leaves the tree"),
    "symlink-absolute": ([_special("demo/pw", tarfile.SYMTYPE, "/etc/passwd")], "demo/pw",
                         "absolute path"),
    "symlink-chain": ([_special("demo/up", tarfile.SYMTYPE, ".."),
                       _special("demo/up/out", tarfile.SYMTYPE, "..")], "demo/up/out",
                      "through a link"),
    "write-through-symlink": ([_special("demo/d", tarfile.SYMTYPE, "."), _file("demo/d/x")],
                              "demo/d/x", "through a link"),
    "hardlink-escaping": ([_special("demo/hl", tarfile.LNKTYPE, "../outside")], "demo/hl",
                          "hard link"),
    "hardlink-absolute": ([_special("demo/hl", tarfile.LNKTYPE, "/etc/passwd")], "demo/hl",
                          "hard link"),
    "char-device": ([_special("demo/null", tarfile.CHRTYPE)], "demo/null", "character device"),
    "block-device": ([_special("demo/sda", tarfile.BLKTYPE)], "demo/sda", "block device"),
    "fifo": ([_special("demo/pipe", tarfile.FIFOTYPE)], "demo/pipe", "FIFO"),
}


@pytest.mark.parametrize("case", sorted(TAR_ATTACKS))
def test_tar_attack_refused(tmp_path: Path, case: str) -> None:
    entries, member, why = TAR_ATTACKS[case]
    archive = make_tar(tmp_path / "evil-1.0.tar.gz", [_file("demo/ok.txt"), *entries])
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError) as info:
        safe_extract(archive, dest)
    err = info.value
    assert err.exit_code == EXIT_FAILED
    assert "evil-1.0.tar.gz" in err.message
    assert repr(member) in err.message
    assert why in err.message
    assert "rebuild it with `python -m build --sdist`" in (err.hint or "")
    # Nothing was written: every member is checked before the first one is extracted.
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "outside").exists()


def test_tar_declared_size_past_the_bound_is_refused_unread(tmp_path: Path) -> None:
    # Only the header of a 10 GiB member: refused from the header, before its data.
    info = tarfile.TarInfo("demo/huge.bin")
    info.size = 10 * 1024**3
    archive = tmp_path / "bomb.tar"
    archive.write_bytes(info.tobuf(format=tarfile.PAX_FORMAT))
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "out")
    assert "'demo/huge.bin'" in err.value.message
    assert "2048.0 MiB uncompressed" in err.value.message


def test_tar_sum_of_sizes_past_max_bytes(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "big.tar.gz", [_file(f"d/{i}", b"y" * 600) for i in range(3)])
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "out", max_bytes=1000)
    assert "'d/1'" in err.value.message
    safe_extract(archive, tmp_path / "ok", max_bytes=2000)


def test_tar_too_many_members(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "many.tar.gz", [_file(f"d/{i}") for i in range(6)])
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "out", max_members=5)
    assert "'d/5'" in err.value.message
    assert "limit of 5 members" in err.value.message


def test_gzip_bomb_ratio(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "zeros.tar.gz", [_file("d/zeros", bytes(20 * 1024**2))])
    assert archive.stat().st_size < 100_000
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "out")
    assert "'d/zeros'" in err.value.message
    assert "decompression bomb" in err.value.message


ZIP_ATTACKS: dict[str, tuple[list[tuple[str | zipfile.ZipInfo, bytes]], str, str]] = {
    "absolute": ([("/tmp/hwb-evil", b"x")], "/tmp/hwb-evil", "absolute path"),
    "drive": ([("C:/evil", b"x")], "C:/evil", "absolute path"),
    "dotdot": ([("../x", b"x")], "../x", "'..' component"),
    "dotdot-backslash": ([("d\\..\\..\\x", b"x")], "d\\..\\..\\x", "'..' component"),
    "symlink-escaping": ([(_unix("d/link", stat.S_IFLNK | 0o777), b"../../etc")], "d/link",
                         "leaves the tree"),
    "fifo": ([(_unix("d/pipe", stat.S_IFIFO | 0o644), b"")], "d/pipe", "FIFO"),
    "char-device": ([(_unix("d/null", stat.S_IFCHR | 0o644), b"")], "d/null",
                    "character device"),
}


@pytest.mark.parametrize("case", sorted(ZIP_ATTACKS))
def test_zip_attack_refused(tmp_path: Path, case: str) -> None:
    entries, member, why = ZIP_ATTACKS[case]
    archive = make_zip(tmp_path / "evil-1.0.zip", [("d/ok.txt", b"ok"), *entries])
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError) as info:
        safe_extract(archive, dest)
    assert "evil-1.0.zip" in info.value.message
    assert repr(member) in info.value.message
    assert why in info.value.message
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "x").exists()


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", [("d/zeros", bytes(20 * 1024**2))])
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "out")
    assert "'d/zeros'" in err.value.message
    assert "decompression bomb" in err.value.message


def test_zip_declared_sizes_and_member_count(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", [(f"d/{i}", b"z" * 600) for i in range(6)])
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "a", max_bytes=1000)
    assert "'d/1'" in err.value.message
    with pytest.raises(UnsafeArchiveError) as err:
        safe_extract(archive, tmp_path / "b", max_members=5)
    assert "'d/5'" in err.value.message


def test_truncated_archive_is_a_source_error(tmp_path: Path) -> None:
    good = make_tar(tmp_path / "good.tar.gz", SDIST)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(good.read_bytes()[:60])
    with pytest.raises(SourceError) as err:
        safe_extract(broken, tmp_path / "out")
    assert not isinstance(err.value, UnsafeArchiveError)
    assert "broken.tar.gz" in err.value.message


def test_unsupported_suffix(tmp_path: Path) -> None:
    other = tmp_path / "demo.rar"
    other.write_bytes(b"Rar!")
    with pytest.raises(SourceError, match="not a supported archive"):
        safe_extract(other, tmp_path / "out")


@pytest.fixture
def no_extraction_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python before 3.11.4 (e.g. Debian bookworm's 3.11.2) has no tarfile filters."""
    monkeypatch.delattr(tarfile, "data_filter")


@pytest.mark.usefixtures("no_extraction_filters")
def test_good_sdist_extracts_without_tarfile_filters(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "demo-1.0.tar.gz", SDIST, "w:gz")
    top = safe_extract(archive, tmp_path / "out")
    assert (top / "src" / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (top / "run.sh").stat().st_mode & stat.S_IXUSR
    assert (top / "copy.py").read_text() == "VALUE = 1\n"


@pytest.mark.usefixtures("no_extraction_filters")
@pytest.mark.parametrize("case", ["dotdot", "symlink-escaping", "hardlink-absolute", "fifo"])
def test_tar_attack_refused_without_tarfile_filters(tmp_path: Path, case: str) -> None:
    entries, member, _ = TAR_ATTACKS[case]
    archive = make_tar(tmp_path / "evil-1.0.tar.gz", [_file("demo/ok.txt"), *entries])
    with pytest.raises(UnsafeArchiveError, match=repr(member).replace("\\", "\\\\")):
        safe_extract(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
