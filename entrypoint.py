"""Entry point of the hwb GitHub Action (``action.yml``); thin on purpose.

The composite step runs this file with the runner's own Python (3.11 or newer).  It

1. maps the action's inputs to ``HWB_*`` variables: the step already sets ``HWB_<INPUT>``
   through ``env:``; ``INPUT_<NAME>`` variables (what the runner sets for JavaScript and
   Docker actions, ``INPUT_OUT-DIR`` for input ``out-dir``) fill in any that are missing;
2. installs hwb-action from the action's own directory into a private virtual environment
   under ``$RUNNER_TEMP`` (with uv when it is on PATH, else ``python -m venv`` and pip),
   reused by every later step of the job that runs the same action source
   (input ``install: none``, ``HWB_INSTALL=none``, skips this and runs in the current interpreter);
3. runs ``hwb <command>`` there, through :func:`hwb_action.cli.main`, and passes on its exit
   code.  Everything else (outputs, annotations, the job summary) is the CLI's reporter's job.
   SIGINT and SIGTERM (a cancelled job) are forwarded to hwb, which ends its processes,
   removes its temporary files and exits 130 or 143; so does this process.

Only the standard library is used here, and hwb_action's modules that need nothing else
(the process layer, the host helpers, GitHub's escaping), from this action's own tree:
this runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

ACTION_DIR = Path(__file__).resolve().parent
# hwb_action's stdlib-only helpers, from this action's own tree whatever else is installed.
if str(ACTION_DIR) not in sys.path:
    sys.path.insert(0, str(ACTION_DIR))
from hwb_action import _process  # noqa: E402
from hwb_action._host import venv_python  # noqa: E402
from hwb_action.ci.github import escape_data  # noqa: E402
from hwb_action.errors import ProcessError  # noqa: E402

# The action's own inputs and hwb's commands: from scripts/generate.py's table and cli.COMMANDS.
# BEGIN GENERATED: commands (python scripts/generate.py)
ACTION_ONLY_INPUTS = ("command", "python-version", "install", "verbose", "working-directory")
COMMANDS = ("build", "check", "plan", "publish", "version", "release", "cache")
# END GENERATED: commands
_TRUE = ("1", "true", "yes", "on")
# Files whose content decides whether a cached environment is still the right one.
_SOURCE_GLOBS = ("pyproject.toml", "hwb_action/**/*.py")
# Installing hwb-action (a venv and a local wheel with its dependencies) takes well under a
# minute; fifteen leave room for a slow index and still end a hung one.
INSTALL_TIMEOUT = 900.0
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


def source_digest(action_dir: Path = ACTION_DIR) -> str:
    """A digest of the action's Python source and the interpreter that will run it."""
    digest = hashlib.sha256()
    digest.update(sys.executable.encode())
    digest.update(sys.version.encode())
    for pattern in _SOURCE_GLOBS:
        for path in sorted(action_dir.glob(pattern)):
            digest.update(path.relative_to(action_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(cmd: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    """Run an installer step through hwb's process layer: bounded by INSTALL_TIMEOUT, its
    process group ended on a timeout or an interrupt.  (exit code, output)."""
    try:
        done = _process.run(cmd, env=env, check=False, timeout=INSTALL_TIMEOUT,
                            what=Path(cmd[0]).name)
    except ProcessError as err:
        return err.returncode or 1, "\n".join([err.message, *err.details])
    return done.returncode, done.stdout


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def ensure_venv(
    environ: Mapping[str, str],
    action_dir: Path = ACTION_DIR,
    say: Callable[[str], None] = _say,
) -> Path:
    """The interpreter of the private environment with hwb-action installed; made if needed.

    Raises :class:`RuntimeError` with the installer's output when the installation fails.
    """
    base = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "hwb-action"
    venv = base / f"venv-{source_digest(action_dir)}"
    python = venv_python(venv)
    if (venv / ".hwb-ready").is_file() and python.is_file():
        return python
    base.mkdir(parents=True, exist_ok=True)
    # Build in a fresh directory and rename: a half-made environment is never reused.
    work = base / f"{venv.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    env = {k: v for k, v in environ.items() if k != "VIRTUAL_ENV"}
    uv = shutil.which("uv", path=environ.get("PATH"))
    if uv:
        steps = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(work)],
            [uv, "pip", "install", "--quiet", "--python", str(venv_python(work)),
             str(action_dir)],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(work)],
            [str(venv_python(work)), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", str(action_dir)],
        ]
    tool = "uv" if uv else "venv and pip"
    say(f"hwb-action: installing hwb-action into {venv} ({tool}); later steps reuse it")
    try:
        for cmd in steps:
            code, output = _run(cmd, env)
            if code != 0:
                msg = (f"installing hwb-action failed ({Path(cmd[0]).name} exited {code}):"
                       f"\n{output}")
                raise RuntimeError(msg)
    except BaseException:  # a failure or an interrupt: no half-made environment stays
        shutil.rmtree(work, ignore_errors=True)
        raise
    (work / ".hwb-ready").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    try:
        work.rename(venv)
    except OSError:
        # Another step made it first; use theirs.
        shutil.rmtree(work, ignore_errors=True)
    return python


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


def main(environ: MutableMapping[str, str] | None = None) -> int:
    """Run the action: inputs -> ``HWB_*`` -> ``hwb <command>``; returns the exit code.

    SIGINT and SIGTERM reach hwb, which cleans up and exits 130 or 143; this process exits
    with hwb's code.
    """
    with _Signals() as signals:
        try:
            return _main(environ, signals)
        except _Signalled as err:
            return 128 + err.signum


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
        python = ensure_venv(env)
    except RuntimeError as err:
        _error(str(err), env)
        return 1
    if env.get("HWB_VERBOSE", "").strip().lower() in _TRUE:
        sys.stderr.write(f"hwb-action: {python} ready in {time.monotonic() - start:.1f}s\n")
    code = "import sys; from hwb_action.cli import main; sys.exit(main(sys.argv[1:]))"
    sys.stderr.flush()
    # -I: neither PYTHONPATH nor the working directory (the user's project) shadows hwb_action.
    # -X utf8: the runner reads the log as UTF-8, whatever the console's code page (Windows).
    return signals.run([str(python), "-I", "-X", "utf8", "-c", code, *argv], env)


if __name__ == "__main__":
    sys.exit(main())
