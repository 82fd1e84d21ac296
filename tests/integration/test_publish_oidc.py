"""Trusted publishing end to end over HTTP: a fake GitHub ID-token endpoint and PyPI's
audience/mint-token/burn-token endpoints in front of a real pypiserver; and a leak test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import PublishError
from hwb_action.publish import PublishOptions, publish
from tests.cli_support import run_hwb
from tests.publish_support import (
    GITHUB_CLAIMS,
    GITLAB_CLAIMS,
    MINT_DESCRIPTIONS,
    IndexProxy,
    PypiServer,
    build_dists,
    running,
)

MINTED = "pypi-AgEIcHlwaS5vcmcCJGZha2UtbWludGVkLXRva2VuLWZvci10ZXN0cw"
REQUEST_TOKEN = "ghs_request_token_0123456789abcdef"


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[PypiServer]:
    yield from running(PypiServer(tmp_path / "pypiserver", {"__token__": MINTED}))


@pytest.fixture
def proxy(pypiserver: PypiServer) -> Iterator[IndexProxy]:
    with IndexProxy(pypiserver.url, oidc=True, minted_token=MINTED,
                    request_token=REQUEST_TOKEN) as p:
        yield p


@pytest.fixture
def dists(tmp_path: Path) -> list[Path]:
    return build_dists(tmp_path / "dist")


def github_env(proxy: IndexProxy, tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": proxy.url + "github-oidc",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
            "GITHUB_OUTPUT": str(tmp_path / "gh-output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "gh-summary.md"),
            # No Sigstore here: attestations (on under trusted publishing) are
            # tests/integration/test_attestations.py's, against stand-ins.
            "HWB_ATTESTATIONS": "false"}


def _without_mask_lines(text: str) -> str:
    # `::add-mask::VALUE` is how a secret is handed to the runner, which swallows the line.
    return "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))


def test_github_trusted_publishing(proxy: IndexProxy, pypiserver: PypiServer,
                                   dists: list[Path], tmp_path: Path) -> None:
    env = github_env(proxy, tmp_path)
    result = run_hwb("publish", "--json", "-r", proxy.url, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [r["status"] for r in doc["results"]] == ["uploaded", "uploaded"]
    assert proxy.state.mints == 1  # once per job, not per file
    assert proxy.state.burned == [MINTED]
    assert "trusted publishing (GitHub Actions)" in result.stderr
    # The mask comes before any other line that could carry the token.
    mask = f"::add-mask::{MINTED}"
    assert mask in result.stderr.splitlines()
    published = (tmp_path / "gh-output").read_text()
    assert "published<<" in published or "published=" in published
    assert "uploaded" in (tmp_path / "gh-summary.md").read_text()
    assert sorted(p.name for p in pypiserver.packages.iterdir()) == sorted(p.name for p in dists)


def test_leak_of_minted_and_given_tokens(proxy: IndexProxy, pypiserver: PypiServer,
                                         dists: list[Path], tmp_path: Path) -> None:
    """No byte of any output, CI file or file written contains a secret."""
    env = github_env(proxy, tmp_path)
    oidc = run_hwb("publish", "--json", "-v", "-r", proxy.url, cwd=tmp_path, env=env)
    assert oidc.returncode == 0, oidc.stderr
    # a known token given explicitly, then a failing run with a wrong one
    given = run_hwb("publish", "--json", "-v", "-r", pypiserver.url, "--token", MINTED,
                    cwd=tmp_path, env={**env, "GITHUB_ACTIONS": "true"})
    assert given.returncode == 0, given.stderr
    wrong = "pypi-wrong-token-value-that-must-not-leak"
    failing = run_hwb("publish", "-v", "-r", pypiserver.url + "?x=1", "--skip-existing",
                      "--no-skip-existing", cwd=tmp_path, env={**env, "HWB_TOKEN": wrong})
    assert failing.returncode == 1
    secrets = [MINTED, wrong, REQUEST_TOKEN]
    texts = {"stdout": oidc.stdout + given.stdout + failing.stdout,
             "stderr": _without_mask_lines(oidc.stderr + given.stderr + failing.stderr)}
    for path in tmp_path.rglob("*"):
        if path.is_file() and "pypiserver" not in path.parts and "dist" not in path.parts:
            texts[str(path)] = path.read_text(errors="replace")
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:8]}... leaked into {where}"
    # and the JWT the runner handed out never shows either
    for jwt in proxy.state.issued:
        for where, text in texts.items():
            assert jwt not in text, f"the ID token leaked into {where}"


def test_gitlab_trusted_publishing(proxy: IndexProxy, dists: list[Path],
                                   tmp_path: Path) -> None:
    proxy.state.claims = dict(GITLAB_CLAIMS)
    jwt = proxy.state.issue("pypi")
    env = {"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt, "HWB_DOTENV": str(tmp_path / "hwb.env"),
           "HWB_SUMMARY": str(tmp_path / "summary.md")}
    result = run_hwb("publish", "--json", "-r", proxy.url, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert [r["status"] for r in json.loads(result.stdout)["results"]] == ["uploaded"] * 2
    assert proxy.state.mints == 1
    assert proxy.state.burned == [MINTED]
    assert "PUBLISHED=[" in (tmp_path / "hwb.env").read_text()
    # GitLab gives one ID token per job: a second exchange is refused, and explained
    again = run_hwb("publish", "-r", proxy.url, cwd=tmp_path, env=env)
    assert again.returncode == 1
    assert "invalid-reuse-token" in again.stderr
    assert "one `hwb publish` call" in again.stderr
    assert "project_path: octo/demo" in again.stderr


def test_check_mints_and_burns_but_uploads_nothing(proxy: IndexProxy, pypiserver: PypiServer,
                                                   dists: list[Path], tmp_path: Path) -> None:
    result = run_hwb("publish", "--json", "--check", "-r", proxy.url, cwd=tmp_path,
                     env=github_env(proxy, tmp_path))
    assert result.returncode == 0, result.stderr
    assert {r["status"] for r in json.loads(result.stdout)["results"]} == {"ready"}
    assert proxy.state.mints == 1
    assert proxy.state.burned == [MINTED]
    assert list(pypiserver.packages.iterdir()) == []


def _api(proxy: IndexProxy, dists: list[Path], environ: dict[str, str]) -> PublishError:
    with pytest.raises(PublishError) as info:
        publish(dists, PublishOptions(repository=proxy.url, retries=0), environ=environ,
                reporter=NullReporter())
    return info.value


# What the TIP must tell the user to do for each error code of the mint-token endpoint.
MINT_HINTS = {
    "invalid-payload": "a bug in hwb, please report it",
    "not-enabled": "use an API token (HWB_TOKEN)",
    "invalid-token": "check that the audience matches the index",
    "invalid-pending-publisher": "add the trusted publisher on the project's own publishing",
    "invalid-reuse-token": "publish every file in one `hwb publish` call",
    "invalid-publisher": "compare the repository, workflow file name and environment",
}


@pytest.mark.parametrize("code", sorted(MINT_DESCRIPTIONS))
def test_each_mint_error_code_is_explained(code: str, proxy: IndexProxy, dists: list[Path],
                                           tmp_path: Path) -> None:
    proxy.state.mint_error = code
    err = _api(proxy, dists, github_env(proxy, tmp_path))
    assert code in err.message
    text = "\n".join(err.details)
    assert MINT_DESCRIPTIONS[code] in text
    assert "repository: octo/demo" in text
    assert "workflow_ref: octo/demo/.github/workflows/release.yml@refs/tags/v1" in text
    assert "environment: pypi" in text
    assert MINT_HINTS[code] in (err.hint or "")
    assert MINTED not in str(err) + text


def test_reusable_workflow_is_pointed_out(proxy: IndexProxy, dists: list[Path],
                                          tmp_path: Path) -> None:
    proxy.state.claims = {**GITHUB_CLAIMS,
                          "job_workflow_ref": "octo/shared/.github/workflows/pub.yml@main"}
    proxy.state.mint_error = "invalid-publisher"
    err = _api(proxy, dists, github_env(proxy, tmp_path))
    assert any("reusable workflow" in line for line in err.details)


def test_missing_id_token_permission(proxy: IndexProxy, dists: list[Path]) -> None:
    err = _api(proxy, dists, {"GITHUB_ACTIONS": "true"})
    assert "id-token: write" in (err.hint or "")
    assert proxy.state.mints == 0


def test_fork_pull_request(proxy: IndexProxy, dists: list[Path], tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"fork": True}}}}))
    err = _api(proxy, dists, {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                              "GITHUB_EVENT_PATH": str(event)})
    assert "fork" in (err.hint or "")


def test_gitlab_without_id_token(proxy: IndexProxy, dists: list[Path]) -> None:
    err = _api(proxy, dists, {"GITLAB_CI": "true"})
    assert "PYPI_ID_TOKEN" in (err.hint or "")
