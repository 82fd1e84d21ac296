"""Linux wheels in manylinux/musllinux containers, by delegating to cibuildwheel.

cibuildwheel already runs PyPA's containers well (copying the project in, one container per
image, repair with auditwheel, the test step in a fresh venv), so hwb does not re-implement
containers: it finds a working engine, translates its settings into ``CIBW_*`` variables,
runs ``python -m cibuildwheel`` as a subprocess with streamed output, and hands the wheels
it produced back to the build pipeline, which checks them and writes checksums like any
other.

How hwb settings become cibuildwheel options (hwb's value wins where both are set; every
other ``CIBW_*`` a user sets passes through untouched):

=====================  ==================================================================
hwb setting            cibuildwheel
=====================  ==================================================================
targets (plan cells)   ``--only ID`` for one, ``CIBW_BUILD`` (+ ``CIBW_ARCHS``) for several
build / skip / archs   ``CIBW_BUILD`` / ``CIBW_SKIP`` / ``CIBW_ARCHS`` when no target list
manylinux, musllinux   ``CIBW_{MANY,MUSL}LINUX_<ARCH>_IMAGE``: a policy (``2_28``,
                       ``manylinux_2_28``) or an image reference
container-engine       ``CIBW_CONTAINER_ENGINE`` (``podman; create_args: ...``)
container-create-args  the ``create_args`` of it
environment            ``CIBW_ENVIRONMENT`` (``KEY="value"``, as cibuildwheel's own table)
test-command/-requires ``CIBW_TEST_COMMAND`` / ``CIBW_TEST_REQUIRES``
before-build           ``CIBW_BEFORE_BUILD``
out-dir                ``--output-dir`` (a private directory, then moved into ``out_dir``)
=====================  ==================================================================
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hwb_action import _process
from hwb_action._values import cibw_config_settings
from hwb_action.builder.decide import normal_arch
from hwb_action.builder.engines import (
    Engine,
    EngineProbe,
    find_engine,
    probe_engines,
    require_engine,
)
from hwb_action.builder.result import WheelInfo
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError, UsageError
from hwb_action.options import BuildOptions
from hwb_action.trust import untrusted_environ

__all__ = [
    "CibuildwheelError",
    "Engine",
    "EngineProbe",
    "build_in_container",
    "cibuildwheel_command",
    "cibuildwheel_environment",
    "find_engine",
    "probe_engines",
    "require_engine",
]


# Lines of cibuildwheel's log carried in an error when no error line stands out.
TAIL_LINES = 15
# At most this many error lines (with their context) travel in the error.
MAX_ERROR_LINES = 20
# Compiler, linker, build frontend, test and cibuildwheel error lines worth lifting out of a
# long build log.
_ERROR_LINE = re.compile(
    r"(\berror\b[:\s]|^ERROR\b|\bError:|fatal error|undefined reference|"
    r"^\s*E\s{2,}|AssertionError|ModuleNotFoundError|ImportError|\bFAILED\b)",
)
_CONTEXT = re.compile(r"^\s*(\d+\s*)?\|")
_LINUX_IDENTIFIER = re.compile(r"^(?P<py>[a-z]+\d+t?)-(?P<libc>manylinux|musllinux)_(?P<arch>\w+)$")
_MANYLINUX_POLICY = re.compile(r"^(?:manylinux)?_?(?P<v>2014|2_\d+)$")
_MUSLLINUX_POLICY = re.compile(r"^(?:musllinux)?_?(?P<v>1_\d+)$")
# Architectures whose PyPy builds cibuildwheel configures with a separate image option.
_PYPY_IMAGE_ARCHS = ("x86_64", "i686", "aarch64")


# -- cibuildwheel's options -------------------------------------------------------------------
def _image_value(value: str, policy: re.Pattern[str], family: str) -> str | None:
    """cibuildwheel's value for a manylinux/musllinux image option, or None for "default".

    A policy (``2_28``, ``manylinux_2_28``, ``2014``) becomes cibuildwheel's pinned name
    (``manylinux_2_28``, ``manylinux2014``); anything else is an image reference.
    """
    text = value.strip()
    if not text or text.lower() == "none":
        return None
    match = policy.match(text)
    if match:
        version = match.group("v")
        return f"{family}{version}" if version == "2014" else f"{family}_{version}"
    return text


def _target_archs(targets: Sequence[str]) -> list[str]:
    archs: list[str] = []
    for ident in targets:
        match = _LINUX_IDENTIFIER.match(ident)
        if match and match.group("arch") not in archs:
            archs.append(match.group("arch"))
    return archs


def _engine_option(engine: Engine | None, options: BuildOptions,
                   environ: Mapping[str, str]) -> str | None:
    create_args = options.container_create_args.strip()
    if engine is None:
        return None
    user = environ.get("CIBW_CONTAINER_ENGINE", "")
    if user and not create_args and user.split(";", 1)[0].strip() == engine.name:
        return None  # the user's own value, with its create_args: untouched
    return f"{engine.name}; create_args: {create_args}" if create_args else engine.name


def _selection(targets: Sequence[str], options: BuildOptions) -> dict[str, str]:
    if len(targets) > 1:
        # The plan already chose these cells; let cibuildwheel build PyPy/free-threaded ones.
        return {"CIBW_BUILD": " ".join(targets), "CIBW_SKIP": "",
                "CIBW_ARCHS": " ".join(_target_archs(targets)), "CIBW_ENABLE": "all"}
    if targets:
        return {}
    chosen = {"CIBW_BUILD": options.build, "CIBW_SKIP": options.skip,
              "CIBW_ARCHS": options.archs}
    return {key: " ".join(values) for key, values in chosen.items() if values}


def _images(targets: Sequence[str], options: BuildOptions) -> dict[str, str]:
    archs = _target_archs(targets) or [
        a for a in options.archs if a not in ("auto", "native", "auto64", "auto32", "all")
    ] or [normal_arch(platform.machine())]
    ours: dict[str, str] = {}
    for family, policy, value in (("manylinux", _MANYLINUX_POLICY, options.manylinux),
                                  ("musllinux", _MUSLLINUX_POLICY, options.musllinux)):
        image = _image_value(value, policy, family)
        if image is None:
            continue
        for arch in archs:
            ours[f"CIBW_{family.upper()}_{arch.upper()}_IMAGE"] = image
            if family == "manylinux" and arch in _PYPY_IMAGE_ARCHS:
                ours[f"CIBW_MANYLINUX_PYPY_{arch.upper()}_IMAGE"] = image
    return ours


def _steps(options: BuildOptions) -> dict[str, str]:
    ours: dict[str, str] = {}
    if options.environment:
        # The format cibuildwheel gives its own [tool.cibuildwheel.environment] table, so
        # values may use $VARS and $(commands) evaluated inside the container.
        ours["CIBW_ENVIRONMENT"] = " ".join(
            f'{k}="{v}"' for k, v in options.environment.items())
    if options.test_command:
        ours["CIBW_TEST_COMMAND"] = options.test_command
    if options.test_requires:
        ours["CIBW_TEST_REQUIRES"] = shlex.join(options.test_requires)
    if options.before_build:
        ours["CIBW_BEFORE_BUILD"] = options.before_build
    if options.config_settings:  # a list value repeats its key: key=a key=b
        ours["CIBW_CONFIG_SETTINGS"] = cibw_config_settings(options.config_settings)
    return ours


def cibuildwheel_environment(
    *,
    targets: Sequence[str],
    options: BuildOptions,
    engine: Engine | None,
    environ: Mapping[str, str],
) -> dict[str, str]:
    """The environment for the cibuildwheel process: ``environ`` less publishing secrets
    (cibuildwheel runs the project's build, before-build and test commands) plus hwb's
    ``CIBW_*``.

    Pure computation (no process is started), so every translation is unit-tested.
    """
    env = untrusted_environ(environ)
    env["CIBW_PLATFORM"] = "linux"
    env.update(_selection(targets, options))
    env.update(_images(targets, options))
    engine_value = _engine_option(engine, options, environ)
    if engine_value:
        env["CIBW_CONTAINER_ENGINE"] = engine_value
    env.update(_steps(options))
    # Streamed output: line by line, without colour codes in CI logs.
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("NO_COLOR", "1")
    return env


def cibuildwheel_command(*, targets: Sequence[str], package: Path, output_dir: Path,
                         python: str = sys.executable) -> list[str]:
    """``python -m cibuildwheel [--only ID] --output-dir DIR PACKAGE``."""
    cmd = [python, "-m", "cibuildwheel"]
    if len(targets) == 1:
        cmd += ["--only", targets[0]]
    else:
        cmd += ["--platform", "linux"]
    return [*cmd, "--output-dir", str(output_dir), str(package)]


# -- running it -------------------------------------------------------------------------------
class CibuildwheelError(BuildError):
    """cibuildwheel exited non-zero; ``returncode`` is its exit code."""

    def __init__(self, message: str, *, returncode: int, hint: str | None = None,
                 details: Sequence[str] = ()) -> None:
        super().__init__(message, hint=hint, details=details)
        self.returncode = returncode


# cibuildwheel's exit codes (cibuildwheel/errors.py) and what to do about each.
_EXIT_HINTS = {
    2: "cibuildwheel rejected its configuration: check [tool.cibuildwheel] and CIBW_* "
       "variables",
    3: "no build identifier matched: check the target, build/skip and requires-python",
    5: "the build produced a pure wheel: build it with --isolation uv instead",
    7: "the container engine is too old or not working: check `docker version` / "
       "`podman info`",
}


def _key_lines(output: str) -> list[str]:
    """The lines of a failed build log that say what went wrong.

    The compiler's (or test's) error lines with their source context, then cibuildwheel's
    own verdict; the last lines of the log when nothing matches.  The whole log has already
    been streamed, so the error carries only these, not a dump.
    """
    lines = [ln.rstrip() for ln in output.splitlines() if ln.strip()]
    picked: list[int] = []
    for i, line in enumerate(lines):
        if _ERROR_LINE.search(line):
            picked.append(i)
            # gcc/clang show the source line and a caret under it
            picked += [j for j in (i + 1, i + 2) if j < len(lines) and _CONTEXT.match(lines[j])]
    if not picked:
        return [_shorten(ln) for ln in lines[-TAIL_LINES:]]
    keep = sorted(set(picked))[-MAX_ERROR_LINES:]
    return [_shorten(lines[i]) for i in keep]


def _shorten(line: str, limit: int = 400) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _failure(returncode: int, output: str, engine: Engine, what: str,
             redact: Callable[[str], str]) -> CibuildwheelError:
    details = [redact(ln) for ln in _key_lines(output)]
    msg = f"cibuildwheel failed with exit code {returncode} building {what} with " \
          f"{engine.describe()}"
    hint = _EXIT_HINTS.get(returncode, "the log above shows the failing step; "
                           "CIBW_DEBUG_KEEP_CONTAINER=1 keeps the container to look into")
    return CibuildwheelError(redact(msg), returncode=returncode, hint=hint, details=details)


def build_in_container(
    *,
    project_dir: Path,
    targets: Sequence[str],
    options: BuildOptions,
    out_dir: Path,
    reporter: Reporter,
    environ: Mapping[str, str],
    engine: Engine | None = None,
) -> list[WheelInfo]:
    """Build ``targets`` (cibuildwheel identifiers; none = cibuildwheel's own selection)
    of the project in ``project_dir`` (a directory or an sdist) in containers.

    Returns records of the wheels cibuildwheel produced, moved into ``out_dir``; checking them and
    writing checksums is the caller's job.  Raises :class:`BuildError` when no engine works
    and :class:`CibuildwheelError` (with cibuildwheel's exit code, the compiler's error lines
    and the log's tail) when the build fails.
    """
    if engine is None:
        engine = require_engine(options, environ)
    for ident in targets:
        if _LINUX_IDENTIFIER.match(ident) is None:
            msg = f"target {ident!r} is not a Linux target; containers build Linux wheels"
            raise UsageError(msg, hint="pick a cpXY-manylinux_ARCH or cpXY-musllinux_ARCH "
                             "target from `hwb plan`")
    project_dir = project_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    env = cibuildwheel_environment(targets=targets, options=options, engine=engine,
                                   environ=environ)
    what = ", ".join(targets) if targets else "the selected Linux targets"
    # cibuildwheel copies its working directory into the container: run it in the project
    # (for an sdist, next to it: cibuildwheel unpacks it itself).
    cwd = project_dir if project_dir.is_dir() else project_dir.parent
    package = Path(".") if project_dir.is_dir() else project_dir
    prefix = f"[{targets[0]}] " if len(targets) == 1 else "[cibuildwheel] "
    # A private output directory: only what this run produced is returned.
    with tempfile.TemporaryDirectory(prefix=".hwb-cibw-", dir=out_dir) as tmp:
        output = Path(tmp)
        cmd = cibuildwheel_command(targets=targets, package=package, output_dir=output)
        reporter.info(f"Building {what} in containers with cibuildwheel ({engine.describe()})")
        with reporter.group(f"cibuildwheel: {what}"):
            try:
                done = _process.run(cmd, reporter=reporter, cwd=cwd, env=env, stream=True,
                                    check=False, what="cibuildwheel", prefix=prefix)
            except ProcessError as err:
                msg = f"could not start cibuildwheel: {err.message}"
                raise BuildError(msg, hint="install cibuildwheel (pip install cibuildwheel)"
                                 ) from err
        if done.returncode != 0:
            raise _failure(done.returncode, done.stdout, engine, what, reporter.redact)
        wheels = sorted(output.glob("*.whl"))
        if not wheels:
            msg = f"cibuildwheel produced no wheel for {what}"
            raise BuildError(msg, hint="check the build and skip selectors and "
                             "requires-python", details=done.stdout.splitlines()[-TAIL_LINES:])
        odd = [w.name for w in wheels if w.is_symlink() or not w.is_file()]
        if odd:
            msg = f"cibuildwheel's output holds links or non-files named as wheels: {odd}"
            raise BuildError(msg, hint="a build step made them; nothing was moved")
        placed: list[WheelInfo] = []
        for wheel in wheels:
            dest = out_dir / wheel.name
            os.replace(wheel, dest)
            placed.append(_record(dest, targets))
    for info in placed:
        reporter.info(f"Built {info.filename}")
    return placed


def _record(wheel: Path, targets: Sequence[str]) -> WheelInfo:
    """The record of a wheel cibuildwheel made (and repaired, in its container).

    With one target the Python is the target's; with several, cibuildwheel does not say
    which wheel came from which identifier, so it is read from the wheel's tags.
    """
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(wheel.name)[3]
    platforms = sorted({t.platform for t in tags})
    interpreters = sorted({t.interpreter for t in tags})
    match = _LINUX_IDENTIFIER.match(targets[0]) if len(targets) == 1 else None
    code = match.group("py") if match else (interpreters[0] if interpreters else "")
    digits = code[2:].rstrip("t")
    python = f"{digits[0]}.{digits[1:]}" if code[:2] in ("cp", "pp") and digits.isdigit() \
        else ""
    return WheelInfo(path=wheel, python=python, repaired=True, tag=".".join(platforms) or None)
