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
``"committed"``, ``"tagged"``, ``"pushed"`` and ``"released"`` (booleans) and
``"hosted_releases"`` (URLs of the GitHub/GitLab releases made or updated).

``hwb version --all --json`` prints ``{"packages": [{"name", "path", "version",
"previous_version", "tag", "bump", "commits" (a count), "release_notes"}, ...]}``.

Modules: :mod:`.model` (options resolved, plan, result), :mod:`.planning` (the decision),
:mod:`.apply` (the atomic write-commit-tag), :mod:`.files` and :mod:`.locations` (where the
version lives), :mod:`.changelog` and :mod:`.rst` (the changelog), :mod:`.bump`,
:mod:`.commits`, :mod:`.git`.  The commands themselves, with
their CI outputs and summary, are :mod:`hwb_action.commands.version` and
:mod:`hwb_action.commands.release`.
"""

from __future__ import annotations

from hwb_action.versioning.apply import apply_release, version_mismatches
from hwb_action.versioning.model import (
    ReleaseActions,
    ReleasePlan,
    ReleaseResult,
    VersionConfig,
)
from hwb_action.versioning.planning import plan_release

__all__ = [
    "ReleaseActions",
    "ReleasePlan",
    "ReleaseResult",
    "VersionConfig",
    "apply_release",
    "plan_release",
    "version_mismatches",
]
