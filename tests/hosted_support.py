"""A stand-in for the GitHub REST API and the GitLab API v4 release endpoints, on 127.0.0.1.

It speaks the documented requests hwb makes (release by tag: get, create, update; GitHub
asset upload and delete; GitLab generic packages and release links), checks the token on
every request, keeps state in memory and records every request for the tests to check.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.http_support import ServedInThread

GITHUB_TOKEN = "ghs_standInToken0123456789abcdefABCDEF"
GITLAB_TOKEN = "glcbt-64_standInJobToken0123456789"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class State:
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    github: dict[str, dict[str, Any]] = field(default_factory=dict)  # tag -> release
    gitlab: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ids: int = 100
    upload_base: str | None = None  # answer upload URLs on this base instead (an attack)
    fail_once: set[str] = field(default_factory=set)  # asset names whose upload fails once

    def next_id(self) -> int:
        self.ids += 1
        return self.ids


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the recorded requests instead."""

    def _reply(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        self.state.requests.append(Recorded(self.command, parts.path, dict(self.headers),
                                            body))
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if segments[:2] == ["api", "v4"]:
            if self.headers.get("JOB-TOKEN") != GITLAB_TOKEN:
                self._reply(401, {"message": "401 Unauthorized"})
                return
            self._gitlab(segments[2:], query, body)
            return
        if self.headers.get("Authorization") != f"Bearer {GITHUB_TOKEN}":
            self._reply(401, {"message": "Bad credentials"})
            return
        self._github(segments, query, body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    # -- GitHub ------------------------------------------------------------------------------
    def _github(self, seg: list[str], query: dict[str, str], body: bytes) -> None:
        st, method = self.state, self.command
        by_id = {r["id"]: r for r in st.github.values()}
        if method == "GET" and seg[3:5] == ["releases", "tags"]:
            found = st.github.get(seg[5])
            self._reply(200, found) if found else self._reply(404, {"message": "Not Found"})
        elif method == "POST" and seg[3:] == ["releases"]:
            data = json.loads(body)
            if data["tag_name"] in st.github:
                self._reply(422, {"message": "Validation Failed",
                                  "errors": [{"code": "already_exists"}]})
                return
            rid = st.next_id()
            release = {**data, "id": rid, "assets": [],
                       "html_url": f"https://github.example/{seg[1]}/{seg[2]}/releases/tag/"
                                   f"{data['tag_name']}",
                       "upload_url": f"{st.upload_base or f'http://127.0.0.1:{st.port}'}"
                                     f"/uploads/repos/{seg[1]}/{seg[2]}/releases/{rid}/"
                                     "assets{?name,label}"}
            st.github[data["tag_name"]] = release
            self._reply(201, release)
        elif method == "PATCH" and seg[3] == "releases" and int(seg[4]) in by_id:
            release = by_id[int(seg[4])]
            release.update(json.loads(body))
            self._reply(200, release)
        elif method == "POST" and seg[0] == "uploads" and query["name"] in st.fail_once:
            st.fail_once.discard(query["name"])
            self._reply(502, {"message": "Server Error"})
        elif method == "POST" and seg[0] == "uploads" and int(seg[5]) in by_id:
            release = by_id[int(seg[5])]
            if any(a["name"] == query["name"] for a in release["assets"]):
                self._reply(422, {"message": "Validation Failed",
                                  "errors": [{"code": "already_exists"}]})
                return
            asset = {"id": st.next_id(), "name": query["name"], "size": len(body),
                     "digest": "sha256:" + hashlib.sha256(body).hexdigest()}
            release["assets"].append(asset)
            self._reply(201, asset)
        elif method == "DELETE" and seg[3:5] == ["releases", "assets"]:
            for release in st.github.values():
                release["assets"] = [a for a in release["assets"] if a["id"] != int(seg[5])]
            self._reply(204)
        else:
            self._reply(404, {"message": "Not Found"})

    # -- GitLab ------------------------------------------------------------------------------
    def _gitlab(self, seg: list[str], query: dict[str, str], body: bytes) -> None:
        st, method = self.state, self.command
        rest = seg[2:]  # after projects/{id}
        if rest[:1] == ["releases"] and len(rest) == 2 and method in ("GET", "PUT"):
            found = st.gitlab.get(rest[1])
            if not found:
                self._reply(404, {"message": "404 Not Found"})
                return
            if method == "PUT":
                found.update(json.loads(body))
            self._reply(200, found)
        elif rest == ["releases"] and method == "POST":
            data = json.loads(body)
            release = {**data, "assets": {"links": []},
                       "_links": {"self": f"https://gitlab.example/p/-/releases/"
                                          f"{data['tag_name']}"}}
            st.gitlab[data["tag_name"]] = release
            self._reply(201, release)
        elif rest[:2] == ["packages", "generic"] and method == "PUT":
            package = st.packages.setdefault((rest[2], rest[3]), {
                "id": st.next_id(), "name": rest[2], "version": rest[3],
                "package_type": "generic", "files": []})
            item = {"id": st.next_id(), "file_name": rest[4], "size": len(body),
                    "file_sha256": hashlib.sha256(body).hexdigest()}
            package["files"].append(item)
            self._reply(201, {"message": "201 Created"})
        elif rest == ["packages"] and method == "GET":
            self._reply(200, [{k: v for k, v in p.items() if k != "files"}
                              for p in st.packages.values()
                              if p["name"] == query.get("package_name")])
        elif rest[:1] == ["packages"] and rest[2:] == ["package_files"]:
            owned = [p for p in st.packages.values() if p["id"] == int(rest[1])]
            self._reply(200, owned[0]["files"] if owned else [])
        elif rest[:1] == ["releases"] and rest[2:] == ["assets", "links"] and method == "POST":
            links = st.gitlab[rest[1]]["assets"]["links"]
            data = json.loads(body)
            if any(link["name"] == data["name"] for link in links):
                self._reply(400, {"message": {"name": ["has already been taken"]}})
                return
            link = {**data, "id": st.next_id()}
            links.append(link)
            self._reply(201, link)
        else:
            self._reply(404, {"message": "404 Not Found"})


class StandInApi(ServedInThread):
    """The server in a thread; ``url`` is its base, ``state`` what it holds and recorded."""

    url_suffix = ""

    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), handler))
        self.state.port = self.server.server_address[1]

    def calls(self) -> list[str]:
        """``METHOD path`` of every request, in order, uploads' ids replaced by ``N``."""
        return [f"{r.method} {re.sub(r'/[0-9]+(?=/|$)', '/N', r.path)}"
                for r in self.state.requests]
