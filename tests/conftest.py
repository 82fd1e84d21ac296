"""Shared test setup: keep the machine's own pip/uv configuration out of every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "tests" / "packages"

_MACHINE_VARS = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL",
                 "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "GITHUB_ACTIONS", "GITLAB_CI",
                 "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "CI_SERVER",
                 "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _MACHINE_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(("HWB_", "TWINE_", "CIBW_")) or name.endswith("_ID_TOKEN"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


@pytest.fixture
def packages() -> Path:
    """The directory of tiny test projects, one per case."""
    return PACKAGES
