"""SOURCE: a project directory, a git URL, or an sdist/tarball, turned into a local tree.

Accepted forms (also in :data:`ACCEPTED_FORMS`, which every usage error shows):

* a project directory holding ``pyproject.toml``, ``setup.py`` or ``setup.cfg``
  (``DIR#subdirectory=SUB`` selects a project inside it);
* git: ``git+https://host/org/repo.git@REF#subdirectory=DIR`` (also ``git+ssh://``,
  ``git+file://``, ``git+http://``, ``git+git://``), scp-like ``git@host:org/repo.git@REF``,
  and ``https://host/org/repo.git@REF``; REF is a branch, a tag or a commit hash;
* an sdist or tarball (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``, ``.tar``, ``.zip``),
  a local path or an https URL, optionally ``#sha256=HEX`` to check it.

:func:`open_source` is a context manager: clones and downloads live in a temporary
directory that is removed when the block ends, however it ends.  Nothing in SOURCE may
smuggle options to git (``-`` at the start of a URL, REF or subdirectory is refused), and a
subdirectory may not leave the tree.  Credentials in a URL are masked in the reporter and
shown as ``***`` everywhere (:attr:`ResolvedSource.spec`).

The package: :mod:`.spec` parses SOURCE, :mod:`.clone` clones git sources (through the
one git module, :mod:`hwb_action.git`), :mod:`.download` fetches archives and
:mod:`.archive` extracts them safely.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from hwb_action import git as _git
from hwb_action._text import human_size
from hwb_action._urls import http_allowed, is_loopback, redact_url
from hwb_action.ci import Reporter
from hwb_action.errors import SourceError, UsageError
from hwb_action.source.archive import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RATIO,
    safe_extract,
)
from hwb_action.source.clone import GitClone
from hwb_action.source.download import DEFAULT_MAX_DOWNLOAD, download
from hwb_action.source.spec import (
    ACCEPTED_FORMS,
    PROJECT_FILES,
    ResolvedSource,
    SourceKind,
    SourceSpec,
    is_symlink_loop,
    parse_source,
    symlink_loop_error,
)
from hwb_action.source.vcsversion import shallow_checkout_problem, vcs_version_tool

__all__ = [
    "ACCEPTED_FORMS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DOWNLOAD",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RATIO",
    "PROJECT_FILES",
    "ResolvedSource",
    "SourceKind",
    "SourceSpec",
    "git_commit",
    "open_source",
    "parse_source",
    "redact_url",
    "safe_extract",
    "source_date_epoch",
]


def _project_dir(root: Path, sub: str | None, *, shown: str) -> Path:
    """``root/sub``, checked to stay inside ``root`` and to hold a Python project."""
    path = root.joinpath(*sub.split("/")) if sub else root
    if not path.is_dir():
        if sub:
            msg = f"subdirectory {sub!r} not found in {shown}"
            raise UsageError(msg, hint="check #subdirectory= in SOURCE (a path relative to "
                                       "the repository root)")
        if is_symlink_loop(path):
            raise symlink_loop_error(path, "source directory")
        if path.exists():
            msg = f"{path} is not a directory"
        else:
            msg = f"source directory {path} does not exist"
        raise UsageError(msg, hint=ACCEPTED_FORMS)
    if sub and not path.resolve().is_relative_to(root.resolve()):
        msg = f"subdirectory {sub!r} of {shown} leads outside the repository (a symlink?)"
        raise UsageError(msg, hint="give the real directory of the project")
    if not any((path / name).is_file() for name in PROJECT_FILES):
        msg = f"{path} has no pyproject.toml, setup.py or setup.cfg: not a Python project"
        raise UsageError(msg, hint="point SOURCE at the project's root directory"
                                   + (" (or fix #subdirectory=)" if sub else ""))
    return path


def _rmtree(path: Path) -> None:
    # Git makes its object files read-only; on Windows they must be made writable first.
    def retry(func: Callable[..., Any], name: str, *_: Any) -> None:
        os.chmod(name, stat.S_IWRITE)
        func(name)

    if not path.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)


def git_commit(path: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The full commit hash of HEAD when ``path`` is inside a git work tree, else None
    (``environ`` defaults to this process's environment)."""
    return _git.git_commit(path, os.environ if environ is None else environ)


def source_date_epoch(path: Path, environ: Mapping[str, str]) -> int | None:
    """``SOURCE_DATE_EPOCH`` for reproducible builds.

    The variable from ``environ`` when it is set (it must then be a non-negative integer);
    else the committer time of HEAD when ``path`` is inside a git work tree; else None.
    """
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        if not value.isdigit():
            msg = f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds"
            raise UsageError(msg, hint="set it to a Unix time, e.g. $(git log -1 --format=%ct)")
        return int(value)
    return _git.git_commit_time(path, environ)


@contextlib.contextmanager
def open_source(
    spec: str,
    *,
    reporter: Reporter,
    environ: Mapping[str, str],
    cwd: Path,
    workdir: Path | None = None,
    allow_http: bool = False,
    max_download: int = DEFAULT_MAX_DOWNLOAD,
) -> Iterator[ResolvedSource]:
    """Make SOURCE local for the duration of the ``with`` block.

    Clones and downloads go to a fresh temporary directory (under ``workdir`` when
    given) that is removed on exit, also on exceptions and KeyboardInterrupt.  A local
    directory or archive is used in place.  ``allow_http`` permits plain-http downloads
    from hosts other than localhost.
    """
    parsed = parse_source(spec, cwd=cwd)
    for secret in parsed.secrets:
        reporter.mask(secret)
    if parsed.kind == "directory":
        yield _local_directory(parsed, reporter=reporter, environ=environ)
        return
    if parsed.kind == "archive":
        yield _local_archive(parsed, reporter=reporter)
        return
    if parsed.kind == "archive-url" and not http_allowed(parsed.location, allow_http):
        msg = f"refusing to download {parsed.shown} over plain http"
        raise UsageError(msg, hint="use an https:// URL (plain http is allowed only for "
                                   "localhost and 127.0.0.1)")
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix="hwb-source-", dir=workdir))
    try:
        if parsed.kind == "git":
            yield _clone(parsed, temp, reporter=reporter, environ=environ)
        else:
            reporter.info(f"source: downloading {parsed.shown}")
            archive = download(parsed.location, temp, environ=environ, allow_http=allow_http,
                               max_bytes=max_download, sha256=parsed.sha256)
            reporter.info(f"source: {archive.name}, {human_size(archive.stat().st_size)}, "
                          f"sha256 {_sha256(archive)}")
            yield ResolvedSource(path=archive, kind="sdist", spec=parsed.shown)
    finally:
        _rmtree(temp)


def _local_directory(parsed: SourceSpec, *, reporter: Reporter,
                     environ: Mapping[str, str]) -> ResolvedSource:
    root = Path(parsed.location)
    path = _project_dir(root, parsed.subdirectory, shown=str(root))
    commit = _git.git_commit(path, environ)
    checkout = _git.git_toplevel(path, environ) if commit else None
    reporter.debug(f"source: directory {path}" + (f" at commit {commit}" if commit else ""))
    problem = shallow_checkout_problem(path, environ) if commit else None
    if problem is not None:
        reporter.warning(problem + "; fetch the whole history first (actions/checkout "
                         "with fetch-depth: 0, GitLab GIT_DEPTH: 0, or git fetch "
                         "--unshallow --tags)")
    return ResolvedSource(path=path, kind="directory", spec=parsed.shown, commit=commit,
                          checkout=checkout)


def _local_archive(parsed: SourceSpec, *, reporter: Reporter) -> ResolvedSource:
    archive = Path(parsed.location)
    if is_symlink_loop(archive):
        raise symlink_loop_error(archive, "sdist")
    if not archive.is_file():
        msg = f"sdist {archive} does not exist"
        raise UsageError(msg, hint=ACCEPTED_FORMS)
    if parsed.sha256 is not None:
        _verify_sha256(archive, parsed.sha256)
    reporter.debug(f"source: sdist {archive}")
    return ResolvedSource(path=archive, kind="sdist", spec=parsed.shown)


def _clone(parsed: SourceSpec, temp: Path, *, reporter: Reporter,
           environ: Mapping[str, str]) -> ResolvedSource:
    """Clone into ``temp``, with the history the project's version tool needs."""
    scheme = urllib.parse.urlsplit(parsed.location).scheme
    if scheme in ("http", "git") and not is_loopback(
        urllib.parse.urlsplit(parsed.location).hostname
    ):
        reporter.warning(f"{parsed.shown} is fetched without TLS; pin a full commit "
                         "hash (@SHA) so that what is built is what you reviewed")
    checkout = temp / "checkout"
    with reporter.group(f"git clone {parsed.shown}"):
        clone = GitClone(
            parsed.location, shown=redact_url(parsed.location), dest=checkout,
            reporter=reporter,
            environ=environ, file_url=parsed.file_url,
        )
        commit = clone.clone(parsed.ref)
        path = _project_dir(checkout, parsed.subdirectory, shown=parsed.shown)
        tool = vcs_version_tool(path)
        if tool is not None:
            clone.fetch_version_history(tool)
    reporter.info(f"source: {parsed.shown} at commit {commit}")
    return ResolvedSource(path=path, kind="git", spec=parsed.shown, commit=commit,
                          ref=parsed.ref, checkout=checkout)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _verify_sha256(archive: Path, expected: str) -> None:
    actual = _sha256(archive)
    if actual != expected.lower():
        msg = f"{archive} has sha256 {actual}, not the {expected} given in SOURCE"
        raise SourceError(msg, hint="the file changed or was tampered with")
