"""Version files of every kind, edited byte for byte; rst changelogs; the shared history
parser.  No processes: files in tmp_path only."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.errors import ConfigError
from hwb_action.versioning.files import locate_file, render_any, same_version, split_spec
from hwb_action.versioning.history import parse_log
from hwb_action.versioning.rst import is_rst, markdown_notes_to_rst, update_rst


@pytest.mark.parametrize(("spec", "expected"), [
    ("src/pkg/_version.py", ("src/pkg/_version.py", None)),
    ("docs/conf.py:release", ("docs/conf.py", "release")),
    ("Cargo.toml:workspace.package.version", ("Cargo.toml", "workspace.package.version")),
    ("C:/odd/path.py", ("C:/odd/path.py", None)),  # what follows ':' is no variable name
    ("file:with space", ("file:with space", None)),
])
def test_split_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_spec(spec) == expected


def _edit(tmp_path: Path, name: str, text: str, spec: str | None = None,
          new: str = "2.0.0") -> tuple[str, str]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    location = locate_file(tmp_path, spec or name)
    edited = render_any(location, new)
    assert edited is not None
    assert location.current is not None
    return location.current, edited.decode()


def test_json_top_level_key_only(tmp_path: Path) -> None:
    text = ('{"a": {"version": "1.0.0"}, "list": ["version", {"version": "x"}],\r\n'
            ' "esc\\"aped": "v\\"1", "version" : "1.0.0", "tail": {"version": "1.0.0"}}\r\n')
    current, edited = _edit(tmp_path, "package.json", text)
    assert current == "1.0.0"
    assert edited == text.replace('"version" : "1.0.0"', '"version" : "2.0.0"')


def test_toml_tables_and_arrays_of_tables(tmp_path: Path) -> None:
    text = ('version = "0.0.1"\n[[bin]]\nversion = "9"\n[ package ]  # crate\n'
            "name = 'x'\nversion = '1.0.0' # here\n[package.metadata]\nversion = \"5\"\n")
    current, edited = _edit(tmp_path, "Cargo.toml", text)
    assert current == "1.0.0"
    assert edited == text.replace("version = '1.0.0'", "version = '2.0.0'")
    current, edited = _edit(tmp_path, "Cargo.toml", text, "Cargo.toml:package.metadata.version")
    assert current == "5"
    assert edited.endswith('[package.metadata]\nversion = "2.0.0"\n')


def test_variable_and_dunder_files(tmp_path: Path) -> None:
    text = 'release: str = "1.0.0"\nversion = "1.0"\n__version__ = \'1.0.0\'\n'
    assert _edit(tmp_path, "conf.py", text, "conf.py:release")[1].startswith(
        'release: str = "2.0.0"\nversion = "1.0"\n')
    assert _edit(tmp_path, "conf.py", text)[1].endswith("__version__ = '2.0.0'\n")
    (tmp_path / "two.py").write_text('x = "1"\nx = "2"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="found 2"):
        locate_file(tmp_path, "two.py:x")


def test_same_version() -> None:
    assert same_version("1.3", "1.3.0")
    assert not same_version("1.3.0", "1.3.1")
    assert same_version("weird", "weird")
    assert not same_version(None, "1.0")


RST = "Changes\n=======\n\n1.0.0 (2026-01-01)\n------------------\n\n* First.\n"


def test_rst_insertion_keeps_the_old_text_and_levels() -> None:
    out = update_rst(RST, version="1.1.0", date="2026-11-24",
                     notes="### Added\n\n- new `code` [doc](https://x.invalid)")
    assert out == ("Changes\n=======\n\n1.1.0 - 2026-11-24\n------------------\n\nAdded\n~~~~~\n\n"
                   "- new ``code`` `doc <https://x.invalid>`_\n\n" + RST[17:])
    assert update_rst(out, version="1.1.0", date="x", notes="y") == out
    crlf = RST.replace("\n", "\r\n")
    assert "\r\n1.1.0 - 2026-11-24\r\n" in update_rst(crlf, version="1.1.0", date="2026-11-24",
                                                        notes="")


def test_markdown_notes_to_rst_headings() -> None:
    assert markdown_notes_to_rst("### ⚠ Breaking changes\n\n- x", "^") == [
        "⚠ Breaking changes", "^^^^^^^^^^^^^^^^^^", "", "- x"]


@pytest.mark.parametrize(("name", "text", "rst"), [
    ("CHANGELOG.rst", None, True), ("CHANGELOG.md", RST, False), ("CHANGES.txt", RST, True),
    ("CHANGES.txt", "# C\n\n## [1.0.0]\n", False), ("CHANGES", None, False),
])
def test_is_rst(name: str, text: str | None, rst: bool) -> None:
    assert is_rst(Path(name), text) is rst


def test_parse_log_records() -> None:
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    text = (f"\x01{a} {b} {c}\0Merge\n\0\x01{b} {c}\0feat: x\n\nbody\n\0\nsrc/x.py\0"
            f"docs/y.md\0\x01{c}\0empty\n\0")
    commits = parse_log(text)
    assert [(x.sha, x.parents, x.files) for x in commits] == [
        (a, (b, c), ()), (b, (c,), ("src/x.py", "docs/y.md")), (c, (), ())]
    assert commits[1].message == "feat: x\n\nbody\n"
