"""The small shared helpers: one definition each (hwb_action._text, hwb_action._host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action._host import host_platform, normalise_arch, venv_python, venv_scripts
from hwb_action._text import location, parse_pair, shorten


def test_shorten_keeps_short_text_and_cuts_long_text_to_the_limit() -> None:
    assert shorten("short", 10) == "short"
    cut = shorten("x" * 50, 10)
    assert cut == "xxxxxxx..."
    assert len(cut) == 10


def test_shorten_one_line_squeezes_whitespace_before_cutting() -> None:
    assert shorten("a\n  b\r\n\tc", 100, one_line=True) == "a b c"
    assert shorten("a\nb", 100) == "a\nb"


@pytest.mark.parametrize(("args", "expected"), [
    ((None, 3, 4), ""),
    (("f.toml", None, 4), "f.toml"),
    (("f.toml", 3, None), "f.toml:3"),
    (("f.toml", 3, 4), "f.toml:3:4"),
])
def test_location(args: tuple[str | None, int | None, int | None], expected: str) -> None:
    assert location(*args) == expected


@pytest.mark.parametrize(("item", "expected"), [
    ("KEY=VALUE", ("KEY", "VALUE")),
    (" key = a=b ", ("key", " a=b ")),
    ("KEY=", ("KEY", "")),
    ("KEY", None),
    ("=VALUE", None),
    ("  =x", None),
])
def test_parse_pair(item: str, expected: tuple[str, str] | None) -> None:
    assert parse_pair(item) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("AMD64", "x86_64"), ("x64", "x86_64"), ("x86_64", "x86_64"), ("arm64", "aarch64"),
    ("ARM64", "aarch64"), ("aarch64", "aarch64"), ("ppc64le", "ppc64le"),
])
def test_normalise_arch(name: str, expected: str) -> None:
    assert normalise_arch(name) == expected


def test_host_platform() -> None:
    assert host_platform("linux") == "linux"
    assert host_platform("darwin") == "macos"
    assert host_platform("win32") == "windows"
    assert host_platform("freebsd14") == "freebsd14"


def test_venv_paths_on_each_os(tmp_path: Path) -> None:
    assert venv_python(tmp_path, windows=False) == tmp_path / "bin" / "python"
    assert venv_python(tmp_path, windows=True) == tmp_path / "Scripts" / "python.exe"
    assert venv_scripts(tmp_path, windows=True) == tmp_path / "Scripts"
