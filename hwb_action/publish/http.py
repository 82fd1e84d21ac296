"""The requests sessions an upload run uses, and how their answers are read.

One session reads the simple index (urllib3 may retry its GETs), the other sends the
uploads (no urllib3 retries: :mod:`hwb_action.publish.upload` retries, after asking the
index whether the file arrived).  Their keep-alive connections are shared by the upload
threads: one pool per host, as many connections as threads (requests' default keeps 10
and drops the rest).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from hwb_action import __version__
from hwb_action.publish.credentials import Credentials
from hwb_action.publish.results import UploadOptions


class TimeoutAdapter(HTTPAdapter):
    """twine's requests carry no timeout; a hung index must not hang the job."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(  # noqa: PLR0917 - the signature requests defines
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(request, stream=stream,
                            timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def _pool_size(options: UploadOptions) -> int:
    return max(1, options.jobs or 4)


def index_session(options: UploadOptions) -> requests.Session:
    """The session that reads the simple index."""
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, TimeoutAdapter(options.timeout, max_retries=2,
                                             pool_maxsize=_pool_size(options)))
    return session


def upload_session(options: UploadOptions, credentials: Credentials) -> requests.Session:
    """The session that sends the uploads, with the credential and hwb's User-Agent."""
    uploads = requests.Session()
    for scheme in ("http://", "https://"):
        uploads.mount(scheme, TimeoutAdapter(options.timeout, pool_maxsize=_pool_size(options)))
    uploads.auth = (credentials.username, credentials.password)
    uploads.headers["User-Agent"] = f"hwb/{__version__} {uploads.headers['User-Agent']}"
    return uploads


def decoded(resp: requests.Response) -> str:
    """The answer's text in its declared charset, else UTF-8.  Not ``resp.text``: without a
    charset that runs requests' encoding detection, a few milliseconds per answer."""
    try:
        return resp.content.decode(resp.encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return resp.content.decode("utf-8", errors="replace")
