"""Small text helpers that several modules need, kept in one place.

Standard library only: ``entrypoint.py`` may import this before anything is installed.
"""

from __future__ import annotations

ELLIPSIS = "..."


def shorten(text: str, limit: int = 300, *, one_line: bool = False) -> str:
    """``text`` in at most ``limit`` characters, ending in ``...`` when it was cut.

    With ``one_line``, every run of whitespace (line breaks too) becomes one space first,
    for a server's answer or a log line quoted inside a message.
    """
    if one_line:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS


def human_size(size: int) -> str:
    """A size for people in IEC units (``597 B``, ``8.6 KiB``, ``1.2 MiB``): the one unit
    hwb uses everywhere, in the terminal and in summaries."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def location(file: str | None, line: int | None = None, col: int | None = None) -> str:
    """``file:line:col`` as far as it is known; an empty string without a file.

    A column without a line means nothing and is left out.
    """
    if not file:
        return ""
    where = file
    if line is not None:
        where += f":{line}"
        if col is not None:
            where += f":{col}"
    return where


def parse_pair(item: str) -> tuple[str, str] | None:
    """``KEY=VALUE`` as ``(key, value)``: the key stripped, the value kept as given
    (it may hold ``=`` and spaces); None when there is no ``=`` or no key."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        return None
    return key, value
