"""``plan_release``: read git and files, decide the next release, touch nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
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
    extra = _extra_locations(project_dir, config, location)
    day = config.date or today or dt.date.today()
    changelog = project_dir / config.changelog if config.changelog else None

    def plan(**kw: Any) -> ReleasePlan:
        defaults: dict[str, Any] = {
            "project_dir": project_dir, "version": None, "previous_version": None,
            "tag": None, "compare_from": None, "bump": "none", "commits": (),
            "notes_commits": (), "reasons": (), "release_notes": "", "location": location,
            "extra_locations": extra, "changelog": changelog, "date": day.isoformat(),
            "scheme": config.scheme, "remote": config.remote,
        }
        return ReleasePlan(**{**defaults, **kw})

    if not info.has_head:
        return plan(reasons=("the repository has no commits yet",))

    found = releases(git.tags(merged=True), config.tag_format)
    finals = [r for r in found if r.version.pre is None]
    base = max(finals, key=lambda r: r.version, default=None)
    pres = [r for r in found if r.version.pre is not None
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
    levels = _levels(effective, git, base, config.bump_map)
    level = max_level(levels.values())
    since = f"since {base.tag}" if base is not None and base.tag else "in the history"
    previous = latest.text if latest is not None else None
    forced = bool(config.bump or config.version or config.finalize)

    def nothing(why: str) -> ReleasePlan:
        at_head = None
        if (latest is not None and latest.tag is not None
                and git.tag_target(latest.tag) == git.head_sha()):
            at_head = latest.tag
            why = f"{why}: HEAD is already released as {latest.tag}, nothing to do"
        return plan(previous_version=previous, commits=commits, reasons=(why,),
                    released_at_head=at_head)

    notes_source: Sequence[Commit] = effective
    compare_from = base.tag if base is not None else None
    pre = config.pre or None
    if config.bump == "prerelease" and pre is None:
        pre = pending.version.pre[0] if pending is not None and pending.version.pre else "rc"
    if pre is not None and pending is not None and pending.tag is not None:
        newer = git.rev_list(f"refs/tags/{pending.tag}", config.paths)
        notes_source = [c for c in effective if c.sha in newer]
        compare_from = pending.tag
        if max_level(levels[c.sha] for c in notes_source) == "none" and not forced:
            why = (f"no commits since {pending.tag}" if not notes_source else
                   f"no commit since {pending.tag} is a breaking change or of a type that "
                   "bumps")
            return nothing(why)

    nxt: NextVersion | None
    if config.version:
        wanted = parse_release(config.version)
        assert wanted is not None  # checked by VersionConfig.from_options
        if latest is not None and wanted.version <= latest.version:
            msg = (f"--version {config.version} is not greater than the last release "
                   f"{latest.text}: versions never go backwards")
            raise VersioningError(msg, hint=f"give a version above {latest.text}")
        nxt = NextVersion(text=config.version, version=wanted.version,
                          bump=_kind_of(wanted, base))
        why_first = f"--version {config.version}"
    elif config.finalize:
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
        why_first = f"--finalize {pending.text}"
    else:
        if config.bump in ("major", "minor", "patch"):
            level = config.bump
        elif config.bump == "prerelease" and level == "none":
            level = "patch"
        if level == "none":
            bumping = ", ".join(sorted(t for t, lv in config.bump_map.items() if lv != "none"))
            why = (f"{len(commits)} commit(s) {since}, none of them a breaking change or of a "
                   f"type that bumps ({bumping})" if commits else f"no commits {since}")
            return nothing(why)
        nxt = next_version(scheme=config.scheme, level=level, base=base, pending=pending,
                           pre=pre, major_on_zero=config.major_on_zero,
                           calver_format=config.calver_format, today=day)
        why_first = (f"--bump {config.bump}: {level} bump {since}" if config.bump
                     else f"{level} bump {since}")
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
    reasons = [f"{why_first}: {len(commits)} commit(s)"]
    if nxt.finalizes is not None:
        reasons.append(f"completes the pre-release {nxt.finalizes.text}")
    reasons += [f"{levels[c.sha]:>5}  {_describe(c)}" for c in ranked[:_MAX_REASONS]]
    if len(ranked) > _MAX_REASONS:
        reasons.append(f"       ... and {len(ranked) - _MAX_REASONS} more")
    # A revert that bumps nothing (of a chore, a release commit...) is not news either.
    notable = tuple(c for c in notes_source
                    if not (c.type == "revert" and levels[c.sha] == "none"))
    return plan(
        version=nxt.text, previous_version=previous, tag=tag, compare_from=compare_from,
        bump=nxt.bump, commits=commits, notes_commits=notable,
        reasons=tuple(reasons),
        release_notes=release_notes(notable, unparsed=config.unparsed),
    )
