"""The files hwb writes next to the distributions: ``SHA256SUMS`` and the manifest.

Each is written whole to a temporary file and renamed over the target, so that a reader
(or an interrupted run) never sees half a file.  :mod:`hwb_action.artifacts` re-exports
these.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hwb_action.artifacts import Artifact

CHECKSUMS_NAME = "SHA256SUMS"
MANIFEST_NAME = "hwb-manifest.json"


def write_checksums(directory: Path, artifacts: Sequence[Artifact]) -> Path:
    """Write ``SHA256SUMS`` (``sha256sum -c`` format) for ``artifacts`` into ``directory``."""
    lines = [f"{a.sha256}  {a.filename}\n" for a in sorted(artifacts, key=lambda a: a.filename)]
    return _write_atomic(Path(directory) / CHECKSUMS_NAME, "".join(lines))


def write_manifest(
    directory: Path, artifacts: Sequence[Artifact], extra: Mapping[str, object] | None = None
) -> Path:
    """Write ``hwb-manifest.json``: ``extra`` plus ``{"artifacts": [...]}``."""
    document: dict[str, object] = dict(extra or {})
    document["artifacts"] = [a.to_json() for a in artifacts]
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    return _write_atomic(Path(directory) / MANIFEST_NAME, text)


def _write_atomic(target: Path, text: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
