"""SOURCE parsing, local directories and archives, and their errors (no git, no network)."""

from __future__ import annotations

import contextlib
import hashlib
import tarfile
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import EXIT_USAGE, SourceError, UsageError
from hwb_action.git import git_env
from hwb_action.source import (
    ACCEPTED_FORMS,
    ResolvedSource,
    open_source,
    parse_source,
    redact_url,
    source_date_epoch,
)


@pytest.mark.parametrize(
    ("spec", "location", "ref", "sub", "file_url"),
    [
        ("git+https://github.com/org/repo.git", "https://github.com/org/repo.git", None, None,
         False),
        ("git+https://github.com/org/repo.git@v1.2#subdirectory=pkg/a",
         "https://github.com/org/repo.git", "v1.2", "pkg/a", False),
        ("git+ssh://git@github.com/org/repo.git@main", "ssh://git@github.com/org/repo.git",
         "main", None, False),
        ("git+file:///srv/git/repo.git@feature/x", "file:///srv/git/repo.git", "feature/x",
         None, True),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git", None, None, False),
        ("git@github.com:org/repo.git@0123456789abcdef0123456789abcdef01234567#subdirectory=x",
         "git@github.com:org/repo.git", "0123456789abcdef0123456789abcdef01234567", "x", False),
        ("https://gitlab.example/org/repo.git@v2", "https://gitlab.example/org/repo.git", "v2",
         None, False),
        ("git+https://host/repo@main#egg=demo&subdirectory=./src/", "https://host/repo",
         "main", "src", False),
    ],
)
def test_git_forms(spec: str, location: str, ref: str | None, sub: str | None,
                   file_url: bool, tmp_path: Path) -> None:
    parsed = parse_source(spec, cwd=tmp_path)
    assert parsed.kind == "git"
    assert parsed.location == location
    assert parsed.ref == ref
    assert parsed.subdirectory == sub
    assert parsed.file_url is file_url
    assert parsed.shown == spec


def test_archive_forms(tmp_path: Path) -> None:
    url = parse_source("https://files.example/demo-1.0.tar.gz", cwd=tmp_path)
    assert (url.kind, url.location) == ("archive-url", "https://files.example/demo-1.0.tar.gz")
    digest = "ab" * 32
    local = parse_source(f"dist/demo-1.0.zip#sha256={digest}", cwd=tmp_path)
    assert (local.kind, local.location, local.sha256) == (
        "archive", str(tmp_path / "dist" / "demo-1.0.zip"), digest)


def test_credentials_are_redacted_and_masked(tmp_path: Path) -> None:
    spec = "git+https://user:hunter2hunter2@git.example/org/repo.git@main"
    parsed = parse_source(spec, cwd=tmp_path)
    assert parsed.shown == "git+https://***@git.example/org/repo.git@main"
    assert "hunter2hunter2" in parsed.location  # git needs it ...
    assert parsed.secrets == ("hunter2hunter2",)  # ... and the reporter masks it
    token = parse_source("https://ghp_tok3n@files.example/d-1.tar.gz", cwd=tmp_path)
    assert token.shown == "https://***@files.example/d-1.tar.gz"
    assert token.secrets == ("ghp_tok3n",)
    assert redact_url("ssh://git:pw@host/r.git") == "ssh://git:***@host/r.git"
    assert redact_url("ssh://git@host/r.git") == "ssh://git@host/r.git"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("-uhack", "write ./-uhack for a directory"),
        ("--upload-pack=evil", "starts with '-'"),
        ("git+https://host/repo.git@-uhack", "REF '-uhack'"),
        ("git+https://host/repo.git@--upload-pack=x", "REF '--upload-pack=x'"),
        ("git+https://host/repo.git#subdirectory=-x", "subdirectory '-x'"),
        ("git+https://host/repo.git#subdirectory=../up", "'..'"),
        ("git+https://host/repo.git#subdirectory=a/../../up", "'..'"),
        ("git+https://host/repo.git#subdirectory=/etc", "absolute"),
        ("git+https://host/repo.git#subdirectory=C:\\x", "absolute"),
        ("git+ssh://-oProxyCommand=touch%20x/repo.git", "starts with '-'"),
        ("git@-oProxyCommand=x:repo.git", "starts with '-'"),
        ("-oProxyCommand=x@host:repo.git", "starts with '-'"),
        ("git+https://host/repo.git@ma..in", "not a valid"),
        ("git+https://host/repo.git@a b", "not a valid"),
        ("git+https://host/repo.git@", "empty REF"),
        ("git+https://host/repo.git#subdirectory=a\nb", "control characters"),
        ("git+svn://host/repo", "not supported"),
        ("ftp://host/x.tar.gz", "unsupported URL scheme"),
        ("https://host/some/page", "neither a git repository"),
        ("git+https://host/repo.git#sha256=" + "0" * 64, "#sha256= applies to archives"),
        ("git+https://host/repo.git#subdir=x", "unknown key 'subdir'"),
        ("https://host/d-1.tar.gz#subdirectory=x", "#subdirectory= applies"),
        ("https://host/d-1.tar.gz#sha256=xyz", "not 64 hex digits"),
        ("", "SOURCE is empty"),
    ],
)
def test_bad_specs_are_usage_errors(spec: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        parse_source(spec, cwd=tmp_path)
    assert info.value.exit_code == EXIT_USAGE
    assert words in info.value.message
    assert "accepted SOURCE forms:" in (info.value.hint or "")


def _open(spec: str, cwd: Path, workdir: Path | None = None,
          ) -> contextlib.AbstractContextManager[ResolvedSource]:
    return open_source(spec, reporter=NullReporter(), environ={}, cwd=cwd, workdir=workdir)


def test_local_directory(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "setup.cfg").write_text("[metadata]\nname = demo\n")
    with _open("proj", tmp_path) as src:
        assert src.kind == "directory"
        assert src.path == tmp_path / "proj"
        assert src.spec == "proj"
    assert (tmp_path / "proj").is_dir()  # a local tree is never removed


def test_local_directory_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "mono" / "pkgs" / "a").mkdir(parents=True)
    (tmp_path / "mono" / "pkgs" / "a" / "setup.py").write_text("")
    with _open("mono#subdirectory=pkgs/a", tmp_path) as src:
        assert src.path == tmp_path / "mono" / "pkgs" / "a"


def test_missing_directory_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info, _open("nowhere", tmp_path):
        pytest.fail("must not get here")
    assert str(tmp_path / "nowhere") in info.value.message
    assert "does not exist" in info.value.message
    assert info.value.hint == ACCEPTED_FORMS


def test_directory_without_project_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError) as info, _open("empty", tmp_path):
        pytest.fail("must not get here")
    assert str(tmp_path / "empty") in info.value.message
    assert "no pyproject.toml, setup.py or setup.cfg" in info.value.message


def test_plain_file_is_not_a_source(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="not an sdist or tarball"), _open("notes.txt", tmp_path):
        pytest.fail("must not get here")


def test_subdirectory_symlink_leaving_the_tree(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "pyproject.toml").write_text("")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "pkg").symlink_to(tmp_path / "outside")
    with pytest.raises(UsageError, match="leads outside"), _open(
        "repo#subdirectory=pkg", tmp_path
    ):
        pytest.fail("must not get here")


def _sdist(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        tf.add(__file__, arcname="demo-1.0/setup.py")
    return path


def test_local_sdist_used_in_place(tmp_path: Path) -> None:
    archive = _sdist(tmp_path / "demo-1.0.tar.gz")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with _open(f"demo-1.0.tar.gz#sha256={digest}", tmp_path) as src:
        assert (src.kind, src.path) == ("sdist", archive)
    assert archive.is_file()
    with pytest.raises(SourceError, match="has sha256"), _open(
        f"demo-1.0.tar.gz#sha256={'0' * 64}", tmp_path
    ):
        pytest.fail("must not get here")
    with pytest.raises(UsageError, match="does not exist"), _open("gone-1.0.zip", tmp_path):
        pytest.fail("must not get here")


def test_plain_http_download_refused_for_remote_hosts(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info, _open("http://files.example/d-1.tar.gz", tmp_path,
                                                  workdir=tmp_path / "w"):
        pytest.fail("must not get here")
    assert "plain http" in info.value.message
    assert not (tmp_path / "w").exists()


def test_source_date_epoch_from_environ(tmp_path: Path) -> None:
    assert source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "1700000000"}) == 1700000000
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH='yesterday'"):
        source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_git_env_never_prompts_and_drops_repository_pointers() -> None:
    env = git_env({"PATH": "/usr/bin", "GIT_DIR": "/elsewhere/.git", "GIT_WORK_TREE": "/x"})
    assert env == {"PATH": "/usr/bin", "GIT_TERMINAL_PROMPT": "0"}



@pytest.mark.parametrize("name", ["loop", "loop.tar.gz"])
def test_symlink_loop_source_says_so(tmp_path: Path, name: str) -> None:
    (tmp_path / name).symlink_to(name)  # points at itself
    with pytest.raises(UsageError) as info, open_source(
        name, reporter=NullReporter(), environ={}, cwd=tmp_path
    ):
        pytest.fail("must not get here")
    assert "symbolic link loop" in info.value.message
    assert str(tmp_path / name) in info.value.message
    assert "does not exist" not in info.value.message
    assert info.value.exit_code == EXIT_USAGE


def test_symlink_loop_of_two_links(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(UsageError, match="symbolic link loop"):
        parse_source("a", cwd=tmp_path)
