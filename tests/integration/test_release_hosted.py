"""hwb release --github-release / --gitlab-release against a stand-in API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.hosted_support import GITHUB_TOKEN, GITLAB_TOKEN, StandInApi
from tests.versioning_support import Repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DISTS = {"demo-1.4.0.tar.gz": b"sdist bytes", "demo-1.4.0-py3-none-any.whl": b"wheel bytes"}


@pytest.fixture
def api() -> Iterator[StandInApi]:
    with StandInApi() as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.commit("chore: init", files={"pyproject.toml": '[project]\nname = "demo"\n'
                                                     'version = "1.3.0"\n'})
    r.tag("v1.3.0")
    r.commit("feat: shiny `thing`")
    (r.path / "dist").mkdir()
    for name, data in DISTS.items():
        (r.path / "dist" / name).write_bytes(data)
    return r


def _github_env(repo: Repo, api: StandInApi) -> dict[str, str]:
    return {**repo.env, "GITHUB_API_URL": api.url, "GITHUB_TOKEN": GITHUB_TOKEN,
            "GITHUB_REPOSITORY": "o/demo"}


def _no_token(text: str, token: str) -> None:
    assert token not in text
    assert token[8:] not in text


def test_github_release_created_then_updated_idempotently(repo: Repo, api: StandInApi) -> None:
    env = _github_env(repo, api)
    done = run_hwb("release", "--github-release", "--json", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    _no_token(done.stdout + done.stderr, GITHUB_TOKEN)
    assert api.calls() == ["GET /repos/o/demo/releases/tags/v1.4.0",
                           "POST /repos/o/demo/releases",
                           "POST /uploads/repos/o/demo/releases/N/assets",
                           "POST /uploads/repos/o/demo/releases/N/assets"]
    create = json.loads(api.state.requests[1].body)
    assert create["tag_name"] == "v1.4.0"
    assert create["target_commitish"] == repo.git("rev-parse", "v1.4.0^{commit}").strip()
    assert (create["name"], create["prerelease"], create["draft"]) == ("1.4.0", False, False)
    assert "### Added\n\n- shiny `thing` (" in create["body"]
    assert api.state.requests[2].headers["Content-Type"] == "application/octet-stream"
    release = api.state.github["v1.4.0"]
    assert {a["name"]: a["digest"] for a in release["assets"]} == {
        name: "sha256:" + hashlib.sha256(data).hexdigest() for name, data in DISTS.items()}
    assert json.loads(done.stdout)["hosted_releases"] == [release["html_url"]]

    # Again: nothing new to release, so the hosted release of HEAD's tag is brought up to date;
    # both assets are there with the same sha256 and are skipped.
    api.state.requests.clear()
    again = run_hwb("release", "--github-release", "--json", cwd=repo.path, env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["released"] is False
    assert api.calls() == ["GET /repos/o/demo/releases/tags/v1.4.0",
                           "PATCH /repos/o/demo/releases/N"]
    assert "### Added\n\n- shiny `thing` (" in json.loads(api.state.requests[1].body)["body"]
    assert again.stderr.count("same sha256), skipped") == 2

    # A rebuilt file with the same name replaces the old asset; the other is kept.
    (repo.path / "dist" / "demo-1.4.0.tar.gz").write_bytes(b"rebuilt sdist")
    api.state.requests.clear()
    third = run_hwb("release", "--github-release", cwd=repo.path, env=env)
    assert third.returncode == 0, third.stderr
    assert api.calls() == ["GET /repos/o/demo/releases/tags/v1.4.0",
                           "PATCH /repos/o/demo/releases/N",
                           "DELETE /repos/o/demo/releases/assets/N",
                           "POST /uploads/repos/o/demo/releases/N/assets"]
    assert sorted(a["name"] for a in api.state.github["v1.4.0"]["assets"]) == sorted(DISTS)
    for request in api.state.requests:
        assert request.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"


def test_github_release_errors_name_the_cause_not_the_token(repo: Repo,
                                                           api: StandInApi) -> None:
    env = {**_github_env(repo, api), "GITHUB_TOKEN": "ghs_wrongToken0123456789abcdef"}
    done = run_hwb("release", "--github-release", "--no-tag", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert "no release tag at HEAD" in done.stderr  # --no-tag: nothing to attach a release to
    assert api.state.requests == []
    # The re-run tags the release commit, then the API refuses the token.
    done = run_hwb("release", "--github-release", cwd=repo.path, env=env)
    assert done.returncode == 1
    assert "answered 401" in done.stderr
    assert "contents: write" in done.stderr
    _no_token(done.stdout + done.stderr, "ghs_wrongToken0123456789abcdef")
    for missing, code, text in (("GITHUB_TOKEN", 2, "needs GITHUB_TOKEN"),
                                ("GITHUB_REPOSITORY", 2, "needs GITHUB_REPOSITORY")):
        env = {k: v for k, v in _github_env(repo, api).items() if k != missing}
        done = run_hwb("release", "--github-release", cwd=repo.path, env=env)
        assert done.returncode == code, done.stderr
        assert text in done.stderr


def test_token_is_never_sent_in_clear_text_to_a_remote_host(repo: Repo,
                                                           api: StandInApi) -> None:
    env = {**_github_env(repo, api), "GITHUB_API_URL": "http://api.example.invalid"}
    done = run_hwb("release", "--github-release", cwd=repo.path, env=env)
    assert done.returncode == 2
    assert "not an https URL" in done.stderr
    assert api.state.requests == []


def test_gitlab_release_with_package_assets(repo: Repo, api: StandInApi) -> None:
    env = {**repo.env, "CI_API_V4_URL": api.url + "/api/v4", "CI_PROJECT_ID": "42",
           "CI_JOB_TOKEN": GITLAB_TOKEN}
    done = run_hwb("release", "--gitlab-release", "--json", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    _no_token(done.stdout + done.stderr, GITLAB_TOKEN)
    calls = api.calls()
    assert calls[:3] == ["GET /api/v4/projects/N/releases/v1.4.0",
                         "POST /api/v4/projects/N/releases",
                         "GET /api/v4/projects/N/packages"]
    assert calls.count("PUT /api/v4/projects/N/packages/generic/demo/1.4.0/"
                       "demo-1.4.0.tar.gz") == 1
    assert calls.count("POST /api/v4/projects/N/releases/v1.4.0/assets/links") == 2
    create = json.loads(api.state.requests[1].body)
    assert create["tag_name"] == "v1.4.0"
    assert "- shiny `thing` (" in create["description"]
    links = api.state.gitlab["v1.4.0"]["assets"]["links"]
    assert {link["name"] for link in links} == set(DISTS)
    assert all(link["url"].startswith(api.url + "/api/v4/projects/42/packages/generic/demo/")
               for link in links)
    assert all(r.headers["JOB-TOKEN"] == GITLAB_TOKEN for r in api.state.requests)

    api.state.requests.clear()
    again = run_hwb("release", "--gitlab-release", cwd=repo.path, env=env)
    assert again.returncode == 0, again.stderr
    assert [c for c in api.calls() if c.startswith(("PUT", "POST"))] == [
        "PUT /api/v4/projects/N/releases/v1.4.0"]  # updated; same files, links kept


def test_an_upload_url_on_another_host_gets_no_token(repo: Repo, api: StandInApi) -> None:
    """A (compromised or misconfigured) API answers with an upload URL elsewhere: hwb does
    not send the token there."""
    with StandInApi() as elsewhere:
        api.state.upload_base = elsewhere.url.replace("127.0.0.1", "localhost")
        done = run_hwb("release", "--github-release", cwd=repo.path,
                       env=_github_env(repo, api))
        assert done.returncode == 1
        assert "upload URL on another host (localhost)" in done.stderr
        assert elsewhere.state.requests == []


def test_a_prerelease_checked_out_at_its_tag_gets_its_hosted_release(repo: Repo,
                                                                     api: StandInApi) -> None:
    """As in examples/workflows/release-flow.yml: one job tags, a later one checks the tag
    out and makes the GitHub release from the changelog."""
    done = run_hwb("release", "--pre", "rc", cwd=repo.path, env=repo.env)
    assert done.returncode == 0, done.stderr
    repo.git("checkout", "-q", "v1.4.0rc1")
    done = run_hwb("release", "--pre", "rc", "--github-release", "--json", cwd=repo.path,
                   env=_github_env(repo, api))
    assert done.returncode == 0, done.stderr
    assert "HEAD is already released as v1.4.0rc1" in done.stderr
    assert json.loads(done.stdout)["released"] is False
    create = json.loads(api.state.requests[1].body)
    assert (create["tag_name"], create["name"], create["prerelease"]) == (
        "v1.4.0rc1", "1.4.0rc1", True)
    assert "- shiny `thing` (" in create["body"]


def test_a_failed_upload_is_finished_by_running_again(repo: Repo, api: StandInApi) -> None:
    api.state.fail_once.add("demo-1.4.0.tar.gz")
    env = _github_env(repo, api)
    done = run_hwb("release", "--github-release", cwd=repo.path, env=env)
    assert done.returncode == 1
    assert "answered 502" in done.stderr
    assert "run the same command again" in done.stderr
    assert "v1.4.0" in repo.tags()  # the release itself is made; only the upload is missing
    assert [a["name"] for a in api.state.github["v1.4.0"]["assets"]] == [
        "demo-1.4.0-py3-none-any.whl"]
    api.state.requests.clear()
    again = run_hwb("release", "--github-release", cwd=repo.path, env=env)
    assert again.returncode == 0, again.stderr
    assert api.calls() == ["GET /repos/o/demo/releases/tags/v1.4.0",
                           "PATCH /repos/o/demo/releases/N",
                           "POST /uploads/repos/o/demo/releases/N/assets"]
    assert sorted(a["name"] for a in api.state.github["v1.4.0"]["assets"]) == sorted(DISTS)
