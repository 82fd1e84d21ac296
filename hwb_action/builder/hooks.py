"""The subprocess runner handed to pyproject-hooks (through ``build.ProjectBuilder``).

Every hook call runs pyproject-hooks' own in-process script in a separate process, as the
default runner does.  Where ``os.fork`` exists the process is forked from a small server
(:mod:`hwb_action.builder._hookserver_main`) that has the backend already imported, which saves
an interpreter start and the backend's imports on each of the four hook calls of a build.
Output is captured per call and followed while the hook runs (:class:`LogTail`): streamed
to the reporter as it is written with ``--verbose`` and in CI logs (prefixed for parallel
builds), and kept so that a failing hook shows its last lines.

Every hook call has a deadline (``build-timeout``, :data:`DEFAULT_TIMEOUT`): on expiry the
hook's process group (the server, the hook it forked, whatever the backend started) is
killed and a :class:`BuildError` names the hook, the backend and the setting.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from hwb_action.ci import Reporter
from hwb_action.errors import BuildError

_SERVER_SCRIPT = Path(__file__).with_name("_hookserver_main.py")
TAIL_LINES = 40
DEFAULT_TIMEOUT = 3600.0
# The hooks that return a file name, and the keyword of the directory it must be in.
_BUILD_HOOKS = {"build_wheel": "wheel_directory", "build_sdist": "sdist_directory",
                "build_editable": "wheel_directory"}


def checked_result(backend: str, hook: str, value: object, outdir: Path) -> Path:
    """The file a build hook says it made, as a path inside ``outdir``.

    A backend runs untrusted code: its answer must be a plain file name (no directory part,
    not ``..``, not absolute) of a regular file, not a link, directly inside ``outdir``.
    Anything else is a :class:`BuildError` naming the backend and the value, raised before
    any file is moved.
    """
    problem = _result_problem(value, outdir)
    if problem is None:
        return outdir / str(value)
    shown = repr(value) if len(repr(value)) <= 200 else repr(value)[:197] + "..."
    msg = f"build backend {backend!r} returned {shown} from {hook}: {problem}"
    raise BuildError(msg, hint="a build hook must return the file name of the distribution "
                     "it wrote into the directory it was given; this is a bug in the backend "
                     "(or a hostile one)")


def _result_problem(value: object, outdir: Path) -> str | None:
    if not isinstance(value, str) or not value:
        return "expected the file name of the distribution it built"
    # No separator of any platform, no drive (C:x), no NUL: a name, not a path.
    if value in (".", "..") or any(c in value for c in "/\\:\0"):
        return "not a plain file name in the output directory"
    path = outdir / value
    if path.is_symlink():
        return "the file is a symbolic link"
    if not path.exists():
        return f"no such file in {outdir}"
    if not path.is_file():
        return "not a regular file"
    return None


class HookRunner:
    """A ``pyproject_hooks`` runner for one build interpreter and backend."""

    def __init__(
        self,
        *,
        python: str,
        env: Mapping[str, str],
        backend: str,
        backend_path: Sequence[str] = (),
        reporter: Reporter,
        prefix: str = "",
        preload_file: Path | None = None,
        use_server: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.python = python
        self.timeout = timeout
        self.backend = backend
        self.env = dict(env)
        self.reporter = reporter
        self.prefix = prefix
        self.preload_file = preload_file
        self.last_hook = ""
        self.last_output: list[str] = []
        self._modules: set[str] = set()
        self._tmp = Path(tempfile.mkdtemp(prefix="hwb-hooks-"))
        self._count = 0
        self._server: subprocess.Popen[str] | None = None
        self._ready = False
        if use_server and hasattr(os, "fork"):
            server_env = dict(self.env)
            server_env["PEP517_BUILD_BACKEND"] = backend
            if backend_path:
                server_env["PEP517_BACKEND_PATH"] = os.pathsep.join(backend_path)
            if preload_file is not None:
                server_env["HWB_HOOKSERVER_PRELOAD"] = str(preload_file)
            try:
                self._server = subprocess.Popen(
                    [python, str(_SERVER_SCRIPT)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    text=True, env=server_env, cwd=str(self._tmp),
                    start_new_session=_GROUPS,
                )
            except OSError:
                self._server = None

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        self.last_hook = cmd[2] if len(cmd) > 2 else "hook"
        env = dict(self.env)
        env.update(extra_environ or {})
        self._count += 1
        log = self._tmp / f"hook-{self._count}.log"
        returncode = None
        log.touch()
        # The hook's output is read while it runs: shown as it comes (-v, CI logs), so that a
        # long build shows progress and a job killed for a timeout keeps what was printed.
        tail = LogTail(log, self._show if _streams(self.reporter) else None)
        timed_out = False
        try:
            if self._server is not None and cmd and cmd[0] == self.python:
                returncode = self._call_server(cmd, cwd or os.getcwd(), env, log)
            if returncode is None:
                returncode = _call_plain(cmd, cwd, env, log, self.timeout)
        except _TimedOut:
            timed_out = True
        finally:
            self.last_output = tail.stop()
        if timed_out:
            raise self._timeout_error()
        assert returncode is not None
        if returncode != 0:
            raise subprocess.CalledProcessError(returncode, list(cmd),
                                                output="\n".join(self.last_output))
        if self.last_hook in _BUILD_HOOKS and len(cmd) > 3:
            self._check_result(self.last_hook, Path(cmd[3]))

    def _timeout_error(self) -> BuildError:
        limit = f"{self.timeout:g}"
        msg = (f"build backend {self.backend!r} did not finish hook {self.last_hook} within "
               f"{limit} s (build-timeout); hwb stopped it and every process it started")
        return BuildError(
            msg, details=self.last_output,
            hint=f"if the build needs longer than {limit} s, raise build-timeout "
                 "(--build-timeout, HWB_BUILD_TIMEOUT, or build-timeout in [tool.hwb]); if "
                 "it should not take this long, look for a prompt for input or a network "
                 "wait in the backend's output")

    def _check_result(self, hook: str, control_dir: Path) -> None:
        """Check what a build hook returned before pyproject-hooks hands it on."""
        try:
            kwargs = json.loads((control_dir / "input.json").read_text("utf-8"))["kwargs"]
            data = json.loads((control_dir / "output.json").read_text("utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return  # pyproject-hooks itself reports a missing or broken answer
        if not isinstance(data, dict) or "return_val" not in data:
            return  # unsupported/no-backend answers carry no file name
        outdir = Path(str(kwargs.get(_BUILD_HOOKS[hook], "")))
        checked_result(self.backend, hook, data["return_val"], outdir)

    def _call_server(
        self, cmd: Sequence[str], cwd: str, env: Mapping[str, str], log: Path
    ) -> int | None:
        server = self._server
        assert server is not None
        assert server.stdin is not None
        assert server.stdout is not None
        # One deadline for the start-up handshake (the backend's imports) and the call.
        deadline = _Deadline(self.timeout, server)
        try:
            if not self._ready:
                if not json.loads(server.stdout.readline() or "{}").get("ready"):
                    raise OSError("hook server did not start")
                self._ready = True
            request = {"argv": list(cmd), "cwd": cwd, "env": dict(env), "log": str(log)}
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            answer = json.loads(server.stdout.readline() or "{}")
            code = answer.get("returncode")
            if not isinstance(code, int):
                raise OSError("hook server gave no answer")
        except (OSError, ValueError):
            # The server is an optimisation: if it fails, fall back to plain processes.
            expired = deadline.cancel()
            self._stop_server()
            if expired:
                raise _TimedOut from None
            return None
        if deadline.cancel():  # ran out as the answer came: the group is gone already
            self._stop_server()
            raise _TimedOut
        modules = Path(str(log) + ".modules")
        with contextlib.suppress(OSError, ValueError):
            self._modules.update(json.loads(modules.read_text()))
        return code

    def _show(self, line: str) -> None:
        self.reporter.log(self.prefix + line)

    def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(OSError):
            if server.stdin is not None:
                server.stdin.close()
        # Idle between hooks, or in the middle of one when the build was interrupted: either
        # way the server, the hook it forked and whatever the backend left running in the
        # background end now (the server is unreaped until wait(), so its group id is ours).
        _end_group(server)
        server.wait()

    def close(self) -> None:
        """Stop the server, remember what it imported for next time, remove temporaries."""
        self._stop_server()
        if self.preload_file is not None and self._modules:
            try:
                previous = set(json.loads(self.preload_file.read_text()))
            except (OSError, ValueError):
                previous = set()
            if not self._modules <= previous:
                tmp = self.preload_file.with_suffix(f".{os.getpid()}.tmp")
                try:
                    tmp.write_text(json.dumps(sorted(self._modules | previous)))
                    os.replace(tmp, self.preload_file)
                except OSError:
                    pass
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> HookRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Hook processes run in a process group of their own, ended as a whole: a backend that
# leaves a background process behind does not outlive its build.
_GROUPS = hasattr(os, "killpg")


def _end_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    if _GROUPS:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        with contextlib.suppress(OSError):
            proc.kill()


class _TimedOut(Exception):
    """A hook call ran out of time; its process group was killed."""


class _Deadline:
    """Kills ``proc``'s process group (and so the hook) when ``seconds`` run out."""

    def __init__(self, seconds: float, proc: subprocess.Popen[str] | subprocess.Popen[bytes]
                 ) -> None:
        self._expired = threading.Event()
        self._timer = threading.Timer(seconds, self._expire, (proc,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
        self._expired.set()
        _end_group(proc)

    def cancel(self) -> bool:
        """Stop the clock (before the process is reaped); whether time had run out."""
        self._timer.cancel()
        self._timer.join()
        return self._expired.is_set()


def _call_plain(cmd: Sequence[str], cwd: str | None, env: Mapping[str, str], log: Path,
                timeout: float) -> int:
    """One hook call in a fresh process (pyproject-hooks' default way), output to ``log``."""
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=_GROUPS)
        deadline = _Deadline(timeout, proc)
        try:
            if _GROUPS:
                # Wait without reaping: until wait() below, the group id cannot be reused.
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            else:
                proc.wait()
        finally:
            expired = deadline.cancel()
            _end_group(proc)  # what it left running, or itself when interrupted
            returncode = proc.wait()
        if expired:
            raise _TimedOut
        return returncode


def _streams(reporter: Reporter) -> bool:
    """Whether backend output is shown as it comes: the reporter says (with --verbose, and
    in CI logs inside the step's collapsed group).  A quiet terminal keeps its live status
    line instead."""
    return reporter.shows_build_logs


class LogTail:
    """Follows a hook's log file on a thread while the hook runs: each complete line goes to
    ``show`` (when given) as soon as it is written; :meth:`stop` reads the rest and returns
    the last :data:`TAIL_LINES` lines."""

    POLL_SECONDS = 0.05

    def __init__(self, path: Path, show: Callable[[str], None] | None) -> None:
        self.show = show
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._partial = ""
        self._done = threading.Event()
        try:
            self._fh: IO[str] | None = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError:
            self._fh = None
        self._thread: threading.Thread | None = None
        if self._fh is not None and show is not None:
            self._thread = threading.Thread(target=self._follow, name="hwb-hook-log",
                                            daemon=True)
            self._thread.start()

    def _line(self, line: str) -> None:
        self.tail.append(line)
        if self.show is not None:
            self.show(line)

    def _read(self) -> bool:
        """Hand on the complete lines written so far; whether there were any."""
        assert self._fh is not None
        chunk = self._fh.read()
        if not chunk:
            return False
        *lines, self._partial = (self._partial + chunk).split("\n")
        for line in lines:
            self._line(line.rstrip("\r"))
        return True

    def _follow(self) -> None:
        while not self._done.is_set():
            if not self._read():
                self._done.wait(self.POLL_SECONDS)

    def stop(self) -> list[str]:
        """Stop following (the hook has ended); the last lines of the log."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self._fh is not None:
            with self._fh:
                while self._read():
                    pass
            if self._partial:
                self._line(self._partial.rstrip("\r"))
                self._partial = ""
        return list(self.tail)


def default_python() -> str:
    """The interpreter running hwb."""
    return sys.executable
