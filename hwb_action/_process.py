"""The one subprocess helper: shows the command (secrets redacted), captures or streams its
output, enforces a timeout while the output is read, and raises :class:`ProcessError` with
the tail of the output on failure.

Every command runs in a process group of its own (a new session on POSIX), so that a
timeout, an interrupt, or the end of the command can end everything it started: a process
the command left running in the background would otherwise outlive hwb and keep the
output pipe open.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError

TAIL_LINES = 40
# After a command exits, what is left of its process group is ended; this bounds the wait
# for the output pipes to close when something outside the group (a daemon that made a
# session of its own) still holds them.
LINGER_SECONDS = 5.0
# How long a process that was sent SIGTERM may take before it gets SIGKILL.
KILL_GRACE_SECONDS = 2.0

Capture = Literal["merged", "stdout", "none"]
_POSIX = os.name == "posix"


@dataclass(frozen=True, kw_only=True)
class Completed:
    """A finished process.  ``stdout`` is what ``capture`` kept; ``stderr`` is set only with
    ``capture="stdout"``."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str = ""


def _same(text: str) -> str:
    return text


def _pump(stream: IO[str], name: str, lines: queue.Queue[tuple[str, str | None]]) -> None:
    try:
        for line in stream:
            lines.put((name, line))
    except (OSError, ValueError):  # the pipe was closed under us
        pass
    finally:
        lines.put((name, None))


def _feed(stream: IO[str], text: str) -> None:
    # A child that exits without reading its input closes the pipe: not our failure.
    with contextlib.suppress(OSError, ValueError):
        stream.write(text)
    with contextlib.suppress(OSError, ValueError):
        stream.close()


def _wait_for(proc: subprocess.Popen[str], lines: queue.Queue[tuple[str, str | None]]) -> None:
    proc.wait()
    lines.put(("exit", None))


def end_group(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and every process of its group (its children, their background jobs)."""
    if _POSIX:
        # The group outlives its leader while members remain; none left is fine.
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                           capture_output=True, timeout=30, check=False)
    with contextlib.suppress(OSError):
        proc.kill()


def _timeout_hint(label: str, timeout: float, setting: str | None) -> str:
    if setting:
        env = "HWB_" + setting.upper().replace("-", "_")
        return (f"if {label} needs longer than {timeout:g} s, raise the {setting} setting "
                f"(--{setting}, {env}, or {setting} in [tool.hwb]); if it should not take "
                "this long, look for a prompt for input or a network wait in its output")
    return (f"{label} may wait for input or for the network; its output above shows where "
            "it stopped")


class _Output:
    """What a running command printed: read by threads, handed on in the caller's thread
    (reporters keep per-thread state), against a deadline."""

    def __init__(self, proc: subprocess.Popen[str], *, capture: Capture, stream: bool,
                 prefix: str, reporter: Reporter | None, stdin: str | None) -> None:
        self.proc = proc
        self.capture = capture
        self.stream = stream
        self.prefix = prefix
        self.reporter = reporter
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.out: list[str] = []
        self.err: list[str] = []
        self.lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self.open_pipes = 0
        threads = []
        for name, pipe in (("out", proc.stdout), ("err", proc.stderr)):
            if pipe is not None:
                self.open_pipes += 1
                threads.append(threading.Thread(target=_pump, args=(pipe, name, self.lines)))
        if proc.stdin is not None and stdin is not None:
            threads.append(threading.Thread(target=_feed, args=(proc.stdin, stdin)))
        threads.append(threading.Thread(target=_wait_for, args=(proc, self.lines)))
        for thread in threads:
            thread.daemon = True  # a pipe held open by a stranger must not keep hwb alive
            thread.start()

    def read(self, timeout: float | None) -> bool:
        """Hand on every line until the command exited and its pipes closed; False when
        ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        linger: float | None = None
        exited = False
        while self.open_pipes or not exited:
            ends = [t for t in (deadline, linger) if t is not None]
            try:
                name, line = self.lines.get(
                    timeout=max(0.0, min(ends) - time.monotonic()) if ends else None)
            except queue.Empty:
                # Exited: a process outside its group still holds the pipe; stop reading.
                return exited
            if name == "exit":
                exited = True
                end_group(self.proc)  # what the command left behind ends with it
                linger = time.monotonic() + LINGER_SECONDS
            elif line is None:
                self.open_pipes -= 1
            else:
                self._line(name, line)
        return True

    def _line(self, name: str, line: str) -> None:
        text = line.rstrip("\n")
        self.tail.append(text)
        reporter = self.reporter
        if name == "err":
            self.err.append(line)
            if reporter is not None:
                (reporter.log if self.stream else reporter.debug)(self.prefix + text)
            return
        if self.capture != "none":
            self.out.append(line)
        if self.stream and reporter is not None and self.capture != "stdout":
            reporter.log(self.prefix + text)


def _start(args: list[str], *, cwd: str | os.PathLike[str] | None,
           env: Mapping[str, str] | None, stdin: str | None,
           capture: Capture) -> subprocess.Popen[str]:
    extra: dict[str, Any] = {}
    if _POSIX:
        extra["start_new_session"] = True
    else:
        extra["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture == "stdout" else subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        **extra,
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    end_group(proc)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_GRACE_SECONDS)


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
    timeout_setting: str | None = None,
    capture: Capture = "merged",
) -> Completed:
    """Run ``cmd`` and return what it printed.

    ``capture`` says what is kept in :attr:`Completed.stdout`:

    * ``"merged"`` (default): stdout and stderr as one stream, in the order they came;
    * ``"stdout"``: stdout only, for output a program reads (JSON, a path); stderr goes to
      :attr:`Completed.stderr` and to the reporter (``reporter.log`` with ``stream``, else
      ``reporter.debug``), never into the result;
    * ``"none"``: nothing is kept (long logs); the output is still streamed and its tail
      still travels with a failure.

    ``stream`` sends each line to ``reporter.log`` as it comes (prefixed with ``prefix``,
    for readable parallel builds).  ``timeout`` (seconds) is enforced while the output is
    read: on expiry the process and its whole group are killed and a :class:`ProcessError`
    with ``timed_out=True`` is raised, whatever ``check`` says; its hint names
    ``timeout_setting``, the setting that changes the limit.  On an interrupt
    (KeyboardInterrupt, SystemExit, hwb's Terminated) the group is killed before the
    exception goes on.  When the command exits, whatever it left running in its group is
    ended too.
    """
    args = [os.fspath(c) for c in cmd]
    redact: Callable[[str], str] = reporter.redact if reporter is not None else _same
    label = what or shlex.join(args[:3])
    if reporter is not None:
        reporter.debug(redact("+ " + shlex.join(args)))
    try:
        proc = _start(args, cwd=cwd, env=env, stdin=stdin, capture=capture)
    except OSError as err:
        msg = f"could not start {what or Path(args[0]).name}: {err.strerror or err}"
        raise ProcessError(redact(msg), returncode=127, hint=hint) from err
    output = _Output(proc, capture=capture, stream=stream, prefix=prefix, reporter=reporter,
                     stdin=stdin)
    try:
        finished = output.read(timeout)
    except BaseException:
        _stop(proc)
        raise
    tail = [redact(t) for t in output.tail]
    if not finished:
        _stop(proc)
        msg = f"{label} did not finish within {timeout:g} s and was stopped"
        raise ProcessError(redact(msg), returncode=proc.returncode or -9, output_tail=tail,
                           hint=_timeout_hint(label, timeout or 0, timeout_setting),
                           timed_out=True)
    returncode = proc.returncode if proc.returncode is not None else -9
    if check and returncode != 0:
        msg = f"{label} failed with exit code {returncode}"
        raise ProcessError(redact(msg), returncode=returncode, output_tail=tail, hint=hint)
    return Completed(args=args, returncode=returncode, stdout="".join(output.out),
                     stderr="".join(output.err))


# -- everything hwb started, on an interrupt -----------------------------------------------
def _process_table() -> dict[int, tuple[int, bool]]:
    """pid -> (parent pid, finished): /proc on Linux, ``ps`` on other POSIX systems."""
    table: dict[int, tuple[int, bool]] = {}
    if os.path.isdir("/proc/self"):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(os.path.join(entry.path, "stat"), encoding="utf-8",
                          errors="replace") as fh:
                    stat = fh.read()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces and parentheses.
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) >= 2 and fields[1].lstrip("-").isdigit():
                table[int(entry.name)] = (int(fields[1]), fields[0] in ("Z", "X"))
        return table
    try:
        listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat="],
                                 capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return table
    for row in listing.stdout.splitlines():
        parts = row.split()
        if len(parts) >= 3 and parts[0].isdigit() and parts[1].isdigit():
            table[int(parts[0])] = (int(parts[1]), parts[2].startswith("Z"))
    return table


def descendants(root: int | None = None) -> list[int]:
    """The running processes below ``root`` (default: this process), parents first."""
    table = _process_table()
    children: dict[int, list[int]] = collections.defaultdict(list)
    for pid, (ppid, finished) in table.items():
        if not finished:
            children[ppid].append(pid)
    found: list[int] = []
    todo = [os.getpid() if root is None else root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def end_descendants(root: int | None = None, *, grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM every process below ``root`` (default: this process), SIGKILL what remains
    after ``grace`` seconds.  Used when hwb is interrupted, before cleanups run: once a parent is
    gone its children are no longer ours to find."""
    if not _POSIX:
        return
    pids = descendants(root)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while pids and time.monotonic() < end:
        table = _process_table()
        pids = [p for p in pids if p in table and not table[p][1]]
        if pids:
            time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
