"""Reporter for GitLab CI: collapsible sections, dotenv outputs, a Markdown summary file."""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TextIO

from hwb_action.ci import BaseReporter


class GitLabReporter(BaseReporter):
    """Sections in the job log; outputs to ``HWB_DOTENV`` (default ``hwb.env``)."""

    def __init__(
        self, environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        self.dotenv_path = environ.get("HWB_DOTENV", "hwb.env")
        self.summary_path = environ.get("HWB_SUMMARY", "hwb-summary.md")
        self._count = 0

    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        self._count += 1
        section = re.sub(r"[^a-z0-9_]", "_", name.lower())[:40] + f"_{self._count}"
        self.stream.write(
            f"\x1b[0Ksection_start:{int(time.time())}:{section}[collapsed=true]\r\x1b[0K{name}\n"
        )
        try:
            yield
        finally:
            self.stream.write(f"\x1b[0Ksection_end:{int(time.time())}:{section}\r\x1b[0K\n")
            self.stream.flush()

    def close(self) -> None:
        if self.outputs:
            with open(self.dotenv_path, "a", encoding="utf-8") as fh:
                for name, value in self.outputs.items():
                    key = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
                    # dotenv reports hold one line per variable.
                    fh.write(f"HWB_{key}={self.redact(value).replace(chr(10), ' ')}\n")
        if self.summary_parts or self.annotations:
            parts = list(self.summary_parts)
            parts.extend(f"- **{a.level}** {a.message}" for a in self.annotations)
            with open(self.summary_path, "a", encoding="utf-8") as fh:
                fh.write(self.redact("\n\n".join(parts)) + "\n")
