"""Entry point of the hwb GitHub Action (``action.yml``); thin on purpose.

The composite step runs this file with the runner's own Python (3.11 or newer).  It

1. maps the action's inputs to ``HWB_*`` variables: the step already sets ``HWB_<INPUT>``
   through ``env:``; ``INPUT_<NAME>`` variables (what the runner sets for JavaScript and
   Docker actions, ``INPUT_OUT-DIR`` for input ``out-dir``) fill in any that are missing;
2. installs hwb-action from the action's own directory into a private virtual environment
   under ``$RUNNER_TEMP`` (action_install.py: the hash-pinned lock of what the command needs,
   then hwb-action with ``--no-deps``, with uv), reused by later steps of the job whose lock
   it covers (input ``install: none``, ``HWB_INSTALL=none``, skips this and runs in the
   current interpreter); ``entrypoint.py --install COMMAND`` does only this and prints where
   ``hwb`` is (the GitLab template's install);
3. runs ``hwb <command>`` there, through :func:`hwb_action.cli.main`, and passes on its exit
   code.  Everything else (outputs, annotations, the job summary) is the CLI's reporter's job.
   SIGINT and SIGTERM (a cancelled job) are forwarded to hwb, which ends its processes,
   removes its temporary files and exits 130 or 143; so does this process.

Only the standard library is used here, action_install.py, and hwb_action's modules that need
nothing else (the process layer, the host helpers, GitHub's escaping), from this action's own
tree: this runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

ACTION_DIR = Path(__file__).resolve().parent
# hwb_action's stdlib-only helpers, from this action's own tree whatever else is installed.
if str(ACTION_DIR) not in sys.path:
    sys.path.insert(0, str(ACTION_DIR))
from action_install import ensure_venv  # noqa: E402
from hwb_action.ci.github import escape_data  # noqa: E402

# The action's own inputs and hwb's commands: from scripts/generate.py's table and cli.COMMANDS.
# BEGIN GENERATED: commands (python scripts/generate.py)
ACTION_ONLY_INPUTS = (
    "command",
    "python-version",
    "install",
    "verbose",
    "working-directory",
    "upload",
    "artifact-name",
    "download",
    "download-pattern",
)
COMMANDS = ("build", "check", "plan", "publish", "version", "release", "cache")
# END GENERATED: commands
_TRUE = ("1", "true", "yes", "on")
# How long hwb may take to clean up after a forwarded SIGINT/SIGTERM before it is killed.
FORWARD_GRACE = 30.0


def input_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with every ``INPUT_*`` variable copied to its ``HWB_*`` name if unset."""
    out = dict(environ)
    for key, value in environ.items():
        if not key.startswith("INPUT_") or len(key) == len("INPUT_"):
            continue
        name = key[len("INPUT_"):].strip().lower().replace("_", "-").replace(" ", "-")
        target = "HWB_" + name.upper().replace("-", "_")
        out.setdefault(target, value)
    return out


def hwb_argv(environ: Mapping[str, str]) -> list[str]:
    """The ``hwb`` arguments: the command, and ``--verbose`` when asked for.

    Every other setting travels as an ``HWB_*`` variable, read by the settings resolver.
    """
    command = environ.get("HWB_COMMAND", "").strip()
    argv = [command]
    if environ.get("HWB_VERBOSE", "").strip().lower() in _TRUE:
        argv.append("--verbose")
    return argv


def _error(message: str, environ: Mapping[str, str]) -> None:
    if environ.get("GITHUB_ACTIONS") == "true":
        sys.stderr.write(f"::error title=hwb-action::{escape_data(message)}\n")
    else:
        sys.stderr.write(f"ERROR: {message}\n")
    sys.stderr.flush()


class _Signalled(BaseException):
    """SIGINT or SIGTERM arrived before hwb ran: unwinds the installation."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


class _Signals:
    """SIGINT and SIGTERM: forwarded to hwb while it runs (it cleans up and exits 130 or
    143, which this process passes on); before that, they unwind the installation."""

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.child is not None:
            with contextlib.suppress(OSError):
                self.child.send_signal(signum)
        elif len(self.received) == 1:
            raise _Signalled(signum)

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self._previous[sig] = signal.signal(sig, self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Give the signals back to their previous handlers."""
        while self._previous:
            sig, previous = self._previous.popitem()
            signal.signal(sig, previous)

    def run(self, cmd: Sequence[str], env: Mapping[str, str]) -> int:
        """Run hwb and pass on its exit code (128 + N when signal N ended it).

        hwb bounds each of its own waits, so its run is not; after a signal was forwarded
        it has FORWARD_GRACE seconds to clean up before it is killed.
        """
        self.child = child = subprocess.Popen(list(cmd), env=dict(env))
        deadline: float | None = None
        try:
            while True:
                try:
                    code = child.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if self.received and deadline is None:
                    deadline = time.monotonic() + FORWARD_GRACE
                if deadline is not None and time.monotonic() > deadline:
                    child.kill()
                    code = child.wait(timeout=FORWARD_GRACE)
                    break
        finally:
            if child.poll() is None:
                child.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=FORWARD_GRACE)
            self.child = None
        return 128 - code if code < 0 else code


def main(environ: MutableMapping[str, str] | None = None, argv: Sequence[str] = ()) -> int:
    """Run the action: inputs -> ``HWB_*`` -> ``hwb <command>``; returns the exit code.

    SIGINT and SIGTERM reach hwb, which cleans up and exits 130 or 143; this process exits
    with hwb's code.  ``argv`` ``--install COMMAND`` only makes the private environment for
    COMMAND and prints the directory of its programs (for CI systems that run ``hwb``
    themselves: the GitLab template).
    """
    with _Signals() as signals:
        try:
            if argv:
                return install_only(environ, argv)
            return _main(environ, signals)
        except _Signalled as err:
            return 128 + err.signum


def install_only(environ: Mapping[str, str] | None, argv: Sequence[str]) -> int:
    """``entrypoint.py --install COMMAND``: print the directory holding ``hwb``."""
    env = dict(os.environ if environ is None else environ)
    if len(argv) != 2 or argv[0] != "--install" or argv[1] not in COMMANDS:
        _error(f"usage: entrypoint.py --install COMMAND, with COMMAND one of "
               f"{', '.join(COMMANDS)} (got {' '.join(argv)!r})", env)
        return 2
    try:
        python = ensure_venv(env, argv[1])
    except RuntimeError as err:
        _error(str(err), env)
        return 1
    sys.stdout.write(f"{python.parent}\n")
    return 0


def _main(environ: MutableMapping[str, str] | None, signals: _Signals) -> int:
    env = input_env(os.environ if environ is None else environ)
    argv = hwb_argv(env)
    if argv[0] not in COMMANDS:
        given = f" (got {argv[0]!r})" if argv[0] else ""
        _error(f"the command input must be one of {', '.join(COMMANDS)}{given}", env)
        return 2
    mode = env.get("HWB_INSTALL", "").strip().lower() or "venv"
    if mode == "none":
        sys.path.insert(0, str(ACTION_DIR))
        from hwb_action.cli import main as hwb_main

        # The runner reads the log as UTF-8, whatever the console's code page (Windows).
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(encoding="utf-8", errors="replace")

        os.environ.update(env)
        signals.restore()  # hwb handles SIGINT and SIGTERM itself
        return hwb_main(argv)
    if mode != "venv":
        _error(f"the install input must be venv or none (got {mode!r})", env)
        return 2
    start = time.monotonic()
    try:
        python = ensure_venv(env, argv[0])
    except RuntimeError as err:
        _error(str(err), env)
        return 1
    if env.get("HWB_VERBOSE", "").strip().lower() in _TRUE:
        sys.stderr.write(f"hwb-action: {python} ready in {time.monotonic() - start:.2f}s\n")
    code = "import sys; from hwb_action.cli import main; sys.exit(main(sys.argv[1:]))"
    sys.stderr.flush()
    # -I: neither PYTHONPATH nor the working directory (the user's project) shadows hwb_action.
    # -X utf8: the runner reads the log as UTF-8, whatever the console's code page (Windows).
    return signals.run([str(python), "-I", "-X", "utf8", "-c", code, *argv], env)


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
