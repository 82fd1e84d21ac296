"""The GitHub or GitLab release of a tag: release notes as its body, dist files as assets.

Idempotent: the release of the tag is created, or updated when it exists; an asset already
there with the same sha256 is skipped, one with the same name and other contents replaced.

- GitHub REST API (``GITHUB_API_URL``, default https://api.github.com; ``GITHUB_TOKEN`` or
  ``GH_TOKEN``; ``GITHUB_REPOSITORY``): ``GET /repos/{repo}/releases/tags/{tag}``,
  ``POST /repos/{repo}/releases``, ``PATCH /repos/{repo}/releases/{id}``, assets uploaded to
  the release's ``upload_url`` (``?name=``), compared by their ``digest`` (``sha256:...``),
  replaced with ``DELETE /repos/{repo}/releases/assets/{id}``.
- GitLab Releases API (``CI_API_V4_URL``, ``CI_PROJECT_ID``; ``CI_JOB_TOKEN`` sent as
  ``JOB-TOKEN``, or ``GITLAB_TOKEN`` as ``PRIVATE-TOKEN``): ``GET``/``PUT
  /projects/{id}/releases/{tag}``, ``POST /projects/{id}/releases``; files go to the generic
  package registry (``PUT /projects/{id}/packages/generic/{name}/{version}/{file}``, compared
  by ``file_sha256`` of ``GET /projects/{id}/packages/{pkg}/package_files``) and are linked
  with ``POST /projects/{id}/releases/{tag}/assets/links``.

The token is masked before the first request, sent only in a header, and never follows a
redirect to another host (requests drops it there).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from hwb_action import __version__
from hwb_action.ci import Reporter
from hwb_action.errors import UsageError, VersioningError
from hwb_action.trust import register_secrets

_TIMEOUT = 60
_LOCAL = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, kw_only=True)
class HostedRelease:
    """What the hosted release says: the tag (and its commit), title, notes, files."""

    tag: str
    commit: str | None
    name: str
    body: str
    prerelease: bool
    assets: tuple[Path, ...] = ()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _base_url(url: str, variable: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOCAL):
        return url.rstrip("/")
    msg = f"{variable}={url!r} is not an https URL: the token would travel in clear text"
    raise UsageError(msg, hint=f"set {variable} to the API's https URL")


class _Api:
    """One API with its auth header; answers are JSON, errors name the request."""

    def __init__(self, base: str, headers: Mapping[str, str], what: str) -> None:
        self.base = base
        self.what = what
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": f"hwb/{__version__}", **headers})

    def call(self, method: str, url: str, *, ok: Sequence[int] = (200, 201, 204),
             json: Any = None, data: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        full = url if url.startswith(("http://", "https://")) else self.base + url
        try:
            answer = self.session.request(method, full, json=json, data=data,
                                          headers=dict(headers or {}), timeout=_TIMEOUT)
        except requests.RequestException as err:
            msg = f"{self.what}: {method} {full} failed: {type(err).__name__}"
            raise VersioningError(msg, hint="check the API URL and the network, then run "
                                            "the same command again: it picks up where it "
                                            "stopped") from err
        if answer.status_code not in ok:
            detail = answer.text[:500]
            msg = f"{self.what}: {method} {full} answered {answer.status_code}"
            if answer.status_code in (401, 403):
                hint = ("the token may not create releases: GitHub Actions needs permissions: "
                        "contents: write; GitLab a job of the project with the Developer role")
            elif answer.status_code >= 500:
                hint = ("the service failed: run the same command again, it picks up where "
                        "it stopped")
            else:
                hint = "see the answer above"
            raise VersioningError(msg, details=[detail] if detail else [], hint=hint)
        try:
            body = answer.json() if answer.content else None
        except ValueError:
            body = None
        return answer.status_code, body


def github_release(release: HostedRelease, *, environ: Mapping[str, str],
                   reporter: Reporter) -> str:
    """Create or update the GitHub release of ``release.tag``; its web URL."""
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN")
    if not token:
        msg = "--github-release needs GITHUB_TOKEN"
        raise UsageError(msg, hint="in the workflow: env: GITHUB_TOKEN: ${{ secrets."
                                   "GITHUB_TOKEN }} and permissions: contents: write")
    register_secrets({}, reporter, extra=[token])
    repo = environ.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        msg = f"--github-release needs GITHUB_REPOSITORY=owner/name (got {repo!r})"
        raise UsageError(msg, hint="GitHub Actions sets it; elsewhere set it yourself")
    base = _base_url(environ.get("GITHUB_API_URL") or "https://api.github.com",
                     "GITHUB_API_URL")
    api = _Api(base, {"Authorization": f"Bearer {token}",
                      "Accept": "application/vnd.github+json",
                      "X-GitHub-Api-Version": "2022-11-28"}, "GitHub")
    fields = {"name": release.name, "body": release.body, "prerelease": release.prerelease}
    status, found = api.call("GET", f"/repos/{repo}/releases/tags/{quote(release.tag)}",
                             ok=(200, 404))
    if status == 200 and isinstance(found, dict):
        _, data = api.call("PATCH", f"/repos/{repo}/releases/{int(found['id'])}", json=fields)
        reporter.info(f"GitHub release {release.tag}: updated")
    else:
        create = {"tag_name": release.tag, "draft": False, **fields}
        if release.commit:
            create["target_commitish"] = release.commit
        _, data = api.call("POST", f"/repos/{repo}/releases", json=create)
        reporter.info(f"GitHub release {release.tag}: created")
    existing = {a["name"]: a for a in data.get("assets", []) if isinstance(a, dict)}
    upload = _upload_url(str(data.get("upload_url", "")), base)
    for path in release.assets:
        sha = _sha256(path)
        asset = existing.get(path.name)
        if asset is not None:
            if _github_asset_sha(api, repo, asset) == sha:
                reporter.info(f"  {path.name}: already attached (same sha256), skipped")
                continue
            api.call("DELETE", f"/repos/{repo}/releases/assets/{int(asset['id'])}")
        api.call("POST", f"{upload}?name={quote(path.name)}", data=path.read_bytes(),
                 headers={"Content-Type": "application/octet-stream"})
        reporter.info(f"  {path.name}: attached")
    return str(data.get("html_url", ""))


def _upload_url(template: str, base: str) -> str:
    """The release's asset upload URL, only where the token may go: the API's own host, or
    uploads.github.com for api.github.com."""
    url = template.split("{", 1)[0]
    host, api_host = urlsplit(url).hostname, urlsplit(base).hostname
    allowed = {api_host} | ({"uploads.github.com"} if api_host == "api.github.com" else set())
    if host not in allowed or urlsplit(url).scheme != urlsplit(base).scheme:
        msg = f"GitHub answered an upload URL on another host ({host}); not sending the token"
        raise VersioningError(msg, hint="check GITHUB_API_URL")
    return url


def _github_asset_sha(api: _Api, repo: str, asset: Mapping[str, Any]) -> str | None:
    digest = asset.get("digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest.removeprefix("sha256:")
    # Older assets carry no digest: fetch and hash (requests drops the token on a redirect
    # to the storage host).
    answer = api.session.get(f"{api.base}/repos/{repo}/releases/assets/{int(asset['id'])}",
                             headers={"Accept": "application/octet-stream"}, timeout=_TIMEOUT)
    return hashlib.sha256(answer.content).hexdigest() if answer.ok else None


def gitlab_release(release: HostedRelease, *, version: str, environ: Mapping[str, str],
                   reporter: Reporter) -> str:
    """Create or update the GitLab release of ``release.tag``; its web URL (or "")."""
    job_token, private = environ.get("CI_JOB_TOKEN"), environ.get("GITLAB_TOKEN")
    if not (job_token or private):
        msg = "--gitlab-release needs CI_JOB_TOKEN (or GITLAB_TOKEN)"
        raise UsageError(msg, hint="run it in a GitLab CI job, which sets CI_JOB_TOKEN")
    token = job_token or private or ""
    register_secrets({}, reporter, extra=[token])
    project = environ.get("CI_PROJECT_ID", "")
    if not project:
        msg = "--gitlab-release needs CI_PROJECT_ID"
        raise UsageError(msg, hint="GitLab CI sets it; elsewhere set it to the project's id")
    base = _base_url(environ.get("CI_API_V4_URL") or "https://gitlab.com/api/v4",
                     "CI_API_V4_URL")
    header = {"JOB-TOKEN": token} if job_token else {"PRIVATE-TOKEN": token}
    api = _Api(base, header, "GitLab")
    proj = f"/projects/{quote(project, safe='')}"
    tag = quote(release.tag, safe="")
    status, found = api.call("GET", f"{proj}/releases/{tag}", ok=(200, 404))
    fields = {"name": release.name, "description": release.body}
    if status == 200 and isinstance(found, dict):
        _, data = api.call("PUT", f"{proj}/releases/{tag}", json=fields)
        reporter.info(f"GitLab release {release.tag}: updated")
    else:
        create = {"tag_name": release.tag, **fields}
        if release.commit:
            create["ref"] = release.commit
        _, data = api.call("POST", f"{proj}/releases", json=create)
        reporter.info(f"GitLab release {release.tag}: created")
    links = {link.get("name"): link for link in
             (data.get("assets", {}) or {}).get("links", []) if isinstance(link, dict)}
    # The generic package is named after the distributions (demo-1.4.0.tar.gz -> demo).
    first = release.assets[0].name.split("-", 1)[0] if release.assets else ""
    package = re.sub(r"[^A-Za-z0-9._-]", "-", first) or "release"
    stored = _gitlab_package_files(api, proj, package, version) if release.assets else {}
    for path in release.assets:
        sha = _sha256(path)
        url = f"{proj}/packages/generic/{package}/{quote(version)}/{quote(path.name)}"
        if stored.get(path.name) == sha:
            reporter.info(f"  {path.name}: already in the package registry (same sha256)")
        else:
            api.call("PUT", url, data=path.read_bytes(),
                     headers={"Content-Type": "application/octet-stream"})
            reporter.info(f"  {path.name}: uploaded")
        if path.name not in links:
            api.call("POST", f"{proj}/releases/{tag}/assets/links",
                     json={"name": path.name, "url": base + url, "link_type": "package"})
    return str((data.get("_links") or {}).get("self", ""))


def _gitlab_package_files(api: _Api, proj: str, package: str, version: str) -> dict[str, str]:
    """file name -> sha256 of the files in the generic package ``package`` ``version``."""
    _, packages = api.call("GET", f"{proj}/packages?package_type=generic&package_name="
                                  f"{quote(package)}&package_version={quote(version)}"
                                  "&per_page=100")
    files: dict[str, str] = {}
    for pkg in packages or []:
        if isinstance(pkg, dict) and pkg.get("name") == package \
                and pkg.get("version") == version:
            _, listed = api.call("GET", f"{proj}/packages/{int(pkg['id'])}/package_files")
            # The newest upload of a name wins, as GitLab serves it.
            for item in listed or []:
                if isinstance(item, dict):
                    files[str(item.get("file_name"))] = str(item.get("file_sha256"))
    return files
