"""`hwb build`: a project to a checked ``dist/``.

Three steps.  :func:`~hwb_action.builder.decide.decide` says what to build and where, with
no process started.  A :class:`~hwb_action.builder.session.BuildSession` runs it: the sdist,
then the wheels from it (by cibuildwheel in containers or natively on macOS/Windows, or
on this host, one per interpreter, in parallel, repaired and tested), everything in a
staging directory inside the output directory.
:func:`~hwb_action.builder.finalize.finalize` checks every artifact, moves them into the
output directory and writes ``SHA256SUMS``, under a lock.  A failed or interrupted build
leaves nothing half-written there.

:func:`run_build` is the library entry; ``hwb build`` (:mod:`hwb_action.commands.build`) and
:func:`hwb_action.build` call it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hwb_action.builder.decide import BuildJob, Host, decide, engine_need, host_ignores
from hwb_action.builder.finalize import check_all, finalize
from hwb_action.builder.isolation import Installer, default_cache_dir, find_uv
from hwb_action.builder.output import check_out_dir
from hwb_action.builder.result import BuildResult, WheelInfo, report_result
from hwb_action.builder.session import BuildSession
from hwb_action.ci import Reporter
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import BuildOptions

if TYPE_CHECKING:
    from concurrent.futures import Future

    from hwb_action.builder.engines import Engine
    from hwb_action.builder.frontend import Frontend
    from hwb_action.builder.host import Interp
    from hwb_action.commands.context import ProjectContext
    from hwb_action.plan.runners import Platform
    from hwb_action.project import Project

__all__ = ["BuildJob", "BuildResult", "WheelInfo", "check_buildable", "decide", "run_build"]


def run_build(ctx: ProjectContext, options: BuildOptions, *, reporter: Reporter,
              environ: Mapping[str, str], cwd: Path) -> BuildResult:
    """Build the project of ``ctx`` with ``options``; return the checked artifacts."""
    start = time.monotonic()
    check_buildable(ctx.root, ctx.given_sdist)
    out_dir = Path(options.out_dir)
    out_dir = out_dir if out_dir.is_absolute() else cwd / out_dir
    check_out_dir(out_dir, options)
    host = Host.this(environ)
    engine = _probe_engine(ctx.project, options, host, environ=environ, reporter=reporter,
                           given_sdist=ctx.given_sdist)
    job = decide(ctx.project, options, host, engine, ctx.given_sdist)
    if job.in_container and job.engine is None:
        from hwb_action.builder.engines import require_engine

        job = replace(job, engine=require_engine(options, environ))
    if job.wheels == "host" and not ctx.project.is_pure:
        ignored = host_ignores(ctx.project, options, host)
        if ignored:
            reporter.warning("hwb's host build does not apply these cibuildwheel options: "
                             + ", ".join(ignored) + "; cibuildwheel applies them when it "
                             "builds the wheels (--target on a runner, or --isolation "
                             "container on Linux)")
    with BuildSession(out_dir=out_dir, installer=_installer(options, environ),
                      cache_dir=_cache_dir(options, environ), reporter=reporter,
                      environ=_build_environ(ctx.root, environ), keep_temp=options.keep_temp,
                      cache_max_bytes=options.cache_max_size * 1024 * 1024,
                      build_timeout=options.build_timeout,
                      install_timeout=options.install_timeout) as session:
        sdist, wheels = _execute(job, session, ctx, options, host)
        session.stop_backends()
        t0 = time.monotonic()
        artifacts = check_all([p for p in (sdist, *(w.path for w in wheels)) if p], reporter,
                              readme_cache=session.cache_dir / "readme"
                              if session.cache_dir is not None else None)
        session.timings["check"] = time.monotonic() - t0
        placed, checksums = finalize(out_dir, artifacts)
        timings = dict(session.timings)
    wheels = [replace(w, path=out_dir / w.filename) for w in wheels]
    result = BuildResult(
        artifacts=tuple(placed), out_dir=out_dir, checksums=checksums, project=ctx.project,
        source=ctx.source, seconds=time.monotonic() - start, wheels=tuple(wheels),
        timings=timings,
    )
    report_result(result, reporter)
    if options.check_reproducible:
        from hwb_action.builder.reproducible import rebuild_and_check

        rebuild_and_check(ctx, options, result, reporter=reporter, environ=environ, cwd=cwd)
    return result


def _execute(job: BuildJob, session: BuildSession, ctx: ProjectContext,
             options: BuildOptions, host: Host) -> tuple[Path | None, list[WheelInfo]]:
    """Run ``job``: the sdist, then the wheels; returns the staged files' records."""
    project = ctx.project
    sdist: Path | None = None
    pending: Future[list[tuple[Interp, Frontend]]] | None = None
    cibw = job.wheels in ("container", "runner")
    private_sdist = cibw and job.wheel_source == "sdist" and not job.sdist
    if job.sdist or job.wheels == "host" or private_sdist:
        # The running interpreter's backend process: it builds the sdist and, unless other
        # interpreters are asked for, the wheel too.
        host_fe = session.frontend(python=host.python, version=host.python_version)
        host_fe.prepare(project.build_system)
        if job.wheels == "host":
            # Interpreter discovery and environment set-up overlap with the sdist build.
            pending = session.submit(functools.partial(
                _host_frontends, job, session, project, host_fe, host))
        if job.sdist or private_sdist:
            sdist = _build_sdist(session, host_fe, ctx, options,
                                 where=session.staging / "sdist" if private_sdist else None)
    if cibw:
        wheels = _cibuildwheel_wheels(job, session, ctx, options, sdist, host=host)
        # A matrix cell's wheels come from the sdist, but the sdist ships from its own job.
        return (None if private_sdist else sdist), wheels
    if pending is None:
        return sdist, []
    from hwb_action.builder.host import WheelBuild, build_wheels, wheel_sources
    from hwb_action.project import load_project

    pairs = pending.result()
    sources = wheel_sources(session, len(pairs), sdist=sdist, tree=ctx.root)
    # Wheels from the sdist follow the sdist's own build-system table.
    bs = load_project(sources[0]).build_system if sdist else project.build_system
    builds = [WheelBuild(index=i, interp=interp, frontend=fe, source=sources[i])
              for i, (interp, fe) in enumerate(pairs)]
    t0 = time.monotonic()
    wheels = build_wheels(builds, session=session, bs=bs, project=project, options=options)
    session.timings["wheels"] = time.monotonic() - t0
    return sdist, wheels


def _host_frontends(job: BuildJob, session: BuildSession, project: Project, host_fe: Frontend,
                    host: Host) -> list[tuple[Interp, Frontend]]:
    from hwb_action.builder.host import find_interps, wheel_frontends

    interps = find_interps(job.python, project, host, environ=session.environ,
                           reporter=session.reporter)
    return wheel_frontends(session, interps, host_fe, host, project.build_system)


def _build_sdist(session: BuildSession, fe: Frontend, ctx: ProjectContext,
                 options: BuildOptions, where: Path | None = None) -> Path:
    t0 = time.monotonic()
    with session.reporter.group(f"Building sdist of {ctx.project.name or ctx.root.name}"):
        sdist = fe.build("sdist", ctx.root, where or session.staging, ctx.project.build_system,
                         options.config_settings)
    session.timings["sdist"] = time.monotonic() - t0
    session.reporter.info(f"Built {sdist.name}")
    return sdist


def _cibuildwheel_wheels(job: BuildJob, session: BuildSession, ctx: ProjectContext,
                         options: BuildOptions, sdist: Path | None, *,
                         host: Host) -> list[WheelInfo]:
    """The job's identifiers built by cibuildwheel in one run, from the sdist (cibuildwheel
    takes an sdist as its package), in containers or natively on this runner."""
    from hwb_action.builder.cibw import run_cibuildwheel
    from hwb_action.builder.identifiers import built_elsewhere

    t0 = time.monotonic()
    package = sdist or ctx.given_sdist or ctx.root
    platform: Platform = "linux" if job.in_container else (
        "windows" if host.platform == "windows" else "macos")
    made = run_cibuildwheel(platform=platform, package=package,
                            targets=job.targets, options=options,
                            out_dir=session.staging / "cibuildwheel",
                            reporter=session.reporter, environ=session.environ,
                            engine=job.engine)
    session.timings["wheels"] = time.monotonic() - t0
    wheels = []
    for info in made:
        other = built_elsewhere(info.filename, job.targets, job.elsewhere)
        if other is not None:
            session.reporter.warning(
                f"{info.filename} (abi3, serving {', '.join(info.identifiers)}) is the wheel "
                f"the cell of {other} builds too: not shipped from this cell, so the release "
                "holds it once; declare abi3 where hwb reads it (see `hwb plan` notes) to "
                "plan one cell for it")
            info.path.unlink()
            continue
        final = session.staging / info.filename
        info.path.replace(final)
        wheels.append(replace(info, path=final))
    return wheels


def _probe_engine(project: Project, options: BuildOptions, host: Host, *,
                  environ: Mapping[str, str], reporter: Reporter,
                  given_sdist: Path | None) -> Engine | None:
    """The working container engine when ``auto`` isolation wants to look for one."""
    if engine_need(project, options, host, given_sdist) != "probe":
        return None
    from hwb_action.builder.engines import find_engine

    engine = find_engine(options, environ)
    if engine is None:
        reporter.warning("no working container engine (docker or podman) was found: building "
                         "on the host; the manylinux tag then reflects the host's glibc")
    return engine


def _installer(options: BuildOptions, environ: Mapping[str, str]) -> Installer:
    if options.isolation in ("uv", "pip", "none"):
        return options.isolation
    return "uv" if find_uv(environ) else "pip"


def _cache_dir(options: BuildOptions, environ: Mapping[str, str]) -> Path | None:
    if not options.cache:
        return None
    return Path(options.cache_dir) if options.cache_dir else default_cache_dir(environ)


def _build_environ(root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of backends and build tools: ``SOURCE_DATE_EPOCH`` set from the
    source (its last commit) unless the caller set it."""
    from hwb_action.source import source_date_epoch

    build_environ = dict(environ)
    epoch = source_date_epoch(root, environ)
    if epoch is not None:
        build_environ["SOURCE_DATE_EPOCH"] = str(epoch)
    return build_environ


def check_buildable(project_dir: Path, sdist: Path | None) -> None:
    """Refuse, before any environment is made, a tree that no PEP 517 frontend builds."""
    if (project_dir / "pyproject.toml").is_file() or (project_dir / "setup.py").is_file():
        return
    if (project_dir / "setup.cfg").is_file():
        # setuptools reads setup.cfg alone, but PEP 517 frontends (build, pip, uv) need
        # pyproject.toml or setup.py to know the tree is a project.
        msg = ("setup.cfg alone is not buildable: PEP 517 frontends need pyproject.toml "
               "or setup.py next to it")
        raise ConfigError(msg, file=str(project_dir / "setup.cfg"),
                          hint='add a pyproject.toml with [build-system] requires = '
                               '["setuptools>=61"] and build-backend = '
                               '"setuptools.build_meta"')
    if sdist is not None:
        msg = (f"{sdist.name} holds no Python project: no pyproject.toml, setup.py or "
               "setup.cfg at its top level")
        raise UsageError(msg, hint="pass an sdist made by a build backend "
                                   "(NAME-VERSION.tar.gz), or a project directory")
