"""Git sources against real repositories made here: a bare repository with a tag, a
branch and a subdirectory package, cloned over git+file:// URLs."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import EXIT_FAILED, EXIT_USAGE, SourceError, UsageError
from hwb_action.source import ResolvedSource, git_commit, open_source, source_date_epoch

# 2021-01-01, 2021-02-01, 2021-03-01 (UTC): fixed so the epoch test cannot pass by chance.
DATES = {"a": 1609459200, "b": 1612137600, "c": 1614556800}


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
    })
    return env


def git(*args: str, cwd: Path, env: Mapping[str, str], date: int | None = None) -> str:
    run_env = dict(env)
    if date is not None:
        run_env["GIT_AUTHOR_DATE"] = run_env["GIT_COMMITTER_DATE"] = f"@{date} +0000"
    out = subprocess.run(["git", *args], cwd=cwd, env=run_env, check=True, text=True,
                         capture_output=True)
    return out.stdout.strip()


def _project(path: Path, name: str, marker: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1"\n')
    (path / "MARKER").write_text(marker)


@dataclass(frozen=True, kw_only=True)
class Repo:
    work: Path
    bare: Path
    env: dict[str, str]
    a: str  # tagged v1.0 (annotated)
    b: str  # main
    c: str  # feature

    @property
    def url(self) -> str:
        return f"git+file://{self.bare}"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    root = tmp_path_factory.mktemp("gitsrc")
    env = _git_env(root)
    work = root / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work, env=env)
    _project(work, "root-pkg", "a")
    _project(work / "pkg", "sub-pkg", "sub-a")
    git("add", "-A", cwd=work, env=env)
    git("commit", "-q", "-m", "a", cwd=work, env=env, date=DATES["a"])
    git("tag", "-a", "v1.0", "-m", "release 1.0", cwd=work, env=env, date=DATES["a"])
    a = git("rev-parse", "HEAD", cwd=work, env=env)
    (work / "MARKER").write_text("b")
    git("commit", "-q", "-am", "b", cwd=work, env=env, date=DATES["b"])
    b = git("rev-parse", "HEAD", cwd=work, env=env)
    git("checkout", "-q", "-b", "feature", cwd=work, env=env)
    (work / "MARKER").write_text("c")
    git("commit", "-q", "-am", "c", cwd=work, env=env, date=DATES["c"])
    c = git("rev-parse", "HEAD", cwd=work, env=env)
    git("checkout", "-q", "main", cwd=work, env=env)
    bare = root / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=root, env=env)
    return Repo(work=work, bare=bare, env=env, a=a, b=b, c=c)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "work"
    yield path
    # Every test leaves its temporaries behind it removed, whatever happened.
    assert not path.exists() or list(path.iterdir()) == []


def _open(spec: str, repo: Repo, workdir: Path, reporter: NullReporter | None = None,
          environ: Mapping[str, str] | None = None,
          ) -> contextlib.AbstractContextManager[ResolvedSource]:
    return open_source(spec, reporter=reporter or NullReporter(verbose=True),
                       environ=environ if environ is not None else repo.env,
                       cwd=workdir.parent, workdir=workdir)


def _marker(src: ResolvedSource) -> str:
    return (src.path / "MARKER").read_text()


def test_default_branch(repo: Repo, workdir: Path) -> None:
    reporter = NullReporter(verbose=True)
    with _open(repo.url, repo, workdir, reporter) as src:
        assert src.kind == "git"
        assert _marker(src) == "b"
        assert src.commit == repo.b == git("rev-parse", "HEAD", cwd=src.path, env=repo.env)
        assert src.checkout == src.path
        assert src.path.is_relative_to(workdir)
        assert git("rev-parse", "--is-shallow-repository", cwd=src.path, env=repo.env) == "true"
    assert f"source: {repo.url} at commit {repo.b}" in reporter.lines
    # git ran with the file protocol allowed (a file URL) and '--' before the URL.
    clone = next(line for line in reporter.lines if line.startswith("+ git") and " clone " in line)
    assert "-c protocol.file.allow=always" in clone
    assert f"-- file://{repo.bare} " in clone


def test_tag(repo: Repo, workdir: Path) -> None:
    with _open(f"{repo.url}@v1.0", repo, workdir) as src:
        assert _marker(src) == "a"
        assert src.ref == "v1.0"
        assert src.commit == repo.a
        assert src.commit == git("rev-parse", "v1.0^{commit}", cwd=repo.bare, env=repo.env)
        assert git("rev-parse", "--is-shallow-repository", cwd=src.path, env=repo.env) == "true"
        # The tag came along: version-from-git backends (setuptools-scm) see the release.
        assert git("describe", "--tags", cwd=src.path, env=repo.env) == "v1.0"


def test_branch(repo: Repo, workdir: Path) -> None:
    with _open(f"{repo.url}@feature", repo, workdir) as src:
        assert _marker(src) == "c"
        assert src.commit == repo.c == git("rev-parse", "feature", cwd=repo.bare, env=repo.env)


def test_full_commit_hash_is_fetched_alone(repo: Repo, workdir: Path) -> None:
    reporter = NullReporter(verbose=True)
    with _open(f"{repo.url}@{repo.a}", repo, workdir, reporter) as src:
        assert _marker(src) == "a"
        assert src.commit == repo.a
        assert git("rev-parse", "--is-shallow-repository", cwd=src.path, env=repo.env) == "true"
    assert not any("cloning the whole repository" in line for line in reporter.lines)


def test_commit_hash_falls_back_to_a_full_clone_when_the_server_refuses(
    repo: Repo, workdir: Path
) -> None:
    # Protocol v0 upload-pack refuses a want of an unadvertised commit: the fallback runs.
    # (Set in a global config file: hwb drops GIT_CONFIG_COUNT/KEY/VALUE on purpose.)
    global_config = workdir.parent / "gitconfig"
    global_config.write_text("[protocol]\n\tversion = 0\n")
    env = {**repo.env, "GIT_CONFIG_GLOBAL": str(global_config)}
    reporter = NullReporter(verbose=True)
    with _open(f"{repo.url}@{repo.a}", repo, workdir, reporter, environ=env) as src:
        assert _marker(src) == "a"
        assert src.commit == repo.a
    assert any("cloning the whole repository" in line for line in reporter.lines)


def test_short_commit_hash(repo: Repo, workdir: Path) -> None:
    with _open(f"{repo.url}@{repo.a[:10]}", repo, workdir) as src:
        assert _marker(src) == "a"
        assert src.commit == repo.a


def test_subdirectory(repo: Repo, workdir: Path) -> None:
    with _open(f"{repo.url}@v1.0#subdirectory=pkg", repo, workdir) as src:
        assert src.path.name == "pkg"
        assert _marker(src) == "sub-a"
        assert src.checkout is not None
        assert src.path.parent == src.checkout
        assert 'name = "sub-pkg"' in (src.path / "pyproject.toml").read_text()
        assert src.commit == repo.a


def test_missing_subdirectory_is_a_usage_error(repo: Repo, workdir: Path) -> None:
    with pytest.raises(UsageError) as info, _open(f"{repo.url}#subdirectory=nope", repo, workdir):
        pytest.fail("must not get here")
    assert info.value.exit_code == EXIT_USAGE
    assert "'nope'" in info.value.message


def test_missing_ref_is_a_clear_error(repo: Repo, workdir: Path) -> None:
    with pytest.raises(SourceError) as info, _open(f"{repo.url}@no-such-ref", repo, workdir):
        pytest.fail("must not get here")
    assert info.value.exit_code == EXIT_FAILED
    assert "'no-such-ref' is neither a branch nor a tag" in info.value.message
    assert "check the spelling after '@' in SOURCE" in (info.value.hint or "")


def test_missing_commit_is_a_clear_error(repo: Repo, workdir: Path) -> None:
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(SourceError) as info, _open(f"{repo.url}@{missing}", repo, workdir):
        pytest.fail("must not get here")
    assert info.value.exit_code == EXIT_FAILED
    assert f"commit '{missing}' not found" in info.value.message


def test_missing_repository(repo: Repo, workdir: Path) -> None:
    url = f"git+file://{repo.bare.parent}/absent.git"
    with pytest.raises(SourceError) as info, _open(url, repo, workdir):
        pytest.fail("must not get here")
    assert "git could not fetch" in info.value.message
    assert info.value.details  # git's own words travel with the error


@pytest.mark.parametrize(
    "suffix",
    ["@-uhack", "@--upload-pack=touch${IFS}/tmp/pwned", "#subdirectory=-x",
     "#subdirectory=../work", "#subdirectory=/etc"],
)
def test_injection_is_refused_before_git_runs(repo: Repo, workdir: Path, suffix: str) -> None:
    reporter = NullReporter(verbose=True)
    with pytest.raises(UsageError), _open(repo.url + suffix, repo, workdir, reporter):
        pytest.fail("must not get here")
    assert not any(line.startswith("+ git") for line in reporter.lines)
    assert not workdir.exists()


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_temporaries_removed_when_the_block_raises(
    repo: Repo, workdir: Path, exc: type[BaseException]
) -> None:
    seen: list[Path] = []

    def interrupted() -> None:
        with _open(repo.url, repo, workdir) as src:
            seen.append(src.path)
            assert src.path.is_dir()
            raise exc

    with pytest.raises(exc):
        interrupted()
    assert seen
    assert not seen[0].exists()


class _InterruptAt(NullReporter):
    """Raises KeyboardInterrupt (as Ctrl-C would) when the clone reaches ``marker``."""

    def __init__(self, marker: str) -> None:
        super().__init__(verbose=True)
        self.marker = marker

    def debug(self, message: str) -> None:
        super().debug(message)
        if self.marker in message:
            raise KeyboardInterrupt


@pytest.mark.parametrize("marker", ["rev-parse --verify HEAD", " fetch "])
def test_temporaries_removed_when_interrupted_while_cloning(
    repo: Repo, workdir: Path, marker: str
) -> None:
    # Interrupted after the clone wrote its files (or mid-way through the fetch path),
    # before the with-block was entered: the `workdir` fixture checks nothing is left.
    reporter = _InterruptAt(marker)
    spec = repo.url if "rev-parse" in marker else f"{repo.url}@{repo.a}"
    with pytest.raises(KeyboardInterrupt), _open(spec, repo, workdir, reporter):
        pytest.fail("must not get here")
    assert any(marker in line for line in reporter.lines)
    assert workdir.is_dir()


def test_temporaries_removed_on_success(repo: Repo, workdir: Path) -> None:
    with _open(repo.url, repo, workdir) as src:
        path = src.path
        assert (path / ".git").is_dir()
    assert not path.exists()


def test_source_date_epoch_is_the_commit_time(repo: Repo, workdir: Path) -> None:
    with _open(f"{repo.url}@feature#subdirectory=pkg", repo, workdir) as src:
        expected = git("log", "-1", "--format=%ct", cwd=src.path, env=repo.env)
        assert source_date_epoch(src.path, repo.env) == int(expected) == DATES["c"]
        assert source_date_epoch(src.path, {**repo.env, "SOURCE_DATE_EPOCH": "42"}) == 42


def test_source_date_epoch_outside_git(tmp_path: Path, repo: Repo) -> None:
    env = {**repo.env, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    assert source_date_epoch(tmp_path, env) is None
    assert git_commit(tmp_path, env) is None


def test_local_directory_in_a_git_work_tree(repo: Repo, workdir: Path) -> None:
    with _open(str(repo.work / "pkg"), repo, workdir) as src:
        assert src.kind == "directory"
        assert src.path == repo.work / "pkg"
        assert src.commit == repo.b
        assert src.checkout == repo.work
    assert git_commit(repo.work, repo.env) == repo.b
    assert source_date_epoch(repo.work / "pkg", repo.env) == DATES["b"]


def test_credentials_never_reach_the_log_or_the_error(repo: Repo, workdir: Path) -> None:
    # A git+https URL with a token: git cannot reach the host (no network here), and
    # neither the log nor the error holds the token.
    token = "ghp_s3cr3tT0ken"
    reporter = NullReporter(verbose=True)
    spec = f"git+https://x-access-token:{token}@127.0.0.1:9/org/repo.git@main"
    with pytest.raises(SourceError) as info, _open(spec, repo, workdir, reporter):
        pytest.fail("must not get here")
    assert reporter.lines  # the command was shown, redacted
    text = "\n".join([*reporter.lines, str(info.value), *info.value.details])
    assert token not in text
    assert "***" in text


@pytest.mark.parametrize(
    ("userinfo", "secret_forms"),
    [
        ("deploy:p%40ss%3Aw%2F0rd", ["p@ss:w/0rd", "p%40ss%3Aw%2F0rd"]),
        ("ghp_T0kenAsTheUserName", ["ghp_T0kenAsTheUserName"]),
        ("x:ghp_tok%2Ben", ["ghp_tok+en", "ghp_tok%2Ben", "ghp_tok%2ben"]),
    ],
)
def test_encoded_credentials_never_reach_the_log_or_the_error(
    repo: Repo, workdir: Path, userinfo: str, secret_forms: list[str]
) -> None:
    reporter = NullReporter(verbose=True)
    spec = f"git+https://{userinfo}@127.0.0.1:9/org/repo.git@main"
    with pytest.raises(SourceError) as info, _open(spec, repo, workdir, reporter):
        pytest.fail("must not get here")
    text = "\n".join([*reporter.lines, str(info.value), *info.value.details])
    assert "127.0.0.1:9" in text
    for form in secret_forms:
        assert form not in text


def test_unencrypted_git_warns(repo: Repo, tmp_path: Path) -> None:
    # git:// to a closed port on a non-loopback address fails fast; the warning came first.
    reporter = NullReporter()
    with pytest.raises(SourceError), open_source(
        "git+git://0.0.0.0:9/repo.git", reporter=reporter, environ=repo.env,
        cwd=tmp_path, workdir=tmp_path / "w",
    ):
        pytest.fail("must not get here")
    assert any("without TLS" in a.message for a in reporter.annotations)
    assert list((tmp_path / "w").iterdir()) == []
