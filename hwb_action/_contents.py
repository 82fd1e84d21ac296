"""The job-summary part of ``hwb check``: what each distribution holds (a collapsible tree
per file, as build-and-inspect-python-package shows) and its core metadata.

Problems and warnings are not listed here: every reporter appends them once, with where
they are, below all sections (:meth:`hwb_action.ci.BaseReporter.summary_markdown`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from hwb_action._text import human_size
from hwb_action.artifacts import Inspection, artifacts_table
from hwb_action.ci.summary import md_cell

MAX_TREE_LINES = 400
"""Lines per tree: pip's wheel alone has ~900 files."""
TREES_BUDGET = 512 * 1024
"""Characters for all trees together: GitHub keeps 1 MiB of summary per step, and what is
cut at that limit is the end, where the table of problems and warnings is."""


def contents_tree(files: Mapping[str, int], *, limit: int = MAX_TREE_LINES,
                  max_chars: int | None = None) -> str:
    """The member names as an indented tree (``pkg/``, then ``  __init__.py  (12 B)``),
    sorted, directories first; past ``limit`` lines or ``max_chars``, a count of the rest."""
    tree: dict[str, object] = {}
    for name in sorted(files):
        node = tree
        parts = name.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part + "/", {})
            node = child if isinstance(child, dict) else {}
        node[parts[-1]] = files[name]
    lines: list[str] = []
    _walk(tree, 0, lines)
    if max_chars is not None:
        used = 0
        for count, line in enumerate(lines):
            used += len(line) + 1
            if used > max_chars:
                limit = min(limit, count)
                break
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = [*lines[:limit], f"... {rest} more line{'s' * (rest != 1)}"]
    return "\n".join(lines)


def _walk(node: Mapping[str, object], depth: int, lines: list[str]) -> None:
    # directories before files at each level, as `tree --dirsfirst` shows them
    for key in sorted(node, key=lambda k: (not k.endswith("/"), k)):
        value = node[key]
        if isinstance(value, dict):
            lines.append("  " * depth + key)
            _walk(value, depth + 1, lines)
        elif isinstance(value, int):
            lines.append(f"{'  ' * depth}{key}  ({human_size(value)})")


def _fenced(text: str) -> str:
    """``text`` in a code fence longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def check_summary(inspections: Sequence[Inspection]) -> str:
    """The ``### hwb check`` section: the files that passed, the metadata of each file,
    and each file's contents as a collapsible tree."""
    parts = ["### hwb check", ""]
    artifacts = [i.artifact for i in inspections if i.artifact is not None]
    if artifacts:
        parts.append(artifacts_table(artifacts))
    described = [i for i in inspections if i.name or i.version]
    if described:
        parts += ["#### Metadata", "",
                  "| file | name | version | requires-python | license | summary |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for i in described:
            cells = [i.name, i.version, i.requires_python, i.license, i.summary]
            parts.append(f"| `{md_cell(i.path.name)}` | "
                         + " | ".join(md_cell(c) if c else "-" for c in cells) + " |")
        parts.append("")
    listed = [i for i in inspections if i.files]
    if listed:
        parts += ["#### Contents", ""]
        budget = TREES_BUDGET
        for i in listed:
            total = sum(i.files.values())
            count = len(i.files)
            parts += [
                "<details>",
                f"<summary>{html.escape(i.path.name)}: {count} file{'s' * (count != 1)}, "
                f"{human_size(total)} unpacked</summary>",
                "",
                _fenced(tree := contents_tree(i.files, max_chars=max(budget, 0))),
                "",
                "</details>",
                "",
            ]
            budget -= len(tree)
    return "\n".join(parts).rstrip() + "\n"
