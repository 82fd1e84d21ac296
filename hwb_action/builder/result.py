"""The result of ``hwb build`` as data, and how it is reported."""

from __future__ import annotations

import email.parser
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwb_action.artifacts import Artifact
    from hwb_action.ci import Reporter
    from hwb_action.project import Project
    from hwb_action.source import ResolvedSource


@dataclass(frozen=True, kw_only=True)
class WheelInfo:
    """The record of one built wheel, made where the wheel is made and updated (with
    :func:`dataclasses.replace`) as it is repaired, tested and moved: ``path`` is where the
    wheel is now."""

    path: Path
    python: str
    repaired: bool = False
    tag: str | None = None
    vendored: tuple[str, ...] = ()
    tested: bool = False
    # The cibuildwheel identifiers of the cell this wheel installs on (several for an
    # abi3 wheel, which cibuildwheel builds once); empty for a host build.
    identifiers: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    """The result of ``hwb build`` as data (``to_json`` is the ``--json`` contract)."""

    artifacts: tuple[Artifact, ...]
    out_dir: Path
    checksums: Path
    project: Project
    source: ResolvedSource
    seconds: float
    wheels: tuple[WheelInfo, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def sdist(self) -> Artifact | None:
        return next((a for a in self.artifacts if a.kind == "sdist"), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "artifacts": [a.to_json() for a in self.artifacts],
            "out_dir": str(self.out_dir),
            "checksums": str(self.checksums),
            "project": {
                "name": self.project.name, "version": self.artifacts[0].version
                if self.artifacts else self.project.version,
                "backend": self.project.build_system.backend,
                "pure": self.project.is_pure,
            },
            "source": {"kind": self.source.kind, "spec": self.source.spec,
                       "commit": self.source.commit, "ref": self.source.ref},
            "wheels": [
                {"filename": w.filename, "python": w.python, "repaired": w.repaired,
                 "tag": w.tag, "vendored": list(w.vendored), "tested": w.tested,
                 "identifiers": list(w.identifiers)}
                for w in self.wheels
            ],
            "seconds": round(self.seconds, 3),
        }


LINE_WIDTH = 100


def artifact_line(artifact: Artifact, width: int = LINE_WIDTH) -> str:
    """One built file for people, in ``width`` columns when the file name allows: the tags
    are abbreviated first (the first and a count), then left out (the file name carries
    them), then the sha256 prefix shortens and goes (``--json`` and ``SHA256SUMS`` have
    everything)."""
    from hwb_action._text import human_size

    tags = list(artifact.tags)
    tag_forms = [f"  [{', '.join(tags) if tags else '-'}]"]
    if len(tags) > 1:
        tag_forms.append(f"  [{tags[0]} +{len(tags) - 1}]")
    tag_forms.append("")
    size = f"  {human_size(artifact.size)}"
    head = f"  {artifact.filename}"
    choices = [head + t + size + f"  sha256:{artifact.sha256[:16]}" for t in tag_forms]
    choices += [head + size + f"  sha256:{artifact.sha256[:8]}", head + size]
    return next((line for line in choices if len(line) <= width), choices[-1])


def report_result(result: BuildResult, reporter: Reporter) -> None:
    """Tell people what was built (the command layer sets the CI outputs and summary)."""
    for a in result.artifacts:
        reporter.info(artifact_line(a))
    reporter.result(f"{len(result.artifacts)} artifact(s) in {result.out_dir}, checked, "
                  f"in {result.seconds:.2f}s")


def outputs(result: BuildResult) -> dict[str, str]:
    """The CI outputs of a build: ``artifacts`` (JSON), ``wheels``, ``sdist``, ``dist`` (the
    directory), ``name`` and ``version`` (of what was built, from its metadata) and
    ``supported-python-classifiers-json`` (a JSON list of Python versions, for a test
    matrix)."""
    first = result.artifacts[0] if result.artifacts else None
    return {
        "artifacts": json.dumps([a.to_json() for a in result.artifacts]),
        "wheels": " ".join(str(a.path) for a in result.artifacts if a.kind == "wheel"),
        "sdist": str(result.sdist.path) if result.sdist else "",
        "dist": str(result.out_dir),
        "name": first.name if first else (result.project.name or ""),
        "version": first.version if first else (result.project.version or ""),
        "supported-python-classifiers-json": json.dumps(python_classifier_versions(result)),
    }


_PYTHON_CLASSIFIER = re.compile(r"Programming Language :: Python :: (\d+\.\d+)")


def python_classifier_versions(result: BuildResult) -> list[str]:
    """The ``X.Y`` of each ``Programming Language :: Python :: X.Y`` classifier, in version
    order: from the built files' metadata (classifiers may be dynamic), else the project's."""
    found: set[str] = set()
    for art in result.artifacts:
        message = email.parser.BytesParser().parsebytes(art.metadata, headersonly=True)
        found.update(str(c).strip() for c in message.get_all("Classifier") or ())
    if not result.artifacts:
        found.update(result.project.classifiers)
    versions = {m.group(1) for c in found if (m := _PYTHON_CLASSIFIER.fullmatch(c))}
    return sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def summary(result: BuildResult) -> str:
    """The job summary of a build: a table of the artifacts."""
    from hwb_action.artifacts import artifacts_table

    return "### Built distributions\n\n" + artifacts_table(result.artifacts)
