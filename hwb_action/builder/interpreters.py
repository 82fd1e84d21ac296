"""Finding the Python interpreters to build wheels for, on the host.

``--python`` takes ``""`` (the interpreter running hwb), a version (``3.12``, ``3.13t`` for a
free-threaded build, ``pypy3.10``, or a full ``3.12.1``), a comma-separated list of those,
paths to interpreters, or ``all`` (every CPython from 3.8 up that the host has and
requires-python admits).

Candidates come from three places, in this order: uv's discovery (``uv python find`` /
``uv python list``, which also knows uv-managed Pythons), pyenv's ``versions`` directory
(never its shims: a shim answers only for the versions pyenv has selected), and
``python3.X`` on ``PATH`` (again without pyenv's shim directories, which also confuse uv).
Each candidate is started once to learn what it is; the answer is cached for the process.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import sysconfig
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from hwb_action import _process
from hwb_action.ci import Reporter
from hwb_action.errors import ProcessError, UsageError

OLDEST_FOR_ALL = Version("3.8")

# Runs on any Python from 2.7 up, so that probing an old interpreter answers instead of failing.
_PROBE = (
    "import sys, platform, sysconfig; "
    "print(platform.python_implementation().lower()); "
    "print('.'.join(str(p) for p in sys.version_info[:3])); "
    "print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0); "
    "print(int(getattr(sys, 'base_prefix', sys.prefix) != sys.prefix))"
)
_REQUEST = re.compile(r"^(?P<impl>pypy|cpython|cp)?(?P<version>3(?:\.\d+){1,2})(?P<t>t)?$")
_PATH_NAME = re.compile(r"^(?:python|pypy)(3\.\d+)(t?)(?:\.exe)?$")
_PYENV_DIR = re.compile(r"^(?P<impl>pypy)?(?P<version>\d+\.\d+)")


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    """A Python interpreter on the host."""

    path: Path
    version: str  # "3.12.1"
    implementation: str  # "cpython", "pypy", ...
    free_threaded: bool
    is_venv: bool = False

    @property
    def minor(self) -> str:
        """The language version, ``3.12``."""
        return ".".join(self.version.split(".")[:2])

    @property
    def label(self) -> str:
        """Short name for logs and prefixes: ``3.12.1``, ``3.13.0t``, ``pypy3.10.14``."""
        prefix = "" if self.implementation == "cpython" else self.implementation
        return prefix + self.version + ("t" if self.free_threaded else "")

    def describe(self) -> str:
        return f"{self.label} ({self.path})"


@dataclass(frozen=True, kw_only=True)
class _Request:
    implementation: str
    version: str  # "3.12" or "3.12.1"
    free_threaded: bool

    @property
    def text(self) -> str:
        prefix = "pypy" if self.implementation == "pypy" else ""
        return prefix + self.version + ("t" if self.free_threaded else "")

    def matches(self, interp: Interpreter) -> bool:
        parts = self.version.split(".")
        return (interp.implementation == self.implementation
                and interp.free_threaded == self.free_threaded
                and interp.version.split(".")[: len(parts)] == parts)


_cache: dict[str, Interpreter | None] = {}
_cache_lock = threading.Lock()


def current_interpreter() -> Interpreter:
    """The interpreter running hwb; no process is started."""
    return Interpreter(
        path=Path(sys.executable),
        version=".".join(str(p) for p in sys.version_info[:3]),
        implementation=platform.python_implementation().lower(),
        free_threaded=bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        is_venv=sys.prefix != sys.base_prefix,
    )


def probe(path: Path, *, reporter: Reporter | None = None) -> Interpreter | None:
    """What the interpreter at ``path`` is, or ``None`` when it does not answer as Python.

    Each path is started once per process; the answer is cached.
    """
    key = os.path.abspath(path)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    try:
        done = _process.run([key, "-E", "-s", "-c", _PROBE], reporter=reporter, check=False,
                            timeout=60)
    except ProcessError:
        done = None
    found: Interpreter | None = None
    if done is not None and done.returncode == 0:
        lines = done.stdout.strip().splitlines()[-4:]
        if len(lines) == 4:
            found = Interpreter(path=Path(key), version=lines[1].strip(),
                                implementation=lines[0].strip(),
                                free_threaded=lines[2].strip() not in ("0", "None", ""),
                                is_venv=lines[3].strip() == "1")
    with _cache_lock:
        _cache[key] = found
    return found


def find_interpreters(
    spec: str,
    *,
    allowed: SpecifierSet | None,
    environ: Mapping[str, str],
    reporter: Reporter,
) -> list[Interpreter]:
    """The interpreters ``spec`` names, in the order given (see the module docstring).

    Raises :class:`UsageError` when a requested interpreter is missing (listing the ones
    that were found) or when requires-python (``allowed``) excludes one that was named.
    """
    words = [w for w in re.split(r"[,\s]+", spec.strip()) if w]
    if not words:
        interp = current_interpreter()
        _check_allowed(interp, allowed)
        return [interp]
    if "all" in words:
        if len(words) > 1:
            msg = f"--python {spec!r}: 'all' cannot be combined with other interpreters"
            raise UsageError(msg, hint="use --python all, or list the versions")
        return _find_all(allowed=allowed, environ=environ, reporter=reporter)
    out: list[Interpreter] = []
    # Each lookup starts a few short processes (uv, the candidates): look up in parallel.
    with ThreadPoolExecutor(max_workers=min(8, len(words))) as pool:
        found = list(pool.map(lambda w: _find_one(w, environ=environ, reporter=reporter),
                              words))
    for interp in found:
        _check_allowed(interp, allowed)
        if all(o.path != interp.path for o in out):
            out.append(interp)
    return out


def _check_allowed(interp: Interpreter, allowed: SpecifierSet | None) -> None:
    if allowed is None or allowed.contains(interp.version, prereleases=True):
        return
    msg = f"Python {interp.describe()} is outside requires-python {allowed}"
    raise UsageError(msg, hint="pick another interpreter with --python, or use --python all")


def _find_one(word: str, *, environ: Mapping[str, str], reporter: Reporter) -> Interpreter:
    match = _REQUEST.match(word.lower())
    if match is None:
        path = Path(word).expanduser()
        if not path.is_absolute() and os.sep not in word and "/" not in word:
            msg = (f"--python {word!r} is neither a version (3.12, 3.13t, pypy3.10), 'all', "
                   "nor a path to an interpreter")
            raise UsageError(msg, hint="for example --python 3.11,3.12")
        if not path.exists():
            msg = f"--python {word}: no such file"
            raise UsageError(msg, hint="give the path of a python executable")
        interp = probe(path, reporter=reporter)
        if interp is None:
            msg = f"--python {word}: not a working Python interpreter"
            raise UsageError(msg, hint="give the path of a python executable")
        return interp
    request = _Request(
        implementation="pypy" if match.group("impl") == "pypy" else "cpython",
        version=match.group("version"), free_threaded=bool(match.group("t")),
    )
    current = current_interpreter()
    if request.matches(current) and not current.is_venv:
        return current
    minor = ".".join(request.version.split(".")[:2])
    candidates = _uv_find(request.text, environ=environ, reporter=reporter)
    candidates += [p for p, hint in _pyenv_candidates(environ) if hint in (None, minor)]
    candidates += [p for p, hint in _path_candidates(environ) if hint in (None, minor)]
    found = [i for i in _probe_all(candidates, reporter) if request.matches(i)]
    if request.matches(current):
        found.append(current)
    if found:
        return _best(found)
    everything = _discover(environ=environ, reporter=reporter)
    listed = ", ".join(dict.fromkeys(i.label for i in everything)) or "none"
    msg = f"no interpreter found for Python {request.text}; found: {listed}"
    raise UsageError(
        msg,
        hint=f"install it (uv python install {request.text}, or pyenv install "
             f"{request.version}) or pass its path with --python /path/to/python",
        details=[i.describe() for i in everything],
    )


def _find_all(*, allowed: SpecifierSet | None, environ: Mapping[str, str],
              reporter: Reporter) -> list[Interpreter]:
    everything = _discover(environ=environ, reporter=reporter)
    by_minor: dict[str, list[Interpreter]] = {}
    for interp in everything:
        if interp.implementation != "cpython" or interp.free_threaded:
            continue
        try:
            version = Version(interp.version)
        except InvalidVersion:
            continue
        if version < OLDEST_FOR_ALL:
            continue
        if allowed is not None and not allowed.contains(version, prereleases=True):
            reporter.debug(f"skipping Python {interp.describe()}: outside requires-python "
                           f"{allowed}")
            continue
        by_minor.setdefault(interp.minor, []).append(interp)
    chosen = [_best(group) for group in by_minor.values()]
    chosen.sort(key=lambda i: Version(i.version))
    if not chosen:
        listed = ", ".join(i.describe() for i in everything) or "none"
        where = f" that requires-python {allowed} admits" if allowed is not None else ""
        msg = f"--python all: no CPython from {OLDEST_FOR_ALL} up{where}; found: {listed}"
        raise UsageError(msg, hint="install one (uv python install 3.12) or pass a path")
    return chosen


def _best(found: list[Interpreter]) -> Interpreter:
    """A base interpreter before a virtual environment's, then the newest release."""
    def key(i: Interpreter) -> tuple[bool, Version]:
        try:
            return (not i.is_venv, Version(i.version))
        except InvalidVersion:
            return (not i.is_venv, Version("0"))
    return max(found, key=key)


def _discover(*, environ: Mapping[str, str], reporter: Reporter) -> list[Interpreter]:
    """Every interpreter the three sources know, each once (by resolved path)."""
    candidates = _uv_list(environ=environ, reporter=reporter)
    candidates += [p for p, _ in _pyenv_candidates(environ)]
    candidates += [p for p, _ in _path_candidates(environ)]
    found = _probe_all(candidates, reporter)
    current = current_interpreter()
    if not any(i.path.resolve() == current.path.resolve() for i in found):
        found.append(current)
    found.sort(key=lambda i: (i.implementation, _version_key(i.version), i.free_threaded))
    return found


def _version_key(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


def _probe_all(candidates: Iterable[Path], reporter: Reporter) -> list[Interpreter]:
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in candidates:
        try:
            real = path.resolve()
        except OSError:
            continue
        if real in seen or not path.is_file():
            continue
        seen.add(real)
        unique.append(path)
    if not unique:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
        results = list(pool.map(lambda p: probe(p, reporter=reporter), unique))
    return [r for r in results if r is not None]


# -- sources of candidates ----------------------------------------------------------------------
def _pyenv_root(environ: Mapping[str, str]) -> Path | None:
    if environ.get("PYENV_ROOT"):
        return Path(environ["PYENV_ROOT"])
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) / ".pyenv" if home else None


def _is_shim_dir(entry: str, environ: Mapping[str, str]) -> bool:
    path = Path(entry)
    if path.name != "shims":
        return False
    root = _pyenv_root(environ)
    return "pyenv" in str(path).lower() or (root is not None and root in path.parents)


def path_without_shims(environ: Mapping[str, str]) -> str:
    """``PATH`` without pyenv's shim directories (uv and ``which`` mistake shims for Pythons)."""
    entries = environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(e for e in entries if e and not _is_shim_dir(e, environ))


def _pyenv_candidates(environ: Mapping[str, str]) -> list[tuple[Path, str | None]]:
    root = _pyenv_root(environ)
    if root is None or not (root / "versions").is_dir():
        return []
    out: list[tuple[Path, str | None]] = []
    for entry in sorted((root / "versions").iterdir()):
        match = _PYENV_DIR.match(entry.name)
        hint = match.group("version") if match else None
        for name in ("bin/python", "python.exe"):
            exe = entry / name
            if exe.is_file():
                out.append((exe, hint))
                break
    return out


def _path_candidates(environ: Mapping[str, str]) -> list[tuple[Path, str | None]]:
    out: list[tuple[Path, str | None]] = []
    for entry in path_without_shims(environ).split(os.pathsep):
        directory = Path(entry)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            match = _PATH_NAME.match(name)
            if match and os.access(directory / name, os.X_OK):
                out.append((directory / name, match.group(1)))
    return out


def _uv_env(environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    env["PATH"] = path_without_shims(environ)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.pop("VIRTUAL_ENV", None)
    return env


def _uv_bin(environ: Mapping[str, str], reporter: Reporter) -> str | None:
    from hwb_action.builder.isolation import find_uv

    uv = find_uv(environ)
    if uv is None:
        reporter.debug("uv is not available for interpreter discovery")
    return uv


def _uv_find(request: str, *, environ: Mapping[str, str], reporter: Reporter) -> list[Path]:
    uv = _uv_bin(environ, reporter)
    if uv is None:
        return []
    done = _process.run([uv, "python", "find", "--no-python-downloads", "--system", request],
                        reporter=reporter, env=_uv_env(environ), check=False, timeout=60)
    if done.returncode != 0:
        return []
    lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
    return [Path(lines[-1])] if lines and Path(lines[-1]).is_absolute() else []


def _uv_list(*, environ: Mapping[str, str], reporter: Reporter) -> list[Path]:
    uv = _uv_bin(environ, reporter)
    if uv is None:
        return []
    done = _process.run([uv, "python", "list", "--only-installed", "--no-python-downloads",
                         "--output-format", "json"],
                        reporter=reporter, env=_uv_env(environ), check=False, timeout=60)
    if done.returncode != 0:
        return []
    start = done.stdout.find("[")
    try:
        entries = json.loads(done.stdout[start:]) if start >= 0 else []
    except json.JSONDecodeError:
        reporter.debug("uv python list gave no JSON; skipping uv's discovery")
        return []
    return [Path(e["path"]) for e in entries if isinstance(e, dict) and e.get("path")]
