"""Where PEP 740 attestations live beside distributions, and what a publish attestation is.

Kept apart from :mod:`hwb_action.publish` so that ``hwb check --verify-attestations`` reads
attestations without importing the upload stack (twine, requests)."""

from __future__ import annotations

from pathlib import Path

PUBLISH_PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
SUFFIX = ".publish.attestation"


def premade_path(path: Path) -> Path:
    """Where a pre-made attestation for ``path`` sits: ``DIST.publish.attestation``."""
    return path.with_name(path.name + SUFFIX)
