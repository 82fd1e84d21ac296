"""A fork server for PEP 517 hook calls, run by the build environment's interpreter.

pyproject-hooks starts a fresh interpreter for every hook call, which then imports the
build backend again.  This server imports the backend (and the modules earlier hook calls
needed) once, then forks a child per hook call: each call still runs in its own process with
its own working directory, environment and output, exactly as the default runner would, but
without paying the interpreter start and the imports each time.  The child runs
pyproject-hooks' own in-process script, so the hook protocol stays pyproject-hooks'.

Protocol (one JSON document per line): the server prints {"ready": true} once it has
preloaded; each request {"argv", "cwd", "env", "log"} is answered by {"returncode"}.
Runs on the build interpreter, which may be as old as Python 3.8: keep the syntax plain.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import sysconfig
from types import CodeType
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


def _preload(names: list[str]) -> None:
    for name in names:
        if name in sys.modules:
            continue
        with contextlib.suppress(BaseException):
            importlib.import_module(name)


def _library_dirs() -> tuple[str, ...]:
    dirs: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.realpath(path))
    return tuple(sorted(dirs))


def _loaded_library_modules(cwd: str, library_dirs: tuple[str, ...]) -> list[str]:
    """Names of loaded modules that live in the interpreter's libraries, not the project."""
    names: list[str] = []
    cwd = os.path.realpath(cwd)
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or name == "__main__":
            continue
        real = os.path.realpath(path)
        if real.startswith(cwd + os.sep):
            continue
        if real.startswith(library_dirs):
            names.append(name)
    return names


def _child(request: dict[str, Any], code: CodeType, library_dirs: tuple[str, ...]) -> None:
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.argv = list(request["argv"][1:])
    returncode = 0
    try:
        exec(code, {"__name__": "__main__", "__file__": request["argv"][1]})  # noqa: S102
    except SystemExit as exc:
        if exc.code is None:
            returncode = 0
        elif isinstance(exc.code, int):
            returncode = exc.code
        else:
            sys.stderr.write(str(exc.code) + "\n")
            returncode = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        returncode = 1
    try:
        with open(request["log"] + ".modules", "w") as fh:
            json.dump(_loaded_library_modules(request["cwd"], library_dirs), fh)
    except OSError:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(returncode)


def main() -> None:
    # The protocol keeps its own copy of stdout; whatever a preloaded module prints goes to
    # stderr instead, so it cannot corrupt an answer.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if sys.path and os.path.realpath(sys.path[0]) == os.path.realpath(_HERE):
        del sys.path[0]
    backend = os.environ.get("PEP517_BUILD_BACKEND", "")
    preload: list[str] = []
    if backend and not os.environ.get("PEP517_BACKEND_PATH"):
        preload.append(backend.split(":")[0])
    preload_file = os.environ.get("HWB_HOOKSERVER_PRELOAD", "")
    if preload_file and os.path.isfile(preload_file):
        try:
            with open(preload_file) as fh:
                preload.extend(json.load(fh))
        except (OSError, ValueError):
            pass
    _preload(preload)
    library_dirs = _library_dirs()
    codes: dict[str, CodeType] = {}
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        script = request["argv"][1]
        if script not in codes:
            with open(script, encoding="utf-8") as fh:
                codes[script] = compile(fh.read(), script, "exec")
        pid = os.fork()
        if pid == 0:
            _child(request, codes[script], library_dirs)
        _, status = os.waitpid(pid, 0)
        returncode = os.waitstatus_to_exitcode(status) if hasattr(
            os, "waitstatus_to_exitcode") else (status >> 8)
        out.write(json.dumps({"returncode": returncode}) + "\n")
        out.flush()
        # Warm what the hook needed, so that the next call does not import it again; done
        # after answering, so that it overlaps with the frontend's own work between hooks.
        try:
            with open(request["log"] + ".modules") as fh:
                _preload(json.load(fh))
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
