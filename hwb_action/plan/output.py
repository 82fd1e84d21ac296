"""The plan as text: GitHub matrix JSON, GitLab ``parallel:matrix`` YAML, a table, a summary."""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

import yaml

from hwb_action._suggest import did_you_mean
from hwb_action.errors import UsageError
from hwb_action.plan.model import SDIST_TARGET, BuildTarget, Plan
from hwb_action.project import Project

PlanFormat = Literal["github", "gitlab", "gitlab-pipeline", "table", "json"]
FORMATS: tuple[PlanFormat, ...] = get_args(PlanFormat)


def format_plan(plan: Plan, fmt: str, *, gitlab_publish: bool = False) -> str:
    """The plan as ``github`` (one-line matrix JSON), ``json`` (indented), ``gitlab`` (a
    ``parallel: matrix:`` YAML block of the wheel cells with GitLab's runner tags),
    ``gitlab-pipeline`` (a child pipeline, with a publish job when ``gitlab_publish``) or
    ``table``."""
    if fmt == "gitlab-pipeline":
        from hwb_action.plan.pipeline import format_pipeline

        return format_pipeline(plan, publish=gitlab_publish)
    if fmt == "github":
        return json.dumps(plan.matrix(), separators=(",", ":"))
    if fmt == "json":
        return json.dumps(plan.matrix(), indent=2)
    if fmt == "gitlab":
        # GitLab's parallel:matrix holds CI variables (strings: an array would fan out into
        # more jobs), and `hwb build` reads HWB_* variables as its settings: HWB_TARGET is
        # meant to be read (the cell to build); the rest are HWB_CELL_* so that, say, the
        # cell's Python does not become --python.  A job takes its runner as
        # `tags: [$HWB_CELL_RUNNER]`.  The sdist cell is left out: GitLab's template and
        # child pipeline have their own hwb-sdist job, and hwb-build builds wheels only.
        rows = []
        for cell in plan.cells("gitlab"):
            if cell.target == SDIST_TARGET:
                continue
            row: dict[str, str] = {}
            for key, value in cell.to_dict().items():
                name = "HWB_TARGET" if key == "target" else (
                    "HWB_CELL_" + key.upper().replace("-", "_"))
                row[name] = " ".join(value) if isinstance(value, list) else str(value)
            rows.append(row)
        return yaml.safe_dump({"parallel": {"matrix": rows}}, sort_keys=False,
                              default_flow_style=False).rstrip("\n")
    if fmt == "table":
        header = ["target", "python", "platform", "arch", "runner", "artifact-name"]
        cells = plan.cells()
        rows_t = [[_short(c.target), c.python, c.platform, c.arch, c.runner, c.artifact_name]
                  for c in cells]
        widths = [max(len(r[i]) for r in [header, *rows_t]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in [header, *rows_t]]
        count = len(plan.targets)
        lines.append(f"{len(cells)} cell(s), {count} identifier(s)")
        return "\n".join(lines)
    msg = f"unknown plan format {fmt!r}" + did_you_mean(fmt, FORMATS)
    raise UsageError(msg, hint="formats: " + ", ".join(FORMATS))


def _short(target: str) -> str:
    ids = target.split(",")
    return target if len(ids) <= 2 else f"{ids[0]},...(+{len(ids) - 1})"


def target_data(target: BuildTarget) -> dict[str, Any]:
    """One identifier of the plan, for the ``--json`` extra data."""
    return {"target": target.identifier, "runner": target.runner, "python": target.python,
            "platform": target.platform, "arch": target.arch,
            "artifact-name": target.artifact_name, "runner-key": target.runner_key,
            "free-threaded": target.free_threaded, "implementation": target.implementation,
            "abi3": target.abi3, "emulated": target.emulated}


def summary(project: Project, plan: Plan) -> str:
    """The job summary: one row per cell with the identifiers it builds."""
    lines = [f"### Build plan for {project.name or project.root.name}", "",
             f"{len(plan.cells())} job(s), {len(plan.targets)} identifier(s)", "",
             "| runner | python | identifiers |", "| --- | --- | --- |"]
    lines += [f"| {c.runner} | {c.python} | " + " ".join(f"`{i}`" for i in c.identifiers)
              + " |" for c in plan.cells()]
    if plan.notes:
        lines += [""] + [f"- {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"
