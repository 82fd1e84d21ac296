"""hwb version / hwb release on real git repositories made by the tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import UsageError, VersioningError
from hwb_action.versioning import ReleaseActions, apply_release, plan_release
from tests.cli_support import run_hwb
from tests.versioning_support import DAY, Repo, config, plan, release

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A repository with pyproject.toml at 1.3.0, tagged v1.3.0."""
    r = Repo(tmp_path / "repo")
    r.commit("chore: init", files={"pyproject.toml": '[project]\nname = "demo"\n'
                                                     'version = "1.3.0"\n'})
    r.tag("v1.3.0")
    return r


# -- bump rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("messages", "expected", "bump"),
    [
        (["fix: a bug"], "1.3.1", "patch"),
        (["perf: faster"], "1.3.1", "patch"),
        (["fix: a", "feat(cli): b"], "1.4.0", "minor"),
        (["feat!: drop the old API"], "2.0.0", "major"),
        (["refactor: x\n\nBREAKING CHANGE: `load` is gone"], "2.0.0", "major"),
        (["docs: y\n\nBREAKING-CHANGE: hyphenated footer"], "2.0.0", "major"),
        (["docs: only docs", "chore: tidy", "ci: yaml"], None, "none"),
        (["Just words"], None, "none"),
    ],
)
def test_bump_rules(repo: Repo, messages: list[str], expected: str | None, bump: str) -> None:
    for message in messages:
        repo.commit(*message.split("\n\n"))
    result = plan(repo)
    assert (result.version, result.bump) == (expected, bump)
    assert result.previous_version == "1.3.0"
    assert result.tag == (f"v{expected}" if expected else None)
    assert len(result.commits) == len(messages)


def test_bump_map_setting(repo: Repo) -> None:
    repo.commit("refactor: tidy the core")
    assert plan(repo).version is None
    result = plan(repo, bump_map={"feat": "minor", "fix": "patch", "refactor": "patch"})
    assert result.version == "1.3.1"


def test_zero_major_rule(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("chore: init", files={"pyproject.toml": '[project]\nname = "z"\n'
                                                        'version = "0.3.1"\n'})
    repo.tag("v0.3.1")
    repo.commit("feat!: new API")
    assert plan(repo).version == "1.0.0"
    assert plan(repo, major_on_zero=False).version == "0.4.0"


# -- pre-releases --------------------------------------------------------------------------------
def test_prerelease_sequence(repo: Repo) -> None:
    repo.commit("feat: shiny")
    first = release(repo, pre="rc")
    assert (first.plan.version, first.plan.bump, first.tagged) == ("1.4.0rc1", "prerelease",
                                                                    True)
    # Nothing new since rc1, or nothing that bumps: no rc2.
    assert plan(repo, pre="rc").reasons == ("no commits since v1.4.0rc1: HEAD is already "
                                            "released as v1.4.0rc1, nothing to do",)
    repo.commit("docs: typo")
    assert plan(repo, pre="rc").version is None
    repo.commit("fix: found in rc1")
    second = release(repo, pre="rc")
    assert second.plan.version == "1.4.0rc2"
    assert [c.subject for c in second.plan.notes_commits] == ["found in rc1", "typo"]
    assert "found in rc1" in second.plan.release_notes
    assert "shiny" not in second.plan.release_notes  # already in rc1
    final = release(repo)
    assert (final.plan.version, final.plan.bump, final.plan.previous_version) == (
        "1.4.0", "minor", "1.4.0rc2")
    assert {"v1.4.0rc1", "v1.4.0rc2", "v1.4.0"} <= repo.tags()
    assert 'version = "1.4.0"' in (repo.path / "pyproject.toml").read_text(encoding="utf-8")
    # The final notes hold everything since 1.3.0.
    assert "shiny" in final.plan.release_notes
    assert "found in rc1" in final.plan.release_notes
    assert plan(repo).version is None


# -- CalVer --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "first", "same_day", "later"),
    [
        ("YYYY.MM.MICRO", "2026.11.0", "2026.11.1", "2026.12.0"),
        ("YY.0M.MICRO", "26.11.0", "26.11.1", "26.12.0"),
        ("YYYY.0M.0D", "2026.11.24", "2026.11.24.1", "2026.12.03"),
    ],
)
def test_calver_schemes(tmp_path: Path, fmt: str, first: str, same_day: str,
                        later: str) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("chore: init", files={"pyproject.toml": '[project]\nname = "c"\n'
                                                        'version = "0"\n'})
    repo.commit("feat: one")
    kw: dict[str, Any] = {"scheme": "calver", "calver_format": fmt}
    assert release(repo, **kw).plan.version == first
    repo.commit("fix: two")
    assert release(repo, **kw).plan.version == same_day
    repo.commit("fix: three")
    assert release(repo, date=DAY.replace(month=12, day=3), **kw).plan.version == later
    assert {f"v{first}", f"v{same_day}", f"v{later}"} <= repo.tags()


# -- tags and history ------------------------------------------------------------------------------
def test_no_commits_since_last_tag(repo: Repo) -> None:
    result = plan(repo)
    assert (result.version, result.bump, result.commits) == (None, "none", ())
    assert result.reasons == ("no commits since v1.3.0: HEAD is already released as v1.3.0, "
                              "nothing to do",)
    assert result.released_at_head == "v1.3.0"
    done = run_hwb("release", "--json", cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] is None
    assert "nothing to release: no commits since v1.3.0" in done.stderr
    assert repo.tags() == {"v1.3.0"}


def test_malformed_and_foreign_tags_ignored(repo: Repo) -> None:
    repo.commit("fix: a")
    for tag in ("vfoo", "v1.x.0", "release-9.0.0", "9.0.0", "v9.0.0+local", "v9.0.0.dev1",
                "v1.3.0-broken", "latest"):
        repo.tag(tag)
    # A higher version on a branch that HEAD does not contain is not the last release.
    repo.git("checkout", "-q", "-b", "other")
    repo.commit("feat: elsewhere")
    repo.tag("v5.0.0")
    repo.git("checkout", "-q", "main")
    result = plan(repo)
    assert (result.previous_version, result.version) == ("1.3.0", "1.3.1")


def test_branch_named_like_the_tag(repo: Repo) -> None:
    repo.git("branch", "v1.3.0")  # ambiguous with the tag for `git log v1.3.0..HEAD`
    repo.commit("fix: x")
    result = plan(repo)
    assert (result.version, [c.subject for c in result.commits]) == ("1.3.1", ["x"])


def test_annotated_tags_and_tag_format(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("chore: init", files={"pyproject.toml": '[project]\nname = "t"\n'
                                                        'version = "2.1.0"\n'})
    repo.tag("release/2.1.0", annotated=True)
    repo.commit("feat: x")
    result = plan(repo, tag_format="release/{version}")
    assert (result.previous_version, result.version, result.tag) == ("2.1.0", "2.2.0",
                                                                     "release/2.2.0")


def test_existing_tag_elsewhere_is_refused(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "other")
    repo.commit("fix: there")
    repo.tag("v1.3.1")
    repo.git("checkout", "-q", "main")
    repo.commit("fix: here")
    with pytest.raises(VersioningError, match=r"v1\.3\.1 already exists"):
        plan(repo)


def test_monorepo_two_tag_prefixes(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    for name in ("a", "b"):
        repo.commit(f"chore({name}): init", files={
            f"packages/{name}/pyproject.toml":
                f'[project]\nname = "{name}"\nversion = "1.0.0"\n\n'
                f'[tool.hwb]\ntag-format = "{name}-v{{version}}"\npaths = ["."]\n'})
        repo.tag(f"{name}-v1.0.0")
    repo.commit("feat(a): new in a", files={"packages/a/x.py": "x = 1\n"})
    repo.commit("fix(b): fixed in b", files={"packages/b/y.py": "y = 1\n"})
    repo.commit("feat: outside both", files={"docs/z.md": "z\n"})
    a, b = repo.path / "packages" / "a", repo.path / "packages" / "b"
    got_a = plan(repo, a, tag_format="a-v{version}", paths=(".",))
    got_b = plan(repo, b, tag_format="b-v{version}", paths=(".",))
    assert (got_a.version, got_a.tag, [c.subject for c in got_a.commits]) == (
        "1.1.0", "a-v1.1.0", ["new in a"])
    assert (got_b.version, got_b.tag, [c.subject for c in got_b.commits]) == (
        "1.0.1", "b-v1.0.1", ["fixed in b"])
    # Through the CLI, the settings come from each package's [tool.hwb].
    done = run_hwb("release", "--path", "packages/b", "--json", "--date", "2026-11-24",
                   cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tag"] == "b-v1.0.1"
    assert "b-v1.0.1" in repo.tags()
    assert plan(repo, a, tag_format="a-v{version}", paths=(".",)).version == "1.1.0"
    changelog = (b / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "fixed in b" in changelog
    assert "new in a" not in changelog


def test_non_ascii_and_multi_paragraph_messages(repo: Repo) -> None:
    repo.commit("feat(i18n): prise en charge du français \u2013 ✓",
                "Premier paragraphe, avec des accents: éàü.",
                "Deuxième paragraphe.\nSur deux lignes: 日本語.",
                "BREAKING CHANGE: l'option `--vieux` a disparu\net ne revient pas.",
                "Refs: #42")
    repo.commit("Ünïcödé without a type")
    result = plan(repo)
    assert result.version == "2.0.0"
    feat = result.commits[1]
    assert (feat.type, feat.scope, feat.subject) == ("feat", "i18n",
                                                     "prise en charge du français \u2013 ✓")
    assert feat.breaking_notes == ("l'option `--vieux` a disparu et ne revient pas.",)
    assert result.commits[0].subject == "Ünïcödé without a type"
    assert "- Ünïcödé without a type" in result.release_notes
    assert "l'option `--vieux` a disparu" in result.release_notes
    release(repo, changelog="CHANGELOG.md")
    text = (repo.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "prise en charge du français \u2013 ✓" in text


def test_merge_commit(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feat: from the branch", files={"f.txt": "f\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("fix: on main", files={"m.txt": "m\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature'", "feature")
    result = plan(repo)
    assert result.version == "1.4.0"
    assert sorted(c.subject for c in result.commits) == ["from the branch", "on main"]
    assert "Merge branch" not in result.release_notes


def test_revert_in_range_cancels(repo: Repo) -> None:
    repo.commit("feat: risky", files={"r.txt": "r\n"})
    repo.git("revert", "--no-edit", "HEAD")
    repo.commit("fix: safe")
    result = plan(repo)
    assert result.version == "1.3.1"
    assert "risky" not in result.release_notes


# -- where the version lives ---------------------------------------------------------------------
def test_version_in_pyproject_kept_byte_for_byte(tmp_path: Path, packages: Path) -> None:
    repo = Repo(tmp_path / "r", template=packages / "version_pyproject")
    repo.tag("v0.3.1")
    repo.commit("feat: more")
    before = (repo.path / "pyproject.toml").read_bytes()
    result = release(repo)
    assert result.plan.version == "0.4.0"
    assert (repo.path / "pyproject.toml").read_bytes() == before.replace(
        b"version = '0.3.1'", b"version = '0.4.0'", 1)
    assert repo.head_message() == "chore(release): 0.4.0"
    assert repo.git("status", "--porcelain").strip() == ""
    assert repo.git("rev-parse", "v0.4.0^{commit}") == repo.git("rev-parse", "HEAD")


def test_version_in_dunder_file_kept_byte_for_byte(tmp_path: Path, packages: Path) -> None:
    repo = Repo(tmp_path / "r", template=packages / "version_dunder")
    repo.tag("v2.0.0")
    repo.commit("fix: x")
    init = repo.path / "src" / "version_dunder" / "__init__.py"
    before, pyproject = init.read_bytes(), (repo.path / "pyproject.toml").read_bytes()
    result = release(repo)
    assert result.files == (init,)
    assert init.read_bytes() == before.replace(b'"2.0.0"', b'"2.0.1"', 1)
    assert (repo.path / "pyproject.toml").read_bytes() == pyproject


def test_dynamic_vcs_version_tags_only(tmp_path: Path, packages: Path) -> None:
    repo = Repo(tmp_path / "r", template=packages / "version_hatch_vcs")
    repo.commit("feat: first")
    head = repo.git("rev-parse", "HEAD")
    result = release(repo)
    assert (result.plan.version, result.files, result.committed, result.tagged) == (
        "0.1.0", (), False, True)
    assert repo.git("rev-parse", "HEAD") == head
    assert "v0.1.0" in repo.tags()


def test_first_release_from_file_version(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("feat: a", files={"pyproject.toml": '[project]\nname = "n"\n'
                                                    'version = "0.1.0"\n'})
    result = plan(repo)
    assert (result.previous_version, result.version) == ("0.1.0", "0.2.0")


def test_version_file_ahead_of_tags_is_refused(repo: Repo) -> None:
    repo.commit("fix: x", files={"pyproject.toml": '[project]\nname = "demo"\n'
                                                   'version = "2.0.0"\n'})
    with pytest.raises(VersioningError, match="never go backwards"):
        plan(repo)


# -- changelog -----------------------------------------------------------------------------------
def test_handwritten_changelog_extended(tmp_path: Path, packages: Path) -> None:
    repo = Repo(tmp_path / "r", template=packages / "changelog_handwritten")
    repo.tag("v1.3.0")
    repo.git("remote", "add", "origin", "https://github.com/example/handwritten.git")
    repo.commit("feat(api): new endpoint")
    repo.commit("fix: crash on empty input")
    before = (repo.path / "CHANGELOG.md").read_text(encoding="utf-8")
    release(repo, changelog="CHANGELOG.md")
    after = (repo.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert after.startswith(before.partition("### Added")[0] + "\n## [1.4.0] - 2026-11-24\n")
    kept = before.partition("## [1.3.0]")[2].partition("[Unreleased]:")[0]
    assert "## [1.3.0]" + kept in after
    assert "- **api:** new endpoint (" in after
    assert "- A hand-written note about the new docs site." in after
    assert after.count("## [Unreleased]") == 1
    assert ("[1.4.0]: https://github.com/example/handwritten/compare/v1.3.0...v1.4.0"
            in after)
    assert "CHANGELOG.md" in repo.git("show", "--name-only", "--format=", "HEAD")


# -- release mechanics ---------------------------------------------------------------------------
def test_dirty_tree_refused(repo: Repo) -> None:
    repo.commit("fix: x")
    (repo.path / "pyproject.toml").write_text("# edited\n", encoding="utf-8", newline="")
    with pytest.raises(UsageError, match="uncommitted changes") as info:
        release(repo)
    assert info.value.hint is not None
    assert "--allow-dirty" in info.value.hint
    done = run_hwb("release", cwd=repo.path, env=repo.env)
    assert done.returncode == 2
    assert "--allow-dirty" in done.stderr


def test_allow_dirty_and_no_commit_no_tag(repo: Repo) -> None:
    repo.commit("fix: x")
    (repo.path / "notes.txt").write_text("untracked files never count\n", encoding="utf-8")
    head = repo.git("rev-parse", "HEAD")
    result = release(repo, actions=ReleaseActions(commit=False, tag=False))
    assert (result.committed, result.tagged) == (False, False)
    assert repo.git("rev-parse", "HEAD") == head
    assert 'version = "1.3.1"' in (repo.path / "pyproject.toml").read_text(encoding="utf-8")
    repo.commit("fix: y")  # pyproject.toml is modified and not committed by that commit
    (repo.path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.3.0"\n',
                                              encoding="utf-8")
    (repo.path / "README").write_text("x\n", encoding="utf-8")
    repo.git("add", "README")
    with pytest.raises(UsageError):
        release(repo)
    assert release(repo, actions=ReleaseActions(allow_dirty=True)).committed
    # Only the release files went into the release commit; README stays staged.
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["pyproject.toml"]


def test_rerun_after_files_only_release_keeps_one_changelog_section(repo: Repo) -> None:
    repo.commit("feat: once")
    release(repo, changelog="CHANGELOG.md", actions=ReleaseActions(commit=False, tag=False))
    first = (repo.path / "CHANGELOG.md").read_bytes()
    assert first.count(b"## [1.4.0]") == 1
    # The same release again (the files were written, nothing committed or tagged yet).
    result = release(repo, changelog="CHANGELOG.md",
                     actions=ReleaseActions(allow_dirty=True))
    assert result.plan.version == "1.4.0"
    assert (repo.path / "CHANGELOG.md").read_bytes() == first
    assert result.tagged
    assert "v1.4.0" in repo.git("tag")


def test_push_to_a_real_remote(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    repo.commit("feat: pushed")
    result = release(repo, actions=ReleaseActions(push=True))
    assert result.pushed
    assert "v1.4.0" in repo.git("ls-remote", "--tags", str(remote))
    assert repo.git("rev-parse", "HEAD") == repo.git("--git-dir", str(remote), "rev-parse",
                                                     "main")


def test_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    env = Repo(tmp_path / "r").env
    with pytest.raises(UsageError, match="not inside a git work tree"):
        plan_release(tmp_path / "plain", config(), environ=env, reporter=NullReporter())
    done = run_hwb("version", cwd=tmp_path / "plain", env=env)
    assert done.returncode == 2
    assert "not inside a git work tree" in done.stderr


def test_git_missing(repo: Repo) -> None:
    env = {**repo.env, "PATH": str(repo.path / "no-bin")}
    with pytest.raises(VersioningError, match="git was not found"):
        plan_release(repo.path, config(), environ=env, reporter=NullReporter())


def test_empty_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    assert plan(repo).version is None


def test_cli_version_outputs(repo: Repo, tmp_path: Path) -> None:
    repo.commit("feat: out", "With a body.")
    repo.commit("fix: put")
    output, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    env = {**repo.env, "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary)}
    done = run_hwb("version", "--date", "2026-11-24", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1.4.0\n"
    assert "minor bump since v1.3.0" in done.stderr
    text = output.read_text(encoding="utf-8")
    assert "version=1.4.0\n" in text
    assert "previous-version=1.3.0\n" in text
    assert "tag=v1.4.0\n" in text
    assert "release-notes<<ghadelimiter_" in text
    assert "- out (" in text
    assert "## Release 1.4.0" in summary.read_text(encoding="utf-8")
    assert repo.tags() == {"v1.3.0"}  # a dry run


def test_cli_version_json(repo: Repo) -> None:
    repo.commit("feat(x)!: big", "BREAKING CHANGE: all new")
    done = run_hwb("version", "--json", "--pre", "b", cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"version", "previous_version", "tag", "bump", "commits",
                         "release_notes"}
    assert (data["version"], data["tag"], data["bump"]) == ("2.0.0b1", "v2.0.0b1",
                                                            "prerelease")
    assert data["commits"][0] == {"sha": repo.git("rev-parse", "HEAD").strip(),
                                  "type": "feat", "scope": "x", "breaking": True,
                                  "subject": "big"}


def test_apply_nothing_is_a_no_op(repo: Repo) -> None:
    the_plan = plan(repo)
    result = apply_release(the_plan, ReleaseActions(), environ=repo.env)
    assert (result.files, result.committed, result.tagged) == ((), False, False)


# -- the commands layer --------------------------------------------------------------------
def test_version_parses_pyproject_once(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings and the version's location come from one parse of pyproject.toml."""
    import os
    import tomllib

    from hwb_action.cli import main

    repo.commit("feat: counted")
    for name in [k for k in os.environ if k.startswith(("GIT_", "HWB_"))]:
        monkeypatch.delenv(name)
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo.path)
    parsed: list[str] = []
    real = tomllib.loads

    def counting(text: str, **kw: Any) -> dict[str, Any]:
        parsed.append(text)
        return real(text, **kw)

    monkeypatch.setattr(tomllib, "loads", counting)
    assert main(["version", "--date", "2026-11-24"]) == 0
    assert len(parsed) == 1
    assert "version = \"1.3.0\"" in parsed[0]


@pytest.mark.parametrize("table", ['[tool]\nhatch = "oops"\n',
                                   '[tool.setuptools.dynamic]\nversion = "x"\n'])
def test_version_with_a_wrong_typed_table(tmp_path: Path, table: str) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("feat: first", files={"pyproject.toml": '[project]\nname = "demo"\n'
                                                        'dynamic = ["version"]\n' + table})
    done = run_hwb("version", cwd=repo.path, env=repo.env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pyproject.toml:5: " in done.stderr
    key = "[tool] hatch" if "hatch" in table else "[tool.setuptools.dynamic] version"
    assert f"{key} must be a table" in done.stderr


def test_secrets_of_the_environment_are_masked_in_every_command(repo: Repo,
                                                               tmp_path: Path) -> None:
    """A publishing token that reaches hwb's output by another road (here: a commit message
    that `hwb version` lists) shows as ***, on stdout, stderr, --json, outputs and summary."""
    token = "pypi-AgEIcHlwaS5vcmc-leaked-0123456789"
    repo.commit(f"feat: paste {token} by mistake")
    output = tmp_path / "out.txt"
    env = {**repo.env, "HWB_TOKEN": token, "GITHUB_ACTIONS": "true",
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    for args in (["version", "--date", "2026-11-24"], ["version", "--json"]):
        done = run_hwb(*args, cwd=repo.path, env=env)
        assert done.returncode == 0, done.stderr
        # The runner is told the value first (that line is how it learns to hide it) ...
        assert f"::add-mask::{token}" in done.stderr
        # ... and hwb itself never shows it.
        shown = [line for line in (done.stdout + done.stderr).splitlines()
                 if not line.startswith("::add-mask::")]
        assert not [line for line in shown if token in line]
        assert any("paste *** by mistake" in line for line in shown)
    assert json.loads(done.stdout)["commits"][0]["subject"] == "paste *** by mistake"
    written = output.read_text(encoding="utf-8") + (tmp_path / "s.md").read_text("utf-8")
    assert token not in written
    assert "- paste *** by mistake" in written
    del env["GITHUB_ACTIONS"]  # the terminal reporter, which has no add-mask lines
    done = run_hwb("release", "--date", "2026-11-24", "--no-tag", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout + done.stderr
    assert "paste *** by mistake" in done.stderr
