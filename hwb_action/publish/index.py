"""What an index already holds: the files of a project, read from its simple index.

Asks for PEP 691 JSON and falls back to PEP 503 HTML.  The HTML is read with the standard
library's parser: what we need is an anchor's text, ``href`` and hash fragment, and no
packaging library exposes a simple-page parser as public API (pip's is internal).

Nothing an index says is trusted as it comes: a sha256 must be 64 hex digits and a file
URL an ``http(s)`` URL without credentials in it, or the value is refused
(:attr:`IndexedFile.problem` says why).  When the index cannot tell what it holds,
:meth:`SimpleIndex.project_files` raises :class:`IndexUnreadable` (``transient`` when asking
again may help) rather than answer "nothing", since "nothing" would let an upload replace
a published file.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from packaging.utils import canonicalize_name

ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.1")


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class IndexUnreadable(Exception):
    """The index could not say which files it holds."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, kw_only=True)
class IndexedFile:
    """One file on the index: its name, absolute URL and sha256 (if the index gives one in
    the expected form; ``problem`` says what was refused)."""

    filename: str
    url: str
    sha256: str | None
    problem: str | None = None


def _shown(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def checked_file(name: str, url: object, sha256: object, page_url: str) -> IndexedFile:
    """An :class:`IndexedFile` from what a page says, refusing malformed values: a sha256
    that is not 64 hex digits is dropped (and named in ``problem``), a URL that is not
    ``http(s)`` is replaced by the project page's, credentials in a URL are removed."""
    problems = []
    digest: str | None = None
    if sha256 is not None:
        if isinstance(sha256, str) and _SHA256.fullmatch(sha256):
            digest = sha256.lower()
        else:
            problems.append(f"a malformed sha256 {_shown(sha256)}")
    full = urljoin(page_url, url) if isinstance(url, str) else ""
    parts = urlsplit(full)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() or ord(c) < 32 for c in full):
        problems.append(f"a URL that is not http(s) {_shown(url)}")
        full = page_url
    elif "@" in parts.netloc:
        full = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path,
                           parts.query, parts.fragment))
    problem = f"the index gives {name} " + " and ".join(problems) if problems else None
    return IndexedFile(filename=name, url=full, sha256=digest, problem=problem)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def parse_project_page(text: str, content_type: str, page_url: str) -> dict[str, IndexedFile]:
    """Files of a simple-index project page (JSON or HTML), by filename."""
    files: dict[str, IndexedFile] = {}
    if "json" in content_type:
        data: Any = json.loads(text)
        for item in data.get("files", []):
            name = item.get("filename")
            if not isinstance(name, str):
                continue
            hashes = item.get("hashes")
            sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
            files[name] = checked_file(name, item.get("url"), sha256, page_url)
        return files
    parser = _Anchors()
    parser.feed(text)
    for href, label in parser.links:
        url, _, fragment = href.partition("#")
        name = label or url.rsplit("/", 1)[-1]
        algo, _, digest = fragment.partition("=")
        files[name] = checked_file(name, url, digest if algo == "sha256" else None, page_url)
    return files


class SimpleIndex:
    """Reads project pages from the first simple-index base URL that answers."""

    def __init__(
        self,
        base_urls: tuple[str, ...],
        *,
        session: requests.Session,
        auth: tuple[str, str] | None,
        auth_host: str | None,
        timeout: float = 30,
    ) -> None:
        self.candidates = tuple(u if u.endswith("/") else u + "/" for u in base_urls)
        self.session = session
        self.auth = auth
        self.auth_host = auth_host
        self.timeout = timeout
        self._base: str | None = self.candidates[0] if len(self.candidates) == 1 else None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str | None:
        """The simple index in use, once found (``None`` before, or if none answers)."""
        return self._base

    def _auth_for(self, url: str) -> tuple[str, str] | None:
        # Credentials go only to the host they were given for (PyPI's upload host is not
        # its simple-index host; nothing needs a token to read pypi.org).
        return self.auth if urlsplit(url).netloc == self.auth_host else None

    def _get(self, url: str) -> requests.Response:
        resp = self.session.get(url, headers={"Accept": ACCEPT}, auth=self._auth_for(url),
                                timeout=self.timeout, allow_redirects=False)
        hops = 0
        # Follow redirects on the same host only (pypiserver sends unknown projects to PyPI).
        while resp.is_redirect and hops < 3:
            location = urljoin(url, resp.headers.get("location", ""))
            if urlsplit(location).netloc != urlsplit(url).netloc:
                break
            url = location
            hops += 1
            resp = self.session.get(url, headers={"Accept": ACCEPT}, auth=self._auth_for(url),
                                    timeout=self.timeout, allow_redirects=False)
        return resp

    def _find_base(self) -> str:
        """The first candidate that answers 200; raises :class:`IndexUnreadable`."""
        with self._lock:
            if self._base is not None:
                return self._base
            problems: list[str] = []
            transient = False
            for base in self.candidates:
                try:
                    resp = self._get(base)
                except requests.RequestException as err:
                    transient = True
                    problems.append(f"{base}: {type(err).__name__}")
                    continue
                resp.close()
                if resp.status_code == 200:
                    self._base = base
                    return base
                transient = transient or _transient(resp.status_code)
                problems.append(f"{base}: HTTP {resp.status_code}")
            msg = f"no simple index answered ({'; '.join(problems)})"
            raise IndexUnreadable(msg, transient=transient)

    def _first_read(self, project: str) -> requests.Response | None:
        """Before the index is known: the first candidate's root and ``project``'s page under
        it, asked at once (one round trip instead of two on a distant index).  The page when
        the root answers 200 (that candidate is the index), else ``None``."""
        first = self.candidates[0]
        with self._lock:
            if self._base is not None:
                return None
            with ThreadPoolExecutor(max_workers=1) as pool:
                page = pool.submit(self._get, f"{first}{canonicalize_name(project)}/")
                try:
                    root = self._get(first)
                    root.close()
                    found = root.status_code == 200
                except requests.RequestException:
                    found = False
                try:
                    resp = page.result()
                except requests.RequestException:
                    return None  # asked again below, with the usual error
            if not found:
                resp.close()
                return None
            self._base = first
            return resp

    def project_files(self, project: str) -> dict[str, IndexedFile]:
        """Files of ``project`` by filename; ``{}`` when the project is not there.  Raises
        :class:`IndexUnreadable` when the index cannot tell."""
        early = self._first_read(project) if self._base is None else None
        base = self._find_base()
        url = f"{base}{canonicalize_name(project)}/"
        try:
            resp = early if early is not None else self._get(url)
        except requests.RequestException as err:
            msg = f"{url}: {type(err).__name__} (connection dropped or timed out)"
            raise IndexUnreadable(msg, transient=True) from err
        if resp.status_code == 404 or resp.is_redirect:
            return {}
        if resp.status_code != 200:
            msg = f"{url} answered HTTP {resp.status_code} {resp.reason or ''}".rstrip()
            raise IndexUnreadable(msg, transient=_transient(resp.status_code))
        try:
            # Not resp.text: its charset detection costs milliseconds per page; JSON is
            # UTF-8 (PEP 691) and HTML pages name their charset or are UTF-8 in practice.
            text = resp.content.decode(resp.encoding or "utf-8", errors="replace")
            return parse_project_page(text, resp.headers.get("content-type", ""), url)
        except (ValueError, AttributeError, LookupError) as err:  # cut short, not a page
            msg = f"{url} gave a page hwb cannot read ({type(err).__name__})"
            raise IndexUnreadable(msg, transient=True) from err


def _transient(status: int) -> bool:
    return status >= 500 or status in (408, 429)
