"""What the CLI hands a command, and what a command hands back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwb_action.ci import Reporter


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One run of one command: the flags given (``None`` = not given), environment, reporter."""

    command: str
    cli: Mapping[str, Any]
    environ: Mapping[str, str]
    reporter: Reporter
    cwd: Path
    json: bool = False


@dataclass(kw_only=True)
class CommandResult:
    """``data`` is the ``--json`` document; ``text`` goes to stdout without ``--json``."""

    data: dict[str, Any]
    text: str = ""
    exit_code: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
