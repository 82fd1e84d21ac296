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
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hwb_action._source_archive import (
    ARCHIVE_SUFFIXES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RATIO,
    archive_format,
    safe_extract,
)
from hwb_action._source_fetch import (
    DEFAULT_MAX_DOWNLOAD,
    download,
    http_allowed,
    is_loopback,
    redact_url,
    url_secrets,
)
from hwb_action._source_git import GitClone, git_commit_time, git_toplevel
from hwb_action._source_git import git_commit as _git_commit
from hwb_action.ci import Reporter
from hwb_action.errors import SourceError, UsageError

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

SourceKind = Literal["directory", "git", "sdist"]
SpecKind = Literal["directory", "git", "archive", "archive-url"]

PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")

ACCEPTED_FORMS = """accepted SOURCE forms:
  DIR                                   a project directory (pyproject.toml, setup.py or setup.cfg)
  git+https://host/org/repo.git[@REF][#subdirectory=DIR]   also git+ssh://, git+file://
  git@host:org/repo.git[@REF][#subdirectory=DIR]
  https://host/org/repo.git[@REF][#subdirectory=DIR]
  FILE or https://host/FILE[#sha256=HEX]
                                        an sdist or tarball: .tar.gz .tgz .tar.bz2 .tar.xz .tar .zip
REF is a branch, a tag or a commit hash."""

_GIT_SCHEMES = ("https", "http", "ssh", "file", "git")
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[^@/:\s]+):(?P<path>\S+)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters git forbids in ref names (git check-ref-format), plus whitespace.
_BAD_REF = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//|\.lock$|^/|/$|\.$")


@dataclass(frozen=True, kw_only=True)
class ResolvedSource:
    """A SOURCE made local.

    ``path`` is the project directory (after ``#subdirectory=``) for directory and git
    sources, and the archive file for an sdist.  ``checkout`` is the root of the git work
    tree (for a git source, and for a local directory inside a git work tree).
    """

    path: Path
    kind: SourceKind
    spec: str
    commit: str | None = None
    ref: str | None = None
    checkout: Path | None = None


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """SOURCE parsed, before anything is fetched (no process started, no network)."""

    kind: SpecKind
    location: str
    """A path (directory, archive) or the URL to fetch (with its credentials)."""
    shown: str
    """SOURCE with any credentials replaced by ``***``."""
    ref: str | None = None
    subdirectory: str | None = None
    sha256: str | None = None
    file_url: bool = False
    secrets: tuple[str, ...] = ()


def _usage(message: str, hint: str = ACCEPTED_FORMS) -> UsageError:
    return UsageError(message, hint=hint)


def _check_ref(ref: str, shown: str) -> str:
    if not ref:
        raise _usage(f"SOURCE {shown!r} has an empty REF after '@'")
    if ref.startswith("-"):
        raise _usage(f"REF {ref!r} in SOURCE starts with '-': refused (it would reach git as "
                     "an option)")
    if _CONTROL.search(ref) or _BAD_REF.search(ref):
        raise _usage(f"REF {ref!r} in SOURCE is not a valid branch, tag or commit name")
    return ref


def _check_subdirectory(sub: str) -> str | None:
    if sub.startswith("-"):
        raise _usage(f"subdirectory {sub!r} starts with '-': refused")
    if _CONTROL.search(sub):
        raise _usage(f"subdirectory {sub!r} holds control characters")
    norm = sub.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise _usage(f"subdirectory {sub!r} is absolute; give a path inside the repository")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _usage(f"subdirectory {sub!r} has a '..' component; it must stay inside the "
                     "repository")
    return "/".join(parts) or None


def _fragment(frag: str, shown: str) -> tuple[str | None, str | None]:
    """``subdirectory`` and ``sha256`` from a ``#key=value&...`` fragment."""
    if not frag:
        return None, None
    try:
        pairs = urllib.parse.parse_qsl(frag, keep_blank_values=True, strict_parsing=True)
    except ValueError as err:
        raise _usage(f"cannot read the fragment #{frag} of SOURCE {shown!r}") from err
    found: dict[str, str] = {}
    for key, value in pairs:
        if key not in ("subdirectory", "sha256", "egg"):
            raise _usage(f"unknown key {key!r} after '#' in SOURCE {shown!r}",
                         "the fragment takes subdirectory=DIR (git, directory) or "
                         "sha256=HEX (archives)\n" + ACCEPTED_FORMS)
        if key in found:
            raise _usage(f"{key} is given twice in SOURCE {shown!r}")
        found[key] = value
    sub = _check_subdirectory(found["subdirectory"]) if "subdirectory" in found else None
    sha = found.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
        raise _usage(f"sha256 {sha!r} in SOURCE is not 64 hex digits")
    return sub, sha


def _split_ref(path: str, shown: str) -> tuple[str, str | None]:
    if "@" not in path:
        return path, None
    path, ref = path.rsplit("@", 1)
    return path, _check_ref(ref, shown)


def _git_url_spec(url: str, frag: str, *, shown: str) -> SourceSpec:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _GIT_SCHEMES:
        raise _usage(f"git over {scheme!r} is not supported in SOURCE {shown!r}")
    host = parts.hostname or ""
    if host.startswith("-") or (parts.username or "").startswith("-"):
        raise _usage(f"the host of SOURCE {shown!r} starts with '-': refused")
    if scheme != "file" and not host:
        raise _usage(f"SOURCE {shown!r} has no host")
    if scheme == "file" and host not in ("", "localhost"):
        raise _usage(f"file URL {shown!r} names a host; use git+file:///absolute/path")
    path, ref = _split_ref(parts.path, shown)
    if not path.strip("/"):
        raise _usage(f"SOURCE {shown!r} has no repository path")
    sub, sha = _fragment(frag, shown)
    if sha is not None:
        raise _usage("#sha256= applies to archives, not to git sources; pin a commit with @SHA")
    clean = urllib.parse.urlunsplit(parts._replace(path=path, fragment=""))
    return SourceSpec(kind="git", location=clean, shown=shown, ref=ref, subdirectory=sub,
                      file_url=scheme == "file", secrets=tuple(url_secrets(clean)))


def _local_spec(base: str, frag: str, *, cwd: Path, spec: str) -> SourceSpec:
    path = Path(os.path.expanduser(base))
    path = path if path.is_absolute() else cwd / path
    sub, sha = _fragment(frag, spec)
    if archive_format(path) is not None:
        if sub is not None:
            raise _usage("#subdirectory= applies to directories and git sources, not archives")
        return SourceSpec(kind="archive", location=str(path), shown=spec, sha256=sha)
    if sha is not None:
        raise _usage("#sha256= applies to archive files only")
    if path.is_file():
        raise _usage(f"{path} is a file but not an sdist or tarball (suffix one of "
                     f"{', '.join(ARCHIVE_SUFFIXES)})")
    return SourceSpec(kind="directory", location=str(path), shown=spec, subdirectory=sub)


def parse_source(spec: str, *, cwd: Path) -> SourceSpec:
    """Classify SOURCE and check it for injection, without touching git or the network.

    Raises :class:`UsageError` (exit 2) for a SOURCE that is malformed or unsafe.
    """
    if not spec or not spec.strip():
        raise _usage("SOURCE is empty")
    shown = redact_url(spec) if "://" in spec else spec
    if spec.startswith("-"):
        raise _usage(f"SOURCE {shown!r} starts with '-': refused (it would reach git as an "
                     f"option); write ./{shown} for a directory of that name")
    if _CONTROL.search(spec):
        raise _usage(f"SOURCE {shown!r} holds control characters")
    # An existing path wins over every other reading ('#' and ':' are legal in file names).
    literal = Path(os.path.expanduser(spec))
    if "://" not in spec and (literal if literal.is_absolute() else cwd / literal).exists():
        return _local_spec(spec, "", cwd=cwd, spec=spec)
    base, _, frag = spec.partition("#")
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", base)
    if match:
        scheme = match.group(1).lower()
        if scheme.startswith("git+"):
            return _git_url_spec(base[4:], frag, shown=shown)
        parts = urllib.parse.urlsplit(base)
        if scheme in ("https", "http"):
            if archive_format(parts.path) is not None:
                sub, sha = _fragment(frag, shown)
                if sub is not None:
                    raise _usage("#subdirectory= applies to directories and git sources, "
                                 "not archives")
                return SourceSpec(kind="archive-url", location=base, shown=shown, sha256=sha,
                                  secrets=tuple(url_secrets(base)))
            if _split_ref(parts.path, shown)[0].endswith(".git"):
                return _git_url_spec(base, frag, shown=shown)
            raise _usage(f"the URL {shown!r} names neither a git repository (…/repo.git) nor "
                         "an archive (.tar.gz, .zip, …); for git write git+" + shown)
        if scheme in ("ssh", "git"):
            return _git_url_spec(base, frag, shown=shown)
        if scheme == "file":
            from urllib.request import url2pathname

            local = url2pathname(parts.path)
            if _split_ref(parts.path, shown)[0].endswith(".git"):
                return _git_url_spec(base, frag, shown=shown)
            return _local_spec(local, frag, cwd=cwd, spec=shown)
        raise _usage(f"SOURCE {shown!r} has an unsupported URL scheme {scheme!r}")
    scp = _SCP.match(base)
    if scp and (scp.group("user") or _split_ref(scp.group("path"), shown)[0].endswith(".git")):
        host, user = scp.group("host"), scp.group("user") or ""
        if host.startswith("-") or user.startswith("-"):
            raise _usage(f"the host of SOURCE {shown!r} starts with '-': refused")
        path, ref = _split_ref(scp.group("path"), shown)
        sub, sha = _fragment(frag, shown)
        if sha is not None:
            raise _usage("#sha256= applies to archives, not to git sources")
        location = (user + "@" if user else "") + host + ":" + path
        return SourceSpec(kind="git", location=location, shown=shown, ref=ref,
                          subdirectory=sub)
    return _local_spec(base, frag, cwd=cwd, spec=spec)


def _project_dir(root: Path, sub: str | None, *, shown: str) -> Path:
    """``root/sub``, checked to stay inside ``root`` and to hold a Python project."""
    path = root.joinpath(*sub.split("/")) if sub else root
    if not path.is_dir():
        if sub:
            msg = f"subdirectory {sub!r} not found in {shown}"
            raise UsageError(msg, hint="check #subdirectory= in SOURCE (a path relative to "
                                       "the repository root)")
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
    """The full commit hash of HEAD when ``path`` is inside a git work tree, else None."""
    return _git_commit(path, environ)


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
    return git_commit_time(path, environ)


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
        root = Path(parsed.location)
        path = _project_dir(root, parsed.subdirectory, shown=str(root))
        commit = _git_commit(path, environ)
        checkout = git_toplevel(path, environ) if commit else None
        reporter.debug(f"source: directory {path}" + (f" at commit {commit}" if commit else ""))
        yield ResolvedSource(path=path, kind="directory", spec=parsed.shown, commit=commit,
                             checkout=checkout)
        return
    if parsed.kind == "archive":
        archive = Path(parsed.location)
        if not archive.is_file():
            msg = f"sdist {archive} does not exist"
            raise UsageError(msg, hint=ACCEPTED_FORMS)
        if parsed.sha256 is not None:
            _verify_sha256(archive, parsed.sha256)
        reporter.debug(f"source: sdist {archive}")
        yield ResolvedSource(path=archive, kind="sdist", spec=parsed.shown)
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
            scheme = urllib.parse.urlsplit(parsed.location).scheme
            if scheme in ("http", "git") and not is_loopback(
                urllib.parse.urlsplit(parsed.location).hostname
            ):
                reporter.warning(f"{parsed.shown} is fetched without TLS; pin a full commit "
                                 "hash (@SHA) so that what is built is what you reviewed")
            checkout = temp / "checkout"
            with reporter.group(f"git clone {parsed.shown}"):
                commit = GitClone(
                    parsed.location, shown=redact_url(parsed.location), dest=checkout,
                    reporter=reporter,
                    environ=environ, file_url=parsed.file_url,
                ).clone(parsed.ref)
            path = _project_dir(checkout, parsed.subdirectory, shown=parsed.shown)
            reporter.info(f"source: {parsed.shown} at commit {commit}")
            yield ResolvedSource(path=path, kind="git", spec=parsed.shown, commit=commit,
                                 ref=parsed.ref, checkout=checkout)
        else:
            reporter.info(f"source: downloading {parsed.shown}")
            archive = download(parsed.location, temp, environ=environ, allow_http=allow_http,
                               max_bytes=max_download, sha256=parsed.sha256)
            reporter.info(f"source: {archive.name}, {archive.stat().st_size} bytes, "
                          f"sha256 {_sha256(archive)}")
            yield ResolvedSource(path=archive, kind="sdist", spec=parsed.shown)
    finally:
        _rmtree(temp)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _verify_sha256(archive: Path, expected: str) -> None:
    actual = _sha256(archive)
    if actual != expected.lower():
        msg = f"{archive} has sha256 {actual}, not the {expected} given in SOURCE"
        raise SourceError(msg, hint="the file changed or was tampered with")
