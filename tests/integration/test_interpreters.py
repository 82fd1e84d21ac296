"""Finding interpreters on this machine: uv's discovery, pyenv's versions, python3.X on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from hwb_action.builder import interpreters
from hwb_action.builder.interpreters import find_interpreters, path_without_shims, probe
from hwb_action.ci import NullReporter
from hwb_action.errors import UsageError


def _pyenv_minors() -> dict[str, Path]:
    """What pyenv's versions directory holds, read independently of hwb: minor -> python."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found: dict[str, Path] = {}
    if root.is_dir():
        for entry in sorted(root.iterdir(), key=lambda p: p.name):
            m = re.fullmatch(r"(3\.\d+)\.\d+", entry.name)
            if m and (entry / "bin" / "python").is_file():
                found[m.group(1)] = entry / "bin" / "python"
    return found


def _version_of(python: Path) -> str:
    done = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_current_interpreter_starts_no_process() -> None:
    reporter = NullReporter(verbose=True)
    found = find_interpreters("", allowed=None, environ=os.environ, reporter=reporter)
    assert [i.path for i in found] == [Path(sys.executable)]
    assert found[0].version == ".".join(map(str, sys.version_info[:3]))
    assert not any(line.startswith("+ ") for line in reporter.lines)


def test_all_finds_every_cpython_from_310_up() -> None:
    pyenv = {m: p for m, p in _pyenv_minors().items() if Version(m) >= Version("3.10")}
    if len(pyenv) < 2:
        pytest.skip("this machine has fewer than two pyenv CPythons from 3.10 up")
    found = find_interpreters("all", allowed=SpecifierSet(">=3.10"), environ=os.environ,
                              reporter=NullReporter())
    minors = [i.minor for i in found]
    assert set(pyenv) <= set(minors)
    assert len(minors) == len(set(minors))  # one interpreter per version
    assert minors == sorted(minors, key=Version)
    assert all(Version(i.version) >= Version("3.10") for i in found)
    for interp in found:
        assert "shims" not in interp.path.parts
        assert _version_of(interp.path) == interp.version  # the probe told the truth


def test_versions_and_paths() -> None:
    pyenv = _pyenv_minors()
    if len(pyenv) < 2:
        pytest.skip("this machine has fewer than two pyenv CPythons")
    first, second = sorted(pyenv, key=Version)[-2:]
    found = find_interpreters(f"{first}, {second}", allowed=None, environ=os.environ,
                              reporter=NullReporter())
    assert [i.minor for i in found] == [first, second]
    assert all(i.implementation == "cpython" and not i.free_threaded for i in found)
    by_path = find_interpreters(str(pyenv[first]), allowed=None, environ=os.environ,
                                reporter=NullReporter())
    assert by_path[0].version == _version_of(pyenv[first])


def test_missing_interpreter_lists_what_was_found() -> None:
    with pytest.raises(UsageError) as info:
        find_interpreters("3.10,3.99", allowed=None, environ=os.environ,
                          reporter=NullReporter())
    err = info.value
    assert "no interpreter found for Python 3.99; found:" in err.message
    assert ".".join(map(str, sys.version_info[:3])) in err.message
    assert err.hint is not None
    assert "uv python install 3.99" in err.hint
    assert err.details
    # The message is one short line of versions; the paths are in the details, once.
    assert "/" not in err.message
    assert all(d.count("/") >= 1 for d in err.details)


def test_requires_python_excludes_a_named_interpreter() -> None:
    current = ".".join(map(str, sys.version_info[:2]))
    with pytest.raises(UsageError, match=r"outside requires-python >=3\.99"):
        find_interpreters(current, allowed=SpecifierSet(">=3.99"), environ=os.environ,
                          reporter=NullReporter())
    with pytest.raises(UsageError, match=r"no CPython from 3\.8 up that requires-python"):
        find_interpreters("all", allowed=SpecifierSet(">=3.99"), environ=os.environ,
                          reporter=NullReporter())


def test_bad_specs(tmp_path: Path) -> None:
    for spec, message in (("python-three", "neither a version"),
                          (str(tmp_path / "nope"), "no such file"),
                          ("all,3.12", "cannot be combined")):
        with pytest.raises(UsageError, match=message):
            find_interpreters(spec, allowed=None, environ=os.environ,
                              reporter=NullReporter())
    not_python = tmp_path / "python"
    not_python.write_text("#!/bin/sh\nexit 3\n")
    not_python.chmod(0o755)
    with pytest.raises(UsageError, match="not a working Python interpreter"):
        find_interpreters(str(not_python), allowed=None, environ=os.environ,
                          reporter=NullReporter())


def test_pyenv_shims_are_never_used(tmp_path: Path) -> None:
    """A shim answers only for pyenv's selected versions: it must not shadow real Pythons."""
    pyenv = _pyenv_minors()
    if not pyenv:
        pytest.skip("no pyenv CPython on this machine")
    minor = sorted(pyenv, key=Version)[-1]
    root = tmp_path / ".pyenv"
    shims = root / "shims"
    shims.mkdir(parents=True)
    shim = shims / f"python{minor}"
    marker = tmp_path / "shim-was-run"
    shim.write_text(f"#!/bin/sh\ntouch {marker}\necho 'pyenv: command not found' >&2\n"
                    "exit 127\n")
    shim.chmod(0o755)
    (root / "versions").symlink_to(pyenv[minor].parent.parent.parent)
    environ = {**os.environ, "PYENV_ROOT": str(root),
               "PATH": os.pathsep.join([str(shims), os.environ.get("PATH", "")])}
    assert str(shims) not in path_without_shims(environ).split(os.pathsep)
    found = find_interpreters(minor, allowed=None, environ=environ, reporter=NullReporter())
    assert found[0].minor == minor
    assert shims not in found[0].path.parents
    find_interpreters("all", allowed=None, environ=environ, reporter=NullReporter())
    assert not marker.exists()  # neither hwb nor uv started the shim


def test_each_interpreter_is_started_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interpreters, "_cache", {})
    reporter = NullReporter(verbose=True)
    first = probe(Path(sys.executable), reporter=reporter)
    second = probe(Path(sys.executable), reporter=reporter)
    assert first is not None
    assert first == second
    assert sum(1 for line in reporter.lines if line.startswith("+ ")) == 1
