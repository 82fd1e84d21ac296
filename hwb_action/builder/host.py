"""Wheels built on this host with hwb's frontend: one per interpreter, in parallel, each
repaired (binary wheels on Linux, with auditwheel) and tested where asked."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from hwb_action.builder.decide import Host
from hwb_action.builder.frontend import Frontend
from hwb_action.builder.result import WheelInfo
from hwb_action.builder.session import BuildSession
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, HwbError
from hwb_action.options import BuildOptions
from hwb_action.project import BuildSystem, Project


@dataclass(frozen=True, kw_only=True)
class Interp:
    """An interpreter to build a wheel for."""

    path: str
    version: str


@dataclass(frozen=True, kw_only=True)
class WheelBuild:
    """One wheel to build: for ``interp``, of the tree ``source``, with ``frontend``."""

    index: int
    interp: Interp
    frontend: Frontend
    source: Path


def find_interps(spec: str, project: Project, host: Host, *, environ: Mapping[str, str],
                 reporter: Reporter) -> list[Interp]:
    """The interpreters ``spec`` (``--python``) names; the running one when empty."""
    if not spec:
        return [Interp(path=host.python, version=host.python_version)]
    from packaging.specifiers import SpecifierSet

    from hwb_action.builder.interpreters import find_interpreters

    allowed = SpecifierSet(project.requires_python) if project.requires_python else None
    found = find_interpreters(spec, allowed=allowed, environ=environ, reporter=reporter)
    if project.is_pure and len(found) > 1:
        reporter.info("Pure project: one py3-none-any wheel serves every Python; "
                      f"building it once with Python {found[0].version}")
        found = found[:1]
    return [Interp(path=str(i.path), version=i.version) for i in found]


def wheel_frontends(session: BuildSession, interps: Sequence[Interp], host_fe: Frontend,
                    host: Host, bs: BuildSystem) -> list[tuple[Interp, Frontend]]:
    """A frontend per interpreter (the host's own for the running Python alone), with its
    environment made and backend process started."""
    many = len(interps) > 1
    pairs: list[tuple[Interp, Frontend]] = []
    for interp in interps:
        if interp.path == host.python and not many:
            pairs.append((interp, host_fe))
            continue
        prefix = f"[py{interp.version.rsplit('.', 1)[0]}] " if many else ""
        fe = session.frontend(python=interp.path, version=interp.version, prefix=prefix)
        fe.prepare(bs)
        pairs.append((interp, fe))
    return pairs


def wheel_sources(session: BuildSession, count: int, *, sdist: Path | None,
                  tree: Path) -> list[Path]:
    """A tree per wheel build: backends write into the tree they build (setuptools: build/,
    *.egg-info), so parallel builds each get their own copy: an unpacked sdist, or the
    source tree (the first build uses the tree itself)."""
    from hwb_action.source import safe_extract

    trees = session.temp_dir("hwb-trees-")
    sources: list[Path] = []
    for index in range(count):
        if sdist is not None:
            sources.append(safe_extract(sdist, trees / str(index)))
        elif index == 0:
            sources.append(tree)
        else:
            sources.append(session.copy_tree(tree, trees / str(index)))
    return sources


def build_wheels(builds: Sequence[WheelBuild], *, session: BuildSession, bs: BuildSystem,
                 project: Project, options: BuildOptions) -> list[WheelInfo]:
    """Build, repair and test every wheel (in parallel when there are several); one
    BuildError naming each failed interpreter."""
    from hwb_action.builder.testing import untested_note

    note = untested_note(options, session.environ)
    if note:
        session.reporter.info(note)
    if len(builds) == 1:
        return [_one(builds[0], session, bs, project, options)]
    jobs = options.jobs or os.cpu_count() or 1
    errors: list[tuple[Interp, HwbError]] = []
    results: list[WheelInfo] = []
    with ThreadPoolExecutor(max_workers=min(jobs, len(builds))) as pool:
        futures = [(b.interp, pool.submit(_one, b, session, bs, project, options))
                   for b in builds]
        for interp, future in futures:
            try:
                results.append(future.result())
            except HwbError as err:
                errors.append((interp, err))
    if len(errors) == 1:
        raise errors[0][1]
    if errors:
        details = []
        for interp, failure in errors:
            details.append(f"Python {interp.version}: {failure.message}")
            details.extend("    " + line for line in failure.details[-10:])
        msg = f"{len(errors)} of {len(builds)} wheel builds failed"
        raise BuildError(msg, details=details)
    return results


def _one(build: WheelBuild, session: BuildSession, bs: BuildSystem, project: Project,
         options: BuildOptions) -> WheelInfo:
    reporter, staging, fe = session.reporter, session.staging, build.frontend
    with reporter.group(f"Building wheel for Python {build.interp.version}"):
        wheel = fe.build("wheel", build.source, staging / f"wheel-{build.index}", bs,
                         options.config_settings)
    info = WheelInfo(path=wheel, python=build.interp.version)
    if not project.is_pure and options.repair and sys.platform.startswith("linux"):
        info = _repair(info, build.index, session, options)
    from hwb_action.builder.testing import tests_wanted

    if tests_wanted(options, session.environ):
        from hwb_action.builder.testing import test_wheel

        test_wheel(info.path, Path(build.interp.path), test_command=options.test_command,
                   test_requires=list(options.test_requires), project_dir=project.root,
                   reporter=reporter, environ=session.environ, prefix=fe.prefix,
                   install_timeout=options.install_timeout)
        info = replace(info, tested=True)
    final = staging / info.filename
    if final.exists():
        msg = f"two builds produced the same wheel {info.filename}"
        raise BuildError(msg, hint="list each interpreter once in --python")
    os.replace(info.path, final)
    reporter.info(f"{fe.prefix}Built {final.name}")
    return replace(info, path=final)


def _repair(info: WheelInfo, index: int, session: BuildSession,
            options: BuildOptions) -> WheelInfo:
    from hwb_action.builder.repair import repair_wheel

    repaired_dir = session.staging / f"repaired-{index}"
    repaired_dir.mkdir()
    fixed = repair_wheel(info.path, repaired_dir, policy=options.manylinux or None,
                         reporter=session.reporter, environ=session.environ)
    return replace(info, path=fixed.wheel, repaired=fixed.repaired, tag=fixed.tag,
                   vendored=tuple(fixed.vendored))
