"""Where to publish: PyPI, TestPyPI, any legacy-upload-API index, or an S3 static index.

``--repository`` takes a short name or a URL; this module turns it into a
:class:`LegacyTarget` (upload URL, the simple index used to find files already there, and the
base URL of the trusted-publishing endpoints) or an :class:`S3Target`.  Credentials written
into a URL (``https://user:pass@host/``) are taken out here so that no URL shown anywhere
carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from hwb_action.errors import UsageError
from hwb_action.trust import url_secrets

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
TESTPYPI_UPLOAD = "https://test.pypi.org/legacy/"

# name -> (upload URL, simple index URL)
KNOWN: dict[str, tuple[str, str]] = {
    "pypi": (PYPI_UPLOAD, "https://pypi.org/simple/"),
    "testpypi": (TESTPYPI_UPLOAD, "https://test.pypi.org/simple/"),
}


@dataclass(frozen=True, kw_only=True)
class LegacyTarget:
    """An index that speaks the legacy upload API (``:action=file_upload``)."""

    kind: Literal["legacy"] = "legacy"
    name: str
    upload_url: str
    index_urls: tuple[str, ...]
    """Simple-index base URLs to try, in order, when looking for files already published."""
    url_username: str | None = None
    url_password: str | None = field(default=None, repr=False)
    url_secrets: tuple[str, ...] = field(default=(), repr=False)
    """The credentials written in the URLs (``--repository``, ``--index-url``), as written
    and decoded, to hide them in every form."""

    @property
    def display_url(self) -> str:
        """The upload URL, which never holds credentials (they were split off)."""
        return self.upload_url

    @property
    def oidc_base(self) -> str:
        """``scheme://host[:port]``: the trusted-publishing endpoints live under ``/_/oidc/``."""
        parts = urlsplit(self.upload_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_pypi(self) -> bool:
        """PyPI or TestPyPI: API tokens and trusted publishing are the only ways in."""
        return self.upload_url in (PYPI_UPLOAD, TESTPYPI_UPLOAD)


@dataclass(frozen=True, kw_only=True)
class S3Target:
    """A PEP 503 static index kept in an S3-compatible bucket."""

    kind: Literal["s3"] = "s3"
    bucket: str
    prefix: str
    endpoint_url: str | None = None
    """Without credentials: ``--endpoint-url https://KEY:SECRET@host`` is split into the URL
    and :attr:`url_username`/:attr:`url_password` (the access key id and secret key)."""
    url_username: str | None = None
    url_password: str | None = field(default=None, repr=False)
    url_secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def display_url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


Target = LegacyTarget | S3Target


def strip_userinfo(url: str) -> tuple[str, str | None, str | None]:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, user, password


_strip_userinfo = strip_userinfo  # the name other modules import


def index_candidates(upload_url: str) -> tuple[str, ...]:
    """Simple-index base URLs that usually sit next to an upload URL.

    pypiserver, Nexus, Artifactory and GitLab serve ``<upload>/simple/``; devpi serves
    ``<index>/+simple/``; PyPI-like servers upload to ``/legacy/`` next to ``/simple/``.
    """
    base = upload_url if upload_url.endswith("/") else upload_url + "/"
    if base.endswith("/legacy/"):
        root = base[: -len("legacy/")]
        return (root + "simple/",)
    if base.endswith("/simple/"):
        return (base,)
    return (base + "simple/", base + "+simple/")


def resolve_target(repository: str, *, endpoint_url: str = "", index_url: str = "") -> Target:
    """Turn ``--repository`` (and friends) into a target, or raise :class:`UsageError`."""
    value = repository.strip()
    if not value:
        msg = "--repository is empty"
        raise UsageError(msg, hint="use pypi, testpypi, an upload URL, or s3://BUCKET/PREFIX")
    if value.lower() in KNOWN:
        upload, simple = KNOWN[value.lower()]
        return LegacyTarget(name=value.lower(), upload_url=upload,
                            index_urls=(index_url,) if index_url else (simple,),
                            url_secrets=tuple(url_secrets(index_url)))
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        if not parts.netloc:
            msg = f"--repository {value!r} names no bucket"
            raise UsageError(msg, hint="write s3://BUCKET/PREFIX, e.g. s3://my-wheels/simple-index")
        endpoint, user, password = strip_userinfo(endpoint_url) if endpoint_url else (
            "", None, None)
        return S3Target(bucket=parts.netloc, prefix=parts.path.strip("/"),
                        endpoint_url=endpoint or None, url_username=user, url_password=password,
                        url_secrets=tuple(url_secrets(endpoint_url)) if endpoint_url else ())
    if scheme in ("http", "https") and parts.hostname:
        clean, user, password = strip_userinfo(value)
        if clean in (PYPI_UPLOAD.rstrip("/"), TESTPYPI_UPLOAD.rstrip("/")):
            clean += "/"
        candidates = (index_url,) if index_url else index_candidates(clean)
        shown = clean
        return LegacyTarget(name=shown, upload_url=clean, index_urls=candidates,
                            url_username=user, url_password=password,
                            url_secrets=(*url_secrets(value), *url_secrets(index_url)))
    shown = strip_userinfo(value)[0] if "://" in value else value
    msg = f"--repository {shown!r} is not pypi, testpypi, an http(s) upload URL or an s3:// URL"
    raise UsageError(msg, hint="e.g. --repository testpypi, --repository "
                               "https://pypi.example.com/ or --repository s3://bucket/prefix")


def quote_name(name: str) -> str:
    """A project name as it appears in a simple-index URL path."""
    return quote(name, safe="")
