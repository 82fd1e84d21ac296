"""``hwb plan [SOURCE]``: read the project, print the build matrix, set the ``matrix``
output and the summary."""

from __future__ import annotations

from hwb_action._command import CommandResult, Invocation
from hwb_action.commands.context import open_project
from hwb_action.options import PlanOptions, from_settings
from hwb_action.plan import format_plan, plan_targets, summary, target_data


def run(inv: Invocation) -> CommandResult:
    """Plan SOURCE; the matrix goes to stdout in ``--format`` and to the ``matrix`` output."""
    with open_project(inv) as ctx:
        options = from_settings(PlanOptions, ctx.settings)
        plan = plan_targets(ctx.project, options, environ=inv.environ)
    for note in plan.notes:
        inv.reporter.info(note)
    inv.reporter.set_output("matrix", format_plan(plan, "github"))
    inv.reporter.add_summary(summary(ctx.project, plan))
    fmt = options.format or ("github" if inv.json else "table")
    return CommandResult(
        data=plan.matrix(), text=format_plan(plan, fmt, gitlab_publish=options.gitlab_publish),
        extra={"notes": list(plan.notes), "targets": [target_data(t) for t in plan.targets]},
    )
