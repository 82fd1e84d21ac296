"""Conventional Commits 1.0: ``type(scope)!: subject``, ``BREAKING CHANGE:`` footers, reverts.

https://www.conventionalcommits.org/en/v1.0.0/ -- written here rather than taken from a
library because the parsers on PyPI (commitizen's, python-semantic-release's) come with
their whole tool; this is two regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# type, optional (scope), optional !, then the REQUIRED colon and space.
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+"
    r"(?P<subject>\S.*)$"
)
# Footers: ``Token: value`` or ``Token #value``; BREAKING CHANGE is the one token with a space.
_FOOTER = re.compile(r"^(?P<token>BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z][\w-]*)(?:: | #)")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE: ?(?P<text>.*)$")
# git revert's default message: Revert "<header>" ... This reverts commit <sha>.
_GIT_REVERT = re.compile(r'^Revert "(?P<header>.*)"\s*$')
_REVERTS = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,64})")


@dataclass(frozen=True, kw_only=True)
class Commit:
    """One commit, parsed.  ``type`` is None when the header is not a Conventional Commit."""

    sha: str
    type: str | None
    scope: str | None
    breaking: bool
    subject: str
    breaking_notes: tuple[str, ...] = ()
    reverts: str | None = None

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    def to_json(self) -> dict[str, object]:
        return {"sha": self.sha, "type": self.type, "scope": self.scope,
                "breaking": self.breaking, "subject": self.subject}


def _breaking_notes(lines: Sequence[str]) -> tuple[bool, tuple[str, ...]]:
    """Whether a BREAKING CHANGE footer is present, and the text of each; a footer runs
    until the next footer token."""
    found = False
    notes: list[str] = []
    current: list[str] | None = None
    for line in lines:
        match = _BREAKING.match(line)
        if match:
            found = True
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [match.group("text").strip()]
        elif current is not None:
            if _FOOTER.match(line):
                notes.append(" ".join(current).strip())
                current = None
            elif line.strip():
                current.append(line.strip())
    if current is not None:
        notes.append(" ".join(current).strip())
    return found, tuple(n for n in notes if n)


def parse_commit(sha: str, message: str) -> Commit:
    """Parse one commit message (header, body paragraphs, footers)."""
    # Cheap checks first: this runs once per commit, 20,000 times on a long history.
    text = (message.replace("\r\n", "\n") if "\r" in message else message).strip("\n")
    header, _, rest = text.partition("\n")
    header = header.strip()
    is_revert = header[:6].lower() == "revert"
    reverted = _REVERTS.search(rest) if is_revert else None
    git_revert = _GIT_REVERT.match(header) if is_revert else None
    if git_revert:
        return Commit(sha=sha, type="revert", scope=None, breaking=False,
                      subject=git_revert.group("header"),
                      reverts=reverted.group("sha") if reverted else None)
    match = _HEADER.match(header)
    if match is None:
        return Commit(sha=sha, type=None, scope=None, breaking=False, subject=header)
    found, notes = (_breaking_notes(rest.split("\n")) if "BREAKING" in rest
                    else (False, ()))
    kind = match.group("type").lower()
    scope = match.group("scope")
    return Commit(
        sha=sha,
        type=kind,
        scope=scope.strip() if scope and scope.strip() else None,
        breaking=bool(match.group("bang")) or found,
        subject=match.group("subject").strip(),
        breaking_notes=notes,
        reverts=reverted.group("sha") if kind == "revert" and reverted else None,
    )


def drop_reverted(commits: Iterable[Commit]) -> list[Commit]:
    """Remove each revert together with the commit it reverts when both are in the range.

    ``commits`` are newest first, so a revert is met before what it reverts; a revert of
    a revert cancels the first revert and leaves the original commit in.
    """
    ordered = list(commits)
    by_sha = {c.sha: c for c in ordered}
    dropped: set[str] = set()
    for commit in ordered:
        if commit.sha in dropped or commit.reverts is None:
            continue
        target = by_sha.get(commit.reverts)
        if target is None:  # an abbreviated sha
            target = next((c for c in ordered if c.sha.startswith(commit.reverts)), None)
        if target is not None and target.sha not in dropped:
            dropped.update((commit.sha, target.sha))
    return [c for c in ordered if c.sha not in dropped]
