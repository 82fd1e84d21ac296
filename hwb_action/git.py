"""Every git process hwb starts, under one policy; and the operations a release needs.

The policy, applied by :func:`run_git` to every command (sources and versioning alike):

* **Environment** (:func:`git_env`): the caller's variables without those that point git
  at another repository or inject configuration (``GIT_DIR``, ``GIT_WORK_TREE``,
  ``GIT_INDEX_FILE``, ``GIT_OBJECT_DIRECTORY``, ``GIT_ALTERNATE_OBJECT_DIRECTORIES``,
  ``GIT_COMMON_DIR``, ``GIT_NAMESPACE``, ``GIT_CEILING_DIRECTORIES``, ``GIT_CONFIG``,
  ``GIT_CONFIG_PARAMETERS``, ``GIT_CONFIG_COUNT``/``_KEY_n``/``_VALUE_n``,
  ``GIT_ALLOW_PROTOCOL``, ...), and with ``GIT_TERMINAL_PROMPT=0`` (CI has no one to
  answer a password prompt).  Identity and transport settings (``GIT_AUTHOR_*``,
  ``GIT_SSH_COMMAND``, ``GIT_CONFIG_GLOBAL``) are kept.
* **Transports**: ``protocol.allow=never`` with https, http, ssh and git allowed and
  file allowed only when the user names it (``protocol.file.allow=user``: never for a
  submodule a repository asks for); the remote-helper transports ``ext::`` and ``fd::``
  run commands and are never allowed.
* **No option injection**: every value that reaches a git command line (a remote, a ref,
  a tag, a path, a URL) is refused when it starts with ``-`` (:func:`check_value`), and
  positional values go after ``--`` or ``--end-of-options``.
* **Bounded waits**: each git process may run ``HWB_GIT_TIMEOUT`` seconds (default
  600; read from the environment mapping hwb is handed).
* **No credentials in output**: the command shown and git's own output in errors have
  every URL's user-info and every given secret replaced by ``***``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb_action import _process
from hwb_action._process import Completed
from hwb_action._urls import redact_text, redact_url, url_secrets
from hwb_action._values import env_seconds
from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError, UsageError, VersioningError

DEFAULT_GIT_TIMEOUT = 600.0
TIMEOUT_VARIABLE = "HWB_GIT_TIMEOUT"

FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")  # SHA-1 or SHA-256
SHORT_SHA = re.compile(r"^[0-9a-f]{7,63}$")

# Variables that make git act on another repository or take configuration we did not give.
_DROPPED = frozenset({
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_ALLOW_PROTOCOL",
    "GIT_PROTOCOL_FROM_USER", "GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE", "GIT_QUARANTINE_PATH",
})
_DROPPED_PREFIXES = ("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")

PROTOCOL_POLICY: tuple[str, ...] = (
    "-c", "protocol.allow=never",
    "-c", "protocol.https.allow=always",
    "-c", "protocol.http.allow=always",
    "-c", "protocol.ssh.allow=always",
    "-c", "protocol.git.allow=always",
    "-c", "protocol.file.allow=user",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.fd.allow=never",
)

_IDENTITY_HINT = (
    "git needs an identity to commit and tag: set user.name and user.email "
    "(git config user.name ...; in GitHub Actions e.g. github-actions[bot])"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def git_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for git: ``environ`` without repository pointers or injected
    configuration, never prompting."""
    env = {k: v for k, v in environ.items()
           if k not in _DROPPED and not k.startswith(_DROPPED_PREFIXES)}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def git_timeout(environ: Mapping[str, str]) -> float:
    """Seconds one git process may run: ``HWB_GIT_TIMEOUT`` (default 600)."""
    return env_seconds(environ, TIMEOUT_VARIABLE, DEFAULT_GIT_TIMEOUT)


def check_value(value: str, what: str) -> str:
    """``value`` unchanged, or a UsageError when git could read it as an option (a leading
    ``-``) or it holds control characters; ``what`` names it (``--remote``, ``REF``)."""
    if value.startswith("-"):
        msg = f"{what} {value!r} starts with '-': refused (git would read it as an option)"
        raise UsageError(msg, hint=f"give a real {what}; a name may not start with '-'")
    if _CONTROL.search(value):
        msg = f"{what} {value!r} holds control characters (a newline?): refused"
        raise UsageError(msg, hint=f"give {what} on one line")
    return value


def _redact(text: str, secrets: Iterable[str], reporter: Reporter | None) -> str:
    text = redact_text(text, secrets)
    return reporter.redact(text) if reporter is not None else text


def run_git(
    args: Sequence[str],
    *,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    reporter: Reporter | None = None,
    check: bool = True,
    what: str | None = None,
    hint: str | None = None,
    config: Sequence[str] = (),
    secrets: Iterable[str] = (),
) -> Completed:
    """``git ARGS`` under the policy above; a failure is a :class:`ProcessError` whose
    message and output tail hold no credentials."""
    cmd = ["git", *PROTOCOL_POLICY, *config, *args]
    secrets = tuple(secrets)
    label = what or f"git {args[0]}"
    if reporter is not None:
        reporter.debug(_redact("+ " + shlex.join(["git", *config, *args]), secrets, reporter))
    timeout = git_timeout(environ)
    try:
        return _process.run(cmd, cwd=cwd, env=git_env(environ), check=check, what=label,
                            hint=hint, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        msg = f"{label} did not finish within {timeout:g} seconds"
        raise ProcessError(msg, returncode=124,
                           hint=f"check the network, or raise {TIMEOUT_VARIABLE}") from err
    except ProcessError as err:
        # Redacted in place, so that whatever else the error carries (a timeout flag) stays.
        err.message = _redact(err.message, secrets, reporter)
        err.details = [_redact(t, secrets, reporter) for t in err.details]
        err.args = (err.message,)
        if getattr(err, "timed_out", False):
            err.hint = f"check the network, or raise {TIMEOUT_VARIABLE} (now {timeout:g} s)"
        raise


def _query(path: Path, args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    try:
        out = run_git(["-C", str(path), *args], environ=environ, check=False)
    except ProcessError:  # git is not installed, or timed out
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def git_commit(path: Path, environ: Mapping[str, str]) -> str | None:
    """The full commit hash of HEAD when ``path`` is inside a git work tree, else None."""
    return _query(path, ["rev-parse", "--verify", "--quiet", "HEAD"], environ)


def git_toplevel(path: Path, environ: Mapping[str, str]) -> Path | None:
    """The root of the git work tree holding ``path``, else None."""
    top = _query(path, ["rev-parse", "--show-toplevel"], environ)
    return Path(top) if top else None


def git_commit_time(path: Path, environ: Mapping[str, str]) -> int | None:
    """The committer time (Unix seconds) of HEAD when ``path`` is in a work tree, else None."""
    out = _query(path, ["log", "-1", "--format=%ct", "HEAD"], environ)
    return int(out) if out and out.isdigit() else None


# -- versioning --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RawCommit:
    """A commit as git gives it: the full sha and the raw message."""

    sha: str
    message: str


@dataclass(frozen=True, kw_only=True)
class RepoInfo:
    """Where the work tree starts, whether the clone is shallow (tags may be missing), whether
    HEAD exists."""

    toplevel: Path
    shallow: bool
    has_head: bool


class Git:
    """``git`` in one work tree, for ``hwb version`` and ``hwb release``.

    Reading is cheap on purpose: the commits since the last tag come from ONE ``git log``
    call with a NUL-separated format, so 20,000 commits cost one process and one split.
    """

    def __init__(
        self, cwd: Path, *, environ: Mapping[str, str], reporter: Reporter | None = None
    ) -> None:
        self.cwd = cwd
        self.reporter = reporter
        self.environ = environ

    def run(self, *args: str, check: bool = True, hint: str | None = None,
            config: Sequence[str] = (), secrets: Iterable[str] = ()) -> Completed:
        try:
            return run_git(args, environ=self.environ, cwd=self.cwd, reporter=self.reporter,
                           check=check, what=f"git {args[0]}", hint=hint, config=config,
                           secrets=secrets)
        except ProcessError as err:
            if err.returncode == 127 and "could not start" in err.message:
                msg = "git was not found: hwb version and hwb release need git on PATH"
                raise VersioningError(msg, hint="install git (apt-get install git)") from err
            raise

    def info(self) -> RepoInfo:
        """The work tree's top level; a UsageError when ``cwd`` is not in a git work tree."""
        if not self.cwd.is_dir():
            msg = f"{self.cwd} is not a directory"
            raise UsageError(msg, hint="pass --path with the project directory")
        # One process for the usual case; HEAD fails to resolve only in an empty repository.
        done = self.run("rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD",
                        check=False)
        has_head = done.returncode == 0
        if not has_head:
            done = self.run("rev-parse", "--show-toplevel", "--is-shallow-repository",
                            check=False)
        lines = done.stdout.splitlines()
        if done.returncode != 0 or len(lines) < 2:
            detail = done.stdout.strip().splitlines()
            msg = f"{self.cwd} is not inside a git work tree"
            raise UsageError(
                msg, details=detail[-3:],
                hint="run hwb in a git checkout, or pass --path; in a container, "
                     "`git config --global --add safe.directory DIR` may be needed",
            )
        return RepoInfo(toplevel=Path(lines[0]), shallow=lines[1].strip() == "true",
                        has_head=has_head)

    def tags(self, *, merged: bool) -> list[str]:
        """Tag names; with ``merged`` only those reachable from HEAD."""
        args = ["for-each-ref", "--format=%(refname:strip=2)"]
        if merged:
            args.append("--merged=HEAD")
        done = self.run(*args, "refs/tags")
        return [t for t in done.stdout.splitlines() if t]

    def log(self, since: str | None, paths: Sequence[str]) -> list[RawCommit]:
        """Non-merge commits in ``since..HEAD`` (all of HEAD when ``since`` is None), newest
        first, optionally only those touching ``paths``."""
        rev = f"{check_value(since, 'tag')}..HEAD" if since else "HEAD"
        done = self.run("log", "-z", "--no-merges", "--no-color", "--format=%H%x00%B",
                        "--end-of-options", rev, "--", *_paths(paths),
                        config=("-c", "log.showSignature=false"))
        fields = done.stdout.split("\0")
        if fields and not fields[-1]:
            fields.pop()
        shas, messages = fields[0::2], fields[1::2]
        if len(shas) == len(messages) and all(len(s) in (40, 64) for s in shas):
            # The usual case: nothing but sha\0message\0 pairs.
            return [RawCommit(sha=s, message=m) for s, m in zip(shas, messages, strict=True)
                    if FULL_SHA.match(s)]
        commits: list[RawCommit] = []
        # Something else got in (a warning on the merged stderr): resynchronise on shas.
        i = 0
        while i + 1 < len(fields):
            sha = fields[i].strip()
            if FULL_SHA.match(sha):
                commits.append(RawCommit(sha=sha, message=fields[i + 1]))
                i += 2
            else:
                i += 1
        return commits

    def rev_list(self, since: str, paths: Sequence[str]) -> set[str]:
        """Shas of the non-merge commits in ``since..HEAD`` touching ``paths``."""
        done = self.run("rev-list", "--no-merges", "--end-of-options",
                        f"{check_value(since, 'tag')}..HEAD", "--", *_paths(paths))
        return {s for s in done.stdout.split() if FULL_SHA.match(s)}

    def dirty(self) -> list[str]:
        """Tracked files with uncommitted changes (untracked files do not count)."""
        done = self.run("status", "--porcelain", "--untracked-files=no")
        return [line for line in done.stdout.splitlines() if line.strip()]

    def remote_url(self, remote: str) -> str | None:
        """The URL of ``remote``, or None when there is no such remote."""
        check_value(remote, "--remote")
        done = self.run("config", "--get", f"remote.{remote}.url", check=False)
        url = done.stdout.strip()
        return url if done.returncode == 0 and url else None

    def add(self, paths: Sequence[Path]) -> None:
        self.run("add", "--", *_paths(str(p) for p in paths))

    def commit(self, message: str, paths: Sequence[Path]) -> None:
        # Only our files: whatever else is staged stays out of the release commit.
        self.run("commit", "--no-verify", "-m", message, "--",
                 *_paths(str(p) for p in paths), hint=_IDENTITY_HINT)

    def tag(self, name: str, message: str) -> None:
        self.run("tag", "-a", "-m", message, "--", check_value(name, "tag"),
                 hint=_IDENTITY_HINT)

    def push(self, remote: str, refs: Sequence[str]) -> None:
        check_value(remote, "--remote")
        # A token in the remote's URL (a name, or a URL given as --remote) is hidden
        # wherever git or hwb might print it.
        secrets = url_secrets(remote if "://" in remote else self.remote_url(remote) or "")
        if self.reporter is not None:
            for secret in secrets:
                self.reporter.mask(secret)
        self.run("push", "--atomic", "--", remote, *(check_value(r, "ref") for r in refs),
                 hint=f"check that the remote {redact_url(remote)!r} exists and that this "
                      "job may push (GitHub Actions: permissions: contents: write)",
                 secrets=secrets)

    # -- atomic releases, reverts and re-runs ---------------------------------------------
    def head_sha(self) -> str:
        return self.run("rev-parse", "--verify", "HEAD^{commit}").stdout.strip()

    def tag_target(self, tag: str) -> str | None:
        """The commit a tag points at (None when there is no such tag)."""
        done = self.run("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}",
                        check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def message(self, sha: str) -> str | None:
        """The message of a commit (None when ``sha`` names none)."""
        if not re.fullmatch(r"[0-9a-f]{4,64}", sha):
            return None
        done = self.run("log", "-1", "--no-walk", "--format=%B", sha, "--", check=False)
        return done.stdout if done.returncode == 0 and done.stdout else None

    def full_sha(self, sha: str) -> str | None:
        if not re.fullmatch(r"[0-9a-f]{4,64}", sha):
            return None
        done = self.run("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return done.returncode == 0

    def identity_problem(self) -> str | None:
        """Why git cannot commit or tag here (no user.name/user.email), or None."""
        for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
            done = self.run("var", var, check=False)
            if done.returncode != 0:
                return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else var
        return None

    def write_tree(self) -> str:
        """The index as a tree object: a snapshot to restore with :meth:`read_tree`."""
        return self.run("write-tree").stdout.strip()

    def read_tree(self, tree: str) -> None:
        self.run("read-tree", tree)
        # read-tree drops the cached stat data; refresh it so that status is as before.
        self.run("update-index", "-q", "--refresh", check=False)

    def move_head(self, to: str, expected: str) -> None:
        """Move HEAD's branch back to ``to``, only if it is still at ``expected``."""
        self.run("update-ref", "-m", "hwb release: undo", "HEAD", to, expected)

    def delete_tag(self, name: str) -> None:
        self.run("tag", "-d", "--", check_value(name, "tag"))

    def ls_files(self, pattern: str) -> list[str]:
        """Tracked files under ``cwd`` whose path matches ``pattern`` (git's wildmatch, where
        ``*`` also matches ``/``), relative to ``cwd``."""
        done = self.run("ls-files", "-z", "--", pattern)
        return [p for p in done.stdout.split("\0") if p]


def _paths(paths: Iterable[str]) -> list[str]:
    return [check_value(p, "path") for p in paths]
