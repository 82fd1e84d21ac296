"""hwb release on real git repositories: every version file, atomic commit and tag, re-runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hwb_action.errors import ConfigError, HwbError, VersioningError
from hwb_action.versioning import ReleaseActions
from tests.cli_support import run_hwb
from tests.versioning_support import Repo, plan, release

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PYPROJECT = '[project]\nname = "demo"\nversion = "1.3.0"\n'
VERSION_PY = '"""Version."""\n\n__version__ = "1.3.0"  # kept by hwb\n'
CONF_PY = ('project = "demo"\r\nversion = "1.3"\r\nrelease = "1.3.0"\r\n'
           'html_theme = "alabaster"\r\n')
CARGO = ('[package]\nname = "demo"\nversion = "1.3.0"  # the crate\nedition = "2021"\n\n'
         '[dependencies]\npyo3 = { version = "0.22.0", features = ["extension-module"] }\n\n'
         '[[bin]]\nname = "x"\nversion = "9.9.9"\n')
PACKAGE_JSON = ('{\n  "name": "demo",\n  "dependencies": {"left-pad": {"version": "1.3.0"}},\n'
                '  "version": "1.3.0",\n  "private": true\n}\n')
FILES = {"pyproject.toml": PYPROJECT, "src/demo/_version.py": VERSION_PY,
         "docs/conf.py": CONF_PY, "Cargo.toml": CARGO, "web/package.json": PACKAGE_JSON}
SPECS = ("src/demo/_version.py", "docs/conf.py:release", "Cargo.toml", "web/package.json")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.commit("chore: init", files=FILES)
    r.tag("v1.3.0")
    return r


def _read(repo: Repo, name: str) -> bytes:
    return (repo.path / name).read_bytes()


# -- 1. every place the version lives ----------------------------------------------------------
def test_every_version_file_is_updated_byte_for_byte(repo: Repo) -> None:
    repo.commit("feat: more")
    result = release(repo, version_files=SPECS)
    assert result.plan.version == "1.4.0"
    for name, old in FILES.items():
        expected = old.replace('version = "1.3.0"', 'version = "1.4.0"', 1) \
            if name in ("pyproject.toml", "Cargo.toml") else old
        if name == "src/demo/_version.py":
            expected = old.replace("1.3.0", "1.4.0")
        if name == "docs/conf.py":  # only release; the short `version` is not listed
            expected = old.replace('release = "1.3.0"', 'release = "1.4.0"')
        if name == "web/package.json":  # the top-level key, not the dependency's
            expected = old.replace('"version": "1.3.0",\n  "private"',
                                   '"version": "1.4.0",\n  "private"')
        assert _read(repo, name) == expected.encode(), name
    assert '"left-pad": {"version": "1.3.0"}' in _read(repo, "web/package.json").decode()
    assert 'version = "9.9.9"' in _read(repo, "Cargo.toml").decode()
    committed = set(repo.git("show", "--name-only", "--format=", "HEAD").split())
    assert committed == {*FILES}  # every file in the one release commit
    assert repo.git("status", "--porcelain").strip() == ""


def test_a_file_without_the_old_version_fails_before_anything_is_written(repo: Repo) -> None:
    (repo.path / "docs/conf.py").write_bytes(CONF_PY.replace("1.3.0", "1.2.9").encode())
    repo.commit("fix: drifted", files={})
    repo.git("commit", "-qam", "docs: drift")
    before = {name: _read(repo, name) for name in FILES}
    head = repo.git("rev-parse", "HEAD")
    expected = re.escape("do not hold the current version 1.3.0")
    with pytest.raises(VersioningError, match=expected) as info:
        release(repo, version_files=SPECS)
    assert any("docs/conf.py" in d and "'1.2.9'" in d for d in info.value.details)
    assert {name: _read(repo, name) for name in FILES} == before
    assert repo.git("rev-parse", "HEAD") == head
    assert repo.tags() == {"v1.3.0"}
    # hwb version says so too, without failing.
    done = run_hwb("version", "--version-files", "docs/conf.py:release", cwd=repo.path,
                   env=repo.env)
    assert done.returncode == 0, done.stderr
    assert "hwb release will refuse" in done.stderr


@pytest.mark.parametrize(("spec", "message"), [
    ("missing.py", "does not exist"),
    ("docs/conf.py:nothing_here", "expected one `nothing_here = \"...\"` line, found none"),
    ("Cargo.toml:package.nope", "is not a version string"),
    ("web/package.json:name_missing", 'no top-level "name_missing" string'),
])
def test_bad_version_file_entries(repo: Repo, spec: str, message: str) -> None:
    repo.commit("fix: x")
    with pytest.raises(ConfigError, match=message) as info:
        plan(repo, version_files=(spec,))
    assert info.value.hint or info.value.file


def test_version_files_from_pyproject_through_the_cli(repo: Repo) -> None:
    repo.commit("fix: cli", files={"pyproject.toml": PYPROJECT + '\n[tool.hwb]\n'
                                   'version-files = ["src/demo/_version.py", '
                                   '"docs/conf.py:release"]\n'})
    done = run_hwb("release", "--json", cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["version"] == "1.3.1"
    assert data["released"] is True
    assert sorted(Path(f).name for f in data["files"]) == ["CHANGELOG.md", "_version.py",
                                                           "conf.py", "pyproject.toml"]
    assert '__version__ = "1.3.1"' in _read(repo, "src/demo/_version.py").decode()


# -- 2. atomic and re-runnable ----------------------------------------------------------------
def _snapshot(repo: Repo) -> tuple[str, str, str, dict[str, bytes], set[str]]:
    return (repo.git("rev-parse", "HEAD"), repo.git("status", "--porcelain"),
            repo.git("ls-files", "--stage"), {n: _read(repo, n) for n in FILES}, repo.tags())


def test_no_git_identity_changes_nothing_and_says_what_to_set(repo: Repo) -> None:
    repo.commit("feat: needs a release")
    repo.git("config", "user.useConfigOnly", "true")
    env = {k: v for k, v in repo.env.items() if not k.startswith(("GIT_AUTHOR", "GIT_COMMITTER",
                                                                   "EMAIL"))}
    before = _snapshot(repo)
    done = run_hwb("release", "--version-files", "src/demo/_version.py", cwd=repo.path, env=env)
    assert done.returncode == 1
    assert "user.name" in done.stderr
    assert "user.email" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(repo) == before
    assert not (repo.path / "CHANGELOG.md").exists()


@pytest.mark.parametrize("refuse", ["tag", "commit"])
def test_a_refusing_hook_leaves_tree_index_and_head_as_they_were(repo: Repo,
                                                                  refuse: str) -> None:
    """A reference-transaction hook (it runs even for --no-verify commits) refuses the tag
    after the commit was made, or the commit itself: everything is undone."""
    repo.commit("feat: hooked")
    (repo.path / "staged.txt").write_text("staged by the user\n", encoding="utf-8")
    repo.git("add", "staged.txt")
    hook = repo.path / ".git" / "hooks" / "reference-transaction"
    ref = "refs/tags/" if refuse == "tag" else "refs/heads/"
    hook.write_text("#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\n"
                    f"if grep -q ' {ref}' ; then echo 'policy: no {refuse} from CI' >&2; "
                    "exit 1; fi\nexit 0\n", encoding="utf-8")
    hook.chmod(0o755)
    before = _snapshot(repo)
    with pytest.raises(VersioningError, match=f"the release {refuse} failed") as info:
        release(repo, version_files=("src/demo/_version.py",), changelog="CHANGELOG.md",
                actions=ReleaseActions(allow_dirty=True))
    assert info.value.hint is not None
    assert "hook" in info.value.hint
    assert _snapshot(repo) == before
    assert "A  staged.txt" in repo.git("status", "--porcelain")
    assert not (repo.path / "CHANGELOG.md").exists()
    hook.unlink()
    assert release(repo, version_files=("src/demo/_version.py",),
                   actions=ReleaseActions(allow_dirty=True)).tagged


def test_release_twice_does_nothing_the_second_time(repo: Repo, tmp_path: Path) -> None:
    repo.commit("feat: once")
    output = tmp_path / "out.txt"
    env = {**repo.env, "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    first = run_hwb("release", "--json", cwd=repo.path, env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["released"] is True
    head = repo.git("rev-parse", "HEAD")
    assert "version=1.4.0\n" in output.read_text(encoding="utf-8")
    assert "released=true\n" in output.read_text(encoding="utf-8")
    output.write_text("", encoding="utf-8")
    second = run_hwb("release", "--json", cwd=repo.path, env=env)
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert (data["version"], data["released"], data["files"]) == (None, False, [])
    assert "HEAD is already released as v1.4.0, nothing to do" in second.stderr
    assert repo.git("rev-parse", "HEAD") == head
    assert repo.tags() == {"v1.3.0", "v1.4.0"}
    text = output.read_text(encoding="utf-8")
    assert "version=\n" in text
    assert "released=false\n" in text


# -- 3. forced and manual bumps --------------------------------------------------------------
@pytest.mark.parametrize(("args", "expected", "bump"), [
    (["--bump", "major"], "2.0.0", "major"),
    (["--bump", "minor"], "1.4.0", "minor"),
    (["--bump", "patch"], "1.3.1", "patch"),
    (["--bump", "prerelease"], "1.3.1rc1", "prerelease"),
    (["--bump", "prerelease", "--pre", "a"], "1.3.1a1", "prerelease"),
    (["--version", "1.5.0"], "1.5.0", "minor"),
    (["--version", "2.0.0b1"], "2.0.0b1", "prerelease"),
])
def test_forced_bumps_without_bumping_commits(repo: Repo, args: list[str], expected: str,
                                              bump: str) -> None:
    repo.commit("docs: nothing that bumps")
    done = run_hwb("version", "--json", *args, cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["version"], data["bump"], data["tag"]) == (expected, bump, f"v{expected}")


def test_version_must_be_pep440_and_not_backwards(repo: Repo) -> None:
    for bad, code, text in ((["--version", "1.2.0"], 1, "never go backwards"),
                            (["--version", "1.3.0"], 1, "not greater than"),
                            (["--version", "banana"], 2, "not a PEP 440"),
                            (["--version", "1.4.0+local"], 2, "not a PEP 440"),
                            (["--version", "1.4.0", "--bump", "major"], 2, "cannot be combined")):
        done = run_hwb("version", *bad, cwd=repo.path, env=repo.env)
        assert done.returncode == code, (bad, done.stderr)
        assert text in done.stderr
        assert "Traceback" not in done.stderr


def test_finalize_and_prerelease_counting(repo: Repo) -> None:
    with pytest.raises(VersioningError, match=re.escape("no pre-release after 1.3.0 to finalize")):
        plan(repo, finalize=True)
    repo.commit("feat: shiny")
    assert release(repo, pre="rc").plan.version == "1.4.0rc1"
    # No new commits: --bump prerelease still counts on; --finalize makes it final.
    assert release(repo, bump="prerelease").plan.version == "1.4.0rc2"
    done = release(repo, finalize=True)
    assert (done.plan.version, done.plan.bump) == ("1.4.0", "minor")
    assert done.plan.reasons[1] == "completes the pre-release 1.4.0rc2"
    assert repo.tags() >= {"v1.4.0rc1", "v1.4.0rc2", "v1.4.0"}


# -- 4. reverts -------------------------------------------------------------------------------
def test_reverts(repo: Repo) -> None:
    repo.git("tag", "-d", "v1.3.0")
    feat = repo.commit("feat: released feature", files={"a.txt": "a\n"})
    chore = repo.commit("chore: released housekeeping", files={"b.txt": "b\n"})
    words = repo.commit("released words without a type", files={"c.txt": "c\n"})
    repo.tag("v1.3.0")
    release_commit = repo.commit("chore(release): 1.3.0", files={"d.txt": "d\n"})
    repo.tag("v1.3.1")
    for target in (chore, words, release_commit):
        repo.git("revert", "--no-edit", target)
    result = plan(repo)
    assert result.version is None, result.reasons  # reverting non-bumping commits: nothing
    repo.git("revert", "--no-edit", feat)
    result = plan(repo)
    assert (result.version, result.bump) == ("1.3.2", "patch")
    # The notes list the revert that matters, not those of the chore and the release.
    assert 'Revert feat: released feature (' in result.release_notes
    assert "housekeeping" not in result.release_notes
    assert "chore(release)" not in result.release_notes
    # A conventional revert header without a sha: judged by the header it names.
    repo.git("tag", "v1.3.2")
    repo.commit("revert: chore: tidy")
    assert plan(repo).version is None
    repo.commit("revert: fix: the parser fix")
    assert plan(repo).version == "1.3.3"


def test_revert_of_an_unreleased_commit_outside_the_range(repo: Repo) -> None:
    """The reverted commit exists but is on no released line: nothing to undo for users."""
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("feat: never released", files={"side.txt": "x\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("revert: undo", f"This reverts commit {side}.")
    assert plan(repo).version is None


# -- 5. the changelog -------------------------------------------------------------------------
def _rst_problems(text: str) -> list[str]:
    """docutils' warnings and errors for ``text`` (empty: valid reStructuredText)."""
    import io

    from docutils.core import publish_doctree  # type: ignore[import-untyped]

    stream = io.StringIO()
    publish_doctree(text, settings_overrides={"warning_stream": stream, "report_level": 2,
                                              "halt_level": 5})
    return stream.getvalue().splitlines()


def _md_references(text: str) -> set[str]:
    from markdown_it import MarkdownIt

    env: dict[str, dict[str, object]] = {}
    MarkdownIt().parse(text, env)
    return {label.lower() for label in env.get("references", {})}


RST = """Changelog
=========

Unreleased
----------

- A hand-written entry.

1.3.0 - 2026-01-01
------------------

Fixed
~~~~~

- An old fix.
"""


def test_rst_changelog_is_written_as_restructuredtext(repo: Repo) -> None:
    repo.commit("chore: rst", files={"CHANGELOG.rst": RST})
    repo.commit("feat: the `load` function")
    repo.commit("fix!: see [the docs](https://example.invalid/d)")
    result = release(repo, changelog="CHANGELOG.rst")
    text = _read(repo, "CHANGELOG.rst").decode()
    assert "## " not in text
    assert "###" not in text
    assert "2.0.0 - 2026-11-24\n------------------\n" in text
    assert "- the ``load`` function (" in text
    assert "`the docs <https://example.invalid/d>`_" in text
    assert text.index("2.0.0 - ") < text.index("- A hand-written entry.") < \
        text.index("1.3.0 - 2026-01-01")
    assert text.endswith(RST[RST.index("1.3.0 - 2026-01-01"):])  # the old part byte for byte
    assert _rst_problems(text) == []
    assert result.committed
    # Again on a re-run with the same version: unchanged.
    from hwb_action.versioning.rst import update_rst
    assert update_rst(text, version="2.0.0", date="2026-11-25", notes="x") == text


def test_first_release_creates_a_keep_a_changelog_file(repo: Repo) -> None:
    repo.git("remote", "add", "origin", "https://github.com/o/demo.git")
    repo.commit("feat: first")
    release(repo, changelog="CHANGELOG.md")
    text = _read(repo, "CHANGELOG.md").decode()
    assert text.startswith("# Changelog\n\nAll notable changes")
    assert "[Keep a Changelog](https://keepachangelog.com/en/1.1.0/)" in text
    assert "## [Unreleased]\n\n## [1.4.0] - 2026-11-24\n" in text
    assert {"unreleased", "1.4.0"} <= _md_references(text)
    repo.commit("fix: rst too")
    release(repo, changelog="docs/CHANGES.rst")
    rst = _read(repo, "docs/CHANGES.rst").decode()
    assert rst.startswith("Changelog\n=========\n")
    assert "`Keep a Changelog <https://keepachangelog.com/en/1.1.0/>`_" in rst
    assert _rst_problems(rst) == []


def test_link_definitions_are_separated_from_the_text_above(repo: Repo) -> None:
    glued = ("# Changelog\n\n## [Unreleased]\n\n## [1.3.0] - 2026-01-01\n\n- old entry\n"
             "[1.3.0]: https://github.com/o/demo/releases/tag/v1.3.0\n")
    assert "1.3.0" not in _md_references(glued)  # glued to the list item, it does not render
    repo.git("remote", "add", "origin", "git@github.com:o/demo.git")
    repo.commit("chore: log", files={"CHANGELOG.md": glued})
    repo.commit("fix: linked")
    release(repo, changelog="CHANGELOG.md")
    text = _read(repo, "CHANGELOG.md").decode()
    assert "- old entry\n\n[1.3.0]: " in text
    assert _md_references(text) == {"1.3.0", "1.3.1", "unreleased"}


@pytest.mark.parametrize(("name", "content", "markup"), [
    ("CHANGES.txt", RST, "rst"), ("CHANGES", "# Changes\n\n## [Unreleased]\n", "md"),
    ("HISTORY.txt", None, "md"), ("CHANGELOG.adoc", "= Changes\n", "refused"),
])
def test_changelog_markup_by_name_and_content(repo: Repo, name: str, content: str | None,
                                             markup: str) -> None:
    repo.commit("chore: log", files={name: content} if content is not None else {})
    repo.commit("fix: x")
    if markup == "refused":
        with pytest.raises(ConfigError, match=re.escape("Markdown or reStructuredText, not .adoc")):
            release(repo, changelog=name)
        assert _read(repo, name) == b"= Changes\n"
        return
    release(repo, changelog=name)
    text = _read(repo, name).decode()
    assert ("1.3.1 - 2026-11-24\n---" in text) == (markup == "rst")
    assert ("## [1.3.1] - 2026-11-24" in text) == (markup == "md")


def test_a_failed_push_keeps_the_local_release_and_says_how_to_push(repo: Repo) -> None:
    repo.git("remote", "add", "origin", str(repo.path.parent / "no-such-remote.git"))
    repo.commit("fix: pushed later")
    with pytest.raises(HwbError) as info:
        release(repo, actions=ReleaseActions(push=True))
    assert "committed and tagged locally" in info.value.message
    assert "git push --atomic origin HEAD refs/tags/v1.3.1" in info.value.message
    assert "v1.3.1" in repo.tags()
    assert repo.head_message() == "chore(release): 1.3.1"
