"""The end of a build: check every staged file, move them into the output directory and write
``SHA256SUMS``, under the output directory's lock.

Two builds into one directory never leave a sum that is not the file on disk: the move and
the sums happen under :func:`~hwb_action.builder.output.out_dir_lock`, and every file is
hashed again where it landed.  When ``SHA256SUMS`` cannot be written (a full disk, a
read-only directory) the files this build moved in are removed again, so that no artifact
stands there without its sum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hwb_action.builder.output import out_dir_lock
from hwb_action.ci import Reporter
from hwb_action.errors import BuildError, CheckError

if TYPE_CHECKING:
    from hwb_action.artifacts import Artifact


def check_all(paths: Sequence[Path], reporter: Reporter, *,
              readme_cache: Path | None = None) -> list[Artifact]:
    """Check every staged file; one CheckError listing every problem.  ``readme_cache``
    keeps README verdicts across runs (``hwb check``'s): rendering an rst long description
    is most of a check's time, and it rarely changes between builds."""
    from hwb_action.artifacts import inspect_artifact

    artifacts: list[Artifact] = []
    problems: list[str] = []
    for path in paths:
        result = inspect_artifact(path, readme_cache=readme_cache)
        artifact = result.artifact
        if artifact is None:
            count = len(result.problems)
            problems.append(f"{path.name} failed {count} check{'s' if count != 1 else ''}")
            problems.extend("  " + d for d in result.problems)
        else:
            artifacts.append(artifact)
            for warning in artifact.warnings:
                reporter.warning(warning.removeprefix(f"{path.name}: "), file=path.name)
    if problems:
        msg = "built distributions failed their checks"
        raise CheckError(msg, details=problems,
                         hint="the backend produced a broken distribution; see the problems above")
    return artifacts


def finalize(out_dir: Path, artifacts: Sequence[Artifact]) -> tuple[list[Artifact], Path]:
    """Move checked ``artifacts`` (staged inside ``out_dir``) into it and write
    ``SHA256SUMS`` for every distribution there; returns the moved artifacts and the sums."""
    with out_dir_lock(out_dir):
        placed: list[Artifact] = []
        try:
            for artifact in artifacts:
                target = out_dir / artifact.path.name
                artifact.path.replace(target)
                placed.append(replace(artifact, path=target))
                _same_bytes(placed[-1])
            checksums = _write_checksums(out_dir, placed)
        except BaseException:
            for artifact in placed:
                artifact.path.unlink(missing_ok=True)
            raise
    return placed, checksums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_bytes(artifact: Artifact) -> None:
    """Hash a moved file where it landed: what SHA256SUMS says is what is on disk."""
    if _sha256(artifact.path) != artifact.sha256:
        msg = f"{artifact.filename} changed while it was moved into {artifact.path.parent}"
        raise BuildError(msg, hint="something other than hwb writes into the output "
                         "directory at the same time; build into a directory of its own")


def _write_checksums(out_dir: Path, fresh: Sequence[Artifact]) -> Path:
    from hwb_action.artifacts import write_checksums

    try:
        return write_checksums(out_dir, [*fresh, *_others(out_dir, fresh)])
    except OSError as err:
        msg = (f"cannot write SHA256SUMS in {out_dir}: {err.strerror or err}; the files of "
               "this build were removed again")
        raise BuildError(msg, hint="free some space or make the output directory writable, "
                         "then build again") from err


def _others(out_dir: Path, fresh: Sequence[Artifact]) -> list[Artifact]:
    """Distributions already in ``out_dir`` (e.g. from other jobs), hashed now."""
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
    return others
