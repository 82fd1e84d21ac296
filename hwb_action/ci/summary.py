"""Markdown pieces shared by the job summaries of GitHub and GitLab."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hwb_action._text import location, shorten
from hwb_action.ci import Annotation, error_lines

_BACKTICKS = re.compile("`+")
_ICON = {
    "error": "\u274c error",
    "warning": "\u26a0\ufe0f warning",
    "notice": "\u2139\ufe0f notice",
}


def md_cell(text: str) -> str:
    """``text`` safe inside one cell of a Markdown table (pipes escaped, one line)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def annotations_markdown(
    annotations: Sequence[Annotation], *, file_name: Callable[[str], str] = str
) -> str:
    """Every warning and error as a table (GitHub shows only ten annotations of each kind)."""
    if not annotations:
        return ""
    errors = sum(1 for a in annotations if a.level == "error")
    warnings = sum(1 for a in annotations if a.level == "warning")
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        counts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    heading = "### Warnings and errors" + (f" ({', '.join(counts)})" if counts else "")
    rows = [heading, "", "| | Where | Message |", "|---|---|---|"]
    for a in annotations:
        where = location(file_name(a.file), a.line, a.col) if a.file else ""
        if where:
            where = f"`{md_cell(where)}`"
        message = md_cell(a.message)
        if a.title:
            message = f"**{md_cell(a.title)}**: {message}"
        rows.append(f"| {_ICON[a.level]} | {where} | {message} |")
    for a in annotations:
        if a.level == "error" and a.details:
            rows += ["", f"#### Output of: {md_text(shorten(a.message, 120))}", "",
                     code_block(error_lines(a.details))]
    return "\n".join(rows)


def md_text(text: str) -> str:
    """``text`` as one line of Markdown that renders as written."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("`", "\\`").replace(
        "*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def code_block(lines: Sequence[str]) -> str:
    """``lines`` in a fenced code block whose fence none of them can close."""
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + "text", *lines, fence])

