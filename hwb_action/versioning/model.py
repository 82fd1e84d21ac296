"""The versioning data: resolved options (:class:`VersionConfig`, :class:`ReleaseActions`),
the decision (:class:`ReleasePlan`) and what was done (:class:`ReleaseResult`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hwb_action.options import ReleaseOptions, VersionOptions
from hwb_action.versioning.bump import (
    DEFAULT_BUMP_MAP,
    LEVELS,
    BumpKind,
    Level,
    PreLabel,
    Scheme,
    check_pre_label,
    parse_calver_format,
    parse_release,
)
from hwb_action.versioning.commits import Commit
from hwb_action.versioning.locations import VersionLocation

ForcedBump = Literal["", "major", "minor", "patch", "prerelease"]


@dataclass(frozen=True, kw_only=True)
class VersionConfig:
    """How the next version is computed (the version options, resolved)."""

    tag_format: str = "v{version}"
    paths: tuple[str, ...] = ()
    scheme: Scheme = "semver"
    calver_format: str = "YYYY.MM.MICRO"
    major_on_zero: bool = True
    bump_map: Mapping[str, Level] = field(default_factory=lambda: dict(DEFAULT_BUMP_MAP))
    unparsed: Literal["other", "ignore"] = "other"
    version_file: str = ""
    changelog: str = "CHANGELOG.md"
    pre: PreLabel | None = None
    date: dt.date | None = None
    remote: str = "origin"
    version_files: tuple[str, ...] = ()
    bump: ForcedBump = ""
    version: str = ""
    finalize: bool = False

    @classmethod
    def from_options(cls, options: VersionOptions) -> VersionConfig:
        """Validate and convert the version options; errors point at where a value was set."""
        _check_tag_format(options)
        try:
            parse_calver_format(options.calver_format)
        except ValueError as err:
            raise options.settings.error("calver-format", str(err)) from None
        bump_map = _bump_map(options)
        day = _date(options)
        _check_exclusive(options)
        _check_remote(options)
        _check_pre_and_version(options)
        return cls(
            tag_format=options.tag_format,
            paths=options.paths,
            scheme=options.scheme,
            calver_format=options.calver_format,
            major_on_zero=options.major_on_zero,
            bump_map=bump_map,
            unparsed=options.unparsed,
            version_file=options.version_file,
            changelog=options.changelog,
            pre=check_pre_label(options.pre),
            date=day,
            remote=options.remote,
            version_files=tuple(f for f in options.version_files if f.strip()),
            bump=options.bump,
            version=options.version,
            finalize=options.finalize,
        )


def _check_tag_format(options: VersionOptions) -> None:
    tag_format = options.tag_format
    if tag_format.count("{version}") != 1 or any(c in tag_format for c in " ~^:?*[\\"):
        raise options.settings.error(
            "tag-format", f"{tag_format!r} must contain {{version}} exactly once and be a "
            "valid tag name", hint='e.g. "v{version}" or "mypkg-v{version}"')


def _bump_map(options: VersionOptions) -> dict[str, Level]:
    """The default bump map with bump-map's entries over it (keys and levels normalised)."""
    bump_map: dict[str, Level] = dict(DEFAULT_BUMP_MAP)
    for kind, level in options.bump_map.items():
        match = next((lv for lv in LEVELS if lv == str(level).strip().lower()), None)
        if match is None:
            raise options.settings.error("bump-map", f"{kind} = {level!r}: the level must be "
                                         "one of major, minor, patch, none")
        bump_map[kind.strip().lower()] = match
    return bump_map


def _date(options: VersionOptions) -> dt.date | None:
    if not options.date:
        return None
    try:
        return dt.date.fromisoformat(options.date)
    except ValueError:
        raise options.settings.error(
            "date", f"{options.date!r} is not a date (YYYY-MM-DD)") from None


def _check_exclusive(options: VersionOptions) -> None:
    """--bump, --version and --finalize exclude each other."""
    forced = [f"--{name}" for name, given in (("bump", options.bump),
                                               ("version", options.version),
                                               ("finalize", options.finalize)) if given]
    if len(forced) > 1:
        raise options.settings.error(
            forced[-1].removeprefix("--"), f"{' and '.join(forced)} cannot be combined",
            hint="give one of --bump, --version, --finalize")


def _check_pre_and_version(options: VersionOptions) -> None:
    """--version is a PEP 440 release; --pre goes with neither it nor --finalize."""
    error = options.settings.error
    if options.finalize and options.pre:
        raise error("finalize", "--finalize makes a final release; --pre a pre-release",
                    hint="drop --pre to finalize, or drop --finalize")
    if options.version:
        release = parse_release(options.version)
        if release is None or release.version.dev is not None:
            raise error("version", f"{options.version!r} is not a PEP 440 release version",
                        hint="e.g. 1.4.0, 2.0.0rc1 or 2026.11.0 (no local part or .dev)")
        if options.pre:
            raise error("pre", "--pre with --version: the version says it already",
                        hint="write the pre-release into --version, e.g. 2.0.0rc1")


def _check_remote(options: VersionOptions) -> None:
    if options.remote.startswith("-"):
        # It reaches git's command line (push, compare links): never as an option.
        raise options.settings.error(
            "remote", f"{options.remote!r} starts with '-': git would read it as an option",
            hint="name a remote (origin) or give its URL")


@dataclass(frozen=True, kw_only=True)
class ReleaseActions:
    """What ``hwb release`` does after the plan (the action part of
    :class:`hwb_action.options.ReleaseOptions`)."""

    commit: bool = True
    tag: bool = True
    push: bool = False
    allow_dirty: bool = False
    commit_message: str = "chore(release): {version}"

    @classmethod
    def from_options(cls, options: ReleaseOptions) -> ReleaseActions:
        return cls(commit=options.commit, tag=options.tag, push=options.push,
                   allow_dirty=options.allow_dirty, commit_message=options.commit_message)


@dataclass(frozen=True, kw_only=True)
class ReleasePlan:
    """Everything ``hwb release`` will do, decided without touching anything."""

    project_dir: Path
    version: str | None
    previous_version: str | None
    tag: str | None
    compare_from: str | None  # the tag the changelog's compare link starts at
    bump: BumpKind
    commits: tuple[Commit, ...]
    notes_commits: tuple[Commit, ...]
    reasons: tuple[str, ...]
    release_notes: str
    location: VersionLocation
    extra_locations: tuple[VersionLocation, ...] = ()  # version-files
    changelog: Path | None
    date: str
    scheme: Scheme
    remote: str
    released_at_head: str | None = None  # a release tag on HEAD when there is nothing new

    @property
    def locations(self) -> tuple[VersionLocation, ...]:
        """Every file the version is written to, the main one first."""
        return tuple(loc for loc in (self.location, *self.extra_locations)
                     if loc.kind != "none" and loc.path is not None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "previous_version": self.previous_version,
            "tag": self.tag,
            "bump": self.bump,
            "commits": [c.to_json() for c in self.commits],
            "release_notes": self.release_notes,
        }


@dataclass(frozen=True, kw_only=True)
class ReleaseResult:
    """What ``hwb release`` did."""

    plan: ReleasePlan
    files: tuple[Path, ...] = ()
    committed: bool = False
    tagged: bool = False
    pushed: bool = False
    hosted: tuple[str, ...] = ()  # URLs of the GitHub/GitLab releases made or updated

    @property
    def released(self) -> bool:
        """Whether this run made the release (wrote, committed or tagged it)."""
        return bool(self.files or self.committed or self.tagged)

    def to_json(self) -> dict[str, Any]:
        return {**self.plan.to_json(), "files": [str(p) for p in self.files],
                "committed": self.committed, "tagged": self.tagged, "pushed": self.pushed,
                "released": self.released, "hosted_releases": list(self.hosted)}
