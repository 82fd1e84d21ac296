"""Binary wheels through cibuildwheel, on every operating system.

cibuildwheel already builds wheels well where they are published from: manylinux/musllinux
containers on Linux (copying the project in, one container per image, auditwheel repair),
its own CPython/PyPy installs on macOS (delocate repair, ``MACOSX_DEPLOYMENT_TARGET``,
universal2) and Windows (delvewheel, win32 and ARM64), and the test step in a fresh venv.
So hwb does not re-implement any of it: it translates its settings into cibuildwheel's
options, runs ``python -m cibuildwheel`` as a subprocess with streamed output, and hands the
wheels back to the build pipeline, which checks them and writes checksums like any other.

How hwb settings become cibuildwheel options.  Only hwb's own values are passed (set in
``[tool.hwb]``, ``HWB_*`` or a flag): a value hwb read from ``[tool.cibuildwheel]`` is left
for cibuildwheel to read itself, with its platform tables and overrides.  Every ``CIBW_*``
the user sets passes through untouched, except where hwb's value wins:

=====================  ==================================================================
hwb setting            cibuildwheel
=====================  ==================================================================
targets (plan cell)    one: ``--only ID``; several: ``--platform P --archs A,B`` and
                       ``CIBW_BUILD`` (``CIBW_SKIP`` emptied, ``CIBW_ENABLE=all``): the
                       plan chose them, all in ONE cibuildwheel run
build / skip / archs   ``CIBW_BUILD`` / ``CIBW_SKIP`` / ``CIBW_ARCHS`` when no target list
config-settings        ``CIBW_CONFIG_SETTINGS`` (``KEY=VALUE`` pairs, shell-quoted)
environment            ``CIBW_ENVIRONMENT`` (``KEY="value"``, as cibuildwheel's own table)
test-command/-requires ``CIBW_TEST_COMMAND`` / ``CIBW_TEST_REQUIRES``
before-build           ``CIBW_BEFORE_BUILD``
--no-repair            ``CIBW_REPAIR_WHEEL_COMMAND=""`` (else cibuildwheel's own default:
                       auditwheel, delocate, delvewheel)
manylinux, musllinux   ``CIBW_{MANY,MUSL}LINUX_<ARCH>_IMAGE`` (Linux): a policy or an image
container-engine (+    ``CIBW_CONTAINER_ENGINE`` (``podman; create_args: ...``, Linux)
create-args)
out-dir                ``--output-dir`` (a private directory, then moved into ``out_dir``)
=====================  ==================================================================
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hwb_action import _process
from hwb_action._values import cibw_config_settings
from hwb_action.builder.identifiers import arch_of, served_identifiers
from hwb_action.builder.result import WheelInfo
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError
from hwb_action.options import BuildOptions
from hwb_action.plan.runners import Platform
from hwb_action.trust import untrusted_environ

if TYPE_CHECKING:
    from hwb_action.builder.engines import Engine

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
_MANYLINUX_POLICY = re.compile(r"^(?:manylinux)?_?(?P<v>2014|2_\d+)$")
_MUSLLINUX_POLICY = re.compile(r"^(?:musllinux)?_?(?P<v>1_\d+)$")
# Architectures whose PyPy builds cibuildwheel configures with a separate image option.
_PYPY_IMAGE_ARCHS = ("x86_64", "i686", "aarch64")
_NATIVE_WORDS = ("auto", "native", "auto64", "auto32", "all")


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
    return list(dict.fromkeys(a for a in map(arch_of, targets) if a))


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
        # The plan chose these identifiers (the archs go on the command line, where no
        # CIBW_ARCHS_<PLATFORM> can narrow them); let cibuildwheel build the PyPy,
        # GraalPy and prerelease ones among them.
        return {"CIBW_BUILD": " ".join(targets), "CIBW_SKIP": "", "CIBW_ENABLE": "all"}
    if targets:
        return {}  # --only
    chosen = {"CIBW_BUILD": options.build, "CIBW_SKIP": options.skip,
              "CIBW_ARCHS": options.archs}
    return {key: " ".join(values) for key, values in chosen.items() if values}


def _images(targets: Sequence[str], options: BuildOptions) -> dict[str, str]:
    import platform

    from hwb_action.builder.decide import normal_arch

    archs = _target_archs(targets) or [
        a for a in options.archs if a not in _NATIVE_WORDS] or [normal_arch(platform.machine())]
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
    def ours(name: str) -> bool:
        # [tool.cibuildwheel] values are cibuildwheel's to read, per platform.
        return options.settings.origin(name).kind != "cibuildwheel"

    steps: dict[str, str] = {}
    if options.environment and ours("environment"):
        # The format cibuildwheel gives its own [tool.cibuildwheel.environment] table, so
        # values may use $VARS and $(commands) evaluated where the build runs.
        steps["CIBW_ENVIRONMENT"] = " ".join(
            f'{k}="{v}"' for k, v in options.environment.items())
    if options.test_command and ours("test-command"):
        steps["CIBW_TEST_COMMAND"] = options.test_command
    if options.test_requires and ours("test-requires"):
        steps["CIBW_TEST_REQUIRES"] = shlex.join(options.test_requires)
    if options.before_build and ours("before-build"):
        steps["CIBW_BEFORE_BUILD"] = options.before_build
    if options.config_settings:
        # cibuildwheel's table format for config-settings (shlex-quoted values).
        # A setting given several values (-C k=a -C k=b) is repeated, as build takes it.
        steps["CIBW_CONFIG_SETTINGS"] = cibw_config_settings(options.config_settings)
    if not options.repair:
        steps["CIBW_REPAIR_WHEEL_COMMAND"] = ""
    return steps


def cibuildwheel_environment(
    *,
    targets: Sequence[str],
    options: BuildOptions,
    environ: Mapping[str, str],
    engine: Engine | None = None,
    platform: Platform = "linux",
) -> dict[str, str]:
    """The environment for the cibuildwheel process on ``platform``: ``environ`` less
    publishing secrets (cibuildwheel runs the project's build, before-build and test
    commands) plus hwb's ``CIBW_*``.

    Pure computation (no process is started), so every translation is unit-tested, for
    macOS and Windows runners too.
    """
    env = untrusted_environ(environ)
    env["CIBW_PLATFORM"] = platform
    env.update(_selection(targets, options))
    if platform == "linux":
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
                         platform: Platform = "linux",
                         python: str = sys.executable) -> list[str]:
    """``python -m cibuildwheel (--only ID | --platform P [--archs A,B]) --output-dir DIR
    PACKAGE``."""
    cmd = [python, "-m", "cibuildwheel"]
    if len(targets) == 1:
        cmd += ["--only", targets[0]]
    else:
        cmd += ["--platform", platform]
        archs = _target_archs(targets)
        if archs:
            cmd += ["--archs", ",".join(archs)]
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


def _failure(returncode: int, output: str, where: str, what: str,
             redact: Callable[[str], str], *, container: bool = True) -> CibuildwheelError:
    details = [redact(ln) for ln in _key_lines(output)]
    msg = f"cibuildwheel failed with exit code {returncode} building {what} {where}"
    hint = _EXIT_HINTS.get(returncode, "the log above shows the failing step" + (
        "; CIBW_DEBUG_KEEP_CONTAINER=1 keeps the container to look into" if container
        else ""))
    return CibuildwheelError(redact(msg), returncode=returncode, hint=hint, details=details)


def run_cibuildwheel(
    *,
    platform: Platform,
    package: Path,
    targets: Sequence[str],
    options: BuildOptions,
    out_dir: Path,
    reporter: Reporter,
    environ: Mapping[str, str],
    engine: Engine | None = None,
) -> list[WheelInfo]:
    """Build ``targets`` (identifiers of ``platform``; none = cibuildwheel's own selection)
    of ``package`` (a project directory or an sdist) in ONE cibuildwheel run.

    Returns records of the wheels it produced, moved into ``out_dir``, each naming the
    identifiers it serves; checking them is the caller's job.  Raises
    :class:`CibuildwheelError` (cibuildwheel's exit code, the compiler's error lines and the
    log's tail) when the build fails.
    """
    package = package.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    env = cibuildwheel_environment(targets=targets, options=options, engine=engine,
                                   environ=environ, platform=platform)
    what = ", ".join(targets) if targets else f"the selected {platform} targets"
    where = f"with {engine.describe()}" if engine is not None else f"on this {platform} runner"
    # cibuildwheel copies its working directory into a container: run it in the project
    # (for an sdist, next to it: cibuildwheel unpacks it itself).
    cwd = package if package.is_dir() else package.parent
    arg = Path(".") if package.is_dir() else package
    prefix = f"[{targets[0]}] " if len(targets) == 1 else "[cibuildwheel] "
    # A private output directory: only what this run produced is returned.
    with tempfile.TemporaryDirectory(prefix=".hwb-cibw-", dir=out_dir) as tmp:
        output = Path(tmp)
        cmd = cibuildwheel_command(targets=targets, package=arg, output_dir=output,
                                   platform=platform)
        how = (f"in containers ({engine.describe()})" if engine is not None
               else f"natively on this {platform} machine")
        reporter.info(f"Building {what} with cibuildwheel {how}")
        with reporter.group(f"cibuildwheel: {what}"):
            # Every wait has a bound: one run builds (and installs for) each identifier, so it
            # may take build-timeout plus install-timeout per identifier.
            limit = (options.build_timeout + options.install_timeout) * max(1, len(targets))
            try:
                done = _process.run(cmd, reporter=reporter, cwd=cwd, env=env, stream=True,
                                    check=False, what="cibuildwheel", prefix=prefix,
                                    timeout=limit, timeout_setting="build-timeout")
            except ProcessError as err:
                if err.timed_out:
                    raise BuildError(err.message, hint=err.hint, details=err.details) from err
                msg = f"could not start cibuildwheel: {err.message}"
                raise BuildError(msg, hint="install cibuildwheel (pip install cibuildwheel)"
                                 ) from err
        if done.returncode != 0:
            raise _failure(done.returncode, done.stdout, where, what, reporter.redact,
                           container=engine is not None)
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
            placed.append(wheel_record(dest, targets, repaired=options.repair))
    for info in placed:
        served = ", ".join(info.identifiers) or "no identifier of this cell"
        reporter.info(f"Built {info.filename} (serves {served})")
    return placed


def wheel_record(wheel: Path, targets: Sequence[str], *, repaired: bool = True) -> WheelInfo:
    """The record of a wheel cibuildwheel made (and repaired, as it does by default).

    cibuildwheel does not say which wheel came from which identifier: the identifiers it
    serves and its Python are read from the wheel's tags (an abi3 wheel serves several).
    """
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(wheel.name)[3]
    platforms = sorted({t.platform for t in tags})
    interpreters = sorted({t.interpreter for t in tags})
    served = served_identifiers(wheel.name, targets)
    code = served[0].partition("-")[0] if served else (interpreters[0] if interpreters else "")
    digits = code[2:].removesuffix("t")
    python = f"{digits[0]}.{digits[1:]}" if code[:2] in ("cp", "pp") and digits.isdigit() \
        else ""
    return WheelInfo(path=wheel, python=python, repaired=repaired, tag=".".join(platforms) or None,
                     identifiers=served)
