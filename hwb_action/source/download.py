"""Downloading an sdist or tarball named by an https URL.

urllib from the standard library does this (one GET, no retries or sessions needed);
what it lacks is added here: credentials in the URL become a Basic ``Authorization``
header that is not sent on to a redirect target, a redirect may not downgrade to plain
http, the body is bounded in size and in time (a per-read timeout and a deadline for the
whole transfer), and the URL is only ever shown without its credentials.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import http.client
    import ssl
    import urllib.request
    from http.client import HTTPMessage

from hwb_action import __version__
from hwb_action._urls import http_allowed, redact_text, redact_url
from hwb_action._values import env_seconds
from hwb_action.errors import SourceError, UsageError

DEFAULT_MAX_DOWNLOAD = 1024**3
DEFAULT_TIMEOUT = 60.0
"""Seconds any one connect or read may wait (``HWB_DOWNLOAD_TIMEOUT``)."""
DEFAULT_DEADLINE = 900.0
"""Seconds the whole download may take, however the bytes trickle in
(``HWB_DOWNLOAD_DEADLINE``)."""
_CHUNK = 1024 * 1024


def _redirects(shown: str, allow_http: bool) -> urllib.request.HTTPRedirectHandler:
    """A redirect handler that refuses a redirect to plain http."""
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(  # noqa: PLR0917 (urllib's signature)
            self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
            headers: HTTPMessage, newurl: str,
        ) -> urllib.request.Request | None:
            if not http_allowed(newurl, allow_http):
                msg = f"{shown} redirects to {redact_url(newurl)}, which is not https"
                raise SourceError(msg, hint="use the final https URL")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return Redirects()


def _proxies(environ: Mapping[str, str]) -> dict[str, str]:
    # The same reading as urllib.request.getproxies_environment, from the mapping we are
    # handed rather than os.environ.
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        key = name.lower()
        if value and key.endswith("_proxy"):
            proxies[key[: -len("_proxy")]] = value
    for name, value in environ.items():  # lower case wins, as in urllib
        if value and name.endswith("_proxy") and name.islower():
            proxies[name[: -len("_proxy")]] = value
    return proxies


def _proxies_for(environ: Mapping[str, str], host: str) -> dict[str, str]:
    """The proxies to reach ``host`` through (none when ``no_proxy`` names it)."""
    import urllib.request

    proxies = _proxies(environ)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if proxies and bypass(host, proxies):
        proxies = {}
    proxies.pop("no", None)
    return proxies


def _archive_name(parts: urllib.parse.SplitResult, shown: str) -> str:
    """The file name the URL ends in: a plain name, never a path or a hidden file."""
    name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        msg = f"{shown} does not end in an archive file name"
        raise UsageError(msg, hint="give the URL of the .tar.gz or .zip file itself")
    return name


def _request(parts: urllib.parse.SplitResult) -> urllib.request.Request:
    """A GET of the URL without its credentials, which go in a header instead."""
    import urllib.request

    netloc = parts.netloc.rpartition("@")[2]
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc, fragment=""))
    # S310: the caller checked the scheme (https, or http when allowed).
    request = urllib.request.Request(  # noqa: S310
        clean, headers={"User-Agent": f"hwb/{__version__}"}
    )
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        # Unredirected: a redirect to another host must not carry the credentials.
        request.add_unredirected_header("Authorization", f"Basic {token}")
    return request


def download(
    url: str,
    dest_dir: Path,
    *,
    environ: Mapping[str, str],
    allow_http: bool = False,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD,
    sha256: str | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
) -> Path:
    """Download ``url`` into ``dest_dir`` under its own file name; returns the file.

    ``timeout`` bounds each connect and read (default ``HWB_DOWNLOAD_TIMEOUT`` from
    ``environ``, else 60 s); ``deadline`` bounds the whole transfer (default
    ``HWB_DOWNLOAD_DEADLINE``, else 900 s), so a server that drips one byte at a time
    is cut off too.
    """
    # Imported here: only downloads need them, and every hwb command imports this module.
    import http.client
    import ssl
    import urllib.request

    shown = redact_url(url)
    if timeout is None:
        timeout = env_seconds(environ, "HWB_DOWNLOAD_TIMEOUT", DEFAULT_TIMEOUT)
    if deadline is None:
        deadline = env_seconds(environ, "HWB_DOWNLOAD_DEADLINE", DEFAULT_DEADLINE)
    parts = urllib.parse.urlsplit(url)
    if not http_allowed(url, allow_http):
        msg = f"refusing to download {shown} over plain http"
        raise UsageError(msg, hint="use an https:// URL (plain http is allowed only for "
                                   "localhost and 127.0.0.1)")
    name = _archive_name(parts, shown)
    request = _request(parts)
    proxies = _proxies_for(environ, parts.hostname or "")
    context = ssl.create_default_context(cafile=environ.get("SSL_CERT_FILE") or None)
    watchdog = _Watchdog(deadline)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies),
        *watchdog.handlers(context),
        _redirects(shown, allow_http),
    )
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / name
    late = SourceError(f"download of {shown} took longer than {deadline:g} seconds",
                       hint="the server or the network is too slow; raise "
                            "HWB_DOWNLOAD_DEADLINE if it must be so")
    try:
        with watchdog:
            # Each socket wait is bounded by the per-read timeout; the watchdog ends the
            # connection at the deadline, however slowly headers or body trickle in.
            digest = _transfer(opener, request, target, shown=shown, max_bytes=max_bytes,
                               timeout=min(timeout, deadline))
    except (SourceError, OSError, ValueError, http.client.HTTPException) as err:
        if watchdog.expired:
            raise late from err
        if isinstance(err, SourceError):
            raise
        raise _failure(err, shown, min(timeout, deadline)) from err
    if watchdog.expired:  # a connection cut short can look like a short, complete answer
        raise late
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        msg = f"{shown} has sha256 {digest.hexdigest()}, not the {sha256} given in SOURCE"
        raise SourceError(msg, hint="the file changed or was tampered with")
    return target


def _transfer(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, target: Path, *,
    shown: str, max_bytes: int, timeout: float,
) -> hashlib._Hash:
    """GET ``request`` into ``target``, bounded in size; the sha256 of what was written."""
    digest = hashlib.sha256()
    with opener.open(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            msg = f"{shown} is {int(length)} bytes, more than the limit of {max_bytes}"
            raise SourceError(msg, hint="is this really an sdist?")
        size = 0
        with open(target, "wb") as out:
            # read1: one socket read at a time (read(n) would wait for all n bytes).
            while chunk := response.read1(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    msg = f"{shown} is more than the limit of {max_bytes} bytes"
                    raise SourceError(msg, hint="is this really an sdist?")
                digest.update(chunk)
                out.write(chunk)
        # http.client's read does not raise when the connection ends early.
        if length and length.isdigit() and size != int(length):
            msg = f"download of {shown} was cut off after {size} of {length} bytes"
            raise SourceError(msg, hint="try again; check the network or proxy")
    return digest


def _failure(err: Exception, shown: str, wait: float) -> SourceError:
    """The error a failed download is reported as (never showing credentials)."""
    import urllib.error

    if isinstance(err, urllib.error.HTTPError):
        msg = f"download of {shown} failed: HTTP {err.code} {err.reason}"
        hint = {
            401: "the server wants credentials: https://USER:TOKEN@host/... (never printed)",
            403: "the credentials were refused or do not allow reading this file",
            404: "check the URL: the file is not there",
        }.get(err.code, "check the URL and try again")
        return SourceError(msg, hint=hint)
    if isinstance(err, TimeoutError) or (
        isinstance(err, urllib.error.URLError) and isinstance(err.reason, TimeoutError)
    ):
        msg = f"download of {shown}: no data for {wait:g} seconds"
        return SourceError(msg, hint="the server or the network stalled; raise "
                                     "HWB_DOWNLOAD_TIMEOUT if it must be so")
    if isinstance(err, urllib.error.URLError):
        msg = f"could not download {shown}: {redact_text(str(err.reason))}"
        return SourceError(msg, hint="check the URL and the network (proxy variables, "
                                     "SSL_CERT_FILE for a private CA)")
    msg = f"could not download {shown}: {redact_text(str(err))}"  # resets, bad responses
    return SourceError(msg, hint="check the URL and the network, then try again")


class _Watchdog:
    """Ends every connection of one download when its deadline passes.

    A socket timeout bounds each wait, not their sum: a server that sends a byte every
    few seconds (in the headers or the body) would never trip it.  The watchdog records
    each socket as it connects and shuts them all down at the deadline, which wakes the
    blocked read.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handlers(self, context: ssl.SSLContext) -> list[urllib.request.BaseHandler]:
        """urllib handlers whose connections report their sockets to this watchdog."""
        import http.client
        import urllib.request

        watchdog = self

        class Plain(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        class Secure(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        class PlainHandler(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(Plain, req)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(Secure, req, context=context)

        return [PlainHandler(), SecureHandler(context=context)]
