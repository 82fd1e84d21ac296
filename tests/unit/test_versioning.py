"""Unit tests of the versioning pieces that start no process: parsing, bumps, changelog,
version locations."""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from hwb_action.errors import ConfigError, UsageError, VersioningError
from hwb_action.options import VersionOptions, from_settings
from hwb_action.settings import read_pyproject, resolve
from hwb_action.versioning import VersionConfig
from hwb_action.versioning.bump import (
    DEFAULT_BUMP_MAP,
    Release,
    commit_level,
    next_version,
    parse_calver_format,
    parse_release,
)
from hwb_action.versioning.changelog import (
    forge_from_remote,
    has_section,
    release_notes,
    update_changelog,
)
from hwb_action.versioning.commits import Commit, drop_reverted, parse_commit
from hwb_action.versioning.locations import locate, render_edit

SHA = "0123456789abcdef0123456789abcdef01234567"


def c(message: str, sha: str = SHA) -> Commit:
    return parse_commit(sha, message)


# -- commits -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "kind", "scope", "breaking", "subject"),
    [
        ("feat: add x", "feat", None, False, "add x"),
        ("feat(cli): add x", "feat", "cli", False, "add x"),
        ("fix(api)!: drop y", "fix", "api", True, "drop y"),
        ("FIX: upper-case type", "fix", None, False, "upper-case type"),
        ("chore!: drop Python 3.8", "chore", None, True, "drop Python 3.8"),
        ("feat:no space", None, None, False, "feat:no space"),
        ("feat (cli): space before scope", None, None, False, "feat (cli): space before scope"),
        ("Add a thing", None, None, False, "Add a thing"),
        ("feat(): empty scope", "feat", None, False, "empty scope"),
        ("feat(ü): ñon-ASCII sübject ✓", "feat", "ü", False, "ñon-ASCII sübject ✓"),
    ],
)
def test_header(message: str, kind: str | None, scope: str | None, breaking: bool,
                subject: str) -> None:
    commit = c(message)
    assert (commit.type, commit.scope, commit.breaking, commit.subject) == (
        kind, scope, breaking, subject)


def test_breaking_change_footers() -> None:
    commit = c("refactor: rename\n\nA body paragraph.\n\nAnother one, BREAKING CHANGE: not "
               "at line start.\n\nBREAKING CHANGE: `load` is now\n  `read`\nRefs: #12\n"
               "BREAKING-CHANGE: and `dump` is gone")
    assert commit.breaking
    assert commit.breaking_notes == ("`load` is now `read`", "and `dump` is gone")
    assert not c("fix: x\n\nbreaking change: lower case is not a footer").breaking
    assert not c("fix: x\n\nThe BREAKING CHANGE: mid-line is prose").breaking


def test_reverts() -> None:
    target = "a" * 40
    git_style = c(f'Revert "feat: add x"\n\nThis reverts commit {target}.\n', "b" * 40)
    assert (git_style.type, git_style.subject, git_style.reverts) == ("revert", "feat: add x",
                                                                       target)
    conventional = c(f"revert: feat: add x\n\nThis reverts commit {target[:7]}.", "c" * 40)
    assert conventional.reverts == target[:7]
    original = c("feat: add x", target)
    other = c("fix: y", "d" * 40)
    # Newest first: the revert and what it reverts leave; a revert of it brings it back.
    assert drop_reverted([git_style, other, original]) == [other]
    assert drop_reverted([conventional, other, original]) == [other]
    reapply = c(f'Revert "Revert "feat: add x""\n\nThis reverts commit {"b" * 40}.', "e" * 40)
    assert drop_reverted([reapply, git_style, other, original]) == [other, original]
    outside = c(f'Revert "fix: old"\n\nThis reverts commit {"f" * 40}.', "9" * 40)
    assert drop_reverted([outside]) == [outside]


@pytest.mark.parametrize(
    ("message", "level"),
    [("feat: x", "minor"), ("fix: x", "patch"), ("perf: x", "patch"), ("docs: x", "none"),
     ("chore: x", "none"), ("feat!: x", "major"), ("docs: x\n\nBREAKING CHANGE: y", "major"),
     ("not conventional", "none")],
)
def test_commit_level(message: str, level: str) -> None:
    assert commit_level(c(message), DEFAULT_BUMP_MAP) == level


# -- bump --------------------------------------------------------------------------------------
def rel(text: str) -> Release:
    found = parse_release(text, f"v{text}")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("base", "level", "expected"),
    [("1.3.2", "patch", "1.3.3"), ("1.3.2", "minor", "1.4.0"), ("1.3.2", "major", "2.0.0"),
     ("0.3.1", "major", "1.0.0"), ("1.3", "patch", "1.3.1"), ("1.3.2.post1", "patch", "1.3.3"),
     (None, "minor", "0.1.0"), (None, "major", "1.0.0")],
)
def test_semver(base: str | None, level: str, expected: str) -> None:
    nxt = next_version(scheme="semver", level=level,  # type: ignore[arg-type]
                       base=rel(base) if base else None, pending=None, pre=None)
    assert nxt is not None
    assert nxt.text == expected


def test_major_on_zero_off_keeps_0x() -> None:
    nxt = next_version(scheme="semver", level="major", base=rel("0.3.1"), pending=None,
                       pre=None, major_on_zero=False)
    assert nxt is not None
    assert nxt.text == "0.4.0"
    nxt = next_version(scheme="semver", level="major", base=rel("1.3.1"), pending=None,
                       pre=None, major_on_zero=False)
    assert nxt is not None
    assert nxt.text == "2.0.0"


def test_nothing_to_release() -> None:
    assert next_version(scheme="semver", level="none", base=rel("1.0.0"), pending=None,
                        pre=None) is None


def test_prerelease_sequence() -> None:
    base = rel("1.3.0")
    first = next_version(scheme="semver", level="minor", base=base, pending=None, pre="rc")
    assert first is not None
    assert (first.text, first.bump) == ("1.4.0rc1", "prerelease")
    second = next_version(scheme="semver", level="patch", base=base, pending=rel("1.4.0rc1"),
                          pre="rc")
    assert second is not None
    assert second.text == "1.4.0rc2"
    beta_to_rc = next_version(scheme="semver", level="minor", base=base,
                              pending=rel("1.4.0b3"), pre="rc")
    assert beta_to_rc is not None
    assert beta_to_rc.text == "1.4.0rc1"
    final = next_version(scheme="semver", level="minor", base=base, pending=rel("1.4.0rc2"),
                         pre=None)
    assert final is not None
    assert (final.text, final.bump) == ("1.4.0", "minor")
    assert final.finalizes == rel("1.4.0rc2")
    # A breaking change after 1.4.0rc2 moves the target on.
    major = next_version(scheme="semver", level="major", base=base, pending=rel("1.4.0rc2"),
                         pre="rc")
    assert major is not None
    assert major.text == "2.0.0rc1"
    with pytest.raises(VersioningError, match="go backwards"):
        next_version(scheme="semver", level="minor", base=base, pending=rel("1.4.0rc1"),
                     pre="a")
    for v in (first, second, beta_to_rc, final, major):
        assert Version(v.text) > base.version


@pytest.mark.parametrize(
    ("fmt", "base", "day", "expected"),
    [
        ("YYYY.MM.MICRO", None, dt.date(2026, 1, 5), "2026.1.0"),
        ("YYYY.MM.MICRO", "2026.1.0", dt.date(2026, 1, 9), "2026.1.1"),
        ("YYYY.MM.MICRO", "2026.1.3", dt.date(2026, 2, 1), "2026.2.0"),
        ("YY.0M.MICRO", "25.12.4", dt.date(2026, 1, 5), "26.01.0"),
        ("YY.0M.MICRO", "26.01.0", dt.date(2026, 1, 20), "26.01.1"),
        ("YYYY.0M.0D", "2026.11.02", dt.date(2026, 11, 24), "2026.11.24"),
        ("YYYY.0M.0D", "2026.11.24", dt.date(2026, 11, 24), "2026.11.24.1"),
        ("YYYY.0M.0D", "2026.11.24.1", dt.date(2026, 11, 24), "2026.11.24.2"),
    ],
)
def test_calver(fmt: str, base: str | None, day: dt.date, expected: str) -> None:
    nxt = next_version(scheme="calver", level="patch", base=rel(base) if base else None,
                       pending=None, pre=None, calver_format=fmt, today=day)
    assert nxt is not None
    assert nxt.text == expected
    assert Version(nxt.text) == Version(expected)  # valid PEP 440
    if base:
        assert Version(nxt.text) > Version(base)


def test_calver_prerelease_and_backwards_date() -> None:
    day = dt.date(2026, 11, 24)
    first = next_version(scheme="calver", level="minor", base=rel("2026.10.3"), pending=None,
                         pre="rc", today=day)
    assert first is not None
    assert first.text == "2026.11.0rc1"
    final = next_version(scheme="calver", level="minor", base=rel("2026.10.3"),
                         pending=rel("2026.11.0rc1"), pre=None, today=day)
    assert final is not None
    assert final.text == "2026.11.0"
    with pytest.raises(VersioningError, match="never go backwards"):
        next_version(scheme="calver", level="minor", base=rel("2026.12.0"), pending=None,
                     pre=None, today=day)


@pytest.mark.parametrize("fmt", ["YYYY.MICRO.MM", "YYYY.WW", "YYYY", "YYYY.MM.MICRO.MICRO"])
def test_bad_calver_formats(fmt: str) -> None:
    with pytest.raises(ValueError):
        parse_calver_format(fmt)


def test_release_parsing_ignores_non_versions() -> None:
    assert parse_release("foo") is None
    assert parse_release("1.0.0+local") is None
    assert parse_release("1.0") is not None


# -- settings -> config -------------------------------------------------------------------
def test_config_from_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb]\ntag-format = "pkg-v{version}"\nbump-map = { refactor = "patch" }\n'
        'scheme = "calver"\ncalver-format = "YY.0M.MICRO"\n', encoding="utf-8")
    settings = resolve("version", cli={"pre": "rc"}, environ={"HWB_DATE": "2026-01-02"},
                       project_dir=tmp_path)
    cfg = VersionConfig.from_options(from_settings(VersionOptions, settings))
    assert cfg.tag_format == "pkg-v{version}"
    assert cfg.bump_map["refactor"] == "patch"
    assert cfg.bump_map["feat"] == "minor"
    assert (cfg.scheme, cfg.calver_format, cfg.pre) == ("calver", "YY.0M.MICRO", "rc")
    assert cfg.date == dt.date(2026, 1, 2)


@pytest.mark.parametrize(
    ("toml", "env", "match"),
    [
        ('tag-format = "release"', {}, "must contain {version}"),
        ('bump-map = { feat = "huge" }', {}, "major, minor, patch, none"),
        ('calver-format = "YYYY.WW"', {}, "unknown CalVer token"),
        ("", {"HWB_DATE": "24/11/2026"}, "not a date"),
        ('scheme = "semvar"', {}, "did you mean 'semver'"),
    ],
)
def test_config_errors(tmp_path: Path, toml: str, env: dict[str, str], match: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.hwb]\n{toml}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=match) as info:
        VersionConfig.from_options(from_settings(
            VersionOptions, resolve("version", environ=env, project_dir=tmp_path)))
    if toml:
        assert isinstance(info.value, ConfigError)
        assert info.value.line == 2


# -- changelog ---------------------------------------------------------------------------------
def commits() -> list[Commit]:
    # newest first, as git log gives them
    return [
        c("fix(security): escape output", "3" * 40),
        c("feat(cli)!: new flags\n\nBREAKING CHANGE: --old is gone", "2" * 40),
        c("docs: not listed", "5" * 40),
        c("Tidy up", "4" * 40),
        c("feat: first feature", "1" * 40),
    ]


def test_release_notes_groups() -> None:
    notes = release_notes(commits())
    assert notes.index("### ⚠ Breaking changes") < notes.index("### Added")
    assert notes.index("### Added") < notes.index("### Security") < notes.index("### Other")
    assert "- **cli:** --old is gone" in notes
    assert "- first feature (1111111)\n- **BREAKING:** **cli:** new flags (2222222)" in notes
    assert "not listed" not in notes
    assert "Tidy up" not in release_notes(commits(), unparsed="ignore")


def test_new_changelog_and_links() -> None:
    forge = forge_from_remote("git@github.com:octo/demo.git")
    text = update_changelog(None, version="1.0.0", tag="v1.0.0", date="2026-11-24",
                            notes=release_notes(commits()), previous_tag=None, forge=forge)
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]\n\n## [1.0.0] - 2026-11-24\n\n### ⚠ Breaking changes" in text
    assert text.endswith("[unreleased]: https://github.com/octo/demo/compare/v1.0.0...HEAD\n"
                         "[1.0.0]: https://github.com/octo/demo/releases/tag/v1.0.0\n")
    again = update_changelog(text, version="1.1.0", tag="v1.1.0", date="2026-11-25",
                             notes="### Fixed\n\n- y (abc)", previous_tag="v1.0.0", forge=forge)
    assert again.index("## [1.1.0] - 2026-11-25") < again.index("## [1.0.0] - 2026-11-24")
    assert again.endswith(
        "[unreleased]: https://github.com/octo/demo/compare/v1.1.0...HEAD\n"
        "[1.1.0]: https://github.com/octo/demo/compare/v1.0.0...v1.1.0\n"
        "[1.0.0]: https://github.com/octo/demo/releases/tag/v1.0.0\n")
    # Everything of the first file is still there, in order.
    assert again.replace("## [1.1.0] - 2026-11-25\n\n### Fixed\n\n- y (abc)\n\n", "").replace(
        "compare/v1.1.0...HEAD\n[1.1.0]: https://github.com/octo/demo/compare/v1.0.0...v1.1.0",
        "compare/v1.0.0...HEAD") == text


def test_handwritten_changelog_extended(packages: Path) -> None:
    original = (packages / "changelog_handwritten" / "CHANGELOG.md").read_text(encoding="utf-8")
    forge = forge_from_remote("https://github.com/example/handwritten")
    text = update_changelog(original, version="1.4.0", tag="v1.4.0", date="2026-11-24",
                            notes="### Added\n\n- generated (1234567)", previous_tag="v1.3.0",
                            forge=forge)
    head, _, rest = original.partition("## [1.3.0] - 2025-01-05")
    # Before Unreleased and from the previous release on, the bytes are the same ...
    assert text.startswith(head.partition("### Added")[0])
    old_body = rest.partition("[Unreleased]:")[0]
    assert "## [1.3.0] - 2025-01-05" + old_body in text
    # ... the hand-written Unreleased entries moved into the release, by category ...
    section = text.partition("## [1.4.0] - 2026-11-24\n\n")[2].partition("## [1.3.0]")[0]
    assert section == ("### Added\n\n- generated (1234567)\n"
                       "- A hand-written note about the new docs site.\n\n"
                       "### Deprecated\n\n- The `--old` flag.\n\n")
    assert "## [Unreleased]\n\n## [1.4.0]" in text
    # ... and the links moved on, keeping the file's own label case.
    assert ("[Unreleased]: https://github.com/example/handwritten/compare/v1.4.0...HEAD\n"
            "[1.4.0]: https://github.com/example/handwritten/compare/v1.3.0...v1.4.0\n"
            "[1.3.0]: ") in text


def test_changelog_without_unreleased_or_forge() -> None:
    original = "# History\r\n\r\nIntro.\r\n\r\n## 1.0.0\r\n\r\n- old\r\n"
    text = update_changelog(original, version="1.1.0", tag="v1.1.0", date="2026-11-24",
                            notes="### Fixed\n\n- x (1)", previous_tag="v1.0.0", forge=None)
    assert text == ("# History\r\n\r\nIntro.\r\n\r\n## [1.1.0] - 2026-11-24\r\n\r\n### Fixed"
                    "\r\n\r\n- x (1)\r\n\r\n## 1.0.0\r\n\r\n- old\r\n")


def test_existing_section_is_not_added_twice() -> None:
    original = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## 1.1.0 - 2026-01-01\r\n\r\n- a\r\n"
    assert has_section(original, "1.1.0")
    assert not has_section(original, "1.1")
    assert not has_section("## [1.1.0rc1] - 2026-01-01\n", "1.1.0")
    text = update_changelog(original, version="1.1.0", tag="v1.1.0", date="2026-11-24",
                            notes="### Fixed\n\n- x (1)", previous_tag="v1.0.0", forge=None)
    assert text == original


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://github.com/o/r.git", "https://github.com/o/r"),
        ("https://x-access-token:ghs_SECRET@github.com/o/r", "https://github.com/o/r"),
        ("ssh://git@gitlab.com/group/sub/r.git", "https://gitlab.com/group/sub/r"),
        ("git@codeberg.org:o/r.git", "https://codeberg.org/o/r"),
        ("https://git.example.invalid/o/r", None),
        ("/srv/git/r.git", None),
    ],
)
def test_forges(url: str, base: str | None) -> None:
    forge = forge_from_remote(url)
    assert (forge.base if forge else None) == base
    if forge is not None:
        assert "SECRET" not in forge.compare("a", "b")


def test_gitlab_links() -> None:
    forge = forge_from_remote("git@gitlab.com:g/r.git")
    assert forge is not None
    assert forge.compare("v1", "v2") == "https://gitlab.com/g/r/-/compare/v1...v2"


# -- version locations ---------------------------------------------------------------------
def load(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_pyproject_edit_is_minimal(packages: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(packages / "version_pyproject", project)
    before = (project / "pyproject.toml").read_bytes()
    where = locate(project, "", load(project / "pyproject.toml"))
    assert (where.kind, where.current) == ("pyproject", "0.3.1")
    after = render_edit(where, "1.0.0")
    assert after == before.replace(b"version = '0.3.1'", b"version = '1.0.0'", 1)


def test_pyproject_crlf_and_dotted(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'project.name = "x"\r\nproject.version = "1.0"\r\n[tool.a]\r\n'
                     b'version = "1.0"\r\n')
    where = locate(tmp_path, "", load(path))
    assert render_edit(where, "1.1") == (b'project.name = "x"\r\nproject.version = "1.1"\r\n'
                                         b'[tool.a]\r\nversion = "1.0"\r\n')


def test_pyproject_version_not_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('project = { name = "x", version = "1.0" }\n', encoding="utf-8")
    where = locate(tmp_path, "", load(path))
    with pytest.raises(ConfigError, match="could not find"):
        render_edit(where, "1.1")


def test_dunder_file(packages: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(packages / "version_dunder", project)
    init = project / "src" / "version_dunder" / "__init__.py"
    init.write_bytes(init.read_bytes().replace(b"\n", b"\r\n"))  # CRLF must survive too
    before = init.read_bytes()
    where = locate(project, "", load(project / "pyproject.toml"))
    assert (where.kind, where.path, where.current) == ("python", init, "2.0.0")
    assert render_edit(where, "2.1.0") == before.replace(b'"2.0.0"', b'"2.1.0"', 1)
    explicit = locate(project, "src/version_dunder/__init__.py", {})
    assert explicit.current == "2.0.0"


def test_dunder_file_needs_one_assignment(tmp_path: Path) -> None:
    (tmp_path / "v.py").write_text('__version__ = "1"\n__version__ = "2"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="found 2"):
        locate(tmp_path, "v.py", {})
    with pytest.raises(ConfigError, match="does not exist"):
        locate(tmp_path, "missing.py", {})
    (tmp_path / "w.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line, found none$"):
        locate(tmp_path, "w.py", {})


def test_dynamic_vcs_version_is_tag_only(packages: Path) -> None:
    project = packages / "version_hatch_vcs"
    where = locate(project, "", load(project / "pyproject.toml"))
    assert (where.kind, where.path) == ("none", None)
    assert render_edit(where, "1.0.0") is None
    assert locate(project, "none", {}).kind == "none"


_DYNAMIC = '[project]\nname = "x"\ndynamic = ["version"]\n'


@pytest.mark.parametrize(
    ("toml", "message", "line"),
    [
        (_DYNAMIC + '[tool]\nhatch = "oops"\n', "[tool] hatch must be a table, not str", 5),
        (_DYNAMIC + '[tool.hatch]\nversion = "x"\n',
         "[tool.hatch] version must be a table, not str", 5),
        ('[project]\nname = "x"\nversion = 3\n', "[project] version is not set to a string", 3),
        (_DYNAMIC + '[tool.setuptools.dynamic]\nversion = "x"\n',
         "[tool.setuptools.dynamic] version must be a table, not str", 5),
        (_DYNAMIC + '[tool.hatch.version]\npath = 3\n',
         "[tool.hatch.version] path must be a string, not int", 5),
        (_DYNAMIC + '[tool.setuptools.dynamic.version]\nattr = ["a.b"]\n',
         "[tool.setuptools.dynamic.version] attr must be a string, not list", 5),
        ('[build-system]\nrequires = "hatchling"\n' + _DYNAMIC,
         "[build-system] requires must be a list of strings, not str", 2),
        ('[project]\nname = "x"\ndynamic = "version"\n',
         "[project] dynamic must be a list of strings, not str", 3),
        ('tool = "oops"\n' + _DYNAMIC, "tool must be a table, not str", None),
        ('project = "x"\n', "project must be a table, not str", None),
    ],
)
def test_wrong_typed_pyproject_is_a_config_error(tmp_path: Path, toml: str, message: str,
                                                 line: int | None) -> None:
    """A version-location reader that met a string where a table belongs used to crash with
    an AttributeError traceback; now it names pyproject.toml, the key and the line."""
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    data, text, _ = read_pyproject(tmp_path)
    with pytest.raises(ConfigError) as info:
        locate(tmp_path, "", data, text=text)
    assert info.value.message.startswith(message)
    assert info.value.file == str(tmp_path / "pyproject.toml")
    if line is not None:
        assert info.value.line == line
    assert info.value.hint


def test_version_file_pyproject_is_not_parsed_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\nversion = "1.0"\n', encoding="utf-8")
    data, text, _ = read_pyproject(tmp_path)
    calls: list[str] = []

    def counting(text: str) -> dict[str, object]:
        calls.append(text)
        return {}

    monkeypatch.setattr(tomllib, "loads", counting)
    for setting in ("", "pyproject.toml"):
        assert locate(tmp_path, setting, data, text=text).current == "1.0"
    assert calls == []
