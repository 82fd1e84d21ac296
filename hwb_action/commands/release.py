"""``hwb release``: bump the version, write the changelog, commit, tag (and push); the CI
outputs and summary are those of ``hwb version``, set once the release is done, plus
``released`` (``true`` when this run made the release, ``false`` otherwise)."""

from __future__ import annotations

from hwb_action._command import CommandResult, Invocation
from hwb_action.commands.version import explain, plan_for, set_outputs
from hwb_action.errors import UsageError
from hwb_action.options import ReleaseOptions
from hwb_action.versioning import ReleaseActions, apply_release


def run(inv: Invocation) -> CommandResult:
    """Write the version and the changelog, commit, tag (and push) as the options say."""
    if inv.cli.get("all") or inv.environ.get("HWB_ALL", "").lower() in ("1", "true", "yes"):
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
    set_outputs(plan, inv.reporter)  # only once the release is done
    inv.reporter.set_output("released", "true" if result.released else "false")
    return CommandResult(data=result.to_json(), text=plan.version or "")
