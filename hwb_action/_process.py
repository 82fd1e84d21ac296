"""The one subprocess helper: shows the command (secrets redacted), captures or streams
its output, and raises :class:`ProcessError` with the tail of the output on failure."""

from __future__ import annotations

import collections
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError

TAIL_LINES = 40


@dataclass(frozen=True, kw_only=True)
class Completed:
    """A finished process."""

    args: list[str]
    returncode: int
    stdout: str


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    reporter: Reporter | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stream: bool = False,
    check: bool = True,
    what: str | None = None,
    hint: str | None = None,
    prefix: str = "",
    stdin: str | None = None,
    timeout: float | None = None,
) -> Completed:
    """Run ``cmd``; stdout and stderr are merged.

    ``stream`` sends each line to ``reporter.log`` as it comes (prefixed with ``prefix``,
    for readable parallel builds); otherwise the output is captured and, on failure, its
    last lines travel in the raised :class:`ProcessError`.
    """
    args = [os.fspath(c) for c in cmd]
    if reporter is not None:
        reporter.debug("+ " + shlex.join(args))
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    chunks: list[str] = []
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as err:
        label = what or Path(args[0]).name
        msg = f"could not start {label}: {err.strerror or err}"
        raise ProcessError(msg, returncode=127, hint=hint) from err
    try:
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.rstrip("\n")
            chunks.append(line)
            tail.append(text)
            if stream and reporter is not None:
                reporter.log(prefix + text)
        returncode = proc.wait(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    output = "".join(chunks)
    if check and returncode != 0:
        label = what or shlex.join(args[:3])
        redact = reporter.redact if reporter is not None else (lambda s: s)
        msg = f"{label} failed with exit code {returncode}"
        raise ProcessError(
            redact(msg), returncode=returncode, output_tail=[redact(t) for t in tail], hint=hint
        )
    return Completed(args=args, returncode=returncode, stdout=output)
