"""Keep a Changelog (https://keepachangelog.com/en/1.1.0/): release notes from commits, and
a new section inserted into CHANGELOG.md under ``## [Unreleased]``.

An existing changelog is extended, never rewritten: the bytes before and after the insertion
point stay as they were, except that entries written by hand under ``## [Unreleased]`` move
into the new release (that is what Keep a Changelog asks for) and the ``[unreleased]``
compare link moves on to the new tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from hwb_action.versioning.commits import Commit

# Keep a Changelog's categories, in its order, plus "Other" for unparsed commits.
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security", "Other")
TYPE_SECTIONS: Mapping[str, str] = {
    "feat": "Added", "fix": "Fixed", "perf": "Changed", "refactor": "Changed",
    "revert": "Changed", "deprecate": "Deprecated", "deprecated": "Deprecated",
    "remove": "Removed", "removed": "Removed", "security": "Security",
}

HEADER = """# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to {scheme}.

## [Unreleased]
"""
_SCHEMES = {"semver": "[Semantic Versioning](https://semver.org/spec/v2.0.0.html)",
            "calver": "[Calendar Versioning](https://calver.org/)"}

_H2 = re.compile(r"^## ")
_UNRELEASED = re.compile(r"^##[ \t]+\[?unreleased\]?[ \t]*$", re.IGNORECASE)
_H3 = re.compile(r"^###[ \t]+(?P<name>.+?)[ \t]*$")
_LINK_DEF = re.compile(r"^\[(?P<label>[^\]]+)\]:[ \t]*\S")


def section_for(commit: Commit) -> str | None:
    """The Keep-a-Changelog category of a commit (None: not listed)."""
    if commit.type is None:
        return "Other"
    if commit.scope and commit.scope.lower() == "security":
        return "Security"
    section = TYPE_SECTIONS.get(commit.type)
    if section is None and commit.breaking:
        return "Changed"
    return section


def _entry(commit: Commit) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    mark = "**BREAKING:** " if commit.breaking else ""
    subject = f"Revert {commit.subject}" if commit.type == "revert" else commit.subject
    return f"- {mark}{scope}{subject} ({commit.short_sha})"


def group(commits: Iterable[Commit], *, unparsed: str = "other") -> dict[str, list[str]]:
    """Entries by category, in Keep a Changelog's order; commits oldest first."""
    groups: dict[str, list[str]] = {}
    for commit in commits:
        section = section_for(commit)
        if section is None or (section == "Other" and unparsed != "other"):
            continue
        groups.setdefault(section, []).append(_entry(commit))
    return {name: groups[name] for name in SECTIONS if name in groups}


def release_notes(commits: Sequence[Commit], *, unparsed: str = "other") -> str:
    """Markdown release notes: breaking changes first, then one ``###`` block per category."""
    oldest_first = list(reversed(commits))
    parts: list[str] = []
    breaking = [c for c in oldest_first if c.breaking]
    if breaking:
        lines = []
        for c in breaking:
            what = "; ".join(c.breaking_notes) or c.subject
            lines.append(f"- {('**' + c.scope + ':** ') if c.scope else ''}{what}")
        parts.append("### ⚠ Breaking changes\n\n" + "\n".join(lines))
    for name, entries in group(oldest_first, unparsed=unparsed).items():
        parts.append(f"### {name}\n\n" + "\n".join(entries))
    return "\n\n".join(parts)


# -- forges and compare links ----------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Forge:
    """A known forge's web base of the repository (no credentials), for compare links."""

    kind: str
    base: str

    def compare(self, old: str, new: str) -> str:
        if self.kind == "gitlab":
            return f"{self.base}/-/compare/{old}...{new}"
        return f"{self.base}/compare/{old}...{new}"

    def tag(self, tag: str) -> str:
        if self.kind == "gitlab":
            return f"{self.base}/-/tags/{tag}"
        if self.kind == "gitea":
            return f"{self.base}/src/tag/{tag}"
        return f"{self.base}/releases/tag/{tag}"


_FORGES = {"github.com": "github", "gitlab.com": "gitlab", "codeberg.org": "gitea"}
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


def forge_from_remote(url: str | None) -> Forge | None:
    """The forge behind a remote URL (https, ssh://, or scp-like git@host:owner/repo)."""
    if not url:
        return None
    if "://" in url:
        parts = urlsplit(url)
        host, path = (parts.hostname or ""), parts.path
    else:
        match = _SCP.match(url)
        if match is None:
            return None
        host, path = match.group("host"), match.group("path")
    kind = _FORGES.get(host.lower())
    path = path.strip("/").removesuffix(".git")
    if kind is None or path.count("/") < 1:
        return None
    # Only host and path: credentials in the remote URL never reach the changelog.
    return Forge(kind=kind, base=f"https://{host.lower()}/{path}")


# -- the file ---------------------------------------------------------------------------------
def render_section(version: str, date: str, notes: str) -> str:
    head = f"## [{version}] - {date}"
    return f"{head}\n\n{notes}\n" if notes else f"{head}\n"


def _merge_unreleased(notes: str, hand: list[str]) -> str:
    """Hand-written Unreleased entries merged into the generated notes by category."""
    preamble: list[str] = []
    blocks: dict[str, list[str]] = {}
    current: list[str] = preamble
    for line in hand:
        match = _H3.match(line)
        if match:
            current = blocks.setdefault(match.group("name"), [])
        else:
            current.append(line)
    generated: dict[str, str] = {}
    order: list[str] = []
    for block in notes.split("\n\n### ") if notes else []:
        name, _, body = block.removeprefix("### ").partition("\n\n")
        generated[name] = body
        order.append(name)
    for name, lines in blocks.items():
        extra = "\n".join(line for line in lines if line.strip())
        if not extra:
            continue
        if name in generated:
            generated[name] = generated[name] + "\n" + extra
        else:
            generated[name] = extra
            order.append(name)
    text = "\n\n".join(f"### {name}\n\n{generated[name]}" for name in order)
    lead = "\n".join(preamble).strip("\n")
    return f"{lead}\n\n{text}".strip("\n") if lead else text


def has_section(text: str, version: str) -> bool:
    """Whether the changelog has a ``## [version]`` (or ``## version``) section."""
    heading = re.compile(rf"^##[ \t]+\[?{re.escape(version)}\]?(?:[ \t].*)?$", re.MULTILINE)
    return heading.search(text.replace("\r\n", "\n")) is not None


def update_changelog(
    existing: str | None,
    *,
    version: str,
    tag: str,
    date: str,
    notes: str,
    previous_tag: str | None,
    forge: Forge | None,
    scheme: str = "semver",
) -> str:
    """The changelog with a section for ``version`` added under ``## [Unreleased]``.

    A changelog that already has a section for ``version`` (a release re-run after the
    commit or tag step failed, or after ``--no-commit --no-tag``) comes back unchanged."""
    if existing is not None and has_section(existing, version):
        return existing
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    text = (existing or HEADER.format(scheme=_SCHEMES.get(scheme, _SCHEMES["semver"])))
    lines = text.replace("\r\n", "\n").split("\n")
    unreleased = next((i for i, line in enumerate(lines) if _UNRELEASED.match(line)), None)
    if unreleased is not None:
        end = next((j for j in range(unreleased + 1, len(lines)) if _H2.match(lines[j])
                    or _LINK_DEF.match(lines[j])), len(lines))
        hand = lines[unreleased + 1:end]
        if any(line.strip() for line in hand):
            notes = _merge_unreleased(notes, hand)
        body = ["", *render_section(version, date, notes).rstrip("\n").split("\n")]
        tail = lines[end:]
        if tail:
            body.append("")
        lines = lines[:unreleased + 1] + body + tail
    else:
        first = next((i for i, line in enumerate(lines) if _H2.match(line)
                      or _LINK_DEF.match(line)), None)
        section = render_section(version, date, notes).rstrip("\n").split("\n")
        if first is None:
            while lines and not lines[-1].strip():
                lines.pop()
            lines = [*lines, "", *section, ""]
        else:
            lines = lines[:first] + section + [""] + lines[first:]
    if forge is not None:
        lines = _separate_links(_update_links(
            lines, version=version, tag=tag, previous_tag=previous_tag, forge=forge,
            has_unreleased=unreleased is not None))
    out = "\n".join(lines)
    if not out.endswith("\n"):
        out += "\n"
    return out.replace("\n", newline) if newline != "\n" else out


def _separate_links(lines: list[str]) -> list[str]:
    """A blank line before each block of link definitions: right under a list item or a
    paragraph, Markdown reads ``[x]: url`` as more of that text and never renders the link."""
    out: list[str] = []
    for line in lines:
        if (_LINK_DEF.match(line) and out and out[-1].strip()
                and not _LINK_DEF.match(out[-1])):
            out.append("")
        out.append(line)
    return out


def _update_links(
    lines: list[str], *, version: str, tag: str, previous_tag: str | None, forge: Forge,
    has_unreleased: bool,
) -> list[str]:
    new_link = (f"[{version}]: {forge.compare(previous_tag, tag)}" if previous_tag
                else f"[{version}]: {forge.tag(tag)}")
    unreleased_link = f"[unreleased]: {forge.compare(tag, 'HEAD')}"
    defs = [i for i, line in enumerate(lines) if _LINK_DEF.match(line)]
    labels = {_LINK_DEF.match(lines[i]).group("label").lower(): i  # type: ignore[union-attr]
              for i in defs}
    if version.lower() in labels:
        return lines
    out = list(lines)
    if "unreleased" in labels:
        i = labels["unreleased"]
        label = _LINK_DEF.match(out[i]).group("label")  # type: ignore[union-attr]
        out[i] = f"[{label}]: {forge.compare(tag, 'HEAD')}"
        out.insert(i + 1, new_link)
        return out
    while out and not out[-1].strip():
        out.pop()
    block = [unreleased_link, new_link] if has_unreleased else [new_link]
    if defs:
        out.extend(block)
    else:
        out.extend(["", *block])
    return [*out, ""]


def section_notes(text: str, version: str) -> str:
    """The body of the ``## [version]`` section of a Markdown changelog ("" when absent):
    the release notes of a release made earlier, for its hosted release."""
    lines = text.replace("\r\n", "\n").split("\n")
    heading = re.compile(rf"^##[ \t]+\[?{re.escape(version)}\]?(?:[ \t].*)?$")
    start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    if start is None:
        return ""
    end = next((j for j in range(start + 1, len(lines))
                if _H2.match(lines[j]) or _LINK_DEF.match(lines[j])), len(lines))
    return "\n".join(lines[start + 1:end]).strip("\n")
