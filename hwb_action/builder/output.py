"""The output directory: built files wait in a staging directory inside it and move in only
after every check passed, so that a failed or interrupted build leaves nothing half-written."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hwb_action.ci import Reporter
from hwb_action.errors import CheckError

if TYPE_CHECKING:
    from hwb_action.artifacts import Artifact


@contextlib.contextmanager
def staging_dir(out_dir: Path) -> Iterator[Path]:
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hwb-staging-", dir=out_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            # A failed first build leaves no empty dist/ behind (rmdir fails if not empty).
            with contextlib.suppress(OSError):
                out_dir.rmdir()


def move_into(out_dir: Path, files: Sequence[Path]) -> list[Path]:
    placed = []
    for path in files:
        target = out_dir / path.name
        os.replace(path, target)
        placed.append(target)
    return placed


def check_all(paths: Sequence[Path], reporter: Reporter) -> list[Artifact]:
    from hwb_action.artifacts import check_artifact

    artifacts: list[Artifact] = []
    problems: list[str] = []
    for path in paths:
        try:
            artifact = check_artifact(path)
        except CheckError as err:
            problems.append(err.message)
            problems.extend("  " + d for d in err.details)
        else:
            artifacts.append(artifact)
            for warning in artifact.warnings:
                reporter.warning(warning)
    if problems:
        msg = "built distributions failed their checks"
        raise CheckError(msg, details=problems,
                         hint="the backend produced a broken distribution; see the problems above")
    return artifacts


def write_all_checksums(out_dir: Path, artifacts: Sequence[Artifact]) -> Path:
    from hwb_action.artifacts import write_checksums

    return write_checksums(out_dir, _all_dists(out_dir, artifacts))


def relocate(artifact: Artifact, path: Path) -> Artifact:
    from dataclasses import replace

    return replace(artifact, path=path)


def _all_dists(out_dir: Path, fresh: Sequence[Artifact]) -> list[Artifact]:
    """This build's artifacts plus dists already in ``out_dir`` (e.g. from other jobs)."""
    from hwb_action.artifacts import check_artifact, find_dists

    known = {a.filename for a in fresh}
    others: list[Artifact] = []
    for path in find_dists(out_dir):
        if path.name in known:
            continue
        try:
            others.append(check_artifact(path))
        except CheckError:
            continue
    return [*fresh, *others]
