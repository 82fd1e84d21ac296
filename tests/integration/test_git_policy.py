"""The one git policy, tried as an attacker would: the caller's environment pointing git at
another repository or injecting configuration, options smuggled in as a remote, a REF or a
SOURCE, remote-helper transports, and credentials in URLs.  Real git repositories made here."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import EXIT_USAGE, ProcessError, SourceError, UsageError
from hwb_action.git import Git, git_timeout
from hwb_action.source import open_source
from hwb_action.versioning import ReleaseActions, apply_release, plan_release
from tests.cli_support import run_hwb
from tests.versioning_support import Repo, config, release

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _project(path: Path, version: str, *commits: str) -> Repo:
    repo = Repo(path)
    repo.commit("chore: init", files={"pyproject.toml": f'[project]\nname = "{path.name}"\n'
                                                        f'version = "{version}"\n'})
    repo.tag(f"v{version}")
    for message in commits:
        repo.commit(message)
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return _project(tmp_path / "alpha", "1.3.0", "feat: a feature")


def test_git_dir_from_the_environment_does_not_redirect_hwb_version(
    repo: Repo, tmp_path: Path
) -> None:
    other = _project(tmp_path / "other", "7.0.0", "fix: elsewhere")
    env = {**repo.env, "GIT_DIR": str(other.path / ".git"),
           "GIT_WORK_TREE": str(other.path), "GIT_INDEX_FILE": str(other.path / "idx")}
    done = run_hwb("version", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1.4.0\n"  # alpha's next version, not other's 7.0.1


@pytest.mark.parametrize(
    "args",
    [
        ["--remote=--receive-pack=touch {marker}"],
        ["--remote", "--receive-pack=touch {marker}"],
        ["--remote=-oProxyCommand=touch {marker}"],
    ],
)
def test_release_remote_that_is_an_option_is_refused(
    repo: Repo, tmp_path: Path, args: list[str]
) -> None:
    marker = tmp_path / "PWNED"
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    repo.git("remote", "add", "origin", str(remote))
    argv = ["release", "--push", *(a.format(marker=marker) for a in args)]
    done = run_hwb(*argv, cwd=repo.path, env=repo.env)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert not marker.exists()
    assert "Traceback" not in done.stderr


def test_release_remote_from_the_environment_is_refused(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    env = {**repo.env, "HWB_REMOTE": f"--receive-pack=touch {marker}"}
    done = run_hwb("release", "--push", cwd=repo.path, env=env)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "starts with '-'" in done.stderr
    assert not marker.exists()


def test_version_refuses_a_remote_that_is_an_option(repo: Repo) -> None:
    """`hwb version` reads the remote for compare links: refused before any git runs."""
    done = run_hwb("version", "--remote=--upload-pack=touch x", cwd=repo.path, env=repo.env)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "--remote: '--upload-pack=touch x' starts with '-'" in done.stderr


def test_push_refuses_an_option_even_without_a_changelog(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    with pytest.raises(UsageError, match="--remote '--receive-pack"):
        release(repo, actions=ReleaseActions(push=True),
                remote=f"--receive-pack=touch {marker}")
    assert not marker.exists()


def test_tag_format_rendering_an_option_is_refused(repo: Repo) -> None:
    with pytest.raises(UsageError, match="tag '--"):
        Git(repo.path, environ=repo.env).tag("--delete", "x")
    assert repo.tags() == {"v1.3.0"}


def test_ext_transport_is_refused_even_when_the_environment_allows_it(
    repo: Repo, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    env = {**repo.env, "GIT_ALLOW_PROTOCOL": "ext:fd:file",
           "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.ext.allow",
           "GIT_CONFIG_VALUE_0": "always",
           "GIT_CONFIG_PARAMETERS": "'protocol.allow'='always'"}
    the_plan = plan_release(repo.path, config(remote=f"ext::sh -c touch% {marker}"),
                            environ=env)
    with pytest.raises(ProcessError) as info:
        apply_release(the_plan, ReleaseActions(push=True), environ=env)
    assert not marker.exists()
    assert "not allowed" in "\n".join(info.value.details)


def test_git_source_that_is_an_option_or_a_helper_is_refused(
    repo: Repo, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    sources = [
        f"git+--upload-pack=touch {marker}",
        f"git+file://{repo.path}/.git@--upload-pack=touch${{IFS}}{marker}",
        f"git+file://{repo.path}/.git@--foo",
        f"ext::sh -c touch% {marker}",
        f"ext::sh%20-c%20touch%20{marker}.git",
        "fd::7/repo.git",
        "git+ssh://-oProxyCommand=touch${IFS}x/repo.git",
    ]
    for source in sources:
        done = run_hwb("build", source, "--out-dir", str(tmp_path / "dist"),
                       cwd=tmp_path, env=repo.env)
        assert done.returncode == EXIT_USAGE, (source, done.stderr)
        assert not marker.exists(), source
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("password", ["s3cr3t-Pa55", "p@ss:w/rd+&=?x"])
def test_credentials_in_a_push_url_never_shown(repo: Repo, password: str) -> None:
    quoted = urllib.parse.quote(password, safe="")
    url = f"https://deploy:{quoted}@127.0.0.1:9/org/repo.git"
    reporter = NullReporter(verbose=True)
    with pytest.raises(ProcessError) as info:
        Git(repo.path, environ=repo.env, reporter=reporter).push(url, ["HEAD"])
    text = "\n".join([*reporter.lines, str(info.value), *info.value.details])
    assert reporter.lines  # the command was shown
    for form in {password, quoted, urllib.parse.quote_plus(password)}:
        assert form not in text
    assert "127.0.0.1:9" in text


def test_token_in_a_named_remote_never_shown(repo: Repo) -> None:
    token = "ghp_N4medRemoteT0ken"
    repo.git("remote", "add", "origin", f"https://{token}@127.0.0.1:9/org/repo.git")
    reporter = NullReporter(verbose=True)
    with pytest.raises(ProcessError) as info:
        Git(repo.path, environ=repo.env, reporter=reporter).push("origin", ["HEAD"])
    text = "\n".join([*reporter.lines, str(info.value), *info.value.details,
                      info.value.hint or ""])
    assert token not in text
    assert reporter.redact(f"x {token} y") == "x *** y"  # masked for the rest of the run


def test_git_timeout_setting() -> None:
    assert git_timeout({}) == 600
    assert git_timeout({"HWB_GIT_TIMEOUT": "30"}) == 30
    with pytest.raises(UsageError, match="HWB_GIT_TIMEOUT='soon'"):
        git_timeout({"HWB_GIT_TIMEOUT": "soon"})
    with pytest.raises(UsageError, match="HWB_GIT_TIMEOUT='0'"):
        git_timeout({"HWB_GIT_TIMEOUT": "0"})


@pytest.fixture
def silent_git_server() -> Iterator[str]:
    """A git:// address on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"git://127.0.0.1:{listener.getsockname()[1]}/repo.git"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_git_server_that_never_answers_is_cut_off(
    repo: Repo, tmp_path: Path, silent_git_server: str
) -> None:
    env = {**repo.env, "HWB_GIT_TIMEOUT": "1"}
    with pytest.raises(SourceError) as info, open_source(
        f"git+{silent_git_server}", reporter=NullReporter(), environ=env, cwd=tmp_path,
        workdir=tmp_path / "w",
    ):
        pytest.fail("must not get here")
    assert "did not finish within 1" in info.value.message
    assert "HWB_GIT_TIMEOUT" in (info.value.hint or "")
    assert list((tmp_path / "w").iterdir()) == []


def test_a_submodule_on_the_ext_transport_never_runs(repo: Repo, tmp_path: Path) -> None:
    # The repository being built is hostile: its .gitmodules asks for an ext:: submodule,
    # and the job's environment happens to allow ext.  Nothing may run.
    marker = tmp_path / "PWNED"
    head = repo.git("rev-parse", "HEAD").strip()
    (repo.path / ".gitmodules").write_text(
        f'[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c touch% {marker}\n')
    repo.git("add", ".gitmodules")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{head},evil")
    repo.git("commit", "-q", "-m", "chore: add a submodule")
    env = {**repo.env, "GIT_ALLOW_PROTOCOL": "ext:file", "GIT_CONFIG_COUNT": "1",
           "GIT_CONFIG_KEY_0": "protocol.ext.allow", "GIT_CONFIG_VALUE_0": "always"}
    with pytest.raises(SourceError) as info, open_source(
        f"git+file://{repo.path}/.git", reporter=NullReporter(), environ=env, cwd=tmp_path,
        workdir=tmp_path / "w",
    ):
        pytest.fail("must not get here")
    assert not marker.exists()
    assert "not allowed" in "\n".join(info.value.details)
