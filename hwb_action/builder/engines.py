"""Container engines: find a docker or podman that works, before a container build needs it.

Working means ``docker version`` reaches a daemon (``DOCKER_HOST`` honoured) or ``podman
version`` succeeds, within :data:`PROBE_TIMEOUT` seconds.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from hwb_action.errors import BuildError
from hwb_action.options import BuildOptions

__all__ = ["ENGINES", "Engine", "EngineName", "EngineProbe", "find_engine", "probe_engines",
           "require_engine"]

EngineName = Literal["docker", "podman"]
ENGINES: tuple[EngineName, ...] = get_args(EngineName)

# A probe that takes longer than this means the engine is not usable for a build either.
PROBE_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class Engine:
    """A container engine that answered: its name, executable and (for docker) socket."""

    name: EngineName
    executable: str
    host: str | None = None  # DOCKER_HOST the docker CLI talks to, when set

    def describe(self) -> str:
        return f"{self.name} at {self.host}" if self.host else self.name


@dataclass(frozen=True, kw_only=True)
class EngineProbe:
    """What probing one engine found: working, or why not."""

    name: EngineName
    ok: bool
    reason: str = ""
    engine: Engine | None = None


def _candidates(options: BuildOptions, environ: Mapping[str, str]) -> list[EngineName]:
    """Engines to try, in order: the one asked for, else docker then podman.

    ``container-engine`` wins, then the engine named in a user's ``CIBW_CONTAINER_ENGINE``;
    otherwise docker first (cibuildwheel's default, and what CI runners have), then podman.
    """
    wanted = options.container_engine
    if wanted in ENGINES:
        return [wanted]
    user = environ.get("CIBW_CONTAINER_ENGINE", "").split(";", 1)[0].strip()
    if user in ENGINES:
        return [user]
    return list(ENGINES)


def _probe(name: EngineName, environ: Mapping[str, str]) -> EngineProbe:
    executable = shutil.which(name, path=environ.get("PATH"))
    if executable is None:
        return EngineProbe(name=name, ok=False, reason=f"{name} is not on PATH")
    # `docker version` needs the daemon (DOCKER_HOST is honoured by the CLI itself);
    # `podman version` sets up podman's runtime (a missing OCI runtime or a broken
    # containers.conf fails it) in ~0.03 s, where `podman info` takes ~0.5 s: the probe runs
    # on every build, so it must cost nothing worth noticing.
    cmd = ([executable, "version", "--format", "{{.Server.Version}}"] if name == "docker"
           else [executable, "version", "--format", "{{.Client.Version}}"])
    try:
        done = subprocess.run(cmd, env=dict(environ), capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return EngineProbe(name=name, ok=False,
                           reason=f"`{name} {cmd[1]}` did not answer in {PROBE_TIMEOUT:.0f} s")
    except OSError as err:
        return EngineProbe(name=name, ok=False, reason=f"could not run {executable}: {err}")
    if done.returncode != 0:
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit code {done.returncode}"
        return EngineProbe(name=name, ok=False, reason=f"`{name} {cmd[1]}` failed: {why}")
    host = environ.get("DOCKER_HOST") if name == "docker" else None
    engine = Engine(name=name, executable=executable, host=host or None)
    return EngineProbe(name=name, ok=True, engine=engine)


def probe_engines(options: BuildOptions, environ: Mapping[str, str]) -> list[EngineProbe]:
    """Probe the candidate engines in order, stopping at the first that works."""
    probes: list[EngineProbe] = []
    for name in _candidates(options, environ):
        probe = _probe(name, environ)
        probes.append(probe)
        if probe.ok:
            break
    return probes


def find_engine(options: BuildOptions, environ: Mapping[str, str]) -> Engine | None:
    """A WORKING docker or podman (``container-engine`` if set), or None.

    Working means ``docker version`` reaches a daemon (``DOCKER_HOST`` honoured) or
    ``podman version`` succeeds, within :data:`PROBE_TIMEOUT` seconds.
    """
    for probe in probe_engines(options, environ):
        if probe.ok:
            return probe.engine
    return None


def require_engine(options: BuildOptions, environ: Mapping[str, str]) -> Engine:
    """:func:`find_engine`, or a :class:`BuildError` that says what each probe found."""
    probes = probe_engines(options, environ)
    for probe in probes:
        if probe.ok and probe.engine is not None:
            return probe.engine
    names = " or ".join(p.name for p in probes)
    hint = ("start the Docker daemon or install podman (Debian: apt-get install podman runc), "
            "or build on the host with --isolation uv")
    if environ.get("DOCKER_HOST"):
        hint = f"check that DOCKER_HOST ({environ['DOCKER_HOST']}) points at a running " \
               "Docker-compatible socket, " + hint
    msg = f"container build: no working container engine ({names})"
    raise BuildError(msg, hint=hint, details=[f"{p.name}: {p.reason}" for p in probes])
