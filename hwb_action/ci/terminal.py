"""Reporter for a terminal (live progress, colour) or a plain log (no escape codes).

On a terminal, a long step (a build, an upload: anything run inside :meth:`group`) shows one
live status line with a spinner, the elapsed time and the last line of its log; the full log
is kept back (``--verbose`` shows it) and its tail is shown if the step fails without saying
why.  When the stream is not a terminal every line is written as it comes, plainly.
Colour follows https://no-color.org (``NO_COLOR``) and ``FORCE_COLOR``.
"""

from __future__ import annotations

import collections
import contextlib
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from hwb_action.ci import Annotation, BaseReporter
from hwb_action.errors import HwbError

_COLOURS = {"warning": "33", "error": "31", "notice": "36"}
_SPIN_UTF8 = "\u280b\u2819\u2839\u2838\u283c\u2834\u2826\u2827\u2807\u280f"
_SPIN_ASCII = "|/-\\"
TAIL_LINES = 20
REFRESH_SECONDS = 0.1


@dataclass(kw_only=True)
class _Step:
    name: str
    start: float
    last: str = ""
    tail: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=TAIL_LINES))


class TerminalReporter(BaseReporter):
    """Human output on stderr; colour and live progress only on a terminal."""

    def __init__(
        self, environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        isatty = bool(getattr(self.stream, "isatty", lambda: False)())
        dumb = environ.get("TERM") == "dumb"
        self.colour = isatty and not dumb and "NO_COLOR" not in environ
        if environ.get("FORCE_COLOR"):
            self.colour = True
        self.live = isatty and not dumb and not environ.get("HWB_NO_PROGRESS")
        encoding = (getattr(self.stream, "encoding", None) or "ascii").lower()
        self.unicode = encoding.replace("-", "") in ("utf8", "utf16", "utf32")
        self._lock = threading.RLock()
        self._local = threading.local()
        self._active: dict[int, _Step] = {}
        self._status_shown = False
        self._ticker: threading.Thread | None = None
        self._wake = threading.Event()
        self._frame = 0
        self._groups_run = 0

    # -- painting ----------------------------------------------------------------------
    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def format_annotation(self, annotation: Annotation) -> str:
        text = super().format_annotation(annotation)
        return self._paint(_COLOURS[annotation.level], text)

    # -- the status line -----------------------------------------------------------------
    def _status_text(self) -> str:
        spin = _SPIN_UTF8 if self.unicode else _SPIN_ASCII
        now = time.monotonic()
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        parts = []
        for step in list(self._active.values()):
            part = f"{step.name} {now - step.start:.0f}s"
            if len(self._active) == 1 and step.last:
                part += " | " + step.last.strip()
            parts.append(part)
        text = f"{spin[self._frame % len(spin)]} " + "; ".join(parts)
        text = "".join(ch for ch in text if ch.isprintable())
        return text[:width]

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r\x1b[2K")
            self._status_shown = False

    def _draw_status(self) -> None:
        if self._active:
            self.stream.write("\r\x1b[2K" + self._paint("2", self.redact(self._status_text())))
            self._status_shown = True
        self.stream.flush()

    def _tick(self) -> None:
        while not self._wake.wait(REFRESH_SECONDS):
            with self._lock:
                if not self._active:
                    self._clear_status()
                    self.stream.flush()
                    self._ticker = None
                    return
                self._frame += 1
                self._draw_status()

    # -- lines ---------------------------------------------------------------------------
    def _emit(self, text: str) -> None:
        with self._lock:
            self._clear_status()
            self.stream.write(self.redact(text) + "\n")
            if self.live:
                self._draw_status()
            else:
                self.stream.flush()

    def _current(self) -> _Step | None:
        stack: list[_Step] = getattr(self._local, "stack", [])
        return stack[-1] if stack else None

    def log(self, line: str) -> None:
        step = self._current()
        if step is not None and self.silent:
            step.tail.append(line)  # shown if the step fails
            return
        if self.live and not self.verbose and step is not None:
            with self._lock:
                step.last = self.redact(line)
                step.tail.append(line)
            return
        self._shown_log.append(line)
        self._emit(line)

    # -- steps ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        self._groups_run += 1
        if self.silent:
            yield from self._quiet_group(name)
            return
        if not self.live:
            start = time.monotonic()
            self._emit(self._paint("1", f"* {name}"))
            try:
                yield
            except BaseException:
                self._emit(self._paint("31", f"* {name}: failed ({time.monotonic() - start:.1f}s)"))
                raise
            if self.verbose:
                self._emit(self._paint("2", f"* {name}: done ({time.monotonic() - start:.1f}s)"))
            return
        step = _Step(name=name, start=time.monotonic())
        stack: list[_Step] = self._local.__dict__.setdefault("stack", [])
        stack.append(step)
        with self._lock:
            self._active[id(step)] = step
            if self._ticker is None:
                self._wake.clear()
                self._ticker = threading.Thread(target=self._tick, name="hwb-progress",
                                                daemon=True)
                self._ticker.start()
            self._draw_status()
        ok = "\u2713" if self.unicode else "ok"
        bad = "\u2717" if self.unicode else "FAILED"
        try:
            yield
        except BaseException as err:
            self._finish(step, stack)
            self._emit(self._paint("31", f"{bad} {name} ({time.monotonic() - step.start:.1f}s)"))
            explained = isinstance(err, HwbError) and bool(err.details)
            if step.tail and not explained and not self.verbose:
                for line in step.tail:
                    self._emit("  " + line)
            raise
        self._finish(step, stack)
        self._emit(self._paint("32", f"{ok} {name}") +
                   self._paint("2", f" ({time.monotonic() - step.start:.1f}s)"))

    def _quiet_group(self, name: str) -> Iterator[None]:
        """A step under ``--quiet``: nothing while it runs; if it fails, the failure and
        the tail of its log (unless the error explains itself)."""
        step = _Step(name=name, start=time.monotonic())
        stack: list[_Step] = self._local.__dict__.setdefault("stack", [])
        stack.append(step)
        try:
            yield
        except BaseException as err:
            stack.remove(step)
            self._error_shown = True
            bad = "\u2717" if self.unicode else "FAILED"
            self._emit(self._paint("31", f"{bad} {name} ({time.monotonic() - step.start:.1f}s)"))
            if not (isinstance(err, HwbError) and err.details):
                for line in step.tail:
                    self._emit("  " + line)
            raise
        stack.remove(step)

    def _finish(self, step: _Step, stack: list[_Step]) -> None:
        stack.remove(step)
        with self._lock:
            self._active.pop(id(step), None)
            if not self._active:
                self._clear_status()

    # -- the end ---------------------------------------------------------------------------
    def summary_text(self) -> str:
        """A coloured count of the warnings and errors, after long output."""
        errors = [a for a in self.annotations if a.level == "error"]
        warnings = [a for a in self.annotations if a.level == "warning"]
        if not errors and not warnings:
            return ""
        counts = []
        if errors:
            counts.append(self._paint("31;1", f"{len(errors)} error{'s' * (len(errors) != 1)}"))
        if warnings:
            counts.append(
                self._paint("33;1", f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"))
        # Counts only: each problem was shown once already, where it happened.
        return "hwb: " + ", ".join(counts)

    def close(self) -> None:
        ticker = self._ticker
        if ticker is not None:
            self._wake.set()
            ticker.join(timeout=2)
            self._ticker = None
        with self._lock:
            self._active.clear()
            self._clear_status()
        text = "" if self.quiet else self.summary_text()
        if text and (self._groups_run or len(self.annotations) > 1):
            self._emit(text)
