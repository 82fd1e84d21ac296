"""A PEP 503 static simple index kept in S3-compatible storage (AWS, MinIO, R2, Ceph, ...).

Layout under ``s3://BUCKET/PREFIX/``::

    packages/<filename>              the distribution (user metadata: sha256, requires-python)
    packages/<filename>.metadata     PEP 658 core metadata of wheels
    simple/ and simple/index.html    the root page: every project in packages/
    simple/<project>/ (+ index.html) the project page: every file of it in packages/

Both the ``.../`` key and ``.../index.html`` are written, so that the index works when the
bucket serves objects by key and when it serves a website with index documents.  Pages are
regenerated from the bucket's listing after each upload, so they list exactly what the bucket
holds.  ``pip install --index-url https://HOST/PREFIX/simple/ NAME`` then works.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from hwb_action.artifacts import Artifact
from hwb_action.ci import Reporter
from hwb_action.errors import ConfigError, PublishError
from hwb_action.publish.credentials import GivenCredentials
from hwb_action.publish.results import FileResult, UploadOptions
from hwb_action.publish.target import S3Target

MISSING_BOTO3_HINT = "install the S3 extra: pip install 'hwb-action[s3]' (it adds boto3)"


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """A distribution in the bucket, as the pages show it."""

    filename: str
    project: str
    sha256: str
    requires_python: str | None
    metadata_sha256: str | None


def project_of(filename: str) -> str | None:
    """The normalized project name of a distribution filename, or None for other files."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _page(title: str, body: list[str]) -> bytes:
    lines = ["<!DOCTYPE html>", "<html>", "  <head>",
             '    <meta name="pypi:repository-version" content="1.1">',
             f"    <title>{html.escape(title)}</title>", "  </head>", "  <body>",
             f"    <h1>{html.escape(title)}</h1>", *body, "  </body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


def project_page(project: str, files: Sequence[StoredFile]) -> bytes:
    """The PEP 503 project page: links with ``#sha256=``, ``data-requires-python`` and the
    PEP 658/714 metadata attributes."""
    body = []
    for f in sorted(files, key=lambda s: s.filename):
        attrs = [f'href="../../packages/{quote(f.filename)}#sha256={f.sha256}"']
        if f.requires_python:
            attrs.append(f'data-requires-python="{html.escape(f.requires_python)}"')
        if f.metadata_sha256:
            attrs.append(f'data-dist-info-metadata="sha256={f.metadata_sha256}"')
            attrs.append(f'data-core-metadata="sha256={f.metadata_sha256}"')
        body.append(f"    <a {' '.join(attrs)}>{html.escape(f.filename)}</a><br>")
    return _page(f"Links for {project}", body)


def root_page(projects: Sequence[str]) -> bytes:
    """The PEP 503 root page: one link per project."""
    body = [f'    <a href="{quote(p)}/">{html.escape(p)}</a><br>' for p in sorted(projects)]
    return _page("Simple index", body)


class S3Publisher:
    """Uploads files into the bucket and regenerates the pages they appear on."""

    def __init__(
        self,
        target: S3Target,
        *,
        reporter: Reporter,
        options: UploadOptions,
        given: GivenCredentials,
        environ: Mapping[str, str],
        acl: str = "",
        client: Any = None,
    ) -> None:
        self.target = target
        self.reporter = reporter
        self.options = options
        self.acl = acl
        self.prefix = target.prefix.strip("/") + "/" if target.prefix.strip("/") else ""
        self.client = client if client is not None else self._make_client(given, environ)

    def _make_client(self, given: GivenCredentials, environ: Mapping[str, str]) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as err:
            msg = f"publishing to {self.target.display_url} needs boto3, which is not installed"
            raise ConfigError(msg, hint=MISSING_BOTO3_HINT) from err
        config = Config(retries={"max_attempts": self.options.retries + 1, "mode": "standard"},
                        connect_timeout=min(self.options.timeout, 60),
                        read_timeout=self.options.timeout,
                        max_pool_connections=max(10, self.options.jobs))
        kwargs: dict[str, Any] = {"config": config}
        if self.target.endpoint_url:
            kwargs["endpoint_url"] = self.target.endpoint_url
        if given.username and given.password:  # access key id / secret access key
            kwargs["aws_access_key_id"] = given.username
            kwargs["aws_secret_access_key"] = given.password
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if region:
            kwargs["region_name"] = region
        elif self.target.endpoint_url:
            kwargs["region_name"] = "us-east-1"
        return boto3.client("s3", **kwargs)

    # -- keys and URLs ----------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def url(self, key: str) -> str:
        if self.target.endpoint_url:
            return f"{self.target.endpoint_url.rstrip('/')}/{self.target.bucket}/{quote(key)}"
        return f"https://{self.target.bucket}.s3.amazonaws.com/{quote(key)}"

    def _error(self, action: str, err: Exception) -> PublishError:
        code = getattr(err, "response", {}).get("Error", {}).get("Code") if hasattr(
            err, "response") else None
        hints = {
            "NoSuchBucket": f"create the bucket {self.target.bucket!r} first",
            "AccessDenied": "the credentials may not write to this bucket/prefix",
            "InvalidAccessKeyId": "check AWS_ACCESS_KEY_ID (or --username)",
            "SignatureDoesNotMatch": "check AWS_SECRET_ACCESS_KEY (or --password)",
            "AccessControlListNotSupported": "the bucket does not take ACLs: drop --s3-acl",
        }
        what = code or type(err).__name__
        msg = f"S3: {action} in {self.target.display_url} failed: {what}"
        return PublishError(self.reporter.redact(msg),
                            hint=hints.get(code or "", "check --endpoint-url, the bucket name "
                                                       "and the AWS credentials"))

    # -- bucket state ---------------------------------------------------------------------
    def listing(self) -> dict[str, int]:
        """Every object under ``packages/``: filename -> size."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, int] = {}
        base = self.key("packages", "")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.target.bucket, Prefix=base)
            for page in pages:
                for item in page.get("Contents", []):
                    found[item["Key"][len(base):]] = int(item.get("Size", 0))
        except (BotoCoreError, ClientError) as err:
            if type(err).__name__ == "NoCredentialsError":
                msg = f"S3: no credentials for {self.target.display_url}"
                raise ConfigError(msg, hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or "
                                            "a profile / role), or --username/--password "
                                            "(HWB_USERNAME/HWB_PASSWORD)") from err
            raise self._error("listing packages/", err) from err
        return found

    def stored(self, filename: str, listing: Mapping[str, int]) -> StoredFile | None:
        """What the bucket holds under ``filename`` (hashing it when hwb did not write it)."""
        project = project_of(filename)
        if project is None or filename not in listing:
            return None
        key = self.key("packages", filename)
        head = self.client.head_object(Bucket=self.target.bucket, Key=key)
        meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        # Whoever can write the bucket writes this metadata: a digest in another form than
        # 64 hex digits is not believed (the file's own bytes are hashed instead).
        sha256 = _sha256_or_none(meta.get("sha256"))
        if sha256 is None:
            body = self.client.get_object(Bucket=self.target.bucket, Key=key)["Body"]
            sha256 = hashlib.sha256(body.read()).hexdigest()
        requires = meta.get("requires-python")
        metadata_sha = _sha256_or_none(meta.get("metadata-sha256"))
        if metadata_sha and filename + ".metadata" not in listing:
            metadata_sha = None
        return StoredFile(filename=filename, project=project, sha256=sha256,
                          requires_python=_unquote(requires) if requires else None,
                          metadata_sha256=metadata_sha)

    # -- publishing ---------------------------------------------------------------------------
    def _put(self, key: str, body: bytes | Any, content_type: str,
             metadata: Mapping[str, str] | None = None) -> None:
        extra: dict[str, Any] = {"ContentType": content_type}
        if metadata:
            extra["Metadata"] = dict(metadata)
        if self.acl:
            extra["ACL"] = self.acl
        self.client.put_object(Bucket=self.target.bucket, Key=key, Body=body, **extra)

    def upload(self, art: Artifact) -> None:
        """The file and (for wheels) its ``.metadata``; the file last, so a listed file
        always has its metadata."""
        meta = {"sha256": art.sha256}
        if art.requires_python:
            meta["requires-python"] = quote(art.requires_python, safe=" <>=!~,.*")
        if art.kind == "wheel":
            metadata_sha = hashlib.sha256(art.metadata).hexdigest()
            meta["metadata-sha256"] = metadata_sha
            self._put(self.key("packages", art.filename + ".metadata"), art.metadata,
                      "text/plain; charset=utf-8")
        content_type = "application/zip" if art.kind == "wheel" else "application/gzip"
        with art.path.open("rb") as fh:
            self._put(self.key("packages", art.filename), fh, content_type, meta)

    def publish_one(self, art: Artifact, listing: Mapping[str, int]) -> FileResult:
        from botocore.exceptions import BotoCoreError, ClientError

        url = self.url(self.key("packages", art.filename))
        try:
            existing = self.stored(art.filename, listing)
            if existing is not None:
                if existing.sha256 == art.sha256:
                    self.reporter.info(f"skipped {art.filename}: already in the bucket with the "
                                       "same sha256")
                    return FileResult(filename=art.filename, status="skipped", url=url,
                                      sha256=art.sha256)
                return FileResult(
                    filename=art.filename, status="failed", url=url, sha256=art.sha256,
                    error=f"the bucket already holds {art.filename} with sha256 "
                          f"{existing.sha256}, but this file's sha256 is {art.sha256}; "
                          "bump the version and rebuild")
            if self.options.check_only:
                return FileResult(filename=art.filename, status="ready", url=url,
                                  sha256=art.sha256)
            self.upload(art)
        except (BotoCoreError, ClientError) as err:
            error = self._error(f"uploading {art.filename}", err)
            return FileResult(filename=art.filename, status="failed", url=url,
                              sha256=art.sha256, error=error.message)
        self.reporter.info(f"uploaded {art.filename}")
        return FileResult(filename=art.filename, status="uploaded", url=url, sha256=art.sha256)

    def regenerate(self, projects: Sequence[str]) -> int:
        """Rewrite the pages of ``projects`` and the root page from the bucket's listing;
        returns how many page objects changed."""
        written = 0
        listing = self.listing()
        by_project: dict[str, list[str]] = {}
        for filename in listing:
            project = project_of(filename)
            if project is not None:
                by_project.setdefault(project, []).append(filename)
        for project in sorted(set(projects)):
            files = [s for f in by_project.get(project, [])
                     if (s := self.stored(f, listing)) is not None]
            page = project_page(project, files)
            for key in (self.key("simple", project, ""), self.key("simple", project,
                                                                  "index.html")):
                written += self._put_page(key, page)
        root = root_page(sorted(by_project))
        for key in (self.key("simple", ""), self.key("simple", "index.html")):
            written += self._put_page(key, root)
        return written

    def _put_page(self, key: str, page: bytes) -> bool:
        """Write a page unless the bucket already holds exactly these bytes."""
        from botocore.exceptions import ClientError

        try:
            current = self.client.get_object(Bucket=self.target.bucket, Key=key)["Body"].read()
        except ClientError:  # NoSuchKey, or not allowed to read: write it
            current = None
        if current == page:
            return False
        self._put(key, page, "text/html; charset=utf-8")
        return True

    def publish(self, artifacts: Sequence[Artifact]) -> list[FileResult]:
        from botocore.exceptions import BotoCoreError, ClientError

        listing = self.listing()
        jobs = max(1, self.options.jobs or 4)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda a: self.publish_one(a, listing), artifacts))
        # Pages are regenerated for skipped files too: a re-run after a failure that came
        # between the uploads and the pages must still leave the index complete.
        projects = [str(canonicalize_name(a.name)) for a, r in zip(artifacts, results,
                                                                    strict=True)
                    if r.status in ("uploaded", "skipped")]
        if not self.options.check_only and projects:
            try:
                written = self.regenerate(projects)
            except (BotoCoreError, ClientError) as err:
                raise self._error("regenerating the index pages", err) from err
            if written:
                self.reporter.info(f"index pages regenerated under "
                                   f"{self.target.display_url}/simple/")
        return results


def _sha256_or_none(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return value.lower()
    return None


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)
