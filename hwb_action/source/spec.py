"""SOURCE parsed and checked, before anything is fetched (no process, no network).

Accepted forms are listed in :data:`ACCEPTED_FORMS`, which every usage error shows.
Nothing in SOURCE may smuggle options or commands to git: a leading ``-`` in a URL, host,
REF or subdirectory is refused, and so are git's remote-helper forms
(``TRANSPORT::ADDRESS``, e.g. ``ext::`` which runs a command).
"""

from __future__ import annotations

import errno
import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hwb_action._urls import redact_url, url_secrets
from hwb_action.errors import UsageError
from hwb_action.source.archive import ARCHIVE_SUFFIXES, archive_format

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


def is_symlink_loop(path: Path) -> bool:
    """True when ``path`` cannot be resolved because its symbolic links form a loop."""
    try:
        os.stat(path)
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def symlink_loop_error(path: Path, what: str) -> UsageError:
    """The error for a SOURCE (or part of it) that is a symlink loop."""
    msg = f"{what} {path} is a symbolic link loop (it leads back to itself)"
    return UsageError(msg, hint="fix or remove the link (ls -l shows where it points), or "
                                "give the real path")


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
    if is_symlink_loop(path):
        raise symlink_loop_error(path, "SOURCE")
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
    _refuse_injection(spec, shown)
    # An existing path wins over every other reading ('#' and ':' are legal in file names).
    literal = Path(os.path.expanduser(spec))
    if "://" not in spec and (literal if literal.is_absolute() else cwd / literal).exists():
        return _local_spec(spec, "", cwd=cwd, spec=spec)
    base, _, frag = spec.partition("#")
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", base)
    if match:
        return _url_spec(base, frag, match.group(1).lower(), cwd=cwd, shown=shown)
    return _scp_spec(base, frag, shown=shown) or _local_spec(base, frag, cwd=cwd, spec=spec)


def _refuse_injection(spec: str, shown: str) -> None:
    if spec.startswith("-"):
        raise _usage(f"SOURCE {shown!r} starts with '-': refused (it would reach git as an "
                     f"option); write ./{shown} for a directory of that name")
    if _CONTROL.search(spec):
        raise _usage(f"SOURCE {shown!r} holds control characters")


def _url_spec(base: str, frag: str, scheme: str, *, cwd: Path, shown: str) -> SourceSpec:
    """SOURCE written as a URL (``scheme://``)."""
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


def _scp_spec(base: str, frag: str, *, shown: str) -> SourceSpec | None:
    """SOURCE as git's scp-like address (``user@host:path``), or ``None`` if it is not one."""
    scp = _SCP.match(base)
    if scp and (scp.group("path").startswith(":") or "::" in base.split("/", 1)[0]):
        raise _usage(f"SOURCE {shown!r} is a git remote-helper address (TRANSPORT::ADDRESS): "
                     "refused, since helpers such as ext:: run commands")
    if not scp or not (scp.group("user")
                       or _split_ref(scp.group("path"), shown)[0].endswith(".git")):
        return None
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
