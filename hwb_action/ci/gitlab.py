"""Reporter for GitLab CI: collapsible sections, dotenv outputs, a Markdown summary file.

GitLab's rules for a dotenv report (``artifacts:reports:dotenv``), which the output file
follows: one ``KEY=VALUE`` per line, keys of ASCII letters, digits and ``_``, no empty lines,
no comments, no multi-line values, no quoting (quotes are kept as they are), at most 5 KB and
20 variables by default.  An output that cannot be a dotenv value (it has a line break, or it
is long, like release notes or a matrix) is written to a file next to the dotenv file and the
variable ``HWB_OUTPUT_<NAME>_FILE`` names that file.  Outputs are ``HWB_OUTPUT_<NAME>``, not
``HWB_<NAME>``: a later job's ``hwb`` would read ``HWB_SDIST`` or ``HWB_TAG`` as its options.
Dotenv variables reach later jobs' scripts only; they cannot configure a pipeline (so
``parallel:matrix`` stays static in the template).
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from hwb_action.ci import Annotation, BaseReporter

# GitLab's default limit is 5 KB per dotenv file; one value may use a fraction of it.
DOTENV_VALUE_LIMIT = 1024
DOTENV_FILE_LIMIT = 5 * 1024
_SECTION_BAD = re.compile(r"[^A-Za-z0-9_.-]")


def dotenv_key(name: str) -> str:
    """The dotenv variable of output ``name`` (``tag`` -> ``HWB_OUTPUT_TAG``)."""
    return "HWB_OUTPUT_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def section_name(name: str, number: int) -> str:
    """A section id GitLab accepts (letters, digits, ``_ . -``), unique within the job."""
    return (_SECTION_BAD.sub("_", name.lower()).strip("_")[:40] or "hwb") + f"_{number}"


def _fits_dotenv(value: str) -> bool:
    return (
        "\n" not in value
        and "\r" not in value
        and value == value.strip()
        and len(value.encode("utf-8")) <= DOTENV_VALUE_LIMIT
    )


class GitLabReporter(BaseReporter):
    """Sections in the job log; outputs to ``HWB_CI_DOTENV`` (default ``hwb.env``).

    The summary goes to ``HWB_CI_SUMMARY`` (default ``hwb-summary.md``), which the template
    keeps as an artifact.  Outputs too long or multi-line for dotenv go to
    ``HWB_CI_OUTPUTS_DIR`` (default ``hwb-outputs``).  Paths are relative to the job's
    working directory.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        verbose: bool = False,
        stream: TextIO | None = None,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        base = cwd if cwd is not None else Path.cwd()
        self.dotenv_path = base / (environ.get("HWB_CI_DOTENV") or "hwb.env")
        self.summary_path = base / (environ.get("HWB_CI_SUMMARY") or "hwb-summary.md")
        self.outputs_dir = base / (environ.get("HWB_CI_OUTPUTS_DIR") or "hwb-outputs")
        self._count = 0
        self._lock = threading.Lock()
        self._closed = False

    def _emit(self, text: str) -> None:
        with self._lock:
            self.stream.write(self.redact(text) + "\n")
            self.stream.flush()

    @property
    def shows_build_logs(self) -> bool:
        # A green build keeps its backend log too: folded in the step's group (section),
        # read when a wheel turns out wrong.
        return not self.quiet

    def format_annotation(self, annotation: Annotation) -> str:
        # GitLab's job log renders ANSI colours; it has no annotations of its own.
        colour = {"error": "31;1", "warning": "33;1", "notice": "36"}[annotation.level]
        return f"\x1b[{colour}m{super().format_annotation(annotation)}\x1b[0m"

    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        with self._lock:
            self._count += 1
            section = section_name(name, self._count)
        header = self.redact(name).replace("\n", " ").replace("\r", " ")
        self._emit(
            f"\x1b[0Ksection_start:{int(time.time())}:{section}[collapsed=true]\r\x1b[0K{header}"
        )
        try:
            yield
        finally:
            self._emit(f"\x1b[0Ksection_end:{int(time.time())}:{section}\r\x1b[0K")

    def dotenv_lines(self) -> list[str]:
        """The dotenv report for the outputs; writes the long values to their files."""
        lines: list[str] = []
        size = 0
        for name, raw in self.outputs.items():
            if not raw:
                # An empty output is left out: a job that needs two jobs' reports (sdist and
                # wheels) would otherwise get one job's value blanked by the other's.
                continue
            value = self.redact(raw)
            key = dotenv_key(name)
            if _fits_dotenv(value) and size + len(key) + len(value) + 2 < DOTENV_FILE_LIMIT:
                line = f"{key}={value}"
            else:
                self.outputs_dir.mkdir(parents=True, exist_ok=True)
                path = self.outputs_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".txt")
                path.write_text(value, encoding="utf-8", newline="")
                where = (path.relative_to(self.dotenv_path.parent)
                         if path.is_relative_to(self.dotenv_path.parent) else path)
                line = f"{key}_FILE={where.as_posix()}"
            size += len(line.encode("utf-8")) + 1
            lines.append(line)
        return lines

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.outputs:
            lines = self.dotenv_lines()
            with open(self.dotenv_path, "a", encoding="utf-8", newline="") as fh:
                fh.write("".join(line + "\n" for line in lines))
        markdown = self.summary_markdown()
        if markdown:
            with open(self.summary_path, "a", encoding="utf-8", newline="") as fh:
                fh.write(markdown + "\n")
