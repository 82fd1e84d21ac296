"""The plan's data: one :class:`BuildTarget` per identifier, grouped into matrix cells."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from hwb_action.plan.runners import ARCH_KEYWORDS, Fleet, Platform, RunnerLabels, resolve_labels

Implementation = Literal["cpython", "pypy", "graalpy", "any"]
Libc = Literal["manylinux", "musllinux", ""]
MatrixMode = Literal["runner", "target"]
MATRIX_MODES: tuple[MatrixMode, ...] = get_args(MatrixMode)
# The target of a binary project's sdist cell: `hwb build --target sdist` builds the sdist
# alone (wheel cells build a private sdist for cibuildwheel and ship only wheels).
SDIST_TARGET = "sdist"


@dataclass(frozen=True, kw_only=True)
class BuildTarget:
    """One cibuildwheel identifier of the plan (or the pure wheel) and where it builds."""

    python: str  # as actions/setup-python takes it: "3.12", "3.14t", "pypy3.11"
    version: str  # the language version: "3.12"
    platform: Platform
    arch: str  # cibuildwheel's spelling: x86_64, AMD64, x86, universal2, ...
    identifier: str  # cibuildwheel's build identifier, or "pure"
    runner: str  # the GitHub runner label
    runner_key: str = "linux-x86_64"  # see hwb_action.plan.runners
    artifact_name: str
    implementation: Implementation = "cpython"
    free_threaded: bool = False
    abi3: bool = False
    libc: Libc = ""
    emulated: bool = False

    @property
    def is_pure(self) -> bool:
        return self.identifier == "pure"


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One job of the matrix: the identifiers it builds and the runner it needs."""

    runner: str
    python: str
    platform: Platform
    arch: str  # comma-joined when the cell builds several architectures (CIBW_ARCHS form)
    target: str  # what `hwb build --target` takes: the identifiers, comma-joined
    identifiers: tuple[str, ...]
    artifact_name: str
    emulated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Exactly the keys of the matrix contract."""
        return {"runner": self.runner, "python": self.python, "platform": self.platform,
                "arch": self.arch, "target": self.target, "identifiers": list(self.identifiers),
                "artifact-name": self.artifact_name}


def _default_labels() -> RunnerLabels:
    return resolve_labels({})


@dataclass(frozen=True)
class Plan:
    """The identifiers to build in a stable order, how they group into cells, and notes
    for people (why a choice was made)."""

    targets: tuple[BuildTarget, ...]
    notes: tuple[str, ...] = ()
    mode: MatrixMode = "runner"
    labels: RunnerLabels = field(default_factory=_default_labels)
    # The architectures each platform was planned for (cibuildwheel's spelling).
    archs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def identifiers(self) -> list[str]:
        return [t.identifier for t in self.targets]

    def lookup(self, target: str) -> tuple[list[BuildTarget], list[str]]:
        """What ``hwb build --target`` names: a cell's ``target`` (identifiers joined by
        commas or spaces, as cells and ``HWB_CELL_IDENTIFIERS`` carry them) or one
        identifier.  Returns the plan's targets in that order and the names not in the plan.
        """
        by_id = {t.identifier: t for t in self.targets}
        found: list[BuildTarget] = []
        unknown: list[str] = []
        for name in dict.fromkeys(target.replace(",", " ").split()):
            if name in by_id:
                found.append(by_id[name])
            else:
                unknown.append(name)
        return found, unknown

    def cells(self, fleet: Fleet = "github") -> list[Cell]:
        """The matrix cells for ``fleet``'s runner labels.

        ``runner`` mode: one cell per runner label and platform (QEMU-emulated architectures
        apart, they are slow), cibuildwheel building all of its identifiers in one job;
        ``target`` mode: one cell per identifier.  A binary project's matrix ends with the
        sdist cell (:meth:`sdist_cell`), so that plan -> build -> publish ships the sdist;
        a pure project's one cell builds the sdist and the wheel from it.
        """
        if not self.targets or any(t.is_pure for t in self.targets):
            return self._per_target(fleet)
        if self.mode == "target":
            return [*self._per_target(fleet), self.sdist_cell(fleet)]
        return [*self._per_runner(fleet), self.sdist_cell(fleet)]

    def sdist_cell(self, fleet: Fleet = "github") -> Cell:
        """The cell that builds the sdist: the Linux x86_64 runner, the newest stable
        CPython among the plan's (hwb's minimum at least)."""
        return Cell(runner=self.labels.label("linux-x86_64", fleet),
                    python=_job_python(list(self.targets)), platform="linux", arch="x86_64",
                    target=SDIST_TARGET, identifiers=(SDIST_TARGET,),
                    artifact_name="dist-sdist")

    def _per_target(self, fleet: Fleet) -> list[Cell]:
        return [Cell(runner=self.labels.label(t.runner_key, fleet), python=t.python,
                     platform=t.platform, arch=t.arch, target=t.identifier,
                     identifiers=(t.identifier,), artifact_name=t.artifact_name,
                     emulated=t.emulated) for t in self.targets]

    def _per_runner(self, fleet: Fleet) -> list[Cell]:
        groups: dict[tuple[str, Platform, bool], list[BuildTarget]] = {}
        for t in self.targets:
            key = (self.labels.label(t.runner_key, fleet), t.platform, t.emulated)
            groups.setdefault(key, []).append(t)
        cells = []
        for (label, platform, emulated), members in groups.items():
            order = ARCH_KEYWORDS["all"][platform]
            archs = sorted(dict.fromkeys(t.arch for t in members), key=order.index)
            ids = tuple(t.identifier for t in members)
            cells.append(Cell(
                runner=label, python=_job_python(members), platform=platform,
                arch=",".join(archs), target=",".join(ids), identifiers=ids,
                artifact_name="dist-" + "-".join([platform, *archs]), emulated=emulated))
        return cells

    def matrix(self, fleet: Fleet = "github") -> dict[str, list[dict[str, Any]]]:
        """``{"include": [...]}``, valid as a GitHub ``strategy.matrix``."""
        return {"include": [c.to_dict() for c in self.cells(fleet)]}


# hwb itself runs on this CPython or newer.
HWB_MIN_PYTHON = (3, 11)


def _job_python(members: list[BuildTarget]) -> str:
    """The Python a multi-identifier job sets up to run hwb: the newest stable CPython
    among its identifiers, at least the one hwb needs (cibuildwheel brings its own
    interpreters for the identifiers)."""
    stable = [tuple(int(p) for p in t.version.split(".")) for t in members
              if t.implementation == "cpython" and not t.free_threaded]
    major, minor = max([*stable, HWB_MIN_PYTHON])
    return f"{major}.{minor}"
