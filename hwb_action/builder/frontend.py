"""The PEP 517 frontend: ``build.ProjectBuilder`` over pyproject-hooks, in our environments.

The hook protocol is pyproject-hooks'; this module only chooses the environment, hands
ProjectBuilder a runner (:class:`~hwb_action.builder.hooks.HookRunner`), installs extra
requirements the backend asks for, and turns backend failures into :class:`BuildError`
naming the hook and showing the last lines of its output.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hwb_action.builder.hooks import DEFAULT_TIMEOUT, HookRunner, checked_result
from hwb_action.builder.isolation import BuildEnv, EnvProvider
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, HwbError
from hwb_action.project import BuildSystem

if TYPE_CHECKING:
    from build import ProjectBuilder

Distribution = Literal["sdist", "wheel"]


class Frontend:
    """Builds distributions of project trees with one environment provider.

    Runners (and their hook servers) are kept per environment for the frontend's lifetime,
    so the sdist and the wheel of one build share a warm backend process.
    """

    def __init__(
        self,
        *,
        provider: EnvProvider,
        environ: Mapping[str, str],
        reporter: Reporter,
        prefix: str = "",
        use_server: bool = True,
        build_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.provider = provider
        self.build_timeout = build_timeout
        self.environ = dict(environ)
        self.reporter = reporter
        self.prefix = prefix
        self.use_server = use_server and environ.get("HWB_HOOK_SERVER", "1") != "0"
        self._runners: dict[tuple[str, str, tuple[str, ...]], HookRunner] = {}
        self._checked: set[tuple[str, tuple[str, ...]]] = set()

    def prepare(self, build_system: BuildSystem) -> BuildEnv:
        """Get the environment for ``build_system`` and start its backend process early."""
        env = self.provider.get(build_system.requires)
        self._runner(env, build_system)
        return env

    def _runner(self, env: BuildEnv, bs: BuildSystem) -> HookRunner:
        key = (env.python, bs.backend, bs.backend_path)
        runner = self._runners.get(key)
        if runner is None:
            runner = HookRunner(
                python=env.python, env=env.environ(self.environ), backend=bs.backend,
                backend_path=bs.backend_path, reporter=self.reporter, prefix=self.prefix,
                preload_file=env.preload_file, use_server=self.use_server,
                timeout=self.build_timeout,
            )
            self._runners[key] = runner
        return runner

    def build(
        self,
        distribution: Distribution,
        srcdir: Path,
        outdir: Path,
        build_system: BuildSystem,
        config_settings: Mapping[str, str | list[str]] | None = None,
    ) -> Path:
        """Build one distribution of ``srcdir`` into ``outdir``; returns its path."""
        # Lists stay lists (a key given several times), as build and uv hand them on.
        settings = {k: list(v) if isinstance(v, list | tuple) else v
                    for k, v in (config_settings or {}).items()}
        env = self.provider.get(build_system.requires)
        if not self.provider.isolated:
            self._check_installed(env, build_system.requires, build_system)
        runner = self._runner(env, build_system)
        builder = self._builder(srcdir, env, runner)
        with self._backend_errors(distribution, build_system, runner):
            extra = builder.get_requires_for_build(distribution, settings)
        missing = {r for r in extra if r.strip() not in build_system.requires}
        if missing and not self.provider.isolated:
            self._check_installed(env, missing, build_system)
            missing = set()
        if missing:
            self.reporter.debug(f"backend asks for {', '.join(sorted(missing))} too")
            env = self.provider.get([*build_system.requires, *missing])
            runner = self._runner(env, build_system)
            builder = self._builder(srcdir, env, runner)
        outdir = Path(os.path.abspath(outdir))
        outdir.mkdir(parents=True, exist_ok=True)
        with self._backend_errors(distribution, build_system, runner):
            made = Path(builder.build(distribution, outdir, settings))
        # The runner checked the hook's answer already; this holds whatever runner ran it.
        value = made.name if made.parent == outdir else str(made)
        return checked_result(build_system.backend, f"build_{distribution}", value, outdir)

    def _check_installed(self, env: BuildEnv, requirements: Collection[str],
                         bs: BuildSystem) -> None:
        """Without isolation, unmet requirements are listed before the backend runs."""
        key = (env.python, tuple(sorted(requirements)))
        if key in self._checked:
            return
        from hwb_action.builder.depcheck import check_requirements

        check_requirements(env.python, requirements, backend=bs.backend,
                           environ=env.environ(self.environ))
        self._checked.add(key)

    def _builder(self, srcdir: Path, env: BuildEnv, runner: HookRunner) -> ProjectBuilder:
        # Imported here so that the backend process starts before hwb pays for these imports.
        from build import BuildException, ProjectBuilder

        try:
            return ProjectBuilder(srcdir, python_executable=env.python, runner=runner)
        except BuildException as err:
            msg = f"cannot build {srcdir}: {err}"
            raise BuildError(msg) from err

    def _backend_errors(
        self, distribution: str, bs: BuildSystem, runner: HookRunner
    ) -> _BackendErrors:
        return _BackendErrors(distribution, bs, runner)

    def close(self) -> None:
        """Stop every backend process."""
        for runner in self._runners.values():
            runner.close()
        self._runners.clear()


class _BackendErrors:
    """Turns build's and pyproject-hooks' exceptions into one BuildError, once."""

    def __init__(self, distribution: str, bs: BuildSystem, runner: HookRunner) -> None:
        self.distribution = distribution
        self.bs = bs
        self.runner = runner

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        from build import BuildBackendException, BuildException
        from pyproject_hooks import BackendUnavailable, HookMissing

        if exc is None or not isinstance(exc, BuildBackendException | BuildException):
            return
        inner = getattr(exc, "exception", None)
        if isinstance(inner, HwbError):  # raised by our runner (a hook result refused)
            raise inner from exc
        hook = self.runner.last_hook or "hook"
        tail = self.runner.last_output
        if isinstance(inner, BackendUnavailable):
            msg = f"build backend {self.bs.backend!r} could not be imported"
            raise BuildError(
                msg, details=tail or str(inner).splitlines()[-10:],
                hint="check [build-system] build-backend and that requires installs it "
                     f"(requires = {list(self.bs.requires)})",
            ) from exc
        if isinstance(inner, HookMissing):
            msg = f"build backend {self.bs.backend!r} has no {inner.hook_name} hook"
            raise BuildError(msg) from exc
        if isinstance(inner, subprocess.CalledProcessError):
            msg = (f"building the {self.distribution} failed: backend {self.bs.backend!r} "
                   f"failed in hook {hook} (exit code {inner.returncode})")
            raise BuildError(msg, details=tail,
                             hint="the lines above are the backend's; fix the project "
                                  "or run with --verbose for the whole log") from exc
        msg = f"building the {self.distribution} failed: {exc}"
        raise BuildError(msg, details=tail) from exc
