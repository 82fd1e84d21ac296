"""Reporter for a terminal (colour, progress) or a plain log (no escape codes)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TextIO

from hwb_action.ci import Annotation, BaseReporter

_COLOURS = {"warning": "33", "error": "31", "notice": "36"}


class TerminalReporter(BaseReporter):
    """Human output on stderr; colour only on a TTY and when NO_COLOR is unset."""

    def __init__(
        self, environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.colour = bool(isatty) and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"
        if environ.get("FORCE_COLOR"):
            self.colour = True

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def format_annotation(self, annotation: Annotation) -> str:
        text = super().format_annotation(annotation)
        return self._paint(_COLOURS[annotation.level], text)

    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        self._emit(self._paint("1", f"* {name}"))
        try:
            yield
        finally:
            if self.verbose:
                self._emit(self._paint("2", f"  ({time.monotonic() - start:.2f}s)"))
