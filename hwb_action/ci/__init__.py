"""How hwb talks to the place it runs in: GitHub Actions, GitLab CI, a terminal, a log file.

The library reports through a :class:`Reporter` it is handed and never prints.
Every reporter redacts registered secrets from everything it emits, keeps every
warning and error it was given (annotations only show ten of each on GitHub, so
the summary lists them all), and knows how to publish step outputs.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import io
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

from hwb_action._text import location

if TYPE_CHECKING:
    from hwb_action.errors import HwbError

Level = Literal["warning", "error", "notice"]


@dataclass(frozen=True, kw_only=True)
class Annotation:
    """A warning, error or notice, optionally tied to a place in a file."""

    level: Level
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None
    # The output that explains an error (a compiler's error lines): shown in the summary.
    details: tuple[str, ...] = ()


# A compiler's diagnostic: `file:line[:col]: [fatal ]error: ...` (gcc, clang, rustc's
# `-->` aside) or MSVC's `file(line[,col]): error C1234: ...`.
_COMPILER_ERROR = re.compile(
    r"^\s*(?P<file>[^\s:()][^:()]*?\.[A-Za-z0-9+]+)"
    r"(?::(?P<line>\d+)(?::(?P<col>\d+))?:|\((?P<mline>\d+)(?:,(?P<mcol>\d+))?\)\s*:)"
    r"\s*(?:fatal )?error\b")
_ERROR_WORD = re.compile(r"\berror\b\s*(?:[A-Z]+\d+\s*)?:", re.IGNORECASE)
ERROR_LINES = 30
TAIL_LINES = 20
SHOWN_LOG_LINES = 400


def error_lines(details: Sequence[str]) -> list[str]:
    """The lines of a failure's output worth reading first: those that say ``error:``
    (a compiler's), else the tail."""
    found = [line for line in details if _ERROR_WORD.search(line)]
    return found[:ERROR_LINES] if found else list(details[-TAIL_LINES:])


def error_annotation(err: HwbError) -> Annotation:
    """The annotation of an :class:`HwbError`, with its details; an error with no place of
    its own takes the first compiler error's file and line from them."""
    file, line, col = err.file, err.line, err.col
    if file is None:
        for text in err.details:
            match = _COMPILER_ERROR.match(text)
            if match:
                file = match["file"]
                number, column = match["line"] or match["mline"], match["col"] or match["mcol"]
                line = int(number)
                col = int(column) if column else None
                break
    return Annotation(level="error", message=err.message, file=file, line=line, col=col,
                      details=tuple(err.details))


class Reporter(Protocol):
    """What the library may tell the world.  Implementations live in this package."""

    verbose: bool

    @property
    def shows_build_logs(self) -> bool:
        """Whether a build backend's whole log goes to :meth:`log` (else only a failure's
        tail is shown)."""

    def info(self, message: str) -> None:
        """A line of progress for people."""

    def result(self, message: str) -> None:
        """The line that says how the command ended: shown even with ``--quiet``."""

    def debug(self, message: str) -> None:
        """A line shown only with --verbose."""

    def log(self, line: str) -> None:
        """A line of a subprocess's output (build logs)."""

    def annotate(self, annotation: Annotation) -> None:
        """A warning/error/notice, on a file and line when it has one."""

    def warning(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        """Shorthand for a warning annotation."""

    def group(self, name: str) -> contextlib.AbstractContextManager[None]:
        """A collapsible section (CI) or a progress step (terminal)."""

    def mask(self, secret: str) -> None:
        """Hide ``secret`` from every later line of output, here and in the CI log."""

    def set_output(self, name: str, value: str) -> None:
        """A step output (GitHub ``$GITHUB_OUTPUT``, GitLab dotenv)."""

    def add_summary(self, markdown: str) -> None:
        """Markdown for the job summary."""

    def redact(self, text: str) -> str:
        """``text`` with every masked secret replaced by ``***``."""

    def close(self) -> None:
        """Flush the summary (with every warning and error) and outputs."""


class BaseReporter:
    """Shared behaviour: secret redaction, the list of annotations, the summary buffer."""

    def __init__(self, *, stream: TextIO | None = None, verbose: bool = False,
                 quiet: bool = False) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.verbose = verbose
        # --quiet: errors and the final result only (--verbose wins over it).
        self.quiet = quiet and not verbose
        self._error_shown = False
        # The last lines of build logs shown, so that an error's details that repeat them
        # are cut to their error lines.
        self._shown_log: collections.deque[str] = collections.deque(maxlen=SHOWN_LOG_LINES)
        self.annotations: list[Annotation] = []
        self.outputs: dict[str, str] = {}
        self.summary_parts: list[str] = []
        self._secrets: set[str] = set()

    # -- secrets -----------------------------------------------------------------
    def mask(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _emit(self, text: str) -> None:
        self.stream.write(self.redact(text) + "\n")
        self.stream.flush()

    # -- lines -------------------------------------------------------------------
    @property
    def shows_build_logs(self) -> bool:
        """With ``--verbose``; CI reporters keep every log, in the step's collapsed group."""
        return self.verbose

    @property
    def silent(self) -> bool:
        """Whether progress lines are held back: under ``--quiet`` until an error is shown;
        the lines after it (its details, the TIP) belong to the error."""
        return self.quiet and not self._error_shown

    def info(self, message: str) -> None:
        if not self.silent:
            self._emit(message)

    def result(self, message: str) -> None:
        self._emit(message)

    def debug(self, message: str) -> None:
        if self.verbose:
            self._emit(message)

    def log(self, line: str) -> None:
        if not self.silent:
            self._shown_log.append(line)
            self._emit(line)

    def error_details(self, details: Sequence[str]) -> list[str]:
        """What to show of an error's ``details``: all of them, unless they are the tail of
        a build log this reporter has just shown; then only their error lines."""
        shown = self._shown_log
        if details and shown and all(any(s.endswith(d) for s in shown) for d in details if d):
            return error_lines(details)
        return list(details)

    def annotate(self, annotation: Annotation) -> None:
        self.annotations.append(annotation)
        if annotation.level == "error":
            self._error_shown = True
        elif self.quiet:
            return  # kept for the summary, not shown
        self._emit(self.format_annotation(annotation))

    def format_annotation(self, annotation: Annotation) -> str:
        where = location(annotation.file, annotation.line, annotation.col)
        return f"{annotation.level.upper()}: {where + ': ' if where else ''}{annotation.message}"

    def warning(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.annotate(Annotation(level="warning", message=message, file=file, line=line))

    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        if not self.silent:
            self._emit(f"* {name}")
        yield

    def set_output(self, name: str, value: str) -> None:
        self.outputs[name] = value

    def add_summary(self, markdown: str) -> None:
        self.summary_parts.append(self.redact(markdown))

    def summary_file(self, file: str) -> str:
        """How a file is named in the summary (GitHub: relative to the workspace)."""
        return file

    def summary_markdown(self) -> str:
        """Everything for the job summary: the parts added, then every warning and error."""
        from hwb_action.ci.summary import annotations_markdown

        parts = list(self.summary_parts)
        listed = annotations_markdown(self.annotations, file_name=self.summary_file)
        if listed:
            parts.append(listed)
        return self.redact("\n\n".join(parts))

    def document(self, text: str, *, is_json: bool = False) -> str:
        """The stdout document (``--json`` or a command's text) as it may be written."""
        return self.redact(text)

    @contextlib.contextmanager
    def stray_output(self) -> Iterator[None]:
        """While inside, whatever else in this process writes to ``sys.stdout`` or
        ``sys.stderr`` (a library, a warning) reaches the log as this reporter's lines:
        redacted, and on GitHub never read as a workflow command.  stdout stays free for
        the ``--json`` document, which is written after this ends."""
        saved = sys.stdout, sys.stderr
        out, err = _LineWriter(self.info), _LineWriter(self.info)
        sys.stdout, sys.stderr = out, err
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved
            out.finish()
            err.finish()

    def close(self) -> None:
        return None


class _LineWriter(io.TextIOBase):
    """A text stream that hands on every complete line; a partial line waits for its end,
    so that pieces written apart cannot join into a line nobody looked at."""

    def __init__(self, line: Callable[[str], None]) -> None:
        super().__init__()
        self._line = line
        self._pending = ""
        self._lock = threading.Lock()
        self._bytes = _BytesWriter(self)

    @property
    def buffer(self) -> io.RawIOBase:
        """Bytes written here (``sys.stdout.buffer.write``) join the same lines."""
        return self._bytes

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        with self._lock:
            lines = (self._pending + text).split("\n")
            self._pending = lines.pop()
        for line in lines:
            self._line(line.rstrip("\r"))
        return len(text)

    def finish(self) -> None:
        """Hand on a last line that has no line break.  The stream stays open: a library
        may have kept it (a logging handler made meanwhile) and write to it later."""
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest:
            self._line(rest)


class _BytesWriter(io.RawIOBase):
    def __init__(self, text: _LineWriter) -> None:
        super().__init__()
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._text.write(self._decoder.decode(chunk))
        return len(chunk)


class NullReporter(BaseReporter):
    """Collects everything, shows nothing: for the Python API and tests."""

    def __init__(self, *, verbose: bool = False) -> None:
        super().__init__(stream=open(os.devnull, "w"), verbose=verbose)  # noqa: SIM115
        self.lines: list[str] = []

    def _emit(self, text: str) -> None:
        self.lines.append(self.redact(text))

    def close(self) -> None:
        self.stream.close()


def detect_reporter(
    environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None,
    quiet: bool = False,
) -> BaseReporter:
    """Pick the reporter for where we run: GitHub Actions, GitLab CI, or a terminal/log."""
    reporter: BaseReporter
    if environ.get("GITHUB_ACTIONS") == "true":
        from hwb_action.ci.github import GitHubReporter

        reporter = GitHubReporter(environ, verbose=verbose, stream=stream)
    elif environ.get("GITLAB_CI") == "true":
        from hwb_action.ci.gitlab import GitLabReporter

        reporter = GitLabReporter(environ, verbose=verbose, stream=stream)
    else:
        from hwb_action.ci.terminal import TerminalReporter

        reporter = TerminalReporter(environ, verbose=verbose, stream=stream)
    reporter.quiet = quiet and not verbose
    return reporter
