"""``hwb version [--path DIR]``: print the next version from Conventional Commits and say
why; change nothing.

``hwb version`` and ``hwb release`` both set the CI outputs ``version``,
``previous-version``, ``tag`` and ``release-notes`` (``version`` is empty when there is
nothing to release) and add the release notes to the job summary.  ``hwb version --all``
lists every package of a workspace instead, with the outputs ``packages`` and
``changed-packages`` (JSON).
"""

from __future__ import annotations

import dataclasses
import json
from typing import TypeVar

from hwb_action._command import CommandResult, Invocation
from hwb_action.ci import Reporter
from hwb_action.options import VersionOptions, from_settings
from hwb_action.settings import BY_NAME, convert_text, read_pyproject, resolve
from hwb_action.versioning import ReleasePlan, VersionConfig, plan_release, version_mismatches
from hwb_action.versioning.workspace import package_defaults, plan_all

VersionOptionsT = TypeVar("VersionOptionsT", bound=VersionOptions)


def plan_for(inv: Invocation,
             cls: type[VersionOptionsT]) -> tuple[ReleasePlan, VersionOptionsT]:
    """The release plan of ``--path`` and the command's options, from one parse of its
    pyproject.toml (settings and the version's location both read it)."""
    given = inv.cli.get("path") or inv.environ.get("HWB_PATH") or "."
    project_dir = (inv.cwd / str(given)).resolve()
    pyproject = read_pyproject(project_dir if project_dir.is_dir() else None)
    settings = resolve(inv.command, cli=inv.cli, environ=inv.environ, project_dir=project_dir,
                       pyproject=pyproject)
    options = from_settings(cls, settings)
    config = VersionConfig.from_options(options)
    if project_dir.is_dir():
        # Inside a workspace, a package's defaults are those hwb version --all gives it.
        tag_format, paths = package_defaults(project_dir, settings, pyproject[0])
        config = dataclasses.replace(config, tag_format=tag_format or config.tag_format,
                                     paths=paths if paths is not None else config.paths)
    plan = plan_release(project_dir, config,
                        environ=inv.environ, reporter=inv.reporter, pyproject=pyproject)
    return plan, options


def explain(plan: ReleasePlan, reporter: Reporter, *, verb: str) -> None:
    """Say on the log what the next version is and why (or why there is none)."""
    if plan.version is None:
        reporter.info(f"nothing to release: {plan.reasons[0] if plan.reasons else ''}")
        return
    came_from = f" (from {plan.previous_version})" if plan.previous_version else ""
    more = f" and {len(plan.extra_locations)} more file(s)" if plan.extra_locations else ""
    reporter.info(f"{verb} {plan.version}{came_from}, tag {plan.tag}; version lives in "
                  f"{plan.location.describe()}{more}")
    for reason in plan.reasons:
        reporter.info("  " + reason)
    if verb != "releasing":  # hwb release refuses with the same list
        for mismatch in version_mismatches(plan):
            reporter.warning(f"version-files: {mismatch} (hwb release will refuse)")


def set_outputs(plan: ReleasePlan, reporter: Reporter) -> None:
    """The CI outputs and the job summary of ``hwb version`` and ``hwb release``."""
    reporter.set_output("version", plan.version or "")
    reporter.set_output("previous-version", plan.previous_version or "")
    reporter.set_output("tag", plan.tag or "")
    reporter.set_output("release-notes", plan.release_notes)
    if plan.version is not None:
        reporter.add_summary(f"## Release {plan.version}\n\n"
                             + (plan.release_notes or "_No notable changes._") + "\n")


def wants_all(inv: Invocation) -> bool:
    """``--all`` (or HWB_ALL) given: decided before the settings of one package are read."""
    if inv.cli.get("all") is not None:
        return bool(inv.cli["all"])
    text = inv.environ.get("HWB_ALL", "")
    return bool(text) and bool(convert_text(BY_NAME["all"], text, "HWB_ALL"))


def run_all(inv: Invocation) -> CommandResult:
    """``hwb version --all``: every package of the workspace and its next version."""
    given = inv.cli.get("path") or inv.environ.get("HWB_PATH") or "."
    plans = plan_all((inv.cwd / str(given)).resolve(), command=inv.command, cli=inv.cli,
                     environ=inv.environ, reporter=inv.reporter)
    for item in plans:
        why = item.plan.reasons[0] if item.plan.reasons else ""
        inv.reporter.info(f"{item.name} ({item.path}): {item.plan.version or 'nothing'} - {why}")
    packages = [item.to_json() for item in plans]
    brief = [{k: p[k] for k in ("name", "path", "version", "previous_version", "tag")}
             for p in packages]
    inv.reporter.set_output("packages", json.dumps(brief))
    changed = [p for p in brief if p["version"]]
    inv.reporter.set_output("changed-packages", json.dumps([p["path"] for p in changed]))
    text = "\n".join(f"{p['path']} {p['name']} {p['version'] or '-'}" for p in brief)
    return CommandResult(data={"packages": packages}, text=text)


def run(inv: Invocation) -> CommandResult:
    """Print the next version (stdout) and why (log); change nothing."""
    if wants_all(inv):
        return run_all(inv)
    plan, _ = plan_for(inv, VersionOptions)
    explain(plan, inv.reporter, verb="next version")
    set_outputs(plan, inv.reporter)
    # The commit list can be 20,000 entries long: build it only when it is printed.
    data = plan.to_json() if inv.json else {"version": plan.version, "tag": plan.tag}
    return CommandResult(data=data, text=plan.version or "")

