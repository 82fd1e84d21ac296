"""Testing a built wheel: install it with its test requirements into a fresh environment of
the interpreter it was built for, and run ``test-command`` there.

``{project}`` and ``{package}`` in the command are replaced by the quoted paths of the project
and of the package directory (cibuildwheel's placeholders).  The command runs through the
shell in an empty temporary directory, so that it imports the installed wheel rather than the
source tree, with the environment's scripts directory first on PATH.

The test command is the project's code: it gets no publishing secret
(:func:`~hwb_action.trust.untrusted_environ`), and uv, which makes the environment, only
its own index credentials (:func:`~hwb_action.trust.installer_environ`).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from hwb_action import _process
from hwb_action._host import venv_scripts
from hwb_action.builder.isolation import DEFAULT_INSTALL_TIMEOUT, UvInstaller, find_uv
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError
from hwb_action.options import BuildOptions
from hwb_action.trust import installer_environ, untrusted_environ


def tests_wanted(options: BuildOptions, environ: Mapping[str, str]) -> bool:
    """Whether this build runs ``test-command`` against its wheels.

    A plain local ``hwb build`` runs no tests unless asked, as ``build`` and ``uv build`` run
    none: ``[tool.cibuildwheel] test-command`` is cibuildwheel's, for matrix cells
    (``--target``) and CI jobs; ``--test`` asks for it here, ``--no-test`` never runs it, and
    a test command given to hwb itself (``[tool.hwb]``, ``HWB_TEST_COMMAND``, the flag)
    is a request to run it.
    """
    if not options.test_command.strip():
        return False
    asked = options.settings.origin("test")
    if asked.kind != "default":
        return options.test
    if options.test:
        return True
    if options.settings.origin("test-command").kind != "cibuildwheel":
        return True
    ci = environ.get("CI", "").lower() in ("true", "1")
    return bool(options.target) or ci


def untested_note(options: BuildOptions, environ: Mapping[str, str]) -> str | None:
    """What to tell a user whose configured tests this build does not run."""
    if not options.test_command.strip() or tests_wanted(options, environ):
        return None
    origin = options.settings.origin("test-command")
    where = origin.describe() if origin.kind != "default" else "test-command"
    return (f"Not running the tests configured in {where} (a local build runs them with "
            "--test; matrix cells and CI jobs run them)")


def _installer(environ: Mapping[str, str], timeout: float) -> UvInstaller:
    uv = find_uv(environ)
    if uv is None:
        msg = "uv is needed to make test environments but was not found"
        raise BuildError(msg, hint="pip install uv")
    return UvInstaller(uv, no_config=True, timeout=timeout)


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
    scripts = venv_scripts(venv)
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
    install_timeout: float = DEFAULT_INSTALL_TIMEOUT,  # noqa: PT028
) -> None:
    """Run ``test_command`` against ``wheel`` installed in a fresh environment of
    ``interpreter``; raise :class:`BuildError` naming the wheel when it fails.

    ``prefix`` starts every streamed output line (parallel builds stay readable);
    ``install_timeout`` bounds each uv command that makes the environment.
    """
    if not test_command.strip():
        return
    installer = _installer(environ, install_timeout)
    label = prefix or f"[test {wheel.name}] "
    with tempfile.TemporaryDirectory(prefix="hwb-test-") as tmp:
        venv = Path(tmp) / "venv"
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        env = _clean_env(untrusted_environ(environ), venv)
        install_env = _clean_env(installer_environ(environ), venv)
        try:
            installer.create(venv, str(interpreter), env=install_env, reporter=reporter)
            installer.install(venv, [str(wheel.resolve()), *test_requires], env=install_env,
                              reporter=reporter)
        except ProcessError as err:
            msg = f"could not install {wheel.name} into a test environment: {err.message}"
            hint = (err.hint if err.timed_out else "check test-requires and that the wheel "
                    f"matches {interpreter}")
            if err.timed_out:
                msg += " (install-timeout)"
            raise BuildError(msg, details=err.details, hint=hint) from err
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
