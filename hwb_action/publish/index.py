"""What an index already holds: the files of a project, read from its simple index.

Asks for PEP 691 JSON and falls back to PEP 503 HTML.  The HTML is read with the standard
library's parser: what we need is an anchor's text, ``href`` and hash fragment, and no
packaging library exposes a simple-page parser as public API (pip's is internal).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from packaging.utils import canonicalize_name

ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.1")


@dataclass(frozen=True, kw_only=True)
class IndexedFile:
    """One file on the index: its name, absolute URL and sha256 (if the index gives it)."""

    filename: str
    url: str
    sha256: str | None


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
            hashes = item.get("hashes") or {}
            files[name] = IndexedFile(filename=name, url=urljoin(page_url, item.get("url", "")),
                                      sha256=hashes.get("sha256"))
        return files
    parser = _Anchors()
    parser.feed(text)
    for href, label in parser.links:
        url, _, fragment = href.partition("#")
        name = label or url.rsplit("/", 1)[-1]
        algo, _, digest = fragment.partition("=")
        files[name] = IndexedFile(filename=name, url=urljoin(page_url, url),
                                  sha256=digest.lower() if algo == "sha256" and digest else None)
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
        self._probed = len(self.candidates) <= 1
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str | None:
        """The simple index in use, once found."""
        self._probe()
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

    def _probe(self) -> None:
        with self._lock:
            if self._probed:
                return
            self._probed = True
            for base in self.candidates:
                try:
                    resp = self._get(base)
                except requests.RequestException:
                    continue
                resp.close()
                if resp.status_code == 200:
                    self._base = base
                    return

    def project_files(self, project: str) -> dict[str, IndexedFile] | None:
        """Files of ``project`` by filename; ``{}`` when the project is not there; ``None``
        when the index cannot tell (no simple index found, or it failed to answer)."""
        base = self.base_url
        if base is None:
            return None
        url = f"{base}{canonicalize_name(project)}/"
        try:
            resp = self._get(url)
        except requests.RequestException:
            return None
        if resp.status_code == 404 or resp.is_redirect:
            return {}
        if resp.status_code != 200:
            return None
        try:
            return parse_project_page(resp.text, resp.headers.get("content-type", ""), url)
        except ValueError:
            return None
