"""The few git operations a release needs, each one ``git`` process through ``_process.run``.

Reading is cheap on purpose: the commits since the last tag come from ONE ``git log`` call
with a NUL-separated format, so 20,000 commits cost one process and one split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb_action._process import Completed, run
from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError, UsageError, VersioningError

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")  # SHA-1 or SHA-256
_IDENTITY_HINT = (
    "git needs an identity to commit and tag: set user.name and user.email "
    "(git config user.name ...; in GitHub Actions e.g. github-actions[bot])"
)


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
    """``git`` in one directory, with the caller's environment."""

    def __init__(
        self, cwd: Path, *, environ: Mapping[str, str], reporter: Reporter | None = None
    ) -> None:
        self.cwd = cwd
        self.reporter = reporter
        # Never wait for a password prompt in CI; keep the caller's identity variables.
        self.env = {**environ, "GIT_TERMINAL_PROMPT": "0"}

    def run(self, *args: str, check: bool = True, hint: str | None = None) -> Completed:
        try:
            return run(["git", *args], cwd=self.cwd, env=self.env, reporter=self.reporter,
                       check=check, what=f"git {args[0]}", hint=hint)
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
        rev = f"{since}..HEAD" if since else "HEAD"
        done = self.run("-c", "log.showSignature=false", "log", "-z", "--no-merges",
                        "--no-color", "--format=%H%x00%B", rev, "--", *paths)
        fields = done.stdout.split("\0")
        if fields and not fields[-1]:
            fields.pop()
        shas, messages = fields[0::2], fields[1::2]
        if len(shas) == len(messages) and all(len(s) in (40, 64) for s in shas):
            # The usual case: nothing but sha\0message\0 pairs.
            return [RawCommit(sha=s, message=m) for s, m in zip(shas, messages, strict=True)
                    if _SHA.match(s)]
        commits: list[RawCommit] = []
        # Something else got in (a warning on the merged stderr): resynchronise on shas.
        i = 0
        while i + 1 < len(fields):
            sha = fields[i].strip()
            if _SHA.match(sha):
                commits.append(RawCommit(sha=sha, message=fields[i + 1]))
                i += 2
            else:
                i += 1
        return commits

    def rev_list(self, since: str, paths: Sequence[str]) -> set[str]:
        """Shas of the non-merge commits in ``since..HEAD`` touching ``paths``."""
        done = self.run("rev-list", "--no-merges", f"{since}..HEAD", "--", *paths)
        return {s for s in done.stdout.split() if _SHA.match(s)}

    def dirty(self) -> list[str]:
        """Tracked files with uncommitted changes (untracked files do not count)."""
        done = self.run("status", "--porcelain", "--untracked-files=no")
        return [line for line in done.stdout.splitlines() if line.strip()]

    def remote_url(self, remote: str) -> str | None:
        done = self.run("config", "--get", f"remote.{remote}.url", check=False)
        url = done.stdout.strip()
        return url if done.returncode == 0 and url else None

    def add(self, paths: Sequence[Path]) -> None:
        self.run("add", "--", *[str(p) for p in paths])

    def commit(self, message: str, paths: Sequence[Path]) -> None:
        # Only our files: whatever else is staged stays out of the release commit.
        self.run("commit", "--no-verify", "-m", message, "--", *[str(p) for p in paths],
                 hint=_IDENTITY_HINT)

    def tag(self, name: str, message: str) -> None:
        self.run("tag", "-a", name, "-m", message, hint=_IDENTITY_HINT)

    def push(self, remote: str, refs: Sequence[str]) -> None:
        self.run("push", "--atomic", remote, *refs,
                 hint=f"check that the remote {remote!r} exists and that this job may push "
                      "(GitHub Actions: permissions: contents: write)")

    # -- added for atomic releases, reverts and re-runs (additive) ---------------------------
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
        self.run("tag", "-d", name)

    def ls_files(self, pattern: str) -> list[str]:
        """Tracked files under ``cwd`` whose path matches ``pattern`` (git's wildmatch, where
        ``*`` also matches ``/``), relative to ``cwd``."""
        done = self.run("ls-files", "-z", "--", pattern)
        return [p for p in done.stdout.split("\0") if p]
