"""hwb version --all on monorepos made by the tests: a uv workspace, and packages that each
set their own tag-format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.versioning_support import Repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _project(name: str, extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "1.0.0"\n{extra}'


@pytest.fixture
def workspace(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "ws")
    repo.commit("chore: init", files={
        "pyproject.toml": _project("Root_App", '\n[tool.uv.workspace]\nmembers = '
                                               '["packages/*"]\nexclude = ["packages/skip"]\n'),
        "packages/a/pyproject.toml": _project("pkg-a"),
        "packages/b/pyproject.toml": _project("pkg-b"),
        "packages/c/pyproject.toml": _project("pkg-c", '\n[tool.hwb]\ntag-format = '
                                                       '"c/{version}"\n'),
        "packages/skip/pyproject.toml": _project("skipped"),
    })
    for tag in ("v1.0.0", "pkg-a-v1.0.0", "pkg-b-v1.0.0", "c/1.0.0"):
        repo.tag(tag)
    return repo


def _versions(repo: Repo, output: Path | None = None) -> dict[str, str | None]:
    env = {**repo.env}
    if output is not None:
        env.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)})
    done = run_hwb("version", "--all", "--json", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return {p["path"]: p["version"] for p in data["packages"]}


def test_uv_workspace_only_what_changed(workspace: Repo, tmp_path: Path) -> None:
    assert _versions(workspace) == {".": None, "packages/a": None, "packages/b": None,
                                    "packages/c": None}
    workspace.commit("feat(b): new", files={"packages/b/src/b.py": "x = 1\n"})
    workspace.commit("fix(c): bug", files={"packages/c/c.py": "y = 2\n"})
    output = tmp_path / "out.txt"
    assert _versions(workspace, output) == {".": None, "packages/a": None,
                                            "packages/b": "1.1.0", "packages/c": "1.0.1"}
    text = output.read_text(encoding="utf-8")
    assert 'changed-packages=["packages/b", "packages/c"]' in text
    done = run_hwb("version", "--all", "--json", cwd=workspace.path, env=workspace.env)
    by_path = {p["path"]: p for p in json.loads(done.stdout)["packages"]}
    assert by_path["packages/b"]["tag"] == "pkg-b-v1.1.0"  # NAME-v{version} by default
    assert by_path["packages/c"]["tag"] == "c/1.0.1"  # its own tag-format
    assert by_path["packages/b"]["name"] == "pkg-b"
    assert "- **b:** new (" in by_path["packages/b"]["release_notes"]
    # A commit outside every member (here: in the excluded directory) is the root's.
    workspace.commit("fix: root only", files={"packages/skip/s.py": "z = 3\n"})
    assert _versions(workspace)["."] == "1.0.1"
    assert _versions(workspace)["packages/a"] is None
    plain = run_hwb("version", "--all", cwd=workspace.path, env=workspace.env)
    assert plain.stdout.splitlines() == [". root-app 1.0.1", "packages/a pkg-a -",
                                         "packages/b pkg-b 1.1.0", "packages/c pkg-c 1.0.1"]


def test_directories_with_their_own_tag_format(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    repo.commit("chore: init", files={
        "libs/x/pyproject.toml": _project("x", '[tool.hwb]\ntag-format = "x-{version}"\n'),
        "libs/y/pyproject.toml": _project("y", '[tool.hwb]\ntag-format = "y-{version}"\n'),
        "tools/z/pyproject.toml": _project("z"),  # no tag-format of its own: not a package
    })
    repo.tag("x-1.0.0")
    repo.tag("y-1.0.0")
    repo.commit("feat!: x breaks", files={"libs/x/x.py": "x\n"})
    assert _versions(repo) == {"libs/x": "2.0.0", "libs/y": None}


def test_not_a_workspace_and_release_all(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "single")
    repo.commit("chore: init", files={"README": "x\n"})
    done = run_hwb("version", "--all", cwd=repo.path, env=repo.env)
    assert done.returncode == 2
    assert "is not a workspace" in done.stderr
    done = run_hwb("release", "--all", cwd=repo.path, env=repo.env)
    assert done.returncode == 2
    assert "--all is for hwb version" in done.stderr


def test_shared_history_agrees_with_one_git_log_per_package(workspace: Repo) -> None:
    """--all reads the history once; each package's commits are those `git log -- DIR`
    gives it (merges, a side branch and nested exclusions included)."""
    from hwb_action.ci import NullReporter
    from hwb_action.versioning.workspace import plan_all
    from tests.versioning_support import plan

    workspace.commit("feat(a): one", files={"packages/a/a.py": "1\n"})
    workspace.git("checkout", "-q", "-b", "side")
    workspace.commit("fix(b): on a side branch", files={"packages/b/b.py": "1\n"})
    workspace.commit("docs: root and c", files={"README": "r\n", "packages/c/R": "c\n"})
    workspace.git("checkout", "-q", "main")
    workspace.commit("perf(a): two", files={"packages/a/a.py": "2\n"})
    workspace.git("merge", "-q", "--no-ff", "-m", "Merge side", "side")
    plans = {p.path: p.plan for p in plan_all(workspace.path, command="version", cli={},
                                               environ=workspace.env, reporter=NullReporter())}
    members = ("packages/a", "packages/b", "packages/c")
    expected = {
        ".": plan(workspace, paths=(".", *[f":(exclude){m}" for m in members])),
        "packages/a": plan(workspace, workspace.path / "packages/a", paths=(".",),
                           tag_format="pkg-a-v{version}"),
        "packages/b": plan(workspace, workspace.path / "packages/b", paths=(".",),
                           tag_format="pkg-b-v{version}"),
        "packages/c": plan(workspace, workspace.path / "packages/c", paths=(".",),
                           tag_format="c/{version}"),
    }
    for path, one in expected.items():
        assert [c.sha for c in plans[path].commits] == [c.sha for c in one.commits], path
        assert plans[path].version == one.version, path
    assert [p.version for p in (plans["packages/a"], plans["packages/b"], plans["."])] == [
        "1.1.0", "1.0.1", None]


def test_one_package_of_a_workspace_gets_the_same_defaults(workspace: Repo) -> None:
    """hwb release --path MEMBER tags and counts as hwb version --all said."""
    workspace.commit("feat(b): new", files={"packages/b/src/b.py": "x = 1\n"})
    workspace.commit("fix: root", files={"README": "r\n"})
    listed = {p["path"]: p for p in json.loads(run_hwb(
        "version", "--all", "--json", cwd=workspace.path, env=workspace.env).stdout)["packages"]}
    for path in (".", "packages/a", "packages/b", "packages/c"):
        done = run_hwb("version", "--json", "--path", path, cwd=workspace.path,
                       env=workspace.env)
        assert done.returncode == 0, done.stderr
        one = json.loads(done.stdout)
        assert (one["version"], one["tag"]) == (listed[path]["version"], listed[path]["tag"])
        assert len(one["commits"]) == listed[path]["commits"], path
    done = run_hwb("release", "--json", "--path", "packages/b", cwd=workspace.path,
                   env=workspace.env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tag"] == "pkg-b-v1.1.0"
    assert "pkg-b-v1.1.0" in workspace.tags()
    assert 'version = "1.1.0"' in (workspace.path / "packages/b/pyproject.toml").read_text()


def test_paths_set_by_a_package_and_a_broken_pyproject(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    repo.commit("chore: init", files={
        "libs/x/pyproject.toml": _project("x", '[tool.hwb]\ntag-format = "x-{version}"\n'
                                               'paths = [".", "../shared"]\n'),
        "libs/y/pyproject.toml": _project("y", '[tool.hwb]\ntag-format = "y-{version}"\n'),
        "fixtures/broken/pyproject.toml": "[project\n",
    })
    repo.tag("x-1.0.0")
    repo.tag("y-1.0.0")
    repo.commit("fix: shared code", files={"libs/shared/s.py": "s\n"})
    done = run_hwb("version", "--all", "--json", cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    versions = {p["path"]: p["version"] for p in json.loads(done.stdout)["packages"]}
    assert versions == {"libs/x": "1.0.1", "libs/y": None}
    assert "skipped fixtures/broken/pyproject.toml" in done.stderr
