"""The GitHub Actions runner's own parsing rules, re-stated so tests can read our output back.

Written from actions/runner's FileCommandManager (``$GITHUB_OUTPUT``/``$GITHUB_ENV``) and
ActionCommand (``::name k=v::data`` lines, ``::stop-commands::``), so that a test fails when
hwb writes something the runner would read differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _read_line(text: str, index: int, *, windows: bool) -> tuple[str | None, int, str | None]:
    if index >= len(text):
        return None, index, None
    lf = text.find("\n", index)
    if lf < 0:
        return text[index:], len(text), None
    if windows:
        crlf = text.find("\r\n", index)
        if 0 <= crlf < lf:
            return text[index:crlf], crlf + 2, "\r\n"
    return text[index:lf], lf + 1, "\n"


def parse_file_command(text: str, *, windows: bool = False) -> dict[str, str]:
    """Parse a ``$GITHUB_OUTPUT`` or ``$GITHUB_ENV`` file as the runner does; raise on errors."""
    result: dict[str, str] = {}
    index = 0
    line, index, _ = _read_line(text, index, windows=windows)
    while line is not None:
        if line:
            eq = line.find("=")
            here = line.find("<<")
            if eq >= 0 and (here < 0 or eq < here):
                key, value = line.split("=", 1)
                if not key:
                    raise ValueError(f"invalid format {line!r}: name must not be empty")
            elif here >= 0 and (eq < 0 or here < eq):
                key, delimiter = line.split("<<", 1)
                if not key or not delimiter:
                    raise ValueError(f"invalid format {line!r}")
                start = index
                end = index
                temp, index, newline = _read_line(text, index, windows=windows)
                while temp != delimiter:
                    if temp is None:
                        raise ValueError(f"matching delimiter not found {delimiter!r}")
                    if newline is None:
                        raise ValueError("EOF marker missing new line")
                    end = index - len(newline)
                    temp, index, newline = _read_line(text, index, windows=windows)
                value = text[start:end] if end > start else ""
            else:
                raise ValueError(f"invalid format {line!r}")
            result[key] = value
        line, index, _ = _read_line(text, index, windows=windows)
    return result


def _unescape(value: str, *, prop: bool) -> str:
    value = value.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%25", "%")


@dataclass(frozen=True, kw_only=True)
class Command:
    """One workflow command as the runner sees it."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def parse_log(log: str) -> tuple[list[Command], list[str]]:
    """The workflow commands the runner would act on, and the lines it would show as text."""
    commands: list[Command] = []
    text: list[str] = []
    stop_token: str | None = None
    for raw in log.split("\n"):
        line = raw.rstrip("\r")
        if stop_token is not None:
            if line.strip() == f"::{stop_token}::":
                stop_token = None
            else:
                text.append(line)
            continue
        trimmed = line.lstrip()
        if not trimmed.startswith("::"):
            text.append(line)
            continue
        end = trimmed.find("::", 2)
        if end < 0:
            text.append(line)
            continue
        info = trimmed[2:end]
        name, _, props_text = info.partition(" ")
        props: dict[str, str] = {}
        for pair in filter(None, props_text.split(",")):
            key, _, value = pair.partition("=")
            props[key] = _unescape(value, prop=True)
        data = _unescape(trimmed[end + 2:], prop=False)
        if name == "stop-commands":
            stop_token = data
        commands.append(Command(name=name, properties=props, data=data))
    return commands, text


# -- the README's workflows -------------------------------------------------------------------
# The action reference the README and the examples use, which a test replaces by a local path.
PLACEHOLDER_ACTION = (
    "hwb-action/hwb-action@0000000000000000000000000000000000000000 # v1 (placeholder SHA)")
# The artifact actions action.yml uses, pinned (tests map these refs to stand-ins under act).
ARTIFACT_ACTIONS = {
    "actions/download-artifact": "d3f86a106a0bac45b974a628896c90dbdf5c8093",  # v4.3.0
    "actions/upload-artifact": "ea165f8d65b6e75b540449e92b4886f43607fa02",  # v4.6.2
}


def readme_yaml_blocks(readme: str) -> list[str]:
    """The text of each fenced ```yaml block of ``readme``, in order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in readme.splitlines(keepends=True):
        if current is None:
            if line.rstrip() == "```yaml":
                current = []
        elif line.rstrip() == "```":
            blocks.append("".join(current))
            current = None
        else:
            current.append(line)
    return blocks
