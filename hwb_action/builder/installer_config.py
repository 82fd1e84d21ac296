"""The user's package-installer configuration, honoured by whichever installer hwb runs.

A user who configured pip (``PIP_INDEX_URL``, ``PIP_CONSTRAINT``, ``PIP_NO_INDEX``,
``PIP_FIND_LINKS``, ``PIP_CERT``...) or uv (``UV_INDEX_URL``, ``UV_CONSTRAINT``...) expects
the build environments to come from that configuration, whichever of the two hwb uses: uv
reads no ``PIP_*`` variable and pip no ``UV_*`` one, so a private index set for pip would be
passed over for PyPI by uv (and a dead private index "work").  :func:`installer_config`
carries the settings of one over to the other (the installer's own setting wins), as
command-line options for uv and ``PIP_*`` variables for pip.

The same configuration decides what an environment holds, so it is part of the cache key
(:attr:`InstallerConfig.digest`): every setting that changes resolution, with the content of
the files it names (constraint files, configuration files), so that an environment cached
before a constraint was set, or before the constraint file changed, is not reused.
Credentials in index URLs are left out of the digest (rotating a token rebuilds nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}

# Everything that changes what an installer resolves or where from.
KEY_VARIABLES = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT",
    "PIP_PRE", "PIP_ONLY_BINARY", "PIP_NO_BINARY", "PIP_PREFER_BINARY", "PIP_TRUSTED_HOST",
    "PIP_CERT", "PIP_CLIENT_CERT", "PIP_CONFIG_FILE", "PIP_UPLOADED_PRIOR_TO",
    "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_FIND_LINKS",
    "UV_NO_INDEX", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT", "UV_EXCLUDE",
    "UV_PRERELEASE", "UV_RESOLUTION", "UV_EXCLUDE_NEWER", "UV_INDEX_STRATEGY", "UV_NATIVE_TLS",
    "UV_INSECURE_HOST", "UV_NO_BINARY", "UV_NO_BUILD", "UV_ONLY_BINARY", "UV_CONFIG_FILE",
    "UV_NO_CONFIG", "UV_TORCH_BACKEND", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
)
# Variables naming files whose content decides the resolution.
_FILE_VARIABLES = ("PIP_CONSTRAINT", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT",
                   "UV_EXCLUDE", "PIP_CONFIG_FILE", "UV_CONFIG_FILE")


@dataclass(frozen=True)
class InstallerConfig:
    """What an installer runs with: its ``environ``, ``uv_args`` for ``uv pip install``,
    and the ``digest`` of everything that decides what it installs."""

    environ: dict[str, str]
    uv_args: tuple[str, ...]
    digest: str
    indexes: tuple[str, ...]
    """The index URLs in use (credentials removed), for messages."""


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"\s+", value.strip()) if w]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _uv_index_url(value: str) -> str:
    # UV_INDEX entries may be named: NAME=URL.
    name, sep, url = value.partition("=")
    return url if sep and "://" not in name else value


SITE_PIP_FILES = (Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf"))
"""pip's machine-wide configuration files (POSIX), read before the user's."""
_PIP_FILE_KEYS = ("index-url", "extra-index-url", "find-links", "no-index", "constraint",
                  "pre", "trusted-host", "cert")


def pip_file_settings(env: Mapping[str, str]) -> dict[str, str]:
    """pip's configuration files as the ``PIP_*`` variables they amount to, in pip's order
    (site-wide, then the user's, then ``PIP_CONFIG_FILE``; ``[global]`` then ``[install]``),
    for an installer (uv) that does not read them."""
    import configparser

    home = Path(env.get("HOME") or os.path.expanduser("~"))
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    files = [*SITE_PIP_FILES, home / ".pip" / "pip.conf", xdg / "pip" / "pip.conf"]
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return {}  # pip reads no file at all then
    if explicit:
        files.append(Path(explicit))
    found: dict[str, str] = {}
    for path in files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            if not parser.has_section(section):
                continue
            for key in _PIP_FILE_KEYS:
                value = parser.get(section, key, fallback=None)
                if value is not None:
                    found["PIP_" + key.upper().replace("-", "_")] = " ".join(value.split())
    return found


def _pip_to_uv(env: Mapping[str, str]) -> list[str]:
    """pip's settings as ``uv pip install`` options, where uv has none of its own."""
    args: list[str] = []
    if env.get("PIP_INDEX_URL") and not (env.get("UV_INDEX_URL") or env.get("UV_DEFAULT_INDEX")):
        args += ["--index-url", env["PIP_INDEX_URL"].strip()]
    args += _pip_words(env, "PIP_EXTRA_INDEX_URL", "--extra-index-url",
                       "UV_EXTRA_INDEX_URL", "UV_INDEX")
    args += _pip_words(env, "PIP_FIND_LINKS", "--find-links", "UV_FIND_LINKS")
    if _truthy(env.get("PIP_NO_INDEX")) or _truthy(env.get("UV_NO_INDEX")):
        args.append("--no-index")
    args += _pip_words(env, "PIP_CONSTRAINT", "--constraints", "UV_CONSTRAINT")
    if _truthy(env.get("PIP_PRE")) and not env.get("UV_PRERELEASE"):
        args += ["--prerelease", "allow"]
    args += _pip_words(env, "PIP_TRUSTED_HOST", "--allow-insecure-host", "UV_INSECURE_HOST")
    return args


def _pip_words(env: Mapping[str, str], pip_name: str, option: str, *uv_names: str) -> list[str]:
    """``option`` with each word of the pip variable ``pip_name``, unless one of uv's own
    variables ``uv_names`` is set (uv reads those itself)."""
    if not env.get(pip_name) or any(env.get(name) for name in uv_names):
        return []
    return [arg for word in _words(env[pip_name]) for arg in (option, word)]


def _uv_to_pip(env: dict[str, str]) -> None:
    """uv's settings as ``PIP_*`` variables, where pip has none of its own."""
    index = env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL")
    if index:
        env.setdefault("PIP_INDEX_URL", _uv_index_url(index.strip()))
    extra = _words(env.get("UV_EXTRA_INDEX_URL", "")) + [
        _uv_index_url(v) for v in _words(env.get("UV_INDEX", ""))]
    if extra:
        env.setdefault("PIP_EXTRA_INDEX_URL", " ".join(extra))
    if env.get("UV_FIND_LINKS"):
        env.setdefault("PIP_FIND_LINKS", " ".join(
            p.strip() for p in env["UV_FIND_LINKS"].split(",") if p.strip()))
    if _truthy(env.get("UV_NO_INDEX")):
        env.setdefault("PIP_NO_INDEX", "1")
    if env.get("UV_CONSTRAINT"):
        env.setdefault("PIP_CONSTRAINT", env["UV_CONSTRAINT"])
    if env.get("UV_PRERELEASE", "").strip() == "allow":
        env.setdefault("PIP_PRE", "1")
    if env.get("UV_INSECURE_HOST"):
        env.setdefault("PIP_TRUSTED_HOST", env["UV_INSECURE_HOST"])
    if env.get("SSL_CERT_FILE"):
        env.setdefault("PIP_CERT", env["SSL_CERT_FILE"])


def _without_credentials(value: str) -> str:
    def strip(word: str) -> str:
        try:
            parts = urllib.parse.urlsplit(word)
        except ValueError:
            return word
        if parts.scheme and "@" in parts.netloc:
            return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        return word

    return " ".join(strip(w) for w in value.split(" "))


def _file_digest(name: str, cwd: Path) -> str:
    path = Path(name)
    if "://" in name:
        return "url"
    path = path if path.is_absolute() else cwd / path
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _user_config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's and uv's configuration files that apply without a variable naming them."""
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [xdg / "pip" / "pip.conf", home / ".pip" / "pip.conf", *SITE_PIP_FILES,
            xdg / "uv" / "uv.toml", Path("/etc/uv/uv.toml")]


def installer_config(environ: Mapping[str, str], installer: str,
                     cwd: Path | None = None) -> InstallerConfig:
    """The configuration ``installer`` (``uv`` or ``pip``) runs with, from ``environ``
    (already limited to what installers may read)."""
    cwd = cwd or Path.cwd()
    env = dict(environ)
    uv_args: list[str] = []
    if installer == "uv":
        # pip's files count as set, under its variables (which win, as in pip).
        merged = {**pip_file_settings(env), **env}
        uv_args = _pip_to_uv(merged)
        if merged.get("PIP_CERT") and not env.get("SSL_CERT_FILE"):
            env["SSL_CERT_FILE"] = merged["PIP_CERT"]
    elif installer == "pip":
        _uv_to_pip(env)
    settings = {name: _without_credentials(env[name]) for name in KEY_VARIABLES if env.get(name)}
    files: dict[str, str] = {}
    for name in _FILE_VARIABLES:
        for word in _words(env.get(name, "")) if name.endswith("CONSTRAINT") else (
                [env[name]] if env.get(name) else []):
            files[f"{name}:{word}"] = _file_digest(word, cwd)
    for i, arg in enumerate(uv_args[:-1]):
        if arg == "--constraints":
            files[f"--constraints:{uv_args[i + 1]}"] = _file_digest(uv_args[i + 1], cwd)
    for path in _user_config_files(env):
        if path.is_file():
            files[str(path)] = _file_digest(str(path), cwd)
    payload = json.dumps({"installer": installer, "settings": settings,
                          "args": [_without_credentials(a) for a in uv_args], "files": files},
                         sort_keys=True)
    indexes = [v for k, v in settings.items()
               if k in ("PIP_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX")]
    return InstallerConfig(environ=env, uv_args=tuple(uv_args),
                           digest=hashlib.sha256(payload.encode()).hexdigest()[:16],
                           indexes=tuple(indexes))


# How pip and uv say that an index could not be reached (not that a package is missing).
_UNREACHABLE = re.compile(
    r"(Failed to fetch|error sending request|dns error|Connection refused|"
    r"NewConnectionError|Max retries exceeded|Could not fetch URL|ConnectionError|"
    r"Name or service not known|Temporary failure in name resolution|"
    r"tcp connect error|certificate verify failed|invalid peer certificate|"
    r"Network is unreachable|timed out)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s'\"`>)]+")


def unreachable_index(details: list[str]) -> str | None:
    """The index (URL, credentials removed) that an installer's output says it could not
    reach, ``"the package index"`` when it names none, or ``None`` when the failure is
    something else (a missing package, a conflict)."""
    text = "\n".join(details)
    found = _UNREACHABLE.search(text)
    if found is None:
        return None
    urls = _URL.findall(text)
    return _without_credentials(urls[0].rstrip(".,:")) if urls else "the package index"


def first_unreachable(indexes: tuple[str, ...], timeout: float = 5.0) -> str | None:
    """The first of the configured ``indexes`` that does not answer at all (an HTTP error
    is an answer), for an installer that only said "no matching distribution"."""
    import urllib.error
    import urllib.request

    for url in indexes:
        if not url.startswith(("http://", "https://")):
            continue
        try:
            with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 (http/https)
                pass
        except urllib.error.HTTPError:
            continue
        except (urllib.error.URLError, OSError, ValueError):
            return url
    return None
