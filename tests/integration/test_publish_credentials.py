"""Credentials go only where they belong: ``TWINE_USERNAME``/``TWINE_PASSWORD`` and
``.pypirc`` sections reach the repository they were written for and no other.

Two stand-in indexes on 127.0.0.1 play "the private index the credential is for" and "the
index being published to"; each records the ``Authorization`` header of every request, so a
test asserts which credential reached which server (and that none leaked).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.index_support import RecordingIndex
from tests.publish_support import build_dists

SECRET = "private-index-secret-7f3a"
OTHER = "other-index-secret-91c2"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_dists(tmp_path_factory.mktemp("creds") / "dist", "1.2.3")


@pytest.fixture
def private() -> Iterator[RecordingIndex]:
    with RecordingIndex("deployer", SECRET) as index:
        yield index


@pytest.fixture
def public() -> Iterator[RecordingIndex]:
    with RecordingIndex("someone", OTHER) as index:
        yield index


def publish(tmp_path: Path, dists: list[Path], *args: str, env: dict[str, str]) -> tuple[
        int, str]:
    done = run_hwb("publish", *args, "--trusted-publishing", "never", *map(str, dists),
                   cwd=tmp_path, env={"HOME": str(tmp_path), **env}, timeout=300)
    return done.returncode, done.stdout + done.stderr


def write_pypirc(home: Path, sections: dict[str, dict[str, str]]) -> None:
    lines = ["[distutils]", "index-servers =", *(f"    {name}" for name in sections), ""]
    for name, values in sections.items():
        lines += [f"[{name}]", *(f"{k} = {v}" for k, v in values.items()), ""]
    (home / ".pypirc").write_text("\n".join(lines), encoding="utf-8")


def test_env_naming_the_target_is_used(tmp_path: Path, dists: list[Path],
                                       private: RecordingIndex) -> None:
    """TWINE_REPOSITORY_URL chooses the repository (no --repository) and its pair goes there."""
    code, out = publish(tmp_path, dists, env={
        "TWINE_REPOSITORY_URL": private.url, "TWINE_USERNAME": "deployer",
        "TWINE_PASSWORD": SECRET})
    assert code == 0, out
    assert sorted(private.state.files) == sorted(p.name for p in dists)
    assert {h for _, h in private.state.authorizations} == {basic("deployer", SECRET)}
    assert SECRET not in out


def test_env_naming_the_same_repository_with_an_explicit_target(
        tmp_path: Path, dists: list[Path], private: RecordingIndex) -> None:
    code, out = publish(tmp_path, dists, "--repository", private.url.rstrip("/").upper()
                        .replace("HTTP://", "http://"), env={
        "TWINE_REPOSITORY_URL": private.url, "TWINE_USERNAME": "deployer",
        "TWINE_PASSWORD": SECRET})
    assert code == 0, out
    assert ("POST", basic("deployer", SECRET)) in private.state.authorizations


def test_attack_private_credential_is_not_sent_to_another_index(
        tmp_path: Path, dists: list[Path], private: RecordingIndex,
        public: RecordingIndex) -> None:
    """The job's environment holds the private index's credential and names that index; the
    publish goes to another index: exit 2, naming the variables, and no server sees it."""
    code, out = publish(tmp_path, dists, "--repository", public.url, env={
        "TWINE_REPOSITORY_URL": private.url, "TWINE_USERNAME": "deployer",
        "TWINE_PASSWORD": SECRET})
    assert code == 2, out
    assert "TWINE_REPOSITORY_URL" in out and "TWINE_PASSWORD" in out
    assert public.url in out
    assert SECRET not in out
    assert public.state.authorizations == [] and public.state.files == {}
    assert private.state.authorizations == [] and private.state.files == {}


def test_attack_private_credential_is_not_sent_to_pypi(
        tmp_path: Path, dists: list[Path], private: RecordingIndex) -> None:
    """``--repository pypi`` with a private index's twine variables: refused before any
    connection (upload.pypi.org cannot be reached here, so an attempt would show as exit 1)."""
    code, out = publish(tmp_path, dists, "--repository", "pypi", env={
        "TWINE_REPOSITORY_URL": private.url, "TWINE_USERNAME": "deployer",
        "TWINE_PASSWORD": SECRET})
    assert code == 2, out
    assert "TWINE_REPOSITORY_URL" in out and "TWINE_PASSWORD" in out
    assert "https://upload.pypi.org/legacy/" in out
    assert private.state.authorizations == []


def test_attack_twine_repository_section_names_another_index(
        tmp_path: Path, dists: list[Path], private: RecordingIndex,
        public: RecordingIndex) -> None:
    write_pypirc(tmp_path, {"corp": {"repository": private.url}})
    code, out = publish(tmp_path, dists, "--repository", public.url, env={
        "TWINE_REPOSITORY": "corp", "TWINE_USERNAME": "deployer", "TWINE_PASSWORD": SECRET})
    assert code == 2, out
    # Every TWINE_* value is masked as a possible secret (hwb_action.trust): the name shows as ***
    assert "TWINE_REPOSITORY=" in out and "TWINE_PASSWORD" in out and private.url in out
    assert public.state.authorizations == [] and private.state.authorizations == []


def test_twine_repository_section_chooses_the_target(
        tmp_path: Path, dists: list[Path], private: RecordingIndex) -> None:
    write_pypirc(tmp_path, {"corp": {"repository": private.url}})
    code, out = publish(tmp_path, dists, env={
        "TWINE_REPOSITORY": "corp", "TWINE_USERNAME": "deployer", "TWINE_PASSWORD": SECRET})
    assert code == 0, out
    assert sorted(private.state.files) == sorted(p.name for p in dists)
    assert {h for _, h in private.state.authorizations} == {basic("deployer", SECRET)}


@pytest.mark.parametrize("by_name", [True, False], ids=["section-name", "url"])
def test_pypirc_section_for_the_target_is_used(
        tmp_path: Path, dists: list[Path], private: RecordingIndex, by_name: bool) -> None:
    write_pypirc(tmp_path, {"corp": {"repository": private.url, "username": "deployer",
                                     "password": SECRET}})
    code, out = publish(tmp_path, dists, "--repository", "corp" if by_name else private.url,
                        env={})
    assert code == 0, out
    assert ".pypirc [corp]" in out
    assert {h for _, h in private.state.authorizations} == {basic("deployer", SECRET)}
    assert SECRET not in out


def test_attack_pypirc_section_for_another_index_is_not_used(
        tmp_path: Path, dists: list[Path], private: RecordingIndex,
        public: RecordingIndex) -> None:
    """.pypirc holds the private index's password (and a [pypi] one): publishing to another
    index finds no credential for it, and sends neither."""
    write_pypirc(tmp_path, {"corp": {"repository": private.url, "username": "deployer",
                                     "password": SECRET},
                            "pypi": {"username": "__token__", "password": OTHER}})
    code, out = publish(tmp_path, dists, "--repository", public.url, env={})
    assert code == 2, out
    assert "no credentials" in out
    assert public.state.authorizations == [] and private.state.authorizations == []
    assert SECRET not in out and OTHER not in out
