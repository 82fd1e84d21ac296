"""Shared test setup: keep the machine's own pip/uv/CI configuration out of every test."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.cli_support import is_machine_variable

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "tests" / "packages"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same policy as hwb's subprocesses get (tests/cli_support.py), for in-process tests.
    for name in list(os.environ):
        if is_machine_variable(name):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


@pytest.fixture
def packages() -> Path:
    """The directory of tiny test projects, one per case."""
    return PACKAGES


# Read once: the tests themselves run with every HWB_* variable removed.
_NO_SKIP = os.environ.get("HWB_TESTS_NO_SKIP") == "1"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI (HWB_TESTS_NO_SKIP=1, set by .ci/run) a skipped test is a failed one: CI
    installs every engine and server the tests need, so nothing may quietly not run."""
    report = yield
    if report.skipped and _NO_SKIP and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {report.longrepr}"
    return report
