"""Testing a built wheel: install it with its test requirements into a fresh environment of
the interpreter it was built for, and run ``test-command`` there.

``{project}`` and ``{package}`` in the command are replaced by the quoted paths of the project
and of the package directory (cibuildwheel's placeholders).  The command runs through the
shell in an empty temporary directory, so that it imports the installed wheel rather than the
source tree, with the environment's scripts directory first on PATH.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from hwb_action import _process
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError


def _uv(environ: Mapping[str, str]) -> str:
    from hwb_action.builder.isolation import find_uv

    uv = find_uv(environ)
    if uv is None:
        msg = "uv is needed to make test environments but was not found"
        raise BuildError(msg, hint="pip install uv")
    return uv


def render_command(command: str, *, project_dir: Path, package_dir: Path,
                   windows: bool = os.name == "nt") -> str:
    """``command`` with ``{project}`` and ``{package}`` replaced by quoted paths."""
    def quote(path: Path) -> str:
        return subprocess.list2cmdline([str(path)]) if windows else shlex.quote(str(path))
    return command.replace("{project}", quote(project_dir)).replace(
        "{package}", quote(package_dir))


def _clean_env(environ: Mapping[str, str], venv: Path) -> dict[str, str]:
    env = {k: v for k, v in environ.items()
           if k not in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX")}
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    env["PATH"] = os.pathsep.join([str(scripts), environ.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(venv)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def test_wheel(
    wheel: Path,
    interpreter: Path,
    *,
    test_command: str,
    test_requires: Sequence[str],
    project_dir: Path,
    reporter: Reporter,
    environ: Mapping[str, str],
    package_dir: Path | None = None,  # noqa: PT028 (not a test: the name is the API's)
    prefix: str = "",  # noqa: PT028
) -> None:
    """Run ``test_command`` against ``wheel`` installed in a fresh environment of
    ``interpreter``; raise :class:`BuildError` naming the wheel when it fails.

    ``prefix`` starts every streamed output line (parallel builds stay readable).
    """
    if not test_command.strip():
        return
    uv = _uv(environ)
    label = prefix or f"[test {wheel.name}] "
    with tempfile.TemporaryDirectory(prefix="hwb-test-") as tmp:
        venv = Path(tmp) / "venv"
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        env = _clean_env(environ, venv)
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        try:
            _process.run([uv, "venv", "--quiet", "--no-config", "--python", str(interpreter),
                          str(venv)], reporter=reporter, env=env, cwd=workdir,
                         what=f"making a test environment with {interpreter}")
            _process.run([uv, "pip", "install", "--no-config", "--python", str(python),
                          str(wheel.resolve()), *test_requires], reporter=reporter, env=env,
                         cwd=workdir, what=f"installing {wheel.name} for testing")
        except ProcessError as err:
            msg = f"could not install {wheel.name} into a test environment: {err.message}"
            raise BuildError(msg, details=err.details,
                             hint="check test-requires and that the wheel matches "
                                  f"{interpreter}") from err
        command = render_command(test_command, project_dir=project_dir.resolve(),
                                 package_dir=(package_dir or project_dir).resolve())
        shell = (["cmd", "/c", command] if os.name == "nt"
                 else ["/bin/sh", "-c", command])
        reporter.info(f"{label}{command}")
        try:
            _process.run(shell, reporter=reporter, env=env, cwd=workdir, stream=True,
                         prefix=label, what="test-command")
        except ProcessError as err:
            msg = (f"test-command failed for {wheel.name} (exit code {err.returncode}): "
                   f"{command}")
            raise BuildError(msg, details=err.details,
                             hint="the test's output is above; fix the code or the "
                                  "test-command") from err


# pytest would collect test_wheel as a test when a test module imports it by name.
test_wheel.__test__ = False  # type: ignore[attr-defined]

__all__ = ["render_command", "test_wheel"]
