"""Entry point of the hwb GitHub Action (``action.yml``); thin on purpose.

The composite step runs this file with the runner's own Python (3.11 or newer).  It

1. maps the action's inputs to ``HWB_*`` variables: the step already sets ``HWB_<INPUT>``
   through ``env:``; ``INPUT_<NAME>`` variables (what the runner sets for JavaScript and
   Docker actions, ``INPUT_OUT-DIR`` for input ``out-dir``) fill in any that are missing;
2. installs hwb-action from the action's own directory into a private virtual environment
   under ``$RUNNER_TEMP``: the hash-pinned lock of what the command needs
   (``requirements/action-*.txt``, made by scripts/lock.py; ``--require-hashes``, wheels
   only), then hwb-action with ``--no-deps``; with uv, the runner's when it is on PATH, else
   the pinned uv of ``requirements/action-uv.txt`` installed with pip as one wheel.  Later
   steps of the job whose lock this environment covers reuse it (input ``install: none``,
   ``HWB_INSTALL=none``, skips this and runs in the current interpreter).
   ``entrypoint.py --install COMMAND`` does only this and prints where ``hwb`` is (the
   GitLab template's install);
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
import importlib.util
import io
import os
import re
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
COMMANDS = ("build", "check", "plan", "publish", "version", "release")
# END GENERATED: commands
_TRUE = ("1", "true", "yes", "on")
# The lock (requirements/action-NAME.txt, made by scripts/lock.py) each command installs:
# what it imports and runs, no more (tests/unit/test_action_locks.py keeps this true).
# A command not listed here installs action-all.txt.
COMMAND_LOCKS = {"build": "build", "check": "check", "plan": "plan", "publish": "publish",
                 "release": "version", "version": "version"}
# An older uv on PATH is passed over for the pinned one: hash-checked build constraints.
MIN_UV = (0, 5, 0)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
# Files whose content decides whether a cached environment is still the right one.
_SOURCE_GLOBS = ("pyproject.toml", "hwb_action/**/*.py", "requirements/action-*.txt")
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
    """A digest of the action's Python source, its locks and the interpreter that runs it."""
    digest = hashlib.sha256()
    digest.update(sys.executable.encode())
    digest.update(sys.version.encode())
    for pattern in _SOURCE_GLOBS:
        for path in sorted(action_dir.glob(pattern)):
            digest.update(path.relative_to(action_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def lock_file(command: str, action_dir: Path = ACTION_DIR) -> Path:
    """The hash-pinned lock ``command`` installs from (action-all.txt for an unlisted one)."""
    return action_dir / "requirements" / f"action-{COMMAND_LOCKS.get(command, 'all')}.txt"


def pins(lock: Path) -> set[tuple[str, str]]:
    """The ``(name, version)`` pairs a lock file pins."""
    return set(_PIN.findall(lock.read_text(encoding="utf-8")))


def venv_path(environ: Mapping[str, str], command: str, action_dir: Path = ACTION_DIR) -> Path:
    """Where the private environment made for ``command`` lives."""
    base = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "hwb-action"
    lock = lock_file(command, action_dir).stem.removeprefix("action-")
    return base / f"venv-{source_digest(action_dir)}-{lock}"


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


def _install(steps: Sequence[Sequence[str]], env: Mapping[str, str], what: str) -> None:
    """Run installer steps in order; RuntimeError with the failing step's output."""
    for cmd in steps:
        code, output = _run(cmd, env)
        if code != 0:
            msg = f"installing {what} failed ({Path(cmd[0]).name} exited {code}):\n{output}"
            if "hash" in output.lower():
                msg += ("\nA downloaded file does not have the sha256 that hwb-action's lock "
                        "(requirements/) records: the index, a mirror or a proxy served other "
                        "bytes than the ones locked. Do not remove the lock; find out why.")
            elif "no usable wheels" in output or "--no-build" in output:
                msg += ("\nhwb-action installs wheels only, and its locks have them for "
                        "Linux, macOS and Windows on x86_64 and arm64: elsewhere install "
                        "hwb-action yourself and set `install: none`.")
            raise RuntimeError(msg)


class _Background:
    """An installer step that runs beside the others: its output kept in a file, its process
    group ended by :meth:`stop` (an interrupt or another step's failure)."""

    def __init__(self, cmd: Sequence[str], env: Mapping[str, str]) -> None:
        self.cmd = list(cmd)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.proc = subprocess.Popen(self.cmd, env=dict(env), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=os.name != "nt")

    def finish(self, what: str) -> None:
        """Wait for the step; RuntimeError with its output when it failed."""
        try:
            code = self.proc.wait(timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = -1
        if code != 0:
            self.log.seek(0)
            output = self.log.read().decode(errors="replace")
            msg = f"making {what} failed ({Path(self.cmd[0]).name} exited {code}):\n{output}"
            raise RuntimeError(msg)

    def stop(self) -> None:
        """End the step if it still runs (with its children), and drop its output."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                if os.name != "nt":
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=FORWARD_GRACE)
        self.log.close()


def _uv_version(uv: str, env: Mapping[str, str]) -> tuple[int, ...]:
    code, output = _run([uv, "--version"], env)
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", output) if code == 0 else None
    return tuple(int(n) for n in found.groups()) if found else ()


def _uv_in(target: Path) -> Path | None:
    for exe in (target / "bin" / "uv", target / "Scripts" / "uv.exe"):
        if exe.is_file():
            return exe
    return None


def find_uv(environ: Mapping[str, str], base: Path, action_dir: Path = ACTION_DIR,
            say: Callable[[str], None] = _say) -> str:
    """uv from PATH (MIN_UV or newer), else the pinned uv of action-uv.txt, installed once
    per job under ``base`` with pip (one wheel, hash-checked)."""
    env = {k: v for k, v in environ.items() if k != "VIRTUAL_ENV"}
    found = shutil.which("uv", path=environ.get("PATH"))
    if found and _uv_version(found, env) >= MIN_UV:
        return found
    lock = action_dir / "requirements" / "action-uv.txt"
    version = dict(pins(lock))["uv"]
    target = base / f"uv-{version}"
    exe = _uv_in(target / "uv")
    if exe is not None:
        return str(exe)
    say(f"hwb-action: no uv {'.'.join(map(str, MIN_UV))}+ on PATH; installing uv {version} "
        f"(pinned, hash-checked) into {target}")
    base.mkdir(parents=True, exist_ok=True)
    work = base / f"{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    steps: list[list[str]] = []
    pip = [sys.executable, "-m", "pip"]
    if importlib.util.find_spec("pip") is None:
        # An interpreter without pip (Debian's python3): a throwaway venv brings one.
        steps.append([sys.executable, "-m", "venv", str(work / "pip")])
        pip = [str(venv_python(work / "pip")), "-m", "pip"]
    # --target: no environment is changed, so an externally managed Python is no obstacle.
    steps.append([*pip, "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                  "--require-hashes", "--only-binary", ":all:", "--target", str(work / "uv"),
                  "-r", str(lock)])
    try:
        _install(steps, env, f"uv {version}")
    except BaseException:  # a failure or an interrupt: no half-made uv stays
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work / "pip", ignore_errors=True)
    try:
        work.rename(target)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)  # another step made it first
    exe = _uv_in(target / "uv")
    if exe is None:
        msg = f"installing uv {version} left no uv program in {target}"
        raise RuntimeError(msg)
    return str(exe)


def ensure_venv(
    environ: Mapping[str, str],
    command: str = "build",
    action_dir: Path = ACTION_DIR,
    say: Callable[[str], None] = _say,
) -> Path:
    """The interpreter of a private environment that can run ``hwb command``; made if needed.

    The environment holds the packages of the command's lock (hash-checked, wheels only) and
    hwb-action itself (``--no-deps``).  An environment made earlier in the job whose lock
    covers this command's is reused.  Raises :class:`RuntimeError` with the installer's
    output when the installation fails.
    """
    venv = venv_path(environ, command, action_dir)
    base = venv.parent
    lock = lock_file(command, action_dir)
    wanted = pins(lock)
    for ready in sorted(base.glob(f"{venv.name.rsplit('-', 1)[0]}-*/.hwb-ready")):
        other = action_dir / "requirements" / f"action-{ready.parent.name.split('-', 2)[2]}.txt"
        python = venv_python(ready.parent)
        if other.is_file() and wanted <= pins(other) and python.is_file():
            return python
    base.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in environ.items() if k != "VIRTUAL_ENV"}
    uv = find_uv(env, base, action_dir, say)
    # Build in a fresh directory and rename: a half-made environment is never reused.
    work = base / f"{venv.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    wheels = base / f"{venv.name}.wheel-{os.getpid()}"
    shutil.rmtree(wheels, ignore_errors=True)
    target = str(venv_python(work))
    steps = [
        # Relocatable: the programs it installs (hwb) still run after the rename below.
        [uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(work)],
        # Every file is pinned with its sha256, wheels only: nothing is resolved, built or
        # run at install time.
        [uv, "pip", "install", "--quiet", "--python", target, "--require-hashes",
         "--only-binary", ":all:", "-r", str(lock)],
    ]
    say(f"hwb-action: installing hwb-action into {venv} from {lock.name} (uv {uv}); "
        "later steps reuse it")
    # hwb-action's own wheel builds meanwhile (its build backend pinned by hash), to be
    # installed with --no-deps: its dependencies are the lock's.
    builder = _Background([
        uv, "build", "--quiet", "--wheel", "--python", sys.executable, "--require-hashes",
        "--build-constraints", str(action_dir / "requirements" / "action-build-system.txt"),
        "--out-dir", str(wheels), str(action_dir)], env)
    try:
        _install(steps, env, "hwb-action")
        builder.finish("hwb-action's wheel")
        steps = [[uv, "pip", "install", "--quiet", "--python", target, "--no-deps",
                  *map(str, wheels.glob("*.whl"))]]
        _install(steps, env, "hwb-action")
    except BaseException:  # a failure or an interrupt: no half-made environment stays
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        builder.stop()
        shutil.rmtree(wheels, ignore_errors=True)
    (work / ".hwb-ready").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    try:
        work.rename(venv)
    except OSError:
        # Another step made it first; use theirs.
        shutil.rmtree(work, ignore_errors=True)
    return venv_python(venv)


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
