"""Errors raised by hwb_action.

The library never prints or exits: it raises an :class:`HwbError` subclass that
carries an exit code, a message, an optional remedy (``hint``) and, where the
problem sits in a file, the file/line/column so that CI reporters can annotate it.
Only :mod:`hwb_action.cli` turns these into messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence

from hwb_action._text import location

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class HwbError(Exception):
    """Base class: the work failed (exit code 1)."""

    exit_code: int = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.line = line
        self.col = col
        self.details = list(details)

    def location(self) -> str:
        """``file:line:col: `` prefix, or an empty string when the error has no place."""
        where = location(self.file, self.line, self.col)
        return where + ": " if where else ""

    def __str__(self) -> str:
        return self.location() + self.message


class UsageError(HwbError):
    """The command line, a setting or an input is wrong (exit code 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration file (pyproject.toml, setup.cfg, ...) is malformed or wrong."""


class SourceError(HwbError):
    """A source could not be fetched or unpacked."""


class UnsafeArchiveError(SourceError):
    """An archive holds a member that would escape or abuse the extraction directory."""


class BuildError(HwbError):
    """A build backend or build environment failed."""


class CheckError(HwbError):
    """One or more artifacts failed their checks; ``details`` lists every problem."""


class PublishError(HwbError):
    """An upload or a credential exchange failed."""


class VersioningError(HwbError):
    """Computing or writing a release failed."""


class ProcessError(HwbError):
    """A subprocess exited non-zero or ran out of time (``timed_out``); ``details`` holds the
    tail of its output."""

    def __init__(
        self,
        message: str,
        *,
        returncode: int,
        output_tail: Sequence[str] = (),
        hint: str | None = None,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, details=output_tail)
        self.returncode = returncode
        self.timed_out = timed_out
