"""Regenerate what is derived from the option table; ``--check`` only verifies it.

``hwb_action.settings.OPTIONS`` and ``hwb_action.cli.COMMANDS`` are the one source of the
action's inputs and their ``env:`` mapping (action.yml), the README's options table, the input
rows of docs/ci.md and the command list of entrypoint.py.  Each generated part sits between
``BEGIN GENERATED: NAME`` and ``END GENERATED: NAME`` marker comments; everything outside the
markers is hand-written and kept as it is.

    python scripts/generate.py          # rewrite the generated parts
    python scripts/generate.py --check  # exit 1 if a committed file differs from its generation
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import this checkout's hwb_action
    sys.path.insert(0, str(ROOT))

from hwb_action.cli import COMMANDS  # noqa: E402
from hwb_action.settings import OPTIONS, Option  # noqa: E402

WIDTH = 100
SCRIPT = "python scripts/generate.py"


@dataclass(frozen=True, kw_only=True)
class ActionInput:
    """An input of the action that is no hwb option: it configures the action itself."""

    name: str
    description: str
    default: str
    required: bool = False
    commands: str = "all"  # the commands it is for, as docs/ci.md's table shows them

    @property
    def env(self) -> str:
        return "HWB_" + self.name.upper().replace("-", "_")


def _command_list() -> str:
    return "; ".join(f"{name}: {help_text}" for name, (_, _, help_text) in COMMANDS.items())


ACTION_INPUTS: tuple[ActionInput, ...] = (
    ActionInput(name="command", default="build", required=True,
                description=f"What hwb does. {_command_list()}."),
    ActionInput(name="python-version", default="",
                description=(
                    "Run hwb itself on this Python (3.11 or newer, e.g. 3.12): taken from the "
                    "runner's tool cache (where hosted runners keep several Pythons and "
                    "actions/setup-python puts more), else python3.12 on PATH, else `py -3.12` "
                    "on Windows.  Empty: python3 (or python) on PATH.  Not the Python that "
                    "wheels are built for: see `python` and `python-versions`.")),
    ActionInput(name="install", default="venv",
                description=(
                    "How hwb gets installed: venv (a private virtual environment under "
                    "$RUNNER_TEMP holding the command's hash-pinned lock from requirements/, "
                    "made with uv (the runner's, or one pinned wheel), reused for the rest of "
                    "the job) or none (use the Python that runs the action, which must have "
                    "hwb-action's dependencies).")),
    ActionInput(name="verbose", default="false",
                description="Show the commands hwb runs, full build logs and tracebacks."),
    ActionInput(name="working-directory", default=".",
                description="Directory to run hwb in (relative paths in other inputs start "
                            "here)."),
    ActionInput(name="upload", default="true", commands="build",
                description=(
                    "Upload the built sdist and wheels (out-dir's *.tar.gz and *.whl) "
                    "as a workflow artifact named artifact-name, through "
                    "actions/upload-artifact pinned by commit SHA; false: upload nothing.")),
    ActionInput(name="artifact-name", default="", commands="build",
                description=(
                    "Name of the artifact that build uploads (pass the plan cell's: "
                    "matrix.artifact-name).  Empty: the matrix cell's artifact-name (from hwb "
                    "plan: dist-pure, dist-linux-x86_64, ...) where the runner gives the "
                    "action the matrix, else HWB_CELL_ARTIFACT_NAME, else Packages.  Each job "
                    "of a workflow run needs its own name.")),
    ActionInput(name="download", default="true", commands="publish, check",
                description=(
                    "First download the workflow run's artifacts whose names "
                    "match download-pattern into working-directory/dist, merged, through "
                    "actions/download-artifact pinned by commit SHA (no artifact matching is "
                    "no error); false: use what is there.")),
    ActionInput(name="download-pattern", default="{dist-*,Packages}",
                commands="publish, check",
                description=(
                    "Glob of the artifact names publish and check download (the names build "
                    "uploads under by default).")),
)

# Options that are no action input, and why.
NOT_INPUTS = {"format": "plan's output format: the action always writes the matrix output"}


def input_options() -> list[Option]:
    """The options that are action inputs, in table order."""
    return [o for o in OPTIONS if o.name not in NOT_INPUTS]


# -- descriptions ---------------------------------------------------------------------------
def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def show_default(opt: Option) -> str:
    """The option's default as the docs show it."""
    value = opt.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not value:
        return "none"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return ", ".join(map(str, value))


def input_description(opt: Option, *, with_commands: bool) -> str:
    """What an option's action input means, when it is empty, and how to write it."""
    parts = [_sentence(opt.help)]
    if with_commands:
        parts.append(f"Commands: {', '.join(opt.commands)}.")
    if opt.secret:
        parts.append("A secret: pass it from `secrets` (secrets.NAME), never in "
                     "clear text; empty or absent: not given.")
    elif opt.in_config:
        parts.append(f"Empty: [tool.hwb] {opt.name} or the default ({show_default(opt)}).")
    else:
        parts.append(f"Empty: the default ({show_default(opt)}).")
    if opt.kind == "list":
        parts.append("A list: one per line or comma-separated.")
    elif opt.kind == "dict":
        parts.append("KEY=VALUE pairs, one per line.")
    return " ".join(parts)


# -- action.yml -----------------------------------------------------------------------------
def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _yaml_input(name: str, description: str, *, required: bool, default: str | None) -> list[str]:
    # A folded block scalar: any text is safe in it, and long lines wrap at spaces.
    wrapped = textwrap.wrap(description, WIDTH - 6, break_on_hyphens=False,
                            break_long_words=False)
    lines = [f"{name}:", "  description: >-", *("    " + w for w in wrapped),
             f"  required: {'true' if required else 'false'}"]
    if default is not None:
        lines.append(f"  default: {_yaml_quote(default)}")
    return lines


def action_inputs() -> list[str]:
    """The ``inputs:`` entries of action.yml."""
    lines: list[str] = []
    for extra in ACTION_INPUTS:
        lines += _yaml_input(extra.name, extra.description, required=extra.required,
                             default=extra.default)
    for opt in input_options():
        # An option's input defaults to empty, since an input default would outrank
        # [tool.hwb]; a secret has no default at all, so none can ever be written into it.
        lines += _yaml_input(opt.name, input_description(opt, with_commands=True),
                             required=False, default=None if opt.secret else "")
    return lines


def action_env() -> list[str]:
    """The hwb step's ``env:`` entries: every input reaches Python only as ``HWB_*``."""
    names = [(i.env, i.name) for i in ACTION_INPUTS] + [(o.env, o.name) for o in input_options()]
    return [f"{env}: ${{{{ inputs.{name} }}}}" for env, name in names]


# -- Markdown -------------------------------------------------------------------------------
# GitHub's Markdown makes emphasis of `*` anywhere and of `_` at a word's edge (`__token__`),
# never of `_` inside a word (HWB_TOKEN, x86_64): only the former become code.
_CODE_WORD = re.compile(r"(?<![\w`$])(\S*\*\S*|_\w*|\w*_(?!\w)\S*)")


def _as_code(match: re.Match[str]) -> str:
    word = match.group(1)
    core = word.rstrip(".,;:)")
    return f"`{core}`{word[len(core):]}"


def markdown_text(text: str) -> str:
    """``text`` for a table cell: words with ``_`` or ``*`` as code (else they would be
    emphasis: ``__token__``), ``|`` escaped; code spans already there are kept."""
    pieces = text.split("`")
    for i in range(0, len(pieces), 2):  # outside code spans
        pieces[i] = _CODE_WORD.sub(_as_code, pieces[i])
    return "`".join(pieces).replace("|", "\\|")


def _flags(opt: Option) -> str:
    names = [*opt.flags, opt.flag]
    if opt.kind == "bool":  # argparse's BooleanOptionalAction adds --no-X to each --X
        return ", ".join(f"`--[no-]{f[2:]}`" if f.startswith("--") else f"`{f}`" for f in names)
    return ", ".join(f"`{f}`" for f in names)


def readme_options() -> list[str]:
    """The README's table of every flag."""
    lines = ["| flag | commands | default | meaning |", "|---|---|---|---|"]
    for opt in OPTIONS:
        if opt.positional:
            continue
        meaning = markdown_text(opt.help)
        if opt.secret:
            meaning += " (a secret: never in `[tool.hwb]`)"
        elif not opt.in_config:
            meaning += " (not in `[tool.hwb]`)"
        default = show_default(opt)
        default = "" if default == "none" else f"`{default.strip(chr(39))}`"
        lines.append(f"| {_flags(opt)} | {', '.join(opt.commands)} | {default} | {meaning} |")
    return lines


def docs_inputs() -> list[str]:
    """docs/ci.md's table of the action's inputs."""
    lines = ["| Input | For | Description |", "| --- | --- | --- |"]
    for extra in ACTION_INPUTS:
        default = f" Default: `{extra.default}`." if extra.default else ""
        lines.append(f"| `{extra.name}` | {extra.commands} | "
                     f"{markdown_text(extra.description)}{default} |")
    for opt in input_options():
        text = markdown_text(input_description(opt, with_commands=False))
        lines.append(f"| `{opt.name}` | {', '.join(opt.commands)} | {text} |")
    return lines


# -- entrypoint.py --------------------------------------------------------------------------
def _python_tuple(name: str, items: Iterable[str]) -> list[str]:
    values = [f'"{i}"' for i in items]
    line = f"{name} = ({', '.join(values)})"
    if len(line) <= WIDTH:
        return [line]
    return [f"{name} = (", *(f"    {v}," for v in values), ")"]


def entrypoint_commands() -> list[str]:
    """entrypoint.py's list of the action-only inputs and of the commands."""
    return [*_python_tuple("ACTION_ONLY_INPUTS", (i.name for i in ACTION_INPUTS)),
            *_python_tuple("COMMANDS", COMMANDS)]


# -- the regions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Region:
    path: str
    name: str
    make: Callable[[], list[str]]


REGIONS = (
    Region("action.yml", "inputs", action_inputs),
    Region("action.yml", "env", action_env),
    Region("README.md", "options", readme_options),
    Region("docs/ci.md", "inputs", docs_inputs),
    Region("entrypoint.py", "commands", entrypoint_commands),
)


class MarkerError(Exception):
    """A file lacks a region's markers, or has them twice or out of order."""


def replace_region(text: str, region: Region, where: str) -> str:
    """``text`` with the lines between ``region``'s markers generated afresh, indented as the
    BEGIN marker is."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if f"BEGIN GENERATED: {region.name}" in line]
    ends = [i for i, line in enumerate(lines) if f"END GENERATED: {region.name}" in line]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        msg = (f"{where}: expected one 'BEGIN GENERATED: {region.name}' line followed by one "
               f"'END GENERATED: {region.name}' line (found {len(begins)} and {len(ends)})")
        raise MarkerError(msg)
    begin, end = begins[0], ends[0]
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    body = [(indent + line).rstrip() + "\n" if line else "\n" for line in region.make()]
    return "".join([*lines[: begin + 1], *body, *lines[end:]])


def generate(root: Path) -> dict[Path, tuple[str, str]]:
    """Every file with generated regions: its path -> (committed text, generated text)."""
    out: dict[Path, tuple[str, str]] = {}
    for region in REGIONS:
        path = root / region.path
        if path not in out:
            text = path.read_text(encoding="utf-8")
            out[path] = (text, text)
        old, new = out[path]
        out[path] = (old, replace_region(new, region, region.path))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a generated part is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        files = generate(args.root)
    except (MarkerError, OSError) as err:
        sys.stderr.write(f"ERROR: {err}\n")
        return 2
    stale = [path for path, (old, new) in files.items() if old != new]
    for path in stale:
        name = path.relative_to(args.root).as_posix()
        if args.check:
            sys.stderr.write(f"{name} is out of date with hwb_action/option_table.py\n")
        else:
            path.write_text(files[path][1], encoding="utf-8")
            sys.stderr.write(f"rewrote {name}\n")
    if args.check and stale:
        sys.stderr.write(f"run `{SCRIPT}` and commit the result\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
