"""Shallow clones of a branch, tag or commit for a git SOURCE.

Every command goes through :func:`hwb_action.git.run_git` (its environment, transport,
timeout and redaction policy); this module adds ``-c protocol.file.allow=always`` only
when SOURCE itself is a file URL (git otherwise refuses the file transport for its
submodules since CVE-2022-39253), and refuses a URL or REF that git could read as an
option before any process starts.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from hwb_action._urls import url_secrets
from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError, SourceError
from hwb_action.git import FULL_SHA, SHORT_SHA, check_value, run_git

_QUIET = ("-c", "advice.detachedHead=false")


def _git_failed(err: ProcessError, what: str, hint: str) -> SourceError:
    if err.returncode == 127:
        msg = "git is not installed or not on PATH"
        return SourceError(msg, hint="install git (apt-get install git, or git-scm.com)")
    if getattr(err, "timed_out", False):  # the git policy's hint names the setting
        hint = err.hint or hint
    return SourceError(what + ": " + err.message, hint=hint, details=err.details)


class GitClone:
    """One clone of ``url`` (which may hold credentials: ``shown`` is the printable form)."""

    def __init__(
        self,
        url: str,
        *,
        shown: str,
        dest: Path,
        reporter: Reporter,
        environ: Mapping[str, str],
        file_url: bool,
    ) -> None:
        self.url = check_value(url, "git URL")
        self.shown = shown
        self.dest = dest
        self.reporter = reporter
        self.environ = environ
        self.secrets = tuple(url_secrets(url))
        self.config: tuple[str, ...] = _QUIET + (
            ("-c", "protocol.file.allow=always") if file_url else ()
        )

    def _git(self, *args: str, cwd: Path | None = None, what: str) -> str:
        return run_git(args, environ=self.environ, cwd=cwd, reporter=self.reporter,
                       what=what, config=self.config, secrets=self.secrets).stdout

    def _reset_dest(self) -> None:
        if self.dest.exists():
            shutil.rmtree(self.dest)

    def clone(self, ref: str | None) -> str:
        """Check out ``ref`` (branch, tag, commit hash, ``refs/...``, or the default branch)
        into ``dest``; returns the full commit hash of HEAD."""
        if ref is not None:
            check_value(ref, "REF")
        try:
            if ref is None:
                self._shallow_clone(None)
            elif FULL_SHA.match(ref) or ref.startswith("refs/"):
                self._fetch_one(ref)
            else:
                self._clone_named(ref)
            if (self.dest / ".gitmodules").is_file():
                self._git("submodule", "update", "--init", "--recursive", cwd=self.dest,
                          what="git submodule update")
            return self._git("rev-parse", "--verify", "HEAD", cwd=self.dest,
                             what="git rev-parse").strip()
        except ProcessError as err:
            raise _git_failed(
                err, f"git could not fetch {self.shown}",
                "check the URL and that this machine can reach it and is allowed to read it "
                "(for private repositories: credentials in the URL, an ssh key, or a git "
                "credential helper)",
            ) from err

    def fetch_version_history(self, tool: str) -> None:
        """Fetch the history and tags that ``tool`` derives the version from, when the clone
        is shallow: the commits from HEAD back and the tags, without trees or file contents
        (``--filter=tree:0``: ``git describe`` walks commits only; a server that does not
        filter sends them all).  Fails rather than let a wrong version be built."""
        try:
            shallow = self._git("rev-parse", "--is-shallow-repository", cwd=self.dest,
                                what="git rev-parse").strip() == "true"
            if not shallow:
                return
            head = self._git("rev-parse", "--verify", "HEAD", cwd=self.dest,
                             what="git rev-parse").strip()
            self.reporter.info(f"{tool} derives the version from git: fetching the history "
                               "and tags of the commit")
            base = ("fetch", "--quiet", "--unshallow", "--tags", "--filter=tree:0", "--",
                    "origin")
            try:
                self._git(*base, head, cwd=self.dest, what="git fetch")
            except ProcessError:
                # A server that refuses a commit by hash (protocol v0): the branches then.
                self._git(*base, cwd=self.dest, what="git fetch")
            still = self._git("rev-parse", "--is-shallow-repository", cwd=self.dest,
                              what="git rev-parse").strip()
        except ProcessError as err:
            raise _git_failed(
                err, f"{tool} derives the version from git, but the history and tags of "
                f"{self.shown} could not be fetched",
                "without them the version would be wrong (0.1.dev1); check that the "
                "repository is reachable, or set the version yourself "
                "(SETUPTOOLS_SCM_PRETEND_VERSION=X.Y.Z)",
            ) from err
        if still == "true":
            msg = (f"{tool} derives the version from git, but the clone of {self.shown} is "
                   "still shallow after fetching its history")
            raise SourceError(msg, hint="set the version yourself "
                                        "(SETUPTOOLS_SCM_PRETEND_VERSION=X.Y.Z), or build "
                                        "from a full clone (a directory SOURCE)")

    def _shallow_clone(self, branch: str | None) -> None:
        self._reset_dest()
        args = ["clone", "--quiet", "--depth", "1"]
        if branch is not None:
            args += ["--branch", branch]
        self._git(*args, "--", self.url, str(self.dest), what="git clone")

    def _clone_named(self, ref: str) -> None:
        try:
            self._shallow_clone(ref)
            return
        except ProcessError as err:
            names = self._remote_names()
            if names is None or ref in names:
                raise  # unreachable, or it failed for a reason other than the name
            if not SHORT_SHA.match(ref):
                msg = f"ref {ref!r} is neither a branch nor a tag of {self.shown}"
                raise SourceError(
                    msg, hint="check the spelling after '@' in SOURCE, or give a full commit "
                              "hash", details=err.details,
                ) from err
        # An abbreviated commit hash cannot be fetched by itself: clone it all.
        self._full_clone_at(ref)

    def _remote_names(self) -> set[str] | None:
        """Branch and tag names of the remote, or None when it cannot be listed."""
        try:
            out = self._git("ls-remote", "--", self.url, what="git ls-remote")
        except ProcessError:
            return None
        names: set[str] = set()
        for line in out.splitlines():
            _, _, refname = line.partition("\t")
            refname = refname.removesuffix("^{}")
            for prefix in ("refs/heads/", "refs/tags/"):
                if refname.startswith(prefix):
                    names.add(refname[len(prefix):])
        return names

    def _fetch_one(self, ref: str) -> None:
        self._reset_dest()
        self.dest.mkdir(parents=True)
        self._git("init", "--quiet", cwd=self.dest, what="git init")
        self._git("remote", "add", "--", "origin", self.url, cwd=self.dest,
                  what="git remote add")
        try:
            self._git("fetch", "--quiet", "--depth", "1", "--", "origin", ref, cwd=self.dest,
                      what="git fetch")
        except ProcessError:
            # Servers that do not allow fetching an unadvertised commit refuse this;
            # a full clone finds it if it exists at all.
            self.reporter.debug(f"{self.shown}: fetching {ref} alone was refused; "
                                "cloning the whole repository")
            self._full_clone_at(ref)
            return
        self._git("checkout", "--quiet", "--detach", "FETCH_HEAD", cwd=self.dest,
                  what="git checkout")

    def _full_clone_at(self, ref: str) -> None:
        self._reset_dest()
        self._git("clone", "--quiet", "--no-checkout", "--", self.url, str(self.dest),
                  what="git clone")
        try:
            sha = self._git("rev-parse", "--verify", "--quiet", "--end-of-options",
                            ref + "^{commit}", cwd=self.dest, what="git rev-parse").strip()
        except ProcessError as err:
            msg = f"commit {ref!r} not found in {self.shown}"
            raise SourceError(
                msg, hint="check the hash after '@' in SOURCE (was the commit pushed?)",
            ) from err
        self._git("checkout", "--quiet", "--detach", sha, cwd=self.dest, what="git checkout")
