"""Reporter for GitHub Actions: workflow commands, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator, Mapping
from typing import TextIO

from hwb_action.ci import Annotation, BaseReporter


def escape_data(value: str) -> str:
    """Escape a workflow command's message (``%``, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value (also ``:`` and ``,``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_output(name: str, value: str) -> str:
    """One ``$GITHUB_OUTPUT`` entry; multi-line values get a random heredoc delimiter."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value and delimiter not in name:
            break
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


class GitHubReporter(BaseReporter):
    """Speaks the runner's workflow-command protocol on stdout-equivalent log stream."""

    def __init__(
        self, environ: Mapping[str, str], *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        # Workflow commands are read from the step's stdout and stderr alike; use stderr so
        # that --json keeps stdout for the document.
        super().__init__(stream=stream if stream is not None else sys.stderr, verbose=verbose)
        self.output_path = environ.get("GITHUB_OUTPUT")
        self.summary_path = environ.get("GITHUB_STEP_SUMMARY")

    def mask(self, secret: str) -> None:
        if secret:
            for line in secret.splitlines():
                if line.strip():
                    self.stream.write(f"::add-mask::{escape_data(line)}\n")
            self.stream.flush()
        super().mask(secret)

    def format_annotation(self, annotation: Annotation) -> str:
        props = []
        if annotation.file:
            props.append(f"file={escape_property(annotation.file)}")
            if annotation.line is not None:
                props.append(f"line={annotation.line}")
                if annotation.col is not None:
                    props.append(f"col={annotation.col}")
        if annotation.title:
            props.append(f"title={escape_property(annotation.title)}")
        head = annotation.level + (" " + ",".join(props) if props else "")
        return f"::{head}::{escape_data(annotation.message)}"

    @contextlib.contextmanager
    def group(self, name: str) -> Iterator[None]:
        self._emit(f"::group::{escape_data(name)}")
        try:
            yield
        finally:
            self._emit("::endgroup::")

    def set_output(self, name: str, value: str) -> None:
        super().set_output(name, value)
        if self.output_path:
            with open(self.output_path, "a", encoding="utf-8") as fh:
                fh.write(format_output(name, self.redact(value)))

    def close(self) -> None:
        if not self.summary_path:
            return
        parts = list(self.summary_parts)
        if self.annotations:
            lines = ["### Warnings and errors", ""]
            for a in self.annotations:
                where = f"`{a.file}:{a.line}` " if a.file and a.line else ""
                lines.append(f"- **{a.level}** {where}{a.message}")
            parts.append("\n".join(lines))
        if parts:
            with open(self.summary_path, "a", encoding="utf-8") as fh:
                fh.write(self.redact("\n\n".join(parts)) + "\n")
