"""``hwb release``: bump the version, write the changelog, commit, tag (and push), and with
``--github-release``/``--gitlab-release`` make the hosted release of the tag; the CI outputs
and summary are those of ``hwb version``, set once the release is done, plus ``released``
(``true`` when this run made the release, ``false`` otherwise)."""

from __future__ import annotations

import dataclasses

from packaging.version import Version

from hwb_action._command import CommandResult, Invocation
from hwb_action.commands.version import explain, plan_for, set_outputs, wants_all
from hwb_action.errors import UsageError
from hwb_action.git import Git
from hwb_action.options import ReleaseOptions
from hwb_action.versioning import ReleaseActions, ReleasePlan, ReleaseResult, apply_release
from hwb_action.versioning.changelog import section_notes
from hwb_action.versioning.hosted import HostedRelease, github_release, gitlab_release


def run(inv: Invocation) -> CommandResult:
    """Write the version and the changelog, commit, tag (and push) as the options say."""
    if wants_all(inv):
        msg = "--all is for hwb version: hwb release releases one package at a time"
        raise UsageError(msg, hint="run hwb release --path DIR for each package that "
                                   "hwb version --all lists with a version")
    plan, options = plan_for(inv, ReleaseOptions)
    explain(plan, inv.reporter, verb="releasing")
    result = apply_release(plan, ReleaseActions.from_options(options), environ=inv.environ,
                           reporter=inv.reporter)
    if plan.version is not None:
        done = [what for what, flag in (("committed", result.committed),
                                        ("tagged", result.tagged),
                                        ("pushed", result.pushed)) if flag]
        inv.reporter.info(f"released {plan.version}"
                          + (f": {', '.join(done)}" if done else " (files only)"))
    if options.github_release or options.gitlab_release:
        result = _hosted(inv, plan, result, options)
    set_outputs(plan, inv.reporter)  # only once the release is done
    inv.reporter.set_output("released", "true" if result.released else "false")
    return CommandResult(data=result.to_json(), text=plan.version or "")


def _hosted(inv: Invocation, plan: ReleasePlan, result: ReleaseResult,
            options: ReleaseOptions) -> ReleaseResult:
    """The GitHub/GitLab release of the tag just made, or of the release already at HEAD
    (a re-run after the hosted step failed updates it)."""
    if result.tagged and plan.tag is not None and plan.version is not None:
        tag, version, notes = plan.tag, plan.version, plan.release_notes
        if not result.pushed:
            inv.reporter.warning(f"the tag {tag} was not pushed (--push): the hosted "
                                 "release needs it, or its commit, on the remote")
    elif plan.released_at_head is not None and plan.previous_version is not None:
        tag, version = plan.released_at_head, plan.previous_version
        notes = ""
        if plan.changelog is not None and plan.changelog.suffix.lower() != ".rst" \
                and plan.changelog.is_file():
            notes = section_notes(plan.changelog.read_text(encoding="utf-8"), version)
    else:
        inv.reporter.info("no release tag at HEAD: no hosted release")
        return result
    dist = plan.project_dir / options.dist_dir
    assets = tuple(sorted(p for p in dist.iterdir() if p.is_file() and (
        p.name.endswith((".whl", ".tar.gz")) or p.name == "SHA256SUMS"))) \
        if dist.is_dir() else ()
    hosted = HostedRelease(
        tag=tag, commit=Git(plan.project_dir, environ=inv.environ).tag_target(tag),
        name=version, body=notes or f"Release {version}",
        prerelease=Version(version).is_prerelease, assets=assets)
    urls = list(result.hosted)
    if options.github_release:
        urls.append(github_release(hosted, environ=inv.environ, reporter=inv.reporter))
    if options.gitlab_release:
        urls.append(gitlab_release(hosted, version=version, environ=inv.environ,
                                   reporter=inv.reporter))
    return dataclasses.replace(result, hosted=tuple(u for u in urls if u))
