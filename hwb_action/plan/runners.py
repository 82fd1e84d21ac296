"""Where each architecture builds: runner keys, the default labels, and what ``auto`` means.

A *runner key* names one platform and architecture as cibuildwheel spells it, lower case:
``linux-x86_64``, ``linux-i686``, ``linux-aarch64``, ``linux-ppc64le``, ``linux-s390x``,
``linux-riscv64``, ``linux-armv7l``, ``macos-x86_64``, ``macos-arm64``, ``macos-universal2``,
``windows-amd64``, ``windows-x86``, ``windows-arm64``.  Each maps to a runner label per CI
*fleet* (``github``, ``gitlab``); the defaults below are overridden key by key through the
``runners`` (GitHub) and ``gitlab-runners`` (GitLab) settings, because private repositories
and self-hosted fleets use other labels.  An architecture that builds on another's machine
(i686 on x86_64, universal2 on arm64, the QEMU-emulated Linux ones on x86_64) follows that
key unless it is configured itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from hwb_action._suggest import did_you_mean

Platform = Literal["linux", "macos", "windows"]
Fleet = Literal["github", "gitlab"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
FLEETS: tuple[Fleet, ...] = get_args(Fleet)


@dataclass(frozen=True, kw_only=True)
class RunnerKey:
    """One platform/architecture and the machine that builds it."""

    key: str
    platform: Platform
    arch: str  # as cibuildwheel spells it (Architecture.value)
    follows: str | None = None  # the key whose label it takes unless configured itself
    emulated: bool = False  # built under QEMU on the runner of ``follows``


RUNNER_KEYS: tuple[RunnerKey, ...] = (
    RunnerKey(key="linux-x86_64", platform="linux", arch="x86_64"),
    RunnerKey(key="linux-i686", platform="linux", arch="i686", follows="linux-x86_64"),
    RunnerKey(key="linux-aarch64", platform="linux", arch="aarch64"),
    RunnerKey(key="linux-ppc64le", platform="linux", arch="ppc64le", follows="linux-x86_64",
              emulated=True),
    RunnerKey(key="linux-s390x", platform="linux", arch="s390x", follows="linux-x86_64",
              emulated=True),
    RunnerKey(key="linux-riscv64", platform="linux", arch="riscv64", follows="linux-x86_64",
              emulated=True),
    RunnerKey(key="linux-armv7l", platform="linux", arch="armv7l", follows="linux-x86_64",
              emulated=True),
    RunnerKey(key="macos-x86_64", platform="macos", arch="x86_64"),
    RunnerKey(key="macos-arm64", platform="macos", arch="arm64"),
    RunnerKey(key="macos-universal2", platform="macos", arch="universal2",
              follows="macos-arm64"),
    RunnerKey(key="windows-amd64", platform="windows", arch="AMD64"),
    RunnerKey(key="windows-x86", platform="windows", arch="x86", follows="windows-amd64"),
    RunnerKey(key="windows-arm64", platform="windows", arch="ARM64"),
)
BY_KEY: Mapping[str, RunnerKey] = {r.key: r for r in RUNNER_KEYS}
_BY_ARCH: Mapping[tuple[str, str], RunnerKey] = {(r.platform, r.arch): r for r in RUNNER_KEYS}

# The labels each fleet offers today (only the keys that have a machine of their own).
DEFAULT_LABELS: Mapping[Fleet, Mapping[str, str]] = {
    "github": {
        "linux-x86_64": "ubuntu-latest",
        "linux-aarch64": "ubuntu-24.04-arm",
        "macos-x86_64": "macos-15-intel",
        "macos-arm64": "macos-latest",
        "windows-amd64": "windows-latest",
        "windows-arm64": "windows-11-arm",
    },
    # GitLab's hosted runners: no Intel macOS and no Windows on Arm; cibuildwheel builds
    # x86_64 on Apple silicon and cross-compiles ARM64 on AMD64 Windows (untested there).
    "gitlab": {
        "linux-x86_64": "saas-linux-medium-amd64",
        "linux-aarch64": "saas-linux-medium-arm64",
        "macos-x86_64": "saas-macos-medium-m1",
        "macos-arm64": "saas-macos-medium-m1",
        "windows-amd64": "saas-windows-medium-amd64",
        "windows-arm64": "saas-windows-medium-amd64",
    },
}
# Default GitHub labels that GitHub offers free only to public repositories.
PUBLIC_ONLY: Mapping[str, str] = {
    "ubuntu-24.04-arm": "linux-aarch64",
    "windows-11-arm": "windows-arm64",
}

# What cibuildwheel's arch keywords resolve to on each default machine of a platform: on a
# runner, ``auto`` means that runner's own set (cibuildwheel's Architecture.auto_archs there),
# so across a platform's runners it is the union.  aarch64 runners report no AArch32 support,
# hence no armv7l in auto32.
ARCH_KEYWORDS: Mapping[str, Mapping[Platform, tuple[str, ...]]] = {
    "auto": {"linux": ("x86_64", "i686", "aarch64"), "macos": ("x86_64", "arm64"),
             "windows": ("AMD64", "x86", "ARM64")},
    "native": {"linux": ("x86_64", "aarch64"), "macos": ("x86_64", "arm64"),
               "windows": ("AMD64", "ARM64")},
    "auto64": {"linux": ("x86_64", "aarch64"), "macos": ("x86_64", "arm64"),
               "windows": ("AMD64", "ARM64")},
    "auto32": {"linux": ("i686",), "macos": (), "windows": ("x86",)},
    "all": {p: tuple(r.arch for r in RUNNER_KEYS if r.platform == p) for p in PLATFORMS},
}


def runner_key(platform: Platform, arch: str) -> RunnerKey:
    """The runner key of a cibuildwheel architecture on ``platform``."""
    return _BY_ARCH[(platform, arch)]


@dataclass(frozen=True)
class RunnerLabels:
    """The label of every runner key, per fleet, and which were configured."""

    labels: Mapping[Fleet, Mapping[str, str]]
    configured: Mapping[Fleet, frozenset[str]]

    def label(self, key: str, fleet: Fleet = "github") -> str:
        return self.labels[fleet][key]


class UnknownRunnerKey(ValueError):
    """A configured runner key that is not one of :data:`RUNNER_KEYS`."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"unknown runner key {key!r}" + did_you_mean(key.lower(), BY_KEY))


def resolve_labels(overrides: Mapping[Fleet, Mapping[str, str]]) -> RunnerLabels:
    """The defaults with ``overrides`` (fleet -> key -> label) applied; keys are matched
    case-insensitively and an unknown key raises :class:`UnknownRunnerKey`."""
    labels: dict[Fleet, Mapping[str, str]] = {}
    configured: dict[Fleet, frozenset[str]] = {}
    for fleet in FLEETS:
        given: dict[str, str] = {}
        for raw, label in overrides.get(fleet, {}).items():
            key = raw.strip().lower()
            if key not in BY_KEY:
                raise UnknownRunnerKey(raw)
            if label.strip():
                given[key] = label.strip()
        resolved: dict[str, str] = {}
        for entry in RUNNER_KEYS:  # a key's `follows` comes earlier in the table
            if entry.key in given:
                resolved[entry.key] = given[entry.key]
            elif entry.follows is not None:
                resolved[entry.key] = resolved[entry.follows]
            else:
                resolved[entry.key] = DEFAULT_LABELS[fleet][entry.key]
        labels[fleet] = resolved
        configured[fleet] = frozenset(given)
    return RunnerLabels(labels, configured)
