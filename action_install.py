"""How the action installs hwb-action: hash-pinned, per command, with uv; used by entrypoint.py.

A private virtual environment under ``$RUNNER_TEMP`` (or the temporary directory) holds the
lock of what the command imports and runs (``requirements/action-NAME.txt``, made by
scripts/lock.py; ``uv pip install --require-hashes --only-binary :all:``) and hwb-action
itself, built from the action's directory while the lock installs (its build backend pinned by
hash) and installed with ``--no-deps``.  uv is the runner's when it is on PATH (MIN_UV or
newer), else the pinned uv of ``requirements/action-uv.txt``, installed with pip as one
hash-checked wheel.  Environments are made in a temporary directory and renamed, so a half-made
one is never used; later steps reuse one whose lock covers theirs.

Only the standard library and hwb_action's stdlib-only modules: nothing is installed yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hwb_action import _process
from hwb_action._host import venv_python
from hwb_action.errors import ProcessError

ACTION_DIR = Path(__file__).resolve().parent
# The lock (requirements/action-NAME.txt, made by scripts/lock.py) each command installs:
# what it imports and runs, no more (tests/unit/test_action_locks.py keeps this true).
# A command not listed here installs action-all.txt.
COMMAND_LOCKS = {"build": "build", "check": "check", "plan": "plan", "publish": "publish",
                 "release": "release", "version": "version",
                 "cache": "build"}  # hwb cache manages the build environments
# An older uv on PATH is passed over for the pinned one: hash-checked build constraints.
MIN_UV = (0, 5, 0)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
# Files whose content decides whether a cached environment is still the right one.
_SOURCE_GLOBS = ("pyproject.toml", "hwb_action/**/*.py", "requirements/action-*.txt")
# Installing hwb-action takes seconds; fifteen minutes leave room for a slow index and still
# end a hung one.
INSTALL_TIMEOUT = 900.0
# How long a background installer step may take to end once killed.
STOP_GRACE = 30.0


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
                self.proc.wait(timeout=STOP_GRACE)
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
