"""Versioning: Conventional Commits since the last tag -> a SemVer or CalVer bump -> the
version written where it lives -> a Keep-a-Changelog section -> a release commit and tag.

Plan, then run: :func:`plan_release` reads git and files and decides everything, touching
nothing (that is ``hwb version``); :func:`apply_release` writes, commits, tags and pushes
(``hwb release``).

``hwb version --json`` prints one document::

    {
      "version": "1.4.0" | null,          # null: nothing to release
      "previous_version": "1.3.2" | null,  # the newest release tag reachable from HEAD
      "tag": "v1.4.0" | null,
      "bump": "major" | "minor" | "patch" | "none" | "prerelease",
      "commits": [{"sha", "type", "scope", "breaking", "subject"}, ...],  # newest first;
                                           # "type" null for commits that do not parse
      "release_notes": "### Added\\n\\n- ..."   # Markdown, "" when nothing to release
    }

``hwb release --json`` prints the same keys plus ``"files"`` (paths written),
``"committed"``, ``"tagged"`` and ``"pushed"`` (booleans).  The commands themselves, with
their CI outputs and summary, are :mod:`hwb_action.commands.version` and
:mod:`hwb_action.commands.release`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hwb_action.ci import Reporter
from hwb_action.errors import UsageError, VersioningError
from hwb_action.git import Git
from hwb_action.options import ReleaseOptions, VersionOptions
from hwb_action.settings import read_pyproject
from hwb_action.versioning.bump import (
    DEFAULT_BUMP_MAP,
    LEVELS,
    BumpKind,
    Level,
    PreLabel,
    Release,
    Scheme,
    check_pre_label,
    commit_level,
    max_level,
    next_version,
    parse_calver_format,
    parse_release,
)
from hwb_action.versioning.changelog import (
    forge_from_remote,
    release_notes,
    update_changelog,
)
from hwb_action.versioning.commits import Commit, drop_reverted, parse_commit
from hwb_action.versioning.locations import VersionLocation, locate, render_edit

__all__ = [
    "ReleaseActions",
    "ReleasePlan",
    "ReleaseResult",
    "VersionConfig",
    "apply_release",
    "plan_release",
]

_MAX_REASONS = 10


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

    @classmethod
    def from_options(cls, options: VersionOptions) -> VersionConfig:
        """Validate and convert the version options; errors point at where a value was set."""
        error = options.settings.error
        tag_format = options.tag_format
        if tag_format.count("{version}") != 1 or any(c in tag_format for c in " ~^:?*[\\"):
            raise error("tag-format", f"{tag_format!r} must contain {{version}} exactly once "
                        "and be a valid tag name", hint='e.g. "v{version}" or "mypkg-v{version}"')
        try:
            parse_calver_format(options.calver_format)
        except ValueError as err:
            raise error("calver-format", str(err)) from None
        bump_map: dict[str, Level] = dict(DEFAULT_BUMP_MAP)
        for kind, level in options.bump_map.items():
            match = next((lv for lv in LEVELS if lv == str(level).strip().lower()), None)
            if match is None:
                raise error("bump-map", f"{kind} = {level!r}: the level must be one of major, "
                            "minor, patch, none")
            bump_map[kind.strip().lower()] = match
        day: dt.date | None = None
        if options.date:
            try:
                day = dt.date.fromisoformat(options.date)
            except ValueError:
                raise error("date", f"{options.date!r} is not a date (YYYY-MM-DD)") from None
        return cls(
            tag_format=tag_format,
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
        )


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
    changelog: Path | None
    date: str
    scheme: Scheme
    remote: str

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

    def to_json(self) -> dict[str, Any]:
        return {**self.plan.to_json(), "files": [str(p) for p in self.files],
                "committed": self.committed, "tagged": self.tagged, "pushed": self.pushed}


def _tag_pattern(tag_format: str) -> re.Pattern[str]:
    prefix, _, suffix = tag_format.partition("{version}")
    return re.compile(re.escape(prefix) + r"(?P<version>[0-9].*?)" + re.escape(suffix) + "$")


def _releases(tags: Sequence[str], tag_format: str) -> list[Release]:
    """The tags that match the format and hold a PEP 440 version; others are ignored."""
    pattern = _tag_pattern(tag_format)
    found: list[Release] = []
    for tag in tags:
        match = pattern.match(tag)
        if match is None:
            continue
        release = parse_release(match.group("version"), tag)
        if release is not None and release.version.dev is None:
            found.append(release)
    return found


def _describe(commit: Commit) -> str:
    scope = f"({commit.scope})" if commit.scope else ""
    head = f"{commit.type}{scope}{'!' if commit.breaking else ''}: " if commit.type else ""
    return f"{head}{commit.subject} ({commit.short_sha})"


def plan_release(
    project_dir: Path,
    config: VersionConfig,
    *,
    environ: Mapping[str, str],
    reporter: Reporter | None = None,
    pyproject: tuple[dict[str, Any], str, Path | None] | None = None,
    today: dt.date | None = None,
) -> ReleasePlan:
    """Decide the next release of the project at ``project_dir`` (inside a git work tree).

    ``pyproject`` is :func:`~hwb_action.settings.read_pyproject` of ``project_dir`` when the
    caller has it already (it is read here otherwise).
    """
    git = Git(project_dir, environ=environ, reporter=reporter)
    info = git.info()
    if info.shallow and reporter is not None:
        reporter.warning("shallow clone: tags and history may be missing, so the version "
                         "may be wrong (actions/checkout: fetch-depth: 0)")
    data, text, _ = pyproject if pyproject is not None else read_pyproject(project_dir)
    location = locate(project_dir, config.version_file, data, text=text)
    day = config.date or today or dt.date.today()
    changelog = project_dir / config.changelog if config.changelog else None

    def plan(**kw: Any) -> ReleasePlan:
        defaults: dict[str, Any] = {
            "project_dir": project_dir, "version": None, "previous_version": None,
            "tag": None, "compare_from": None, "bump": "none", "commits": (),
            "notes_commits": (), "reasons": (), "release_notes": "", "location": location,
            "changelog": changelog, "date": day.isoformat(),
            "scheme": config.scheme, "remote": config.remote,
        }
        return ReleasePlan(**{**defaults, **kw})

    if not info.has_head:
        return plan(reasons=("the repository has no commits yet",))

    releases = _releases(git.tags(merged=True), config.tag_format)
    finals = [r for r in releases if r.version.pre is None]
    base = max(finals, key=lambda r: r.version, default=None)
    pres = [r for r in releases if r.version.pre is not None
            and (base is None or r.version > base.version)]
    pending = max(pres, key=lambda r: r.version, default=None)
    latest = pending or base
    if latest is None and location.current is not None:
        # Never tagged: the version in the file is the one to bump from.
        from_file = parse_release(location.current)
        if from_file is not None:
            if from_file.version.pre is None:
                base = from_file
            else:
                pending = from_file
            latest = from_file

    # refs/tags/ spelled out: a branch with the tag's name must not make it ambiguous.
    raw = git.log(f"refs/tags/{base.tag}" if base is not None and base.tag else None,
                  config.paths)
    commits = tuple(parse_commit(r.sha, r.message) for r in raw)
    effective = drop_reverted(commits)
    levels = {c.sha: commit_level(c, config.bump_map) for c in effective}
    level = max_level(levels.values())
    since = f"since {base.tag}" if base is not None and base.tag else "in the history"
    previous = latest.text if latest is not None else None

    notes_source: Sequence[Commit] = effective
    compare_from = base.tag if base is not None else None
    if config.pre is not None and pending is not None and pending.tag is not None:
        newer = git.rev_list(f"refs/tags/{pending.tag}", config.paths)
        notes_source = [c for c in effective if c.sha in newer]
        compare_from = pending.tag
        if max_level(levels[c.sha] for c in notes_source) == "none":
            why = (f"no commits since {pending.tag}" if not notes_source else
                   f"no commit since {pending.tag} is a breaking change or of a type that "
                   "bumps")
            return plan(previous_version=previous, commits=commits, reasons=(why,))

    if level == "none":
        bumping = ", ".join(sorted(t for t, lv in config.bump_map.items() if lv != "none"))
        why = (f"{len(commits)} commit(s) {since}, none of them a breaking change or of a "
               f"type that bumps ({bumping})" if commits else f"no commits {since}")
        return plan(previous_version=previous, commits=commits, reasons=(why,))

    nxt = next_version(scheme=config.scheme, level=level, base=base, pending=pending,
                       pre=config.pre, major_on_zero=config.major_on_zero,
                       calver_format=config.calver_format, today=day)
    assert nxt is not None
    if location.current is not None:
        current = parse_release(location.current)
        if current is not None and current.version > nxt.version:
            msg = (f"the next version {nxt.text} would be lower than {location.current} in "
                   f"{location.path}: versions never go backwards")
            raise VersioningError(msg, file=str(location.path),
                                  hint="tag the release that set that version, or correct "
                                       "the version in the file")
    tag = config.tag_format.replace("{version}", nxt.text)
    if tag in set(git.tags(merged=False)):
        msg = f"the tag {tag} already exists but is not reachable from HEAD"
        raise VersioningError(msg, hint="fetch all tags and branches (git fetch --tags), or "
                                        "check the tag-format")

    ranked = sorted((c for c in effective if levels[c.sha] != "none"),
                    key=lambda c: LEVELS.index(levels[c.sha]), reverse=True)
    reasons = [f"{level} bump {since}: {len(commits)} commit(s)"]
    if nxt.finalizes is not None:
        reasons.append(f"completes the pre-release {nxt.finalizes.text}")
    reasons += [f"{levels[c.sha]:>5}  {_describe(c)}"
                for c in ranked[:_MAX_REASONS]]
    if len(ranked) > _MAX_REASONS:
        reasons.append(f"       ... and {len(ranked) - _MAX_REASONS} more")
    return plan(
        version=nxt.text, previous_version=previous, tag=tag, compare_from=compare_from,
        bump=nxt.bump, commits=commits, notes_commits=tuple(notes_source),
        reasons=tuple(reasons),
        release_notes=release_notes(notes_source, unparsed=config.unparsed),
    )


def apply_release(
    plan: ReleasePlan,
    actions: ReleaseActions,
    *,
    environ: Mapping[str, str],
    reporter: Reporter | None = None,
) -> ReleaseResult:
    """Write the version and the changelog, commit, tag and push, as ``actions`` say."""
    if plan.version is None or plan.tag is None:
        return ReleaseResult(plan=plan)
    git = Git(plan.project_dir, environ=environ, reporter=reporter)
    if not actions.allow_dirty:
        dirty = git.dirty()
        if dirty:
            msg = f"the work tree has uncommitted changes ({len(dirty)} file(s))"
            raise UsageError(msg, details=dirty[:20],
                             hint="commit or stash them first, or pass --allow-dirty")
    # Compute every new file first: nothing is written unless all of it can be.
    writes: list[tuple[Path, bytes]] = []
    edited = render_edit(plan.location, plan.version)
    if edited is not None and plan.location.path is not None:
        writes.append((plan.location.path, edited))
    if plan.changelog is not None:
        try:
            existing: str | None = plan.changelog.read_bytes().decode("utf-8")
        except FileNotFoundError:
            existing = None
        except UnicodeDecodeError as err:
            msg = f"not valid UTF-8 ({err.reason})"
            raise VersioningError(msg, file=str(plan.changelog)) from err
        text = update_changelog(existing, version=plan.version, tag=plan.tag, date=plan.date,
                                notes=plan.release_notes, previous_tag=plan.compare_from,
                                forge=forge_from_remote(git.remote_url(plan.remote)),
                                scheme=plan.scheme)
        if text == existing:
            if reporter is not None:
                reporter.info(f"{plan.changelog} already has a section for {plan.version}; "
                              "left as it is")
        else:
            writes.append((plan.changelog, text.encode("utf-8")))
    for path, data in writes:
        path.write_bytes(data)
        if reporter is not None:
            reporter.info(f"wrote {path}")
    files = tuple(path for path, _ in writes)
    committed = tagged = pushed = False
    if actions.commit and files:
        git.add(files)
        git.commit(actions.commit_message.replace("{version}", plan.version)
                   .replace("{tag}", plan.tag), files)
        committed = True
    elif files and actions.tag and reporter is not None:
        reporter.warning(f"--no-commit: the tag {plan.tag} points at HEAD, which does not "
                         "hold the changes just written")
    if actions.tag:
        git.tag(plan.tag, f"Release {plan.version}")
        tagged = True
    if actions.push:
        refs = (["HEAD"] if committed else []) + ([f"refs/tags/{plan.tag}"] if tagged else [])
        if refs:
            git.push(plan.remote, refs)
            pushed = True
    return ReleaseResult(plan=plan, files=files, committed=committed, tagged=tagged,
                         pushed=pushed)
