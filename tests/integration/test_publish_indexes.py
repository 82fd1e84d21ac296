"""hwb publish against real pypiserver and devpi-server on 127.0.0.1, then pip installs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.publish_support import (
    DevpiServer,
    IndexProxy,
    PypiServer,
    build_dists,
    pip_install,
    running,
)

PASSWORD = "pypiserver-pw-7f3a9c"


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[PypiServer]:
    yield from running(PypiServer(tmp_path / "pypiserver", {"uploader": PASSWORD}))


@pytest.fixture
def dists(tmp_path: Path) -> list[Path]:
    return build_dists(tmp_path / "dist")


def test_pypiserver_upload_install_rerun(pypiserver: PypiServer, dists: list[Path],
                                         tmp_path: Path) -> None:
    env = {"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": PASSWORD}
    first = run_hwb("publish", "--json", "-r", pypiserver.url, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["repository"] == pypiserver.url
    statuses = {r["filename"]: r["status"] for r in doc["results"]}
    assert statuses == {p.name: "uploaded" for p in dists}
    # sdist first
    assert doc["results"][0]["filename"].endswith(".tar.gz")
    for r in doc["results"]:
        assert r["url"].startswith(pypiserver.url)
    assert sorted(p.name for p in pypiserver.packages.iterdir()) == sorted(p.name for p in dists)
    assert PASSWORD not in first.stdout + first.stderr

    installed = pip_install(pypiserver.simple, "hwb-publish-demo==0.1.0", tmp_path / "site")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "site" / "hwb_publish_demo" / "__init__.py").read_text() == \
        "VALUE = 'demo'\n"

    # A re-run, naming the directory as an action input would (no shell to expand it).
    again = run_hwb("publish", "--json", "-r", pypiserver.url, "dist", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    results = json.loads(again.stdout)["results"]
    assert {r["status"] for r in results} == {"skipped"}
    assert sorted(r["filename"] for r in results) == sorted(p.name for p in dists)


def test_pypiserver_wrong_password(pypiserver: PypiServer, dists: list[Path],
                                   tmp_path: Path) -> None:
    result = run_hwb("publish", "-r", pypiserver.url, "--username", "uploader", cwd=tmp_path,
                     env={"HWB_PASSWORD": "not-the-password"})
    assert result.returncode == 1
    assert f"{pypiserver.url} refused the credential from HWB_PASSWORD (HTTP 403" \
        in result.stderr
    assert "check the user name and password" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr
    assert list(pypiserver.packages.iterdir()) == []


def test_same_filename_other_content_is_an_error(pypiserver: PypiServer, dists: list[Path],
                                                 tmp_path: Path) -> None:
    env = {"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": PASSWORD}
    assert run_hwb("publish", "-r", pypiserver.url, cwd=tmp_path, env=env).returncode == 0
    other = build_dists(tmp_path / "other", value="changed")
    result = run_hwb("publish", "--json", "-r", pypiserver.url, *map(str, other), cwd=tmp_path,
                     env=env)
    assert result.returncode == 1
    results = json.loads(result.stdout)["results"]
    assert {r["status"] for r in results} == {"failed"}
    wheel = next(r for r in results if r["filename"].endswith(".whl"))
    old = next(p for p in dists if p.name.endswith(".whl"))
    import hashlib

    assert hashlib.sha256(old.read_bytes()).hexdigest() in wheel["error"]
    assert wheel["sha256"] in wheel["error"]
    assert (pypiserver.packages / old.name).read_bytes() == old.read_bytes()


def test_missing_credentials_is_a_usage_error(pypiserver: PypiServer, dists: list[Path],
                                              tmp_path: Path) -> None:
    result = run_hwb("publish", "-r", pypiserver.url, cwd=tmp_path)
    assert result.returncode == 2
    assert "HWB_TOKEN" in result.stderr
    assert "id-token: write" in result.stderr


def test_check_dry_run_uploads_nothing(pypiserver: PypiServer, dists: list[Path],
                                       tmp_path: Path) -> None:
    env = {"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": PASSWORD}
    result = run_hwb("publish", "--json", "--check", "-r", pypiserver.url, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["check"] is True
    assert {r["status"] for r in doc["results"]} == {"ready"}
    assert list(pypiserver.packages.iterdir()) == []


@pytest.mark.slow
def test_devpi_upload_install_rerun(tmp_path: Path, dists: list[Path]) -> None:
    for devpi in running(DevpiServer(tmp_path / "devpi")):
        env = {"HWB_USERNAME": devpi.user, "HWB_PASSWORD": devpi.password}
        first = run_hwb("publish", "--json", "-r", devpi.index, cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert {r["status"] for r in json.loads(first.stdout)["results"]} == {"uploaded"}
        installed = pip_install(devpi.simple, "hwb-publish-demo", tmp_path / "site")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert (tmp_path / "site" / "hwb_publish_demo").is_dir()

        again = run_hwb("publish", "--json", "-r", devpi.index, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        assert {r["status"] for r in json.loads(again.stdout)["results"]} == {"skipped"}

        newer = build_dists(tmp_path / "newer", "0.2.0")
        wrong = run_hwb("publish", "-r", devpi.index, *map(str, newer), cwd=tmp_path,
                        env={"HWB_USERNAME": devpi.user, "HWB_PASSWORD": "wrong-devpi-pw"})
        assert wrong.returncode == 1
        assert "refused the credential" in wrong.stderr
        assert "wrong-devpi-pw" not in wrong.stdout + wrong.stderr

        other = build_dists(tmp_path / "other", value="changed")
        clash = run_hwb("publish", "--json", "-r", devpi.index, *map(str, other), cwd=tmp_path,
                        env=env)
        assert clash.returncode == 1
        assert {r["status"] for r in json.loads(clash.stdout)["results"]} == {"failed"}


# -- faults ---------------------------------------------------------------------------------
def _api_publish(url: str, dists: list[Path], *, retries: int = 4) -> list[dict[str, str]]:
    from hwb_action.ci import NullReporter
    from hwb_action.publish import PublishOptions, publish

    options = PublishOptions(repository=url, username="uploader", password=PASSWORD,
                             retries=retries, jobs=2)
    report = publish(dists, options, environ={}, reporter=NullReporter(), backoff=0.05)
    return [r.to_json() for r in report.results]


def test_503_is_retried(pypiserver: PypiServer, dists: list[Path]) -> None:
    with IndexProxy(pypiserver.url, fail_uploads=3) as proxy:
        results = _api_publish(proxy.url, dists)
    assert [r["status"] for r in results] == ["uploaded", "uploaded"]
    assert proxy.state.uploads_seen == 5
    assert len(proxy.state.uploads_forwarded) == 2


def test_connection_cut_mid_upload_is_retried(pypiserver: PypiServer,
                                              dists: list[Path]) -> None:
    with IndexProxy(pypiserver.url, cut_uploads=1) as proxy:
        results = _api_publish(proxy.url, dists)
    assert [r["status"] for r in results] == ["uploaded", "uploaded"]
    assert len(proxy.state.uploads_forwarded) == 2


def test_cut_after_the_index_stored_the_file_is_not_uploaded_twice(
        pypiserver: PypiServer, dists: list[Path]) -> None:
    with IndexProxy(pypiserver.url, cut_after_forward=1) as proxy:
        results = _api_publish(proxy.url, dists)
    assert [r["status"] for r in results] == ["uploaded", "uploaded"]
    # the sdist reached the index once; the retry saw it there and did not send it again
    assert len(proxy.state.uploads_forwarded) == 2
    assert proxy.state.uploads_seen == 2


def test_unreachable_index_is_named_with_a_remedy(dists: list[Path]) -> None:
    import socket

    # A bound port that does not listen: every connection is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        results = _api_publish(url, dists, retries=0)
    assert [r["status"] for r in results] == ["failed", "failed"]
    for r in results:
        assert url in r["error"]
        assert "run again" in r["error"]


def test_failure_reported_then_rerun_finishes(pypiserver: PypiServer,
                                              dists: list[Path]) -> None:
    with IndexProxy(pypiserver.url) as proxy:
        proxy.state.fail_uploads = 1  # the sdist goes first, alone: it fails for good
        results = _api_publish(proxy.url, dists, retries=0)
        assert [r["status"] for r in results] == ["failed", "uploaded"]
        assert "503" in results[0]["error"]
        rerun = _api_publish(proxy.url, dists, retries=0)
    assert [r["status"] for r in rerun] == ["uploaded", "skipped"]
    assert len(proxy.state.uploads_forwarded) == 2
