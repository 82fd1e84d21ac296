"""A git SOURCE of a project whose version comes from git tags builds with the version pip
gives (issue 14, item 1): from a branch, a commit and a tag, with hatch-vcs and
setuptools-scm from the index (real backends, a real repository made here)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.source import open_source
from tests.cli_support import run_hwb
from tests.integration.test_source_git import _git_env, git

PROJECTS = {
    "hatch-vcs": '''[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "vcs-demo"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"

[tool.hatch.build.targets.wheel]
packages = ["vcs_demo"]
''',
    "setuptools-scm": '''[build-system]
requires = ["setuptools>=64", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "vcs-demo"
dynamic = ["version"]

[tool.setuptools]
packages = ["vcs_demo"]

[tool.setuptools_scm]
''',
}


def _repo(tmp_path: Path, backend: str) -> tuple[Path, dict[str, str], list[str]]:
    env = _git_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    work = tmp_path / "work"
    (work / "vcs_demo").mkdir(parents=True)
    (work / "pyproject.toml").write_text(PROJECTS[backend])
    (work / "vcs_demo" / "__init__.py").write_text("")
    git("init", "--quiet", "--initial-branch", "main", cwd=work, env=env)
    commits = []
    for n in range(3):
        (work / "vcs_demo" / "n.txt").write_text(str(n))
        git("add", "-A", cwd=work, env=env)
        git("commit", "--quiet", "-m", f"commit {n}", cwd=work, env=env, date=1609459200 + n)
        commits.append(git("rev-parse", "HEAD", cwd=work, env=env))
        if n == 0:
            git("tag", "-a", "v1.2.0", "-m", "release", cwd=work, env=env)
    bare = tmp_path / "repo.git"
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path, env=env)
    # As GitHub and GitLab do: partial clones (hwb fetches commits without trees) served.
    git("config", "uploadpack.allowFilter", "true", cwd=bare, env=env)
    return bare, env, commits


def _version(out: Path) -> str:
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(name).decode()
    return next(line.split(":", 1)[1].strip() for line in text.splitlines()
                if line.startswith("Version:"))


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(PROJECTS))
def test_branch_commit_and_tag_give_the_versions_pip_gives(
        backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    bare, env, commits = _repo(tmp_path, backend)
    cache = tmp_path_factory.getbasetemp() / "git-versions-cache"
    # (version, commit named in its local part): the tools abbreviate the hash themselves.
    cases = {
        "main": ("1.2.1.dev2", commits[2]),
        commits[1]: ("1.2.1.dev1", commits[1]),
        "v1.2.0": ("1.2.0", None),
    }
    for ref, (public, commit) in cases.items():
        out = tmp_path / f"out-{ref[:10]}"
        proc = run_hwb("build", f"git+file://{bare}@{ref}", "--json", "-o", str(out),
                       cwd=tmp_path, cache=cache,
                       env={k: env[k] for k in ("HOME", "GIT_CONFIG_GLOBAL",
                                                "GIT_CONFIG_NOSYSTEM")})
        assert proc.returncode == 0, proc.stderr
        version = _version(out)
        if commit is None:
            assert version == public, (ref, proc.stderr)
        else:
            assert version.startswith(public + "+g"), (ref, version)
            node = version.split("+g", 1)[1]
            assert len(node) >= 7 and commit.startswith(node), (ref, version)
        sdist = next(a for a in json.loads(proc.stdout)["artifacts"] if a["kind"] == "sdist")
        assert sdist["filename"].startswith(f"vcs_demo-{version}.")


def test_a_shallow_local_checkout_is_warned_about(tmp_path: Path) -> None:
    bare, env, _ = _repo(tmp_path, "hatch-vcs")
    checkout = tmp_path / "shallow"
    git("clone", "--quiet", "--depth", "1", f"file://{bare}", str(checkout), cwd=tmp_path,
        env=env)
    reporter = NullReporter()
    with open_source(str(checkout), reporter=reporter, environ=env, cwd=tmp_path):
        pass
    (warning,) = [a for a in reporter.annotations if a.level == "warning"]
    assert "is a shallow git checkout and hatch-vcs derives the version" in warning.message
    assert "fetch-depth: 0" in warning.message

    full = tmp_path / "full"
    git("clone", "--quiet", f"file://{bare}", str(full), cwd=tmp_path, env=env)
    reporter = NullReporter()
    with open_source(str(full), reporter=reporter, environ=env, cwd=tmp_path):
        pass
    assert not reporter.annotations
