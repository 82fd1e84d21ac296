"""``--isolation none``: the build requirements checked against the interpreter that will
run the backend, before the backend is called, as build does without isolation.

What the interpreter has installed and its marker environment are read by a small script
run with that interpreter (it may not be hwb's); requirements are then matched here with
``packaging``: name, version specifier, markers, and the requirements of each extra asked for
(recursively), so that every unmet one is listed at once.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from hwb_action.errors import BuildError

# Runs on the build interpreter (possibly old): plain syntax, standard library only.
_PROBE = r"""
import json, os, platform, sys
try:
    from importlib import metadata
except ImportError:
    metadata = None
def fmt(info):
    v = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
impl = getattr(sys, "implementation", None)
env = {
    "implementation_name": impl.name if impl else "",
    "implementation_version": fmt(impl.version) if impl else "0",
    "os_name": os.name, "platform_machine": platform.machine(),
    "platform_release": platform.release(), "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
dists = {}
if metadata is not None:
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in dists:
            dists[name.lower()] = {"name": name, "version": dist.version,
                                   "requires": list(dist.requires or [])}
print(json.dumps({"env": env, "dists": dists}))
"""


def installed(python: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """``{"env": marker environment, "dists": {lower name: {name, version, requires}}}`` of
    the interpreter ``python``."""
    try:
        proc = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True,
                              env=dict(environ), timeout=120, check=False)
        data = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as err:
        msg = f"could not list what {python} has installed to check the build requirements"
        raise BuildError(msg, hint="check that the interpreter runs",
                         details=[str(err)]) from err
    if not isinstance(data, dict):
        raise BuildError(f"could not list what {python} has installed")
    return data


def unmet(requirements: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """The requirements (and those of extras they ask for) that ``data`` does not meet, each
    with the reason: ``name>=2 (1.0 is installed)`` or ``name (not installed)``."""
    dists = {canonicalize_name(str(k)): v for k, v in data.get("dists", {}).items()}
    env: dict[str, str] = {str(k): str(v) for k, v in data.get("env", {}).items()}
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()

    def check(text: str, extra: str, parent: str | None) -> None:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            problems.append(f"{text} (not a valid requirement)")
            return
        if req.marker is not None and not _marker_ok(req.marker, env, extra):
            return
        key = (str(req), extra)
        if key in seen:
            return
        seen.add(key)
        via = f", needed by {parent}" if parent else ""
        shown = req.name + (f"[{','.join(sorted(req.extras))}]" if req.extras else "") + str(
            req.specifier)
        dist = dists.get(canonicalize_name(req.name))
        if dist is None:
            problems.append(f"{shown} (not installed{via})")
            return
        version = str(dist.get("version", ""))
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{shown} ({version} is installed{via})")
            return
        for wanted in sorted(req.extras):
            for sub in dist.get("requires", []):
                check(str(sub), wanted, f"{req.name}[{wanted}]")

    for text in requirements:
        check(text.strip(), "", None)
    return problems


def _marker_ok(marker: Marker, env: dict[str, str], extra: str) -> bool:
    try:
        return marker.evaluate({**env, "extra": extra})
    except Exception:  # an undefined or malformed marker: treat it as applying
        return True


def check_requirements(python: str, requirements: Iterable[str], *, backend: str,
                       environ: Mapping[str, str]) -> None:
    """Raise a BuildError listing every unmet build requirement of ``python``."""
    reqs = [r for r in requirements if r.strip()]
    if not reqs:
        return
    problems = unmet(reqs, installed(python, environ))
    if problems:
        msg = (f"--isolation none: {python} does not meet the build requirements of "
               f"{backend!r}")
        raise BuildError(msg, details=problems,
                         hint="install them into that interpreter (pip install ...), or "
                              "let hwb make a build environment (--isolation uv or pip)")
