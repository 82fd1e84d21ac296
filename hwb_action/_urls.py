"""Credentials in URLs: how they are hidden, masked and kept out of error text.

A URL such as ``https://TOKEN@host/`` or ``https://user:p%40ss@host/`` carries a secret
that git, urllib and hwb itself may print back.  Everything shown goes through
:func:`redact_url` (one URL) or :func:`redact_text` (any text, e.g. git's own stderr),
and :func:`url_secrets` lists every spelling of the secret (raw, decoded, encoded) for a
reporter to mask.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable

# scheme://userinfo@ anywhere in a text; the user-info may not hold '/', '@' or spaces.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")


def redact_url(url: str) -> str:
    """``url`` with its credentials replaced by ``***``.

    For http(s) the whole user-info goes (a token is often sent as the user name); for
    ssh and other schemes the user name is kept (``git@``) and only a password hidden.
    """
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if parts.scheme.removeprefix("git+") in ("http", "https"):
        netloc = "***@" + hostport
    else:
        user, sep, _ = userinfo.partition(":")
        netloc = (user + (":***" if sep else "")) + "@" + hostport
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _spellings(secret: str) -> list[str]:
    """``secret`` as given, percent-decoded, and percent-encoded (both common ways)."""
    plain = urllib.parse.unquote(secret)
    return [secret, plain, urllib.parse.quote(plain, safe=""), urllib.parse.quote_plus(plain)]


def url_secrets(url: str) -> list[str]:
    """The strings of ``url`` to mask in every log: the password, or a lone user name
    of an http(s) URL (a token), in every spelling a tool may print."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return []
    userinfo = parts.netloc.rpartition("@")[0]
    user, sep, password = userinfo.partition(":")
    found = _spellings(password) if sep and password else []
    if not sep and parts.scheme.removeprefix("git+") in ("http", "https"):
        found += _spellings(user)
    return [s for s in dict.fromkeys(found) if s]


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the user-info of every URL in it and every one of ``secrets`` (and
    their encoded spellings) replaced by ``***``."""
    text = _USERINFO.sub(lambda m: m.group("scheme") + "***@", text)
    spelled = {s for secret in secrets if secret for s in _spellings(secret)}
    for secret in sorted(spelled, key=len, reverse=True):
        if len(secret) >= 3:  # shorter strings would shred ordinary words
            text = text.replace(secret, "***")
    return text


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback addresses (a test server, a local mirror)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_allowed(url: str, allow_http: bool) -> bool:
    """True for https, and for plain http to loopback or when ``allow_http`` is given."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (
        parts.scheme == "http" and (allow_http or is_loopback(parts.hostname))
    )
