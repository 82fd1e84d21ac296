"""The changelog in the changelog's own markup: Markdown (Keep a Changelog) or
reStructuredText, never one appended to the other.

``CHANGELOG.md``/``.markdown`` are Markdown, ``CHANGELOG.rst`` reStructuredText; a ``.txt``
or suffix-less file is whichever its existing text is written in (Markdown when new).  Other
formats (AsciiDoc, Org) are refused with a message rather than written wrongly.
"""

from __future__ import annotations

import re
from pathlib import Path

from hwb_action.errors import ConfigError
from hwb_action.versioning.changelog import Forge, update_changelog

RST_HEADER = """Changelog
=========

All notable changes to this project will be documented in this file.

The format is based on `Keep a Changelog <https://keepachangelog.com/en/1.1.0/>`_,
and this project adheres to {scheme}.

Unreleased
----------
"""
_SCHEMES = {"semver": "`Semantic Versioning <https://semver.org/spec/v2.0.0.html>`_",
            "calver": "`Calendar Versioning <https://calver.org/>`_"}
_MARKDOWN = (".md", ".markdown")
_SNIFFED = ("", ".txt")
_UNDERLINE = re.compile(r"""^([=\-~^"'`#*+<>:.!$%&,/;?@\\_|])\1+[ \t]*$""")
_UNRELEASED = re.compile(r"^\[?unreleased\]?$", re.IGNORECASE)
_MD_H2 = re.compile(r"^##[ \t]", re.MULTILINE)
_MD_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<url>[^)\s]+)\)")
_MD_CODE = re.compile(r"(?<!`)`(?P<code>[^`\n]+)`(?!`)")


def is_rst(path: Path, existing: str | None) -> bool:
    """Whether the changelog at ``path`` is reStructuredText; a ConfigError for a markup
    hwb does not write."""
    suffix = path.suffix.lower()
    if suffix == ".rst":
        return True
    if suffix in _MARKDOWN:
        return False
    if suffix in _SNIFFED:
        if not existing or _MD_H2.search(existing):
            return False
        return bool(_titles(existing.replace("\r\n", "\n").split("\n")))
    msg = f"{path.name}: hwb writes changelogs in Markdown or reStructuredText, not {suffix}"
    raise ConfigError(msg, file=str(path),
                      hint="set changelog to a .md or .rst file, or to an empty value to "
                           "write none")


def changelog_text(path: Path, existing: str | None, *, version: str, tag: str, date: str,
                   notes: str, previous_tag: str | None, forge: Forge | None,
                   scheme: str = "semver") -> str:
    """The changelog with a section for ``version``, in the file's own markup."""
    if is_rst(path, existing):
        return update_rst(existing, version=version, date=date, notes=notes, scheme=scheme)
    return update_changelog(existing, version=version, tag=tag, date=date, notes=notes,
                            previous_tag=previous_tag, forge=forge, scheme=scheme)


def markdown_notes_to_rst(notes: str, sub: str) -> list[str]:
    """The Markdown release notes as reStructuredText lines; ``sub`` underlines categories."""
    out: list[str] = []
    for line in notes.split("\n"):
        if line.startswith("### "):
            title = line[4:].strip()
            out += [title, sub * max(len(title), 4)]
            continue
        coded = _MD_CODE.sub(lambda m: f"``{m.group('code')}``", line)
        out.append(_MD_LINK.sub(lambda m: f"`{m.group('text')} <{m.group('url')}>`_", coded))
    return out


def _titles(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, underline character) of each section title."""
    found: list[tuple[int, str]] = []
    for i in range(len(lines) - 1):
        text, under = lines[i].rstrip(), lines[i + 1].rstrip()
        if (text and not text[0].isspace() and not _UNDERLINE.match(text)
                and _UNDERLINE.match(under) and len(under) >= len(text)):
            found.append((i, under[0]))
    return found


def _has_version(lines: list[str], titles: list[tuple[int, str]], version: str) -> bool:
    heads = (version, f"[{version}]", f"v{version}")
    return any(lines[i].strip().split(" ")[0] in heads for i, _ in titles)


def update_rst(existing: str | None, *, version: str, date: str, notes: str,
               scheme: str = "semver") -> str:
    """The reStructuredText changelog with a ``version - date`` section: after the
    Unreleased section's title (whose hand-written entries move into it), else before the
    first release section, else at the end."""
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    text = existing or RST_HEADER.format(scheme=_SCHEMES.get(scheme, _SCHEMES["semver"]))
    lines = text.replace("\r\n", "\n").split("\n")
    titles = _titles(lines)
    if _has_version(lines, titles, version):
        return existing if existing is not None else text
    top = titles[0][1] if titles else "="
    unreleased = next(((i, c) for i, c in titles if _UNRELEASED.match(lines[i].strip())), None)
    later = [(i, c) for i, c in titles[1:] if c != top]
    level = unreleased[1] if unreleased else (later[0][1] if later else "-")
    used = {c for _, c in titles}
    deeper = [c for _, c in titles if c not in (top, level)]
    sub = deeper[0] if deeper else next(c for c in "~^\"'`+" if c not in used | {level, top})
    head = f"{version} - {date}"
    section = ["", head, level * len(head), ""]
    if notes:
        section += [*markdown_notes_to_rst(notes, sub), ""]
    if unreleased is not None:
        start = unreleased[0] + 2
        end = next((i for i, c in titles if i > unreleased[0] and c in (level, top)),
                   len(lines))
        hand = [line for line in lines[start:end] if line.strip()]
        if hand:
            section += [*hand, ""]
        lines = lines[:start] + section + lines[end:]
    elif later:
        at = later[0][0]
        lines = lines[:at] + section[1:] + lines[at:]
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += section
    out = "\n".join(lines)
    if not out.endswith("\n"):
        out += "\n"
    return out.replace("\n", newline) if newline != "\n" else out
