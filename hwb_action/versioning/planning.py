"""``plan_release``: read git and files, decide the next release, touch nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hwb_action.ci import Reporter
from hwb_action.errors import VersioningError
from hwb_action.git import Git
from hwb_action.settings import read_pyproject
from hwb_action.versioning.bump import (
    LEVELS,
    BumpKind,
    Level,
    NextVersion,
    PreLabel,
    Release,
    commit_level,
    max_level,
    next_version,
    parse_release,
)
from hwb_action.versioning.changelog import release_notes
from hwb_action.versioning.commits import Commit, drop_reverted, parse_commit
from hwb_action.versioning.files import locate_file
from hwb_action.versioning.locations import VersionLocation, locate
from hwb_action.versioning.model import ReleasePlan, VersionConfig

_MAX_REASONS = 10


def _tag_pattern(tag_format: str) -> re.Pattern[str]:
    prefix, _, suffix = tag_format.partition("{version}")
    return re.compile(re.escape(prefix) + r"(?P<version>[0-9].*?)" + re.escape(suffix) + "$")


def releases(tags: Sequence[str], tag_format: str) -> list[Release]:
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


def revert_level(commit: Commit, git: Git, base: Release | None,
                 bump_map: Mapping[str, Level]) -> Level:
    """A revert whose target is not in the range (the pairs in it cancel out) bumps only when
    the target itself bumps and was released (is in ``base``'s history)."""
    target_level: Level = "none"
    if commit.reverts is not None:
        sha = git.full_sha(commit.reverts)
        released = (sha is not None and base is not None and base.tag is not None
                    and git.is_ancestor(sha, f"refs/tags/{base.tag}"))
        message = git.message(sha) if released and sha is not None else None
        if message is not None:
            target_level = commit_level(parse_commit(sha or "", message), bump_map)
    else:
        # `revert: feat: x` without a sha: the reverted header is the subject.
        target_level = commit_level(parse_commit(commit.sha, commit.subject), bump_map)
    if target_level == "none":
        return "none"
    return bump_map.get("revert", "patch")


def _levels(effective: Sequence[Commit], git: Git, base: Release | None,
            bump_map: Mapping[str, Level]) -> dict[str, Level]:
    levels: dict[str, Level] = {}
    for c in effective:
        if c.type == "revert" and not c.breaking:
            levels[c.sha] = revert_level(c, git, base, bump_map)
        else:
            levels[c.sha] = commit_level(c, bump_map)
    return levels


def _kind_of(new: Release, base: Release | None) -> BumpKind:
    """What kind of bump an explicit or finalized version is, next to the last release."""
    if new.version.pre is not None:
        return "prerelease"
    old = ([*base.version.release, 0, 0, 0] if base is not None else [0, 0, 0])[:3]
    now = [*new.version.release, 0, 0, 0][:3]
    return "major" if now[0] != old[0] else "minor" if now[1] != old[1] else "patch"


def _extra_locations(project_dir: Path, config: VersionConfig,
                     main: VersionLocation) -> tuple[VersionLocation, ...]:
    seen = {(main.path.resolve(), main.variable) if main.path is not None else None}
    found: list[VersionLocation] = []
    for spec in config.version_files:
        loc = locate_file(project_dir, spec)
        key = (loc.path.resolve(), loc.variable) if loc.path is not None else None
        same_as_main = (main.kind == "pyproject" and loc.kind == "toml"
                        and loc.variable == "project.version" and loc.path == main.path)
        if key in seen or same_as_main:
            continue
        seen.add(key)
        found.append(loc)
    return tuple(found)


@dataclass(frozen=True)
class _Releases:
    """The last final release (``base``) and a pre-release after it (``pending``)."""

    base: Release | None = None
    pending: Release | None = None

    @property
    def latest(self) -> Release | None:
        return self.pending or self.base

    @property
    def previous(self) -> str | None:
        """The version the next one follows."""
        return self.latest.text if self.latest is not None else None


@dataclass(frozen=True)
class _History:
    """The commits since the base release, those a revert leaves, and the level of each."""

    commits: tuple[Commit, ...]
    effective: Sequence[Commit]
    levels: Mapping[str, Level]


def _last_releases(git: Git, tag_format: str, current: str | None) -> _Releases:
    found = releases(git.tags(merged=True), tag_format)
    base = max((r for r in found if r.version.pre is None),
               key=lambda r: r.version, default=None)
    pending = max((r for r in found if r.version.pre is not None
                   and (base is None or r.version > base.version)),
                  key=lambda r: r.version, default=None)
    if base is None and pending is None and current is not None:
        # Never tagged: the version in the file is the one to bump from.
        from_file = parse_release(current)
        if from_file is None:
            return _Releases()
        if from_file.version.pre is None:
            return _Releases(base=from_file)
        return _Releases(pending=from_file)
    return _Releases(base=base, pending=pending)


def _history(git: Git, config: VersionConfig, base: Release | None) -> _History:
    # refs/tags/ spelled out: a branch with the tag's name must not make it ambiguous.
    raw = git.log(f"refs/tags/{base.tag}" if base is not None and base.tag else None,
                  config.paths)
    commits = tuple(parse_commit(r.sha, r.message) for r in raw)
    effective = drop_reverted(commits)
    return _History(commits=commits, effective=effective,
                    levels=_levels(effective, git, base, config.bump_map))


def _pre_label(config: VersionConfig, pending: Release | None) -> PreLabel | None:
    if config.pre or config.bump != "prerelease":
        return config.pre or None
    return pending.version.pre[0] if pending is not None and pending.version.pre else "rc"


def _nothing(blank: ReleasePlan, git: Git, rel: _Releases, history: _History,
             why: str) -> ReleasePlan:
    """The plan when nothing is released, saying why (and if HEAD is released already)."""
    latest, at_head = rel.latest, None
    if (latest is not None and latest.tag is not None
            and git.tag_target(latest.tag) == git.head_sha()):
        at_head = latest.tag
        why = f"{why}: HEAD is already released as {latest.tag}, nothing to do"
    return replace(blank, previous_version=rel.previous,
                   commits=history.commits, reasons=(why,), released_at_head=at_head)


def _explicit_version(config: VersionConfig, rel: _Releases) -> tuple[NextVersion, str]:
    """``--version``: the version given, if it is above the last release."""
    wanted = parse_release(config.version)
    assert wanted is not None  # checked by VersionConfig.from_options
    latest = rel.latest
    if latest is not None and wanted.version <= latest.version:
        msg = (f"--version {config.version} is not greater than the last release "
               f"{latest.text}: versions never go backwards")
        raise VersioningError(msg, hint=f"give a version above {latest.text}")
    nxt = NextVersion(text=config.version, version=wanted.version,
                      bump=_kind_of(wanted, rel.base))
    return nxt, f"--version {config.version}"


def _finalized_version(rel: _Releases) -> tuple[NextVersion, str]:
    """``--finalize``: the pending pre-release without its pre-release part."""
    pending, base = rel.pending, rel.base
    if pending is None:
        msg = (f"--finalize: there is no pre-release after "
               f"{base.text if base is not None else 'the start'} to finalize")
        raise VersioningError(msg, hint="make one with --pre rc first, or release "
                                        "without --finalize")
    final = ".".join(map(str, pending.version.release))
    final_release = parse_release(final)
    assert final_release is not None
    nxt = NextVersion(text=final, version=final_release.version,
                      bump=_kind_of(final_release, base), finalizes=pending)
    return nxt, f"--finalize {pending.text}"


def _bump_level(config: VersionConfig, history: _History) -> Level:
    """The commits' level, unless ``--bump`` says otherwise."""
    level = max_level(history.levels.values())
    if config.bump in ("major", "minor", "patch"):
        return config.bump
    if config.bump == "prerelease" and level == "none":
        return "patch"
    return level


def _no_bump_reason(config: VersionConfig, history: _History, since: str) -> str:
    if not history.commits:
        return f"no commits {since}"
    bumping = ", ".join(sorted(t for t, lv in config.bump_map.items() if lv != "none"))
    return (f"{len(history.commits)} commit(s) {since}, none of them a breaking change or of "
            f"a type that bumps ({bumping})")


def _check_not_backwards(location: VersionLocation, nxt: NextVersion) -> None:
    current = parse_release(location.current) if location.current is not None else None
    if current is not None and current.version > nxt.version:
        msg = (f"the next version {nxt.text} would be lower than {location.current} in "
               f"{location.path}: versions never go backwards")
        raise VersioningError(msg, file=str(location.path),
                              hint="tag the release that set that version, or correct "
                                   "the version in the file")


def _check_tag_free(git: Git, tag: str) -> None:
    if tag in set(git.tags(merged=False)):
        msg = f"the tag {tag} already exists but is not reachable from HEAD"
        raise VersioningError(msg, hint="fetch all tags and branches (git fetch --tags), or "
                                        "check the tag-format")


def _reasons(why_first: str, history: _History, nxt: NextVersion) -> tuple[str, ...]:
    """Why this version: the decision, then the commits that bump most, first."""
    levels = history.levels
    ranked = sorted((c for c in history.effective if levels[c.sha] != "none"),
                    key=lambda c: LEVELS.index(levels[c.sha]), reverse=True)
    reasons = [f"{why_first}: {len(history.commits)} commit(s)"]
    if nxt.finalizes is not None:
        reasons.append(f"completes the pre-release {nxt.finalizes.text}")
    reasons += [f"{levels[c.sha]:>5}  {_describe(c)}" for c in ranked[:_MAX_REASONS]]
    if len(ranked) > _MAX_REASONS:
        reasons.append(f"       ... and {len(ranked) - _MAX_REASONS} more")
    return tuple(reasons)


def plan_release(
    project_dir: Path,
    config: VersionConfig,
    *,
    environ: Mapping[str, str],
    reporter: Reporter | None = None,
    pyproject: tuple[dict[str, Any], str, Path | None] | None = None,
    today: dt.date | None = None,
    git: Git | None = None,
) -> ReleasePlan:
    """Decide the next release of the project at ``project_dir`` (inside a git work tree).

    ``pyproject`` is :func:`~hwb_action.settings.read_pyproject` of ``project_dir`` when the
    caller has it already (it is read here otherwise); ``git`` a :class:`Git` in
    ``project_dir`` when the caller shares one between packages (``hwb version --all``).
    """
    git = git or Git(project_dir, environ=environ, reporter=reporter)
    info = git.info()
    if info.shallow and reporter is not None:
        reporter.warning("shallow clone: tags and history may be missing, so the version "
                         "may be wrong (actions/checkout: fetch-depth: 0)")
    data, text, _ = pyproject if pyproject is not None else read_pyproject(project_dir)
    location = locate(project_dir, config.version_file, data, text=text)
    day = config.date or today or dt.date.today()
    blank = ReleasePlan(
        project_dir=project_dir, version=None, previous_version=None, tag=None,
        compare_from=None, bump="none", commits=(), notes_commits=(), reasons=(),
        release_notes="", location=location,
        extra_locations=_extra_locations(project_dir, config, location),
        changelog=project_dir / config.changelog if config.changelog else None,
        date=day.isoformat(), scheme=config.scheme, remote=config.remote)
    if not info.has_head:
        return replace(blank, reasons=("the repository has no commits yet",))

    rel = _last_releases(git, config.tag_format, location.current)
    history = _history(git, config, rel.base)
    since = f"since {rel.base.tag}" if rel.base is not None and rel.base.tag else "in the history"
    pre = _pre_label(config, rel.pending)
    notes_source = history.effective
    compare_from = rel.base.tag if rel.base is not None else None
    if pre is not None and rel.pending is not None and rel.pending.tag is not None:
        # A next pre-release: its notes are what came after the last one.
        newer = git.rev_list(f"refs/tags/{rel.pending.tag}", config.paths)
        notes_source = [c for c in history.effective if c.sha in newer]
        compare_from = rel.pending.tag
        forced = bool(config.bump or config.version or config.finalize)
        if max_level(history.levels[c.sha] for c in notes_source) == "none" and not forced:
            return _nothing(blank, git, rel, history, (
                f"no commits since {rel.pending.tag}" if not notes_source else
                f"no commit since {rel.pending.tag} is a breaking change or of a type that "
                "bumps"))

    nxt: NextVersion | None
    if config.version:
        nxt, why_first = _explicit_version(config, rel)
    elif config.finalize:
        nxt, why_first = _finalized_version(rel)
    else:
        level = _bump_level(config, history)
        if level == "none":
            return _nothing(blank, git, rel, history, _no_bump_reason(config, history, since))
        nxt = next_version(scheme=config.scheme, level=level, base=rel.base,
                           pending=rel.pending, pre=pre, major_on_zero=config.major_on_zero,
                           calver_format=config.calver_format, today=day)
        why_first = (f"--bump {config.bump}: {level} bump {since}" if config.bump
                     else f"{level} bump {since}")
    assert nxt is not None
    _check_not_backwards(location, nxt)
    tag = config.tag_format.replace("{version}", nxt.text)
    _check_tag_free(git, tag)
    # A revert that bumps nothing (of a chore, a release commit...) is not news either.
    notable = tuple(c for c in notes_source
                    if not (c.type == "revert" and history.levels[c.sha] == "none"))
    return replace(
        blank, version=nxt.text, previous_version=rel.previous,
        tag=tag, compare_from=compare_from, bump=nxt.bump, commits=history.commits,
        notes_commits=notable, reasons=_reasons(why_first, history, nxt),
        release_notes=release_notes(notable, unparsed=config.unparsed),
    )
