"""Upload to an index that speaks the legacy upload API.

twine does the metadata check and gives the form fields
(:meth:`twine.package.PackageFile.from_filename`, ``metadata_dictionary()``); the request
is made here (:mod:`hwb_action.publish.multipart` says why) with one requests session
(:mod:`hwb_action.publish.http`) whose keep-alive connections all upload threads share.
Around it, this module adds what makes a publish safe to re-run:

- files already on the index (read from its simple index) with the same sha256 are
  skipped; the same filename with another sha256 (or none, or a malformed one) is an error
  naming both hashes: a published file is never replaced;
- when the index cannot be read to check (after the same retries as uploads), the file is
  not uploaded, unless the caller opted out (``UploadOptions.index_check=False``), which
  is said in a warning;
- one attempt per request, redirects refused (as twine's ``max_redirects=1``), retried here
  with exponential backoff on 5xx answers, timeouts and dropped connections; before each
  retry the index is asked whether the file arrived after all, so nothing is uploaded twice;
- the first file of each project (its sdist) goes alone when the project is not on the
  index yet, so that the index creates it once; the other files go ``jobs`` at a time;
- a refused credential (401/403) stops the run: every other upload would fail the same way.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from hwb_action._text import shorten
from hwb_action.artifacts import Artifact
from hwb_action.ci import Reporter
from hwb_action.errors import CheckError
from hwb_action.publish.credentials import Credentials
from hwb_action.publish.http import decoded, index_session, upload_session
from hwb_action.publish.index import IndexedFile, IndexUnreadable, SimpleIndex
from hwb_action.publish.multipart import MultipartBody, form_fields
from hwb_action.publish.results import FileResult, UploadOptions
from hwb_action.publish.target import LegacyTarget


class _Refused(Exception):
    """The index refused the credential: stop the run."""


_RETRYABLE = (requests.ConnectionError, requests.Timeout,
              requests.exceptions.ChunkedEncodingError)


def prepare_packages(artifacts: Sequence[Artifact]) -> dict[str, Any]:
    """twine's metadata check for every file; all problems at once, before any upload."""
    from twine import exceptions as twine_exceptions
    from twine.package import PackageFile

    packages: dict[str, Any] = {}
    problems: list[str] = []
    for art in artifacts:
        try:
            packages[art.filename] = PackageFile.from_filename(str(art.path), None)
        except twine_exceptions.TwineException as err:
            problems.append(f"{art.filename}: {err}")
    if problems:
        msg = f"twine's metadata check failed for {len(problems)} file(s)"
        raise CheckError(msg, details=problems,
                         hint="fix the project metadata and rebuild (see `hwb check`)")
    return packages


def upload_order(artifacts: Sequence[Artifact]) -> tuple[list[Artifact], list[Artifact]]:
    """(first file of each project, its sdist when there is one; every other file)."""
    first: dict[str, Artifact] = {}
    for art in sorted(artifacts, key=lambda a: a.kind != "sdist"):
        key = art.name.lower().replace("_", "-").replace(".", "-")
        first.setdefault(key, art)
    leaders = list(first.values())
    rest = [a for a in artifacts if all(a is not b for b in leaders)]
    rest.sort(key=lambda a: a.kind != "sdist")
    return leaders, rest


class LegacyUploader:
    """Publishes to one :class:`LegacyTarget` with one credential."""

    def __init__(
        self,
        target: LegacyTarget,
        credentials: Credentials,
        *,
        reporter: Reporter,
        options: UploadOptions,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self.credentials = credentials
        self.reporter = reporter
        self.options = options
        self.sleep = sleep
        self._refused: str | None = None
        session = index_session(options)
        self._session = session
        self._uploads = upload_session(options, credentials)
        host = target.upload_url.split("/")[2] if "://" in target.upload_url else None
        self.index = SimpleIndex(target.index_urls, session=session,
                                 auth=(credentials.username, credentials.password),
                                 auth_host=host, timeout=min(options.timeout, 60))
        self._cache: dict[str, dict[str, IndexedFile]] = {}
        self._cache_lock = threading.Lock()
        self._unreadable: dict[str, IndexUnreadable] = {}

    # -- the index's view ----------------------------------------------------------------
    def existing(self, project: str, *, refresh: bool = False,
                 retry: bool = True) -> dict[str, IndexedFile]:
        """Files of ``project`` on the index (cached per run; ``refresh`` asks again), read
        with the same retries as uploads (or once); raises :class:`IndexUnreadable`."""
        with self._cache_lock:
            if not refresh and project in self._cache:
                return self._cache[project]
        problem: IndexUnreadable | None = None
        for attempt in range(self.options.retries + 1 if retry else 1):
            if attempt:
                delay = self._delay(attempt)
                self.reporter.info(f"reading the index again in {delay:g}s "
                                   f"({attempt}/{self.options.retries}): {problem}")
                self.sleep(delay)
            try:
                files = self.index.project_files(project)
            except IndexUnreadable as err:
                problem = err
                if not err.transient:
                    break
                continue
            with self._cache_lock:
                self._cache[project] = files
            return files
        assert problem is not None
        raise problem

    def _delay(self, attempt: int) -> float:
        return min(self.options.backoff * 2.0 ** (attempt - 1), 30.0)

    def _file_url(self, art: Artifact) -> str:
        files = self._cache.get(art.name)
        if files and art.filename in files:
            return files[art.filename].url
        if self.target.is_pypi:
            web = "https://test.pypi.org" if "test." in self.target.upload_url else \
                "https://pypi.org"
            return f"{web}/project/{art.name}/{art.version}/#files"
        base = self.index.base_url
        return f"{base}{art.name}/" if base else self.target.display_url

    def _compare(self, art: Artifact, found: IndexedFile, *, uploaded_now: bool) -> FileResult:
        if found.sha256 is None:
            why = found.problem or "which gives no sha256 to compare"
            return FileResult(filename=art.filename, status="failed", url=found.url,
                              sha256=art.sha256,
                              error=self.reporter.redact(
                                  f"a file of that name is already on the index ({why}); "
                                  "not replaced"))
        if found.sha256 == art.sha256:
            return FileResult(filename=art.filename, status="uploaded" if uploaded_now
                              else "skipped", url=found.url, sha256=art.sha256)
        return FileResult(
            filename=art.filename, status="failed", url=found.url, sha256=art.sha256,
            error=f"the index already holds {art.filename} with sha256 {found.sha256}, but "
                  f"this file's sha256 is {art.sha256}; an index never replaces a file: "
                  "bump the version and rebuild")

    def _unchecked(self, art: Artifact, err: IndexUnreadable) -> FileResult:
        return self._failed(
            art, f"could not read the index to check whether {art.filename} is already "
                 f"there ({err}); not uploaded, so that a published file is never replaced: "
                 "run again when the index answers, point --index-url at its simple index, "
                 "or upload unchecked with --no-index-check (index_check=False in the API)")

    def _unreachable(self, art: Artifact, err: IndexUnreadable) -> FileResult:
        if self.options.check_only:
            return self._failed(art, f"could not reach the index to check {art.filename} "
                                     f"({err}); a dry run cannot say it is ready: check the "
                                     "repository URL (or --index-url) and that the index is up")
        return self._unchecked(art, err)

    # -- one file --------------------------------------------------------------------------
    def _post(self, package: Any) -> requests.Response:
        """One upload request: twine's form fields and the file, redirects not followed."""
        body = MultipartBody(form_fields(package.metadata_dictionary()), package.filename,
                             package.basefilename)
        try:
            resp = self._uploads.post(self.target.upload_url, data=body, allow_redirects=False,
                                      headers={"Content-Type": body.content_type})
            resp.content  # noqa: B018 - read the answer now, so the connection is reusable
        finally:
            body.close()
        return resp

    def _failed(self, art: Artifact, error: str) -> FileResult:
        return FileResult(filename=art.filename, status="failed", url=self.target.display_url,
                          sha256=art.sha256, error=self.reporter.redact(error))

    def publish_one(self, art: Artifact, package: Any) -> FileResult:
        """Check, upload with retries, and classify one file."""
        if self._refused is not None:
            return self._failed(art, f"not attempted: {self._refused}")
        # A dry run always reads the index: "ready" means the index answered (issue 16).
        if self.options.index_check or self.options.check_only:
            settled = self._check_index(art)
            if settled is not None:
                return settled
        if self.options.check_only:
            return FileResult(filename=art.filename, status="ready", url=self._file_url(art),
                              sha256=art.sha256)
        return self._upload(art, package)

    def _check_index(self, art: Artifact) -> FileResult | None:
        """The result when the index already settles ``art`` (there, or unreadable)."""
        unreadable = self._unreadable.get(art.name)
        if unreadable is not None:  # read up front, with every retry, in vain
            return self._unreachable(art, unreadable)
        try:
            files = self.existing(art.name)
        except IndexUnreadable as err:
            return self._unreachable(art, err)
        found = files.get(art.filename)
        if found is None:
            return None
        result = self._compare(art, found, uploaded_now=False)
        # Without skip-existing the same bytes are sent again; other bytes never.
        if result.status == "skipped" and self.options.skip_existing:
            self.reporter.info(f"skipped {art.filename}: already on the index with the "
                               "same sha256")
            return result
        return result if result.status == "failed" else None

    def _upload(self, art: Artifact, package: Any) -> FileResult:
        """Send ``art``, retrying transient failures; the classified result."""
        problem = ""
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            if attempt:
                arrived = self._before_retry(art, attempt, problem)
                if arrived is not None:
                    return arrived
            try:
                resp = self._post(package)
            except _RETRYABLE as err:
                problem = f"{type(err).__name__} (connection dropped or timed out)"
                continue
            result, problem = self._classify(art, resp, retried=attempt > 0)
            if result is not None:
                return result
        return self._failed(art, f"gave up after {attempts} attempt(s) to upload to "
                                 f"{self.target.display_url}: {problem}; check the URL and "
                                 "that the index is up, then run again (files already "
                                 "there are skipped)")

    def _before_retry(self, art: Artifact, attempt: int, problem: str) -> FileResult | None:
        """Wait before retry ``attempt``; the result when the file arrived after all."""
        delay = self._delay(attempt)
        self.reporter.info(f"retrying {art.filename} in {delay:g}s "
                           f"({attempt}/{self.options.retries}): {problem}")
        self.sleep(delay)
        # A dropped connection may have happened after the index stored the file.
        # (If the index cannot be read now, a file there is this one: send again.)
        with contextlib.suppress(IndexUnreadable):
            files = self.existing(art.name, refresh=True, retry=False)
            if art.filename in files:
                return self._compare(art, files[art.filename], uploaded_now=True)
        return None

    def _classify(self, art: Artifact, resp: requests.Response, *,
                  retried: bool) -> tuple[FileResult | None, str]:
        """(the result of one answer, or None to retry; the problem to retry on)."""
        status = resp.status_code
        reason = resp.reason or ""
        text = decoded(resp)
        resp.close()
        if 200 <= status < 300 and not resp.is_redirect:
            self.reporter.info(f"uploaded {art.filename}")
            return FileResult(filename=art.filename, status="uploaded",
                              url=self._file_url(art), sha256=art.sha256), ""
        if resp.is_redirect:
            location = resp.headers.get("location", "")
            return self._failed(art, f"the index answered with a redirect (HTTP {status}) "
                                     f"to {_strip(location)}; use that URL as --repository"), ""
        if status in (401, 403):
            self._refused = (f"{self.target.display_url} refused the credential from "
                             f"{self.credentials.source} (HTTP {status} {reason}); check "
                             "the user name and password (or token) and that it may "
                             "upload this project")
            raise _Refused(self._refused)
        if status == 409 or (status == 400 and "exist" in (reason + text).lower()):
            return self._exists(art, status, retried=retried), ""
        if status >= 500:
            return None, f"HTTP {status} {reason}".strip()
        # Redacted before it is cut short: a cut could split a secret.
        return self._failed(art, f"HTTP {status} {reason}: "
                                 f"{shorten(self.reporter.redact(text), 300, one_line=True)}"), ""

    def _exists(self, art: Artifact, status: int, *, retried: bool) -> FileResult:
        """The index says the file exists: compare with what its simple index lists."""
        try:
            files = self.existing(art.name, refresh=True)
        except IndexUnreadable:
            files = {}
        if art.filename in files:
            return self._compare(art, files[art.filename], uploaded_now=retried)
        return self._failed(art, f"the index says {art.filename} already exists "
                                 f"(HTTP {status}), but its simple index does not "
                                 "list it to compare hashes")

    # -- all files -------------------------------------------------------------------------
    def publish(
        self, artifacts: Sequence[Artifact], packages: Mapping[str, Any] | None = None
    ) -> list[FileResult]:
        """Publish ``artifacts``; one result per artifact, in the order given.

        ``packages`` are twine's PackageFiles from :func:`prepare_packages`, when the caller
        has already made them."""
        if packages is None:
            packages = prepare_packages(artifacts)
        if not self.options.index_check and not self.options.check_only:
            self.reporter.warning(
                f"not reading {self.target.display_url}'s simple index before uploading "
                "(index check off): an index that accepts overwrites may replace a "
                "published file")
        leaders, rest = upload_order(artifacts)
        results: dict[str, FileResult] = {}
        jobs = max(1, self.options.jobs or 4)

        def run(art: Artifact) -> FileResult:
            try:
                return self.publish_one(art, packages[art.filename])
            except _Refused as err:
                return self._failed(art, str(err))

        try:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                if self.options.index_check and leaders:
                    # Read each project's page once, all at once; a project the index
                    # already holds needs no leader, so its files all go in parallel.
                    known = set(pool.map(self._on_index, leaders)) - {None}
                    rest = [a for a in artifacts if all(a is not b for b in leaders)
                            or a.name in known]
                    rest.sort(key=lambda a: a.kind != "sdist")
                    leaders = [a for a in leaders if a.name not in known]
                for batch in (leaders, rest):
                    for art, result in zip(batch, pool.map(run, batch), strict=True):
                        results[art.filename] = result
            self._resolve_urls(results, artifacts)
        finally:
            self._uploads.close()
            self._session.close()
        return [results[a.filename] for a in artifacts]

    def _on_index(self, art: Artifact) -> str | None:
        """``art.name`` when the index lists files of that project (read with the usual
        retries; a failure is kept for :meth:`publish_one` to report)."""
        try:
            return art.name if self.existing(art.name) else None
        except IndexUnreadable as err:
            with self._cache_lock:
                self._unreadable[art.name] = err
            return None

    def _resolve_urls(self, results: dict[str, FileResult], artifacts: Sequence[Artifact]) -> None:
        """Point each uploaded file's result at its URL on the index (one read per project)."""
        names = {a.name for a in artifacts if results[a.filename].status == "uploaded"}
        for name in names:
            try:
                files = self.existing(name, refresh=True)
            except IndexUnreadable:
                continue
            for art in artifacts:
                found = files.get(art.filename)
                current = results[art.filename]
                if art.name == name and found is not None and current.status == "uploaded":
                    results[art.filename] = FileResult(
                        filename=current.filename, status="uploaded", url=found.url,
                        sha256=current.sha256)


def _strip(url: str) -> str:
    from hwb_action.publish.target import _strip_userinfo

    return _strip_userinfo(url)[0] if "://" in url else url

