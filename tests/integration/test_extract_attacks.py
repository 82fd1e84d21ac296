"""Hostile archives that pass a purely lexical check: links chained through links already
on disk, hard links through them, oversized pax / long-name headers, overlapping zip
entries.  Each runs in this interpreter and again in every interpreter on the machine
that has no tarfile extraction filters (Debian 12's 3.11.2, pyenv's 3.8-3.10), where
hwb's own checks are the only defence."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb_action._distcheck import Findings, check_sdist, check_wheel
from hwb_action.errors import UnsafeArchiveError
from hwb_action.source import safe_extract

ROOT = Path(__file__).resolve().parents[2]

# Runs safe_extract in another interpreter with only hwb_action.source.archive (and what it
# imports) loaded: the package __init__ files need Python 3.11, the extraction core not.
_RUNNER = """
import json, sys, types
root, archive, dest = sys.argv[1:4]
for name, sub in (("hwb_action", ""), ("hwb_action.source", "/source")):
    module = types.ModuleType(name)
    module.__path__ = [root + "/hwb_action" + sub]
    sys.modules[name] = module
import tarfile
from pathlib import Path
from hwb_action.source.archive import safe_extract
from hwb_action.errors import UnsafeArchiveError
try:
    safe_extract(Path(archive), Path(dest))
except UnsafeArchiveError as err:
    print(json.dumps({"refused": err.message, "filters": hasattr(tarfile, "data_filter")}))
else:
    print(json.dumps({"refused": None, "filters": hasattr(tarfile, "data_filter")}))
"""


def _interpreters() -> list[str]:
    """Interpreters here without tarfile's ``data`` filter (3.8+)."""
    found = ["/usr/bin/python3"]
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        versions = Path(done.stdout.strip()) / "versions"
        if versions.is_dir():
            found += sorted(str(p / "bin" / "python") for p in versions.iterdir()
                            if p.name.startswith(("3.8.", "3.9.", "3.10.", "3.11.")))
    probe = "import sys, tarfile; sys.exit(hasattr(tarfile, 'data_filter'))"
    return [p for p in dict.fromkeys(found) if os.access(p, os.X_OK)
            and subprocess.run([p, "-c", probe], check=False).returncode == 0]


OLD_PYTHONS = _interpreters()


def _symlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def _hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.LNKTYPE, target
    return info, None


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _tar(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]],
         fmt: int = tarfile.PAX_FORMAT) -> Path:
    with tarfile.open(path, "w", format=fmt) as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _raw_header(name: str, kind: bytes, size: int) -> bytes:
    """One tar header block declaring ``size`` bytes of data that never follow."""
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size
    return info.tobuf(format=tarfile.USTAR_FORMAT)


# Each builder writes an archive into the directory it is given; "secret.txt" lives next
# to the extraction directory, i.e. outside it.
def chained_symlink(d: Path) -> Path:
    # "x" -> "y/../secret.txt" is "secret.txt" to a lexical check; on disk y is ".", so
    # x leads out of the tree.
    return _tar(d / "chain.tar", [_file("ok.txt"), _symlink("y", "."),
                                  _symlink("x", "y/../secret.txt")])


def chained_symlink_reversed(d: Path) -> Path:
    # The escape appears only once "y" is written after "x".
    return _tar(d / "chain2.tar", [_file("ok.txt"), _symlink("x", "y/../secret.txt"),
                                   _symlink("y", ".")])


def hardlink_through_symlink(d: Path) -> Path:
    return _tar(d / "hard.tar", [_file("ok.txt"), _symlink("y", "."),
                                 _hardlink("h", "y/../secret.txt")])


def oversized_pax_header(d: Path) -> Path:
    path = d / "pax.tar"
    path.write_bytes(_raw_header("././@PaxHeader", tarfile.XHDTYPE, 1 << 32) + bytes(1024))
    return path


def oversized_long_name(d: Path) -> Path:
    path = d / "longname.tar"
    path.write_bytes(_raw_header("././@LongLink", tarfile.GNUTYPE_LONGNAME, 1 << 32)
                     + bytes(1024))
    return path


def long_member_name(d: Path) -> Path:
    return _tar(d / "name.tar", [_file("d/" + "n" * 5000)])


def overlapping_zip(d: Path) -> Path:
    return _overlapping_zip(d / "overlap.zip")


def _overlapping_zip(path: Path) -> Path:
    """Two stored members whose central entries say the first one's data runs over the
    second one's header (the layout of an overlapping-entries zip bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", b"A" * 100)
        zf.writestr("b.txt", b"B" * 100)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")  # the first central entry, a.txt
    struct.pack_into("<II", data, central + 20, 400, 400)  # compressed, uncompressed size
    path.write_bytes(bytes(data))
    return path


ATTACKS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "chained-symlink": (chained_symlink, "leaves the tree"),
    "chained-symlink-reversed": (chained_symlink_reversed, "leaves the tree"),
    "hardlink-through-symlink": (hardlink_through_symlink, "leaves the tree"),
    "oversized-pax-header": (oversized_pax_header, "extended header"),
    "oversized-long-name": (oversized_long_name, "extended header"),
    "long-member-name": (long_member_name, "longer than 4096"),
    "overlapping-zip": (overlapping_zip, "overlap"),
}


def _attack_dir(tmp_path: Path, case: str) -> tuple[Path, Path, Path]:
    (tmp_path / "secret.txt").write_text("the CI's token")
    archive = ATTACKS[case][0](tmp_path)
    return archive, tmp_path / "out", tmp_path / "secret.txt"


def _assert_nothing_escaped(dest: Path, secret: Path) -> None:
    assert list(dest.iterdir()) == []  # also no link left behind
    assert secret.stat().st_nlink == 1  # no hard link to it was made
    assert secret.read_text() == "the CI's token"


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_attack_refused_here(tmp_path: Path, case: str) -> None:
    archive, dest, secret = _attack_dir(tmp_path, case)
    with pytest.raises(UnsafeArchiveError) as info:
        safe_extract(archive, dest)
    assert ATTACKS[case][1] in info.value.message
    assert archive.name in info.value.message
    _assert_nothing_escaped(dest, secret)


@pytest.mark.parametrize("case", ["chained-symlink", "hardlink-through-symlink"])
def test_attack_refused_without_filters_in_this_interpreter(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(tarfile, "data_filter")
    archive, dest, secret = _attack_dir(tmp_path, case)
    with pytest.raises(UnsafeArchiveError, match=ATTACKS[case][1]):
        safe_extract(archive, dest)
    _assert_nothing_escaped(dest, secret)


@pytest.mark.skipif(not OLD_PYTHONS, reason="no interpreter without tarfile's data filter "
                    "on this machine (looked at /usr/bin/python3 and pyenv 3.8-3.11)")
@pytest.mark.parametrize("python", OLD_PYTHONS)
@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_attack_refused_on_an_interpreter_without_filters(
    tmp_path: Path, case: str, python: str
) -> None:
    archive, dest, secret = _attack_dir(tmp_path, case)
    done = subprocess.run([python, "-c", _RUNNER, str(ROOT), str(archive), str(dest)],
                          capture_output=True, text=True, check=False,
                          env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["filters"] is False
    assert result["refused"] is not None
    assert ATTACKS[case][1] in result["refused"]
    _assert_nothing_escaped(dest, secret)


@pytest.mark.skipif(not OLD_PYTHONS, reason="no interpreter without tarfile's data filter")
def test_good_archive_extracts_on_an_interpreter_without_filters(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "demo-1.0.tar", [
        _file("demo-1.0/pyproject.toml", b"[project]\n"), _symlink("demo-1.0/link", "sub/f"),
        _file("demo-1.0/sub/f", b"data"), _hardlink("demo-1.0/hard", "demo-1.0/sub/f"),
    ])
    dest = tmp_path / "out"
    done = subprocess.run([OLD_PYTHONS[0], "-c", _RUNNER, str(ROOT), str(archive), str(dest)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["refused"] is None
    assert (dest / "demo-1.0" / "link").read_text() == "data"
    assert (dest / "demo-1.0" / "hard").read_text() == "data"


def test_links_inside_the_tree_still_extract(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "demo-1.0.tar", [
        _file("demo-1.0/sub/f", b"data"), _symlink("demo-1.0/here", "."),
        _symlink("demo-1.0/link", "here/sub/f"), _hardlink("demo-1.0/hard", "demo-1.0/sub/f"),
    ])
    top = safe_extract(archive, tmp_path / "out")
    assert (top / "link").read_text() == "data"
    assert (top / "hard").read_text() == "data"


def test_hwb_check_refuses_an_overlapping_wheel_before_reading_it(tmp_path: Path) -> None:
    wheel = _overlapping_zip(tmp_path / "demo-1.0-py3-none-any.whl")
    found = Findings(wheel.name)
    check_wheel(wheel, found)
    assert any("overlap" in p and "not read further" in p for p in found.problems)


def test_hwb_check_refuses_an_overlapping_zip_sdist(tmp_path: Path) -> None:
    sdist = _overlapping_zip(tmp_path / "demo-1.0.zip")
    found = Findings(sdist.name)
    check_sdist(sdist, found)
    assert any("overlap" in p for p in found.problems)


def test_hwb_check_bounds_the_member_count(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for i in range(12):
            zf.writestr(f"demo/{i}.py", b"")
    monkeypatch.setattr("hwb_action._distcheck.ZIP_MAX_MEMBERS", 10)
    found = Findings(wheel.name)
    check_wheel(wheel, found)
    assert found.problems == [f"{wheel.name}: zip has 12 members, more than the limit of 10; "
                              "not read further"]


def test_this_interpreter_runs_too() -> None:
    # The runner itself works (it is what the old interpreters execute).
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(ROOT), "/nonexistent.tar",
                           "/nonexistent-out"], capture_output=True, text=True, check=False)
    assert "SourceError" in done.stderr or "archive not found" in done.stderr
