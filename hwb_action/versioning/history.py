"""One reading of the history for every package of a workspace (``hwb version --all``).

Planning each package on its own costs one ``git log -- DIR`` per package, each a full pass
of tree diffs.  Here ONE ``git log --name-only`` since the packages' common base gives every
commit with its parents and changed files; each package's range (its base tag..HEAD) comes
from a walk of the parents in memory, and "touches the package" from the file names.
Repository facts (top level, tags, HEAD) are read once for all packages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwb_action.ci import Reporter
from hwb_action.git import Git, RawCommit, RepoInfo

_HEADER = re.compile(r"^\x01(?P<sha>[0-9a-f]{40}|[0-9a-f]{64})(?P<parents>(?: [0-9a-f]+)*)$")


@dataclass(frozen=True, kw_only=True)
class LoggedCommit:
    sha: str
    parents: tuple[str, ...]
    message: str
    files: tuple[str, ...]


@dataclass(kw_only=True)
class SharedHistory:
    """What the packages share: repository facts, and the history since ``since``."""

    since: str | None  # None: the whole history
    info: RepoInfo | None = None
    tags: dict[bool, list[str]] = field(default_factory=dict)
    head: str | None = None
    targets: dict[str, str | None] = field(default_factory=dict)
    commits: list[LoggedCommit] | None = None
    by_sha: dict[str, LoggedCommit] = field(default_factory=dict)

    def load(self, git: Git) -> list[LoggedCommit]:
        if self.commits is None:
            rev = [f"{self.since}..HEAD"] if self.since else ["HEAD"]
            # diff.relative=false: file names from the top level, wherever git runs.
            done = git.run("-c", "log.showSignature=false", "-c", "diff.relative=false",
                           "log", "-z", "--name-only",
                           "--no-color", "--format=%x01%H %P%x00%B", *rev, "--")
            self.commits = parse_log(done.stdout)
            self.by_sha = {c.sha: c for c in self.commits}
        return self.commits


def parse_log(text: str) -> list[LoggedCommit]:
    """``\\x01SHA PARENTS\\0MESSAGE\\0\\nFILE\\0FILE\\0...`` records, newest first."""
    commits: list[LoggedCommit] = []
    tokens = text.split("\0")
    i = 0
    while i < len(tokens):
        match = _HEADER.match(tokens[i].lstrip("\n"))
        if match is None:
            i += 1
            continue
        message = tokens[i + 1] if i + 1 < len(tokens) else ""
        files: list[str] = []
        j = i + 2
        while j < len(tokens) and not tokens[j].lstrip("\n").startswith("\x01"):
            name = tokens[j].lstrip("\n")
            if name:
                files.append(name)
            j += 1
        commits.append(LoggedCommit(sha=match.group("sha"),
                                    parents=tuple(match.group("parents").split()),
                                    message=message, files=tuple(files)))
        i = j
    return commits


class SharedGit(Git):
    """A :class:`Git` for one package of a workspace that answers from :class:`SharedHistory`.

    ``log`` is served from memory for ``paths`` (the pathspecs that mean: the package's own
    directory ``prefix``, relative to the top level, minus nested packages ``excluded``);
    any other pathspecs, and all of them when ``paths`` is None, go to git.
    """

    def __init__(self, cwd: Path, *, environ: Mapping[str, str], reporter: Reporter | None,
                 shared: SharedHistory, prefix: str, excluded: Sequence[str],
                 paths: Sequence[str] | None) -> None:
        super().__init__(cwd, environ=environ, reporter=reporter)
        self.shared = shared
        self.prefix = prefix.strip("/")
        self.excluded = tuple(e.strip("/") + "/" for e in excluded)
        self.own_paths = tuple(paths) if paths is not None else None

    def info(self) -> RepoInfo:
        if self.shared.info is None:
            self.shared.info = super().info()
        return self.shared.info

    def tags(self, *, merged: bool) -> list[str]:
        if merged not in self.shared.tags:
            self.shared.tags[merged] = super().tags(merged=merged)
        return self.shared.tags[merged]

    def head_sha(self) -> str:
        if self.shared.head is None:
            self.shared.head = super().head_sha()
        return self.shared.head

    def tag_target(self, tag: str) -> str | None:
        if tag not in self.shared.targets:
            self.shared.targets[tag] = super().tag_target(tag)
        return self.shared.targets[tag]

    def _touches(self, files: Sequence[str]) -> bool:
        inside = [f for f in files if not self.prefix or f.startswith(self.prefix + "/")]
        return any(not f.startswith(self.excluded) for f in inside)

    def log(self, since: str | None, paths: Sequence[str]) -> list[RawCommit]:
        if self.own_paths is None or tuple(paths) != self.own_paths:
            return super().log(since, paths)
        commits = self.shared.load(self)
        released: set[str] = set()
        if since is not None:
            start = self.tag_target(since.removeprefix("refs/tags/"))
            # Everything reachable from the base tag is released; walk its parents.
            stack = [start] if start is not None else []
            while stack:
                sha = stack.pop()
                if sha in released or sha not in self.shared.by_sha:
                    continue
                released.add(sha)
                stack.extend(self.shared.by_sha[sha].parents)
        return [RawCommit(sha=c.sha, message=c.message) for c in commits
                if len(c.parents) <= 1 and c.sha not in released and self._touches(c.files)]

    def rev_list(self, since: str, paths: Sequence[str]) -> set[str]:
        return {c.sha for c in self.log(since, paths)}
