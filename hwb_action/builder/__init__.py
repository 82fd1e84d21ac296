"""`hwb build`: any source to a checked ``dist/``.

The flow: open the source (directory, git URL, sdist) -> read the project as data -> resolve
settings -> build the sdist -> unpack it -> build the wheel(s) from it, one per interpreter,
in parallel -> repair Linux binary wheels -> run the test command -> check every artifact ->
move them into the output directory and write ``SHA256SUMS``.  Everything is built in a
staging directory inside the output directory, so a failed build leaves nothing
half-written there.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwb_action._command import CommandResult, Invocation
from hwb_action.builder.frontend import Frontend
from hwb_action.builder.isolation import EnvProvider, Installer, default_cache_dir, find_uv
from hwb_action.builder.output import (
    check_all,
    move_into,
    relocate,
    staging_dir,
    write_all_checksums,
)
from hwb_action.builder.result import BuildResult, WheelInfo, report_result
from hwb_action.ci import NullReporter, Reporter
from hwb_action.errors import BuildError, ConfigError, HwbError, UsageError
from hwb_action.project import Project, load_project
from hwb_action.settings import Settings, resolve
from hwb_action.source import open_source, safe_extract, source_date_epoch

if TYPE_CHECKING:
    from hwb_action.builder.container import Engine

__all__ = ["BuildResult", "build", "cli_build"]


def _installer(settings: Settings, environ: Mapping[str, str]) -> Installer:
    isolation = settings["isolation"]
    if isolation in ("uv", "pip", "none"):
        return isolation  # type: ignore[no-any-return]
    return "uv" if find_uv(environ) else "pip"


@dataclass(frozen=True, kw_only=True)
class _Interp:
    path: str
    version: str


def _host_interp() -> _Interp:
    """The interpreter running hwb (no process started)."""
    return _Interp(path=sys.executable, version=".".join(map(str, sys.version_info[:3])))


def _interpreters(
    settings: Settings, project: Project, environ: Mapping[str, str], reporter: Reporter,
    *, spec: str | None = None,
) -> list[_Interp]:
    spec = (settings["python"] or spec or "").strip()
    if not spec:
        return [_host_interp()]
    from packaging.specifiers import SpecifierSet

    from hwb_action.builder.interpreters import find_interpreters

    allowed = SpecifierSet(project.requires_python) if project.requires_python else None
    found = find_interpreters(spec, allowed=allowed, environ=environ, reporter=reporter)
    if project.is_pure and len(found) > 1:
        reporter.info("Pure project: one py3-none-any wheel serves every Python; "
                      f"building it once with Python {found[0].version}")
        found = found[:1]
    return [_Interp(path=str(i.path), version=i.version) for i in found]


_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
_HOST_PLATFORMS = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def _host_target_python(project: Project, settings: Settings) -> str | None:
    """For ``--target`` built on this host: check the cell is in the plan and fits this
    machine, and return the Python it is for (``3.12``, ``3.13t``, ``pypy3.10``)."""
    target = str(settings["target"] or "")
    if not target:
        return None
    from hwb_action._suggest import did_you_mean
    from hwb_action.options import BuildOptions, from_settings
    from hwb_action.plan import plan_targets

    plan = plan_targets(project, from_settings(BuildOptions, settings).plan_options())
    cells = {t.identifier: t for t in plan.targets}
    cell = cells.get(target)
    if cell is None:
        msg = f"target {target!r} is not in the build plan" + did_you_mean(target, cells)
        raise settings.error("target", msg, hint="pass a target that `hwb plan` prints "
                             "for this project (" + ", ".join(list(cells)[:4]) + ", ...)")
    if cell.is_pure:
        return None
    here = _HOST_PLATFORMS.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    if cell.platform != here or _ARCH_ALIASES.get(cell.arch.lower(), cell.arch.lower()) != (
            _ARCH_ALIASES.get(machine, machine)):
        msg = (f"target {target!r} is for {cell.platform} {cell.arch}; this machine is "
               f"{here} {platform.machine()}")
        raise settings.error("target", msg, hint=f"run it on the plan's runner ({cell.runner})"
                             + (", or build Linux targets in a container (--isolation "
                                "container)" if cell.platform == "linux" else ""))
    return cell.python


def build(
    source: str = ".",
    *,
    reporter: Reporter | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **options: Any,
) -> BuildResult:
    """Build ``source`` and return the checked artifacts.

    ``options`` are settings by name (``out_dir="dist"``, ``isolation="uv"``, ...), with
    the same meaning as the CLI flags; ``[tool.hwb]`` and ``HWB_*`` apply beneath them.
    """
    cli = {k.replace("_", "-"): v for k, v in options.items() if v is not None}
    cli["source"] = source
    inv = Invocation(command="build", cli=cli, environ=dict(environ or os.environ),
                     reporter=reporter or NullReporter(), cwd=cwd or Path.cwd())
    return run_build(inv)


def run_build(inv: Invocation) -> BuildResult:
    """Do the work of ``hwb build`` for one invocation."""
    start = time.monotonic()
    reporter, environ = inv.reporter, inv.environ
    spec = str(inv.cli.get("source") or environ.get("HWB_SOURCE") or ".")
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(open_source(spec, reporter=reporter, environ=environ,
                                              cwd=inv.cwd))
        given_sdist: Path | None = None
        if src.kind == "sdist":
            given_sdist = src.path
            unpack = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hwb-sdist-")))
            project_dir = safe_extract(src.path, unpack)
        else:
            project_dir = src.path
        _check_buildable(project_dir, given_sdist)
        project = load_project(project_dir)
        settings = resolve("build", cli=inv.cli, environ=environ, project_dir=project_dir)
        out_dir = Path(settings["out-dir"])
        if not out_dir.is_absolute():
            out_dir = inv.cwd / out_dir
        want_sdist = settings["sdist"] or not settings["wheel"]
        want_wheel = settings["wheel"] or not settings["sdist"]
        if given_sdist is not None:
            want_sdist, want_wheel = False, True
        if settings["target"] not in ("", "pure") and not settings["sdist"]:
            # A binary matrix cell is one wheel; the sdist is a job of its own.
            want_sdist = False

        epoch = source_date_epoch(project_dir, environ)
        build_environ = dict(environ)
        if epoch is not None:
            build_environ["SOURCE_DATE_EPOCH"] = str(epoch)

        engine = _auto_engine(settings, project, environ, reporter) if want_wheel else None
        in_container = want_wheel and (settings["isolation"] == "container" or engine is not None)
        container_ids: list[str] = []
        if in_container:
            from hwb_action.builder.container import container_targets

            container_ids = container_targets(project, settings)
        cell_python = None if in_container else _host_target_python(project, settings)
        installer = _installer(settings, environ)
        cache_dir = None
        if settings["cache"]:
            cache_dir = Path(settings["cache-dir"]) if settings["cache-dir"] else (
                default_cache_dir(environ))
        config = dict(settings["config-settings"])
        staging = stack.enter_context(staging_dir(out_dir))
        timings: dict[str, float] = {}
        host = _host_interp()

        frontends: list[Frontend] = []
        providers: list[EnvProvider] = []

        def frontend_for(interp: _Interp, prefix: str) -> Frontend:
            provider = EnvProvider(installer=installer, base_python=interp.path,
                                   base_version=interp.version, cache_dir=cache_dir,
                                   reporter=reporter, environ=build_environ)
            fe = Frontend(provider=provider, environ=build_environ, reporter=reporter,
                          prefix=prefix)
            providers.append(provider)
            frontends.append(fe)
            return fe

        def cleanup() -> None:
            for fe in frontends:
                fe.close()
            for provider in providers:
                provider.close()

        stack.callback(cleanup)
        host_fe = frontend_for(host, "")
        if want_sdist or not in_container:
            host_fe.prepare(project.build_system)

        def wheel_frontends() -> list[tuple[_Interp, Frontend]]:
            """Find the interpreters and start their environments and backend processes."""
            interps = _interpreters(settings, project, environ, reporter, spec=cell_python)
            many = len(interps) > 1
            pairs = []
            for interp in interps:
                prefix = f"[py{interp.version.rsplit('.', 1)[0]}] " if many else ""
                if interp.path == host.path and not many:
                    pairs.append((interp, host_fe))
                    continue
                fe = frontend_for(interp, prefix)
                fe.prepare(project.build_system)
                pairs.append((interp, fe))
            return pairs

        # Interpreter discovery and environment set-up overlap with the sdist build.
        pool = ThreadPoolExecutor(max_workers=1)
        stack.callback(pool.shutdown)
        pending = pool.submit(wheel_frontends) if want_wheel and not in_container else None
        built: list[Path] = []
        wheel_infos: list[WheelInfo] = []
        sdist_path: Path | None = None
        if want_sdist:
            t0 = time.monotonic()
            with reporter.group(f"Building sdist of {project.name or project_dir.name}"):
                sdist_path = host_fe.build("sdist", project_dir, staging, project.build_system,
                                           config)
            timings["sdist"] = time.monotonic() - t0
            built.append(sdist_path)
            reporter.info(f"Built {sdist_path.name}")
        if in_container:
            from hwb_action.builder.container import build_in_container

            t0 = time.monotonic()
            # Wheels from the sdist, as on the host; cibuildwheel takes an sdist as package.
            package = sdist_path or given_sdist or project_dir
            wheels = build_in_container(project_dir=package, targets=container_ids,
                                        settings=settings, out_dir=staging / "container",
                                        reporter=reporter, environ=build_environ,
                                        engine=engine)
            timings["wheels"] = time.monotonic() - t0
            for wheel in wheels:
                final = staging / wheel.name
                os.replace(wheel, final)
                built.append(final)
                wheel_infos.append(_container_wheel_info(final))
        elif pending is not None:
            pairs = pending.result()
            wheel_bs = project.build_system
            trees = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hwb-trees-")))
            # Backends write into the tree they build (setuptools: build/, *.egg-info), so
            # parallel builds each get their own copy: an unpacked sdist, or the source tree.
            sources: list[Path] = []
            for index in range(len(pairs)):
                if sdist_path is not None:
                    sources.append(safe_extract(sdist_path, trees / str(index)))
                elif index == 0:
                    sources.append(project_dir)
                else:
                    sources.append(_copy_tree(project_dir, trees / str(index)))
            if sdist_path is not None:
                wheel_bs = load_project(sources[0]).build_system
            t0 = time.monotonic()
            results = _build_wheels(
                pairs=pairs, sources=sources, bs=wheel_bs, staging=staging, config=config,
                settings=settings, project=project, reporter=reporter, environ=build_environ,
            )
            timings["wheels"] = time.monotonic() - t0
            for path, info in results:
                built.append(path)
                wheel_infos.append(info)

        t0 = time.monotonic()
        artifacts = check_all(built, reporter)
        timings["check"] = time.monotonic() - t0
        placed = move_into(out_dir, built)
        artifacts = [
            relocate(a, p) for a, p in zip(artifacts, placed, strict=True)
        ]
        checksums = write_all_checksums(out_dir, artifacts)
        result = BuildResult(
            artifacts=tuple(artifacts), out_dir=out_dir, checksums=checksums, project=project,
            source=src, seconds=time.monotonic() - start, wheels=tuple(wheel_infos),
            timings=timings,
        )
    report_result(result, reporter)
    return result


def _check_buildable(project_dir: Path, sdist: Path | None) -> None:
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


def _auto_engine(
    settings: Settings, project: Project, environ: Mapping[str, str], reporter: Reporter
) -> Engine | None:
    """``auto`` isolation on Linux for a binary project: the working container engine to
    build in, or None to build on the host."""
    if settings["isolation"] != "auto" or project.is_pure or not sys.platform.startswith("linux"):
        return None
    asked = settings["target"] not in ("", "pure") or settings["manylinux"] or settings[
        "musllinux"] or environ.get("CI", "").lower() in ("true", "1")
    if not asked:
        # A plain local `hwb build` of a binary project builds on the host, as uv and build do;
        # containers are used when a target, a policy or CI asks for them.
        return None
    from hwb_action.builder.container import find_engine

    engine = find_engine(settings, environ)
    if engine is None:
        reporter.warning("no working container engine (docker or podman) was found: building "
                         "on the host; the manylinux tag then reflects the host's glibc")
    return engine


def _container_wheel_info(wheel: Path) -> WheelInfo:
    """What a wheel made by cibuildwheel (repaired in its container) says about itself."""
    from packaging.utils import parse_wheel_filename

    _, _, _, tags = parse_wheel_filename(wheel.name)
    interpreters = sorted({t.interpreter for t in tags})
    python = ""
    if interpreters and interpreters[0][:2] in ("cp", "pp") and interpreters[0][2:].isdigit():
        digits = interpreters[0][2:]
        python = f"{digits[0]}.{digits[1:]}"
    platforms = sorted({t.platform for t in tags})
    return WheelInfo(filename=wheel.name, python=python, repaired=True,
                     tag=".".join(platforms) or None)


def _build_wheels(
    *, pairs: Sequence[tuple[_Interp, Frontend]], sources: Sequence[Path], bs: Any,
    staging: Path, config: Mapping[str, str], settings: Settings, project: Project,
    reporter: Reporter, environ: Mapping[str, str],
) -> list[tuple[Path, WheelInfo]]:
    interpreters = [interp for interp, _ in pairs]
    many = len(pairs) > 1

    def one(index: int, interp: _Interp) -> tuple[Path, WheelInfo]:
        fe = pairs[index][1]
        prefix = fe.prefix
        outdir = staging / f"wheel-{index}"
        with reporter.group(f"Building wheel for Python {interp.version}"):
            wheel = fe.build("wheel", sources[index], outdir, bs, config)
        info = WheelInfo(filename=wheel.name, python=interp.version)
        if not project.is_pure and settings["repair"] and sys.platform.startswith("linux"):
            from hwb_action.builder.repair import repair_wheel

            repaired_dir = staging / f"repaired-{index}"
            repaired_dir.mkdir()
            fixed = repair_wheel(wheel, repaired_dir, policy=settings["manylinux"] or None,
                                 reporter=reporter, environ=environ)
            wheel = fixed.wheel
            info = WheelInfo(filename=wheel.name, python=interp.version,
                             repaired=fixed.repaired, tag=fixed.tag, vendored=fixed.vendored)
        if settings["test-command"]:
            from hwb_action.builder.testing import test_wheel

            test_wheel(wheel, Path(interp.path), test_command=settings["test-command"],
                       test_requires=settings["test-requires"], project_dir=project.root,
                       reporter=reporter, environ=environ, prefix=prefix)
            info = WheelInfo(filename=info.filename, python=info.python,
                             repaired=info.repaired, tag=info.tag, vendored=info.vendored,
                             tested=True)
        final = staging / wheel.name
        if final.exists():
            msg = f"two builds produced the same wheel {wheel.name}"
            raise BuildError(msg, hint="list each interpreter once in --python")
        os.replace(wheel, final)
        reporter.info(f"{prefix}Built {final.name}")
        return final, info

    if not many:
        return [one(0, interpreters[0])]
    jobs = settings["jobs"] or os.cpu_count() or 1
    errors: list[tuple[_Interp, HwbError]] = []
    results: list[tuple[Path, WheelInfo]] = []
    with ThreadPoolExecutor(max_workers=min(jobs, len(interpreters))) as pool:
        futures = [(interp, pool.submit(one, i, interp)) for i, interp in enumerate(interpreters)]
        for interp, future in futures:
            try:
                results.append(future.result())
            except HwbError as err:
                errors.append((interp, err))
    if errors:
        if len(errors) == 1:
            raise errors[0][1]
        details = []
        for interp, failure in errors:
            details.append(f"Python {interp.version}: {failure.message}")
            details.extend("    " + line for line in failure.details[-10:])
        msg = f"{len(errors)} of {len(interpreters)} wheel builds failed"
        raise BuildError(msg, details=details)
    return results


_TREE_IGNORE = shutil.ignore_patterns(".git", ".hg", ".tox", ".nox", ".venv", "venv", "build",
                                      "dist", "__pycache__", ".mypy_cache", ".pytest_cache")


def _copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True, ignore=_TREE_IGNORE)
    return dest


def cli_build(inv: Invocation) -> CommandResult:
    """Handler of ``hwb build``."""
    result = run_build(inv)
    return CommandResult(data=result.to_json())

