"""Reporter for GitHub Actions: workflow commands, ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``.

The runner's rules, which this module follows to the letter:

* Workflow commands are lines whose text, after leading whitespace, starts with ``::`` (or
  holds ``##[``, the older syntax).  The runner ends a line at LF, CR or CRLF.  Everything
  hwb writes that is not its own command (build logs, file names, values from an index or a
  backend, the stdout document) is untrusted text: a line that looks like a command is
  wrapped in ``::stop-commands::TOKEN`` ... ``::TOKEN::`` (a fresh random token each time)
  and shown as text.  hwb's own commands escape their data, so they are one line each.
* In a command's message ``%``, CR and LF are escaped as ``%25``, ``%0D``, ``%0A``; in its
  properties also ``:`` and ``,`` (``%3A``, ``%2C``).
* ``$GITHUB_OUTPUT`` holds ``name=value`` lines, or ``name<<DELIM`` / value / ``DELIM`` for
  values with line breaks, ``DELIM`` random and found in neither the name nor the value.  The
  file is written with ``\\n`` line ends on every OS (the runner accepts them on Windows too).
* Only ten annotations of each kind are shown per step, so the job summary lists them all.
  The summary of one step may not exceed 1 MiB; a longer one is cut with a note.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import secrets
import sys
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from hwb_action.ci import Annotation, BaseReporter

SUMMARY_LIMIT = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def escape_data(value: str) -> str:
    """Escape a workflow command's message (``%``, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value (also ``:`` and ``,``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


# Where the runner (and, to be safe, anything else) may end a line.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _visible_start(text: str) -> str:
    """``text`` without leading whitespace and invisible characters (a BOM, zero-width
    spaces), which a runner might skip as it trims the line."""
    index = 0
    while index < len(text) and (text[index].isspace()
                                 or unicodedata.category(text[index]) in ("Cf", "Cc")):
        index += 1
    return text[index:]


def looks_like_command(line: str) -> bool:
    """Whether the runner would read ``line`` (or any line it holds) as a workflow command."""
    return any(_visible_start(part).startswith("::") or "##[" in part
               for part in _LINE_BREAK.split(line))


def neutralise(text: str) -> str:
    """``text`` as lines the runner shows and never runs: each ``\n``-line that looks like
    a command (also through a CR inside it) is wrapped in a stop-commands block."""
    out: list[str] = []
    for line in text.split("\n"):
        if looks_like_command(line):
            token = secrets.token_hex(16)
            out.extend((f"::stop-commands::{token}", line, f"::{token}::"))
        else:
            out.append(line)
    return "\n".join(out)


def _new_delimiter() -> str:
    return f"ghadelimiter_{secrets.token_hex(16)}"


def format_output(name: str, value: str, *, windows: bool = os.name == "nt") -> str:
    """One ``$GITHUB_OUTPUT`` (or ``$GITHUB_ENV``) entry.

    Single-line values are written ``name=value``; a value with CR or LF gets a heredoc with
    a random delimiter that occurs in neither the name nor the value.  The runner on Windows
    also ends lines at CRLF, so there a value that ends with CR is closed with CRLF.
    """
    if not _NAME.match(name):
        msg = f"invalid output name {name!r}: use letters, digits, '_' and '-'"
        raise ValueError(msg)
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = _new_delimiter()
        if delimiter not in value and delimiter not in name:
            break
    newline = "\r\n" if windows and value.endswith("\r") else "\n"
    return f"{name}<<{delimiter}\n{value}{newline}{delimiter}\n"


def _append(path: str, text: str) -> None:
    # newline="": no CRLF translation on Windows, the bytes are what the runner parses.
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(text)


def cut_to_limit(markdown: str, room: int) -> str:
    """``markdown`` cut so that its UTF-8 encoding fits in ``room`` bytes, with a note."""
    data = markdown.encode("utf-8")
    if len(data) <= room:
        return markdown
    note = (
        "\n\n> **Note:** the summary was cut at GitHub's limit of 1 MiB per step; "
        "the job log holds everything.\n"
    )
    keep = max(0, room - len(note.encode("utf-8")))
    head = data[:keep].decode("utf-8", errors="ignore")
    # End on a line boundary so that a table or a list is not left mid-row.
    if "\n" in head:
        head = head[: head.rfind("\n")]
    return head + note


def workflow_file(environ: Mapping[str, str]) -> str | None:
    """The running workflow's path in its repository, from ``GITHUB_WORKFLOW_REF``.

    ``owner/repo/.github/workflows/build.yml@refs/heads/main`` -> ``.github/workflows/build.yml``.
    """
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    repo = environ.get("GITHUB_REPOSITORY", "")
    path = ref.rsplit("@", 1)[0]
    if repo and path.startswith(repo + "/"):
        path = path[len(repo) + 1:]
    elif path.count("/") >= 2:
        path = path.split("/", 2)[2]
    return path if path.startswith(".github/workflows/") else None


def find_input_line(lines: list[str], name: str) -> int | None:
    """1-based line of ``name:`` in the ``with:`` of the first step that uses the action."""
    in_step = False
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if stripped.startswith("- "):
            in_step = False  # the next step (or list item) begins
        if re.match(r"(-\s*)?uses\s*:", stripped):
            target = stripped.split(":", 1)[1].strip().strip("'\"")
            in_step = "hwb" in target.lower() or target in ("./", ".")
            continue
        if in_step and re.match(rf"{re.escape(name)}\s*:", stripped):
            return number
    return None


class GitHubReporter(BaseReporter):
    """Speaks the runner's workflow-command protocol on the log stream (stderr by default)."""

    def __init__(
        self, environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        # Workflow commands are read from the step's stdout and stderr alike; use stderr so
        # that --json keeps stdout for the document.
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        self.output_path = environ.get("GITHUB_OUTPUT") or None
        self.summary_path = environ.get("GITHUB_STEP_SUMMARY") or None
        self.workspace = environ.get("GITHUB_WORKSPACE") or None
        self.environ = environ
        self._lock = threading.Lock()
        self._open_groups = 0
        self._closed = False

    # -- raw and neutralised lines -------------------------------------------------
    def _command(self, text: str) -> None:
        """One of hwb's own workflow commands, written as is: its data is escaped already;
        a line break left in it would start a line of someone else's making."""
        text = text.replace("\r", "%0D").replace("\n", "%0A")
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _emit(self, text: str) -> None:
        """Text for people: never read as a command by the runner, secrets redacted."""
        safe = neutralise(self.redact(text))
        with self._lock:
            self.stream.write(safe + "\n")
            self.stream.flush()

    def document(self, text: str, *, is_json: bool = False) -> str:
        """The stdout document, redacted, with no line the runner would run.

        In JSON a ``#`` occurs only inside a string, where ``\\u0023`` is the same character:
        escaping ``##[`` keeps the document what it was and leaves no command in it (a line
        of indented JSON never starts with ``::``).  Text that still looks like a command
        gets a stop-commands block.
        """
        text = self.redact(text)
        if is_json:
            text = text.replace("##[", "\\u0023#[")
        return neutralise(text)

    def debug(self, message: str) -> None:
        if self.verbose:
            self._emit(message)
        else:
            # Shown when the workflow is re-run with debug logging.
            self._command(f"::debug::{escape_data(self.redact(message))}")

    # -- secrets ---------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        if secret:
            for line in secret.splitlines():
                if line.strip():
                    self._command(f"::add-mask::{escape_data(line)}")
        super().mask(secret)

    # -- annotations -------------------------------------------------------------------
    def summary_file(self, file: str) -> str:
        return self.relative_file(file)

    def relative_file(self, file: str) -> str:
        """``file`` relative to the workspace, with ``/``, as annotations want it."""
        path = Path(file)
        if self.workspace and path.is_absolute():
            with contextlib.suppress(ValueError):
                path = path.relative_to(self.workspace)
        return path.as_posix()

    @property
    def shows_build_logs(self) -> bool:
        # A green build keeps its backend log too: folded in the step's group (section),
        # read when a wheel turns out wrong.
        return not self.quiet

    def format_annotation(self, annotation: Annotation) -> str:
        props = []
        if annotation.file:
            props.append(f"file={escape_property(self.relative_file(annotation.file))}")
            if annotation.line is not None:
                props.append(f"line={annotation.line}")
                if annotation.col is not None:
                    props.append(f"col={annotation.col}")
        if annotation.title:
            props.append(f"title={escape_property(self.redact(annotation.title))}")
        head = annotation.level + (" " + ",".join(props) if props else "")
        return f"::{head}::{escape_data(self.redact(annotation.message))}"

    def annotate(self, annotation: Annotation) -> None:
        if annotation.file is None:
            annotation = self.locate_input(annotation)
        self.annotations.append(annotation)
        self._command(self.format_annotation(annotation))

    def locate_input(self, annotation: Annotation) -> Annotation:
        """Point a problem with an ``HWB_X`` value at the ``x:`` input in the workflow file.

        Settings errors from the environment start with the variable's name; the action sets
        ``HWB_X`` from input ``x``, which the workflow (``GITHUB_WORKFLOW_REF``) passes in a
        step's ``with:``.  The first such input under a step that uses hwb is taken.
        """
        match = re.match(r"(HWB_[A-Z0-9_]+): ", annotation.message)
        workflow = workflow_file(self.environ)
        if not match or not workflow or not self.workspace:
            return annotation
        path = Path(self.workspace) / workflow
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return annotation
        line = find_input_line(lines, match.group(1)[4:].lower().replace("_", "-"))
        if line is None:
            return annotation
        return dataclasses.replace(annotation, file=str(path), line=line)

    # -- groups --------------------------------------------------------------------------
    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        # Groups do not nest on GitHub (an inner ::group:: ends the outer one), and parallel
        # builds share one log: only the outermost open group is a real one; the others are
        # a heading line inside it.
        with self._lock:
            outer = self._open_groups == 0
            self._open_groups += 1
        if outer:
            self._command(f"::group::{escape_data(self.redact(name))}")
        else:
            self._emit(f"-- {name}")
        try:
            yield
        finally:
            with self._lock:
                self._open_groups -= 1
            if outer:
                self._command("::endgroup::")

    # -- outputs and summary ---------------------------------------------------------------
    def set_output(self, name: str, value: str) -> None:
        super().set_output(name, value)
        if self.output_path:
            _append(self.output_path, format_output(name, self.redact(value)))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self.summary_path:
            return
        markdown = self.summary_markdown()
        if not markdown:
            return
        try:
            used = os.path.getsize(self.summary_path)
        except OSError:
            used = 0
        room = SUMMARY_LIMIT - used - 2
        if room <= 200:
            return
        _append(self.summary_path, cut_to_limit(markdown, room) + "\n")
