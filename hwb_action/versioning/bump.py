"""From parsed commits and the last release to the next version: SemVer or CalVer, PEP 440.

Every version produced here parses with :class:`packaging.version.Version` and is greater
than the previous release; anything else is a :class:`VersioningError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from packaging.version import InvalidVersion, Version

from hwb_action.errors import VersioningError
from hwb_action.versioning.commits import Commit

Level = Literal["none", "patch", "minor", "major"]
BumpKind = Literal["major", "minor", "patch", "none", "prerelease"]
PreLabel = Literal["a", "b", "rc"]
Scheme = Literal["semver", "calver"]

LEVELS: tuple[Level, ...] = get_args(Level)
_RANK = {name: i for i, name in enumerate(LEVELS)}
DEFAULT_BUMP_MAP: Mapping[str, Level] = {
    "feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch",
}
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
CALVER_TOKENS = ("YYYY", "YY", "0Y", "MM", "0M", "DD", "0D", "MICRO")


def max_level(levels: Iterable[Level]) -> Level:
    best: Level = "none"
    for level in levels:
        if _RANK[level] > _RANK[best]:
            best = level
    return best


def commit_level(commit: Commit, bump_map: Mapping[str, Level]) -> Level:
    """The bump one commit asks for: breaking -> major, else by type (unparsed: none)."""
    if commit.breaking:
        return "major"
    if commit.type is None:
        return "none"
    return bump_map.get(commit.type, "none")


@dataclass(frozen=True, kw_only=True)
class Release:
    """A released version as found in a tag (or a version file): its text and its value."""

    text: str
    version: Version
    tag: str | None = None


def parse_release(text: str, tag: str | None = None) -> Release | None:
    """A Release when ``text`` is a PEP 440 version without local part, else None."""
    try:
        version = Version(text)
    except InvalidVersion:
        return None
    if version.local is not None:
        return None
    return Release(text=text, version=version, tag=tag)


@dataclass(frozen=True, kw_only=True)
class NextVersion:
    """The computed next version and the kind of bump, for the report."""

    text: str
    version: Version
    bump: BumpKind
    finalizes: Release | None = None  # the pre-release this final release completes


# -- SemVer -----------------------------------------------------------------------------------
def _semver_candidate(base: Version, level: Level, *, major_on_zero: bool) -> tuple[int, ...]:
    major, minor, patch = ([*base.release, 0, 0])[:3]
    if level == "major" and major == 0 and not major_on_zero:
        level = "minor"
    if level == "major":
        return (major + 1, 0, 0)
    if level == "minor":
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


# -- CalVer -----------------------------------------------------------------------------------
def parse_calver_format(fmt: str) -> tuple[str, ...]:
    """The tokens of a CalVer format; a ValueError names the bad token."""
    tokens = tuple(fmt.split("."))
    for token in tokens:
        if token not in CALVER_TOKENS:
            msg = f"unknown CalVer token {token!r} (use {', '.join(CALVER_TOKENS)})"
            raise ValueError(msg)
    if "MICRO" in tokens and tokens[-1] != "MICRO":
        msg = "MICRO must be the last CalVer token"
        raise ValueError(msg)
    if tokens.count("MICRO") > 1 or len(tokens) < 2:
        msg = f"{fmt!r} is not a CalVer format such as YYYY.MM.MICRO"
        raise ValueError(msg)
    return tokens


def _date_value(part: str, day: dt.date) -> int:
    if part == "YYYY":
        return day.year
    if part in ("YY", "0Y"):
        return day.year - 2000
    if part in ("MM", "0M"):
        return day.month
    return day.day


def _render(tokens: tuple[str, ...], parts: tuple[int, ...]) -> str:
    out: list[str] = []
    for i, value in enumerate(parts):
        token = tokens[i] if i < len(tokens) else "MICRO"
        out.append(f"{value:02d}" if token in ("0Y", "0M", "0D") else str(value))
    return ".".join(out)


def _calver_candidate(
    tokens: tuple[str, ...], base: Version | None, day: dt.date
) -> tuple[int, ...]:
    date_tokens = [t for t in tokens if t != "MICRO"]
    date_parts = tuple(_date_value(t, day) for t in date_tokens)
    k = len(date_parts)
    prev = base.release if base is not None else ()
    same_day = prev[:k] == date_parts
    if base is not None and prev[:k] > date_parts:
        msg = (f"the CalVer date {'.'.join(map(str, date_parts))} is before the last release "
               f"{base}: versions never go backwards")
        raise VersioningError(msg, hint="check --date and the system clock")
    if "MICRO" in tokens:
        micro = (prev[k] if len(prev) > k else 0) + 1 if same_day else 0
        return (*date_parts, micro)
    if same_day:
        # A second release on the same day under YYYY.0M.0D: a fourth component keeps the
        # version increasing (2026.11.24 < 2026.11.24.1).
        return (*date_parts, (prev[k] if len(prev) > k else 0) + 1)
    return date_parts


# -- both ---------------------------------------------------------------------------------
def _same_line(pending: Release, candidate: tuple[int, ...], scheme: Scheme,
               tokens: tuple[str, ...]) -> bool:
    """Whether ``pending`` is a pre-release of ``candidate``, so the next release completes
    or continues it instead of starting a new one."""
    if pending.version.pre is None:
        return False
    if scheme == "semver":
        return pending.version.release >= candidate
    # The same date: 2026.11.0rc1 -> 2026.11.0 in November, a new number later.
    k = len([t for t in tokens if t != "MICRO"])
    return pending.version.release[:k] == candidate[:k]


def _pre_number(pre: PreLabel, continues: Release | None, text: str) -> int:
    """The number of the next ``pre`` pre-release of ``text``, after ``continues`` (one of
    the same release) when there is one."""
    if continues is None:
        return 1
    assert continues.version.pre is not None
    label, last = continues.version.pre
    if label == pre:
        return last + 1
    if _PRE_ORDER[pre] < _PRE_ORDER[label]:
        msg = (f"a {pre!r} pre-release after {continues.text} would go backwards "
               f"({text}{pre}1 < {continues.text})")
        raise VersioningError(msg, hint=f"use --pre {label} or a later label")
    return 1


def next_version(
    *,
    scheme: Scheme,
    level: Level,
    base: Release | None,
    pending: Release | None,
    pre: PreLabel | None,
    major_on_zero: bool = True,
    calver_format: str = "YYYY.MM.MICRO",
    today: dt.date | None = None,
) -> NextVersion | None:
    """The next version, or None when ``level`` is none (nothing to release).

    ``base`` is the last final release (None before the first one); ``pending`` the newest
    pre-release above it, which a final release completes and a further pre-release counts
    on from (1.4.0rc1 -> 1.4.0rc2 -> 1.4.0).
    """
    if level == "none":
        return None
    base_version = base.version if base is not None else None
    tokens: tuple[str, ...] = ()
    if scheme == "semver":
        candidate = _semver_candidate(base_version or Version("0.0.0"), level,
                                      major_on_zero=major_on_zero)
    else:
        tokens = parse_calver_format(calver_format)
        candidate = _calver_candidate(tokens, base_version, today or dt.date.today())
    target = candidate
    finalizes: Release | None = None
    if pending is not None and _same_line(pending, candidate, scheme, tokens):
        target = pending.version.release
        finalizes = pending
    text = _render(tokens, target) if scheme == "calver" else ".".join(map(str, target))
    bump: BumpKind = level
    if pre is not None:
        text = f"{text}{pre}{_pre_number(pre, finalizes, text)}"
        bump = "prerelease"
        finalizes = None
    version = Version(text)
    floor = pending if pending is not None else base
    if floor is not None and version <= floor.version:
        msg = f"the next version {text} would not be greater than {floor.text}"
        raise VersioningError(msg, hint="versions never go backwards; check the tags")
    return NextVersion(text=text, version=version, bump=bump, finalizes=finalizes)


_PRE_LABELS: dict[str, PreLabel] = {"a": "a", "b": "b", "rc": "rc"}


def check_pre_label(label: str) -> PreLabel | None:
    """``""`` -> None, else the label, validated."""
    if not label:
        return None
    if label not in _PRE_LABELS:
        msg = f"pre-release label must be a, b or rc, not {label!r}"
        raise VersioningError(msg)
    return _PRE_LABELS[label]
