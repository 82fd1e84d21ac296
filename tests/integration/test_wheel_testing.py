"""test-command against a built wheel, in a fresh environment of its interpreter."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hwb_action.builder.testing import render_command
from hwb_action.builder.testing import test_wheel as run_wheel_test
from hwb_action.ci import NullReporter
from hwb_action.errors import BuildError
from tests.wheels_support import build_raw_wheel

PACKAGE = Path(__file__).resolve().parent.parent / "packages" / "cext_bz2"

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX shell commands")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_raw_wheel(PACKAGE, tmp_path_factory.mktemp("wheel"))


def test_passing_test_command_runs_against_the_installed_wheel(
        wheel: Path, tmp_path: Path) -> None:
    reporter = NullReporter()
    # The command proves it runs in the test environment, not in hwb's: the wheel is
    # imported from that environment's site-packages, and test-requires are installed.
    command = ("python {project}/tests/check.py && python -c \"import cext_bz2, sys; "
               "assert sys.prefix != sys.base_prefix; assert sys.prefix in cext_bz2.__file__; "
               "import hwb_testreq; print('prefix', sys.prefix)\"")
    run_wheel_test(wheel, Path(sys.executable), test_command=command,
                   test_requires=[str(_tiny_requirement(tmp_path))], project_dir=PACKAGE,
                   reporter=reporter, environ=os.environ, prefix="[cp-test] ")
    lines = [ln for ln in reporter.lines if ln.startswith("[cp-test] ")]
    assert any(ln.startswith("[cp-test] cext_bz2 ok: 1.0") for ln in lines), lines
    prefix = next(ln for ln in lines if ln.startswith("[cp-test] prefix "))
    assert prefix.split()[-1] != sys.prefix


def test_failing_test_command_fails_and_names_the_wheel(wheel: Path, tmp_path: Path) -> None:
    reporter = NullReporter()
    with pytest.raises(BuildError) as info:
        run_wheel_test(wheel, Path(sys.executable),
                       test_command="python -c \"import cext_bz2; print('checking'); "
                                    "raise SystemExit(3)\"",
                       test_requires=[], project_dir=PACKAGE, reporter=reporter,
                       environ=os.environ)
    err = info.value
    assert err.message.startswith(f"test-command failed for {wheel.name} (exit code 3)")
    assert "checking" in err.details


def test_uninstallable_requirement_is_a_build_error(wheel: Path) -> None:
    with pytest.raises(BuildError, match=f"could not install {wheel.name}"):
        run_wheel_test(wheel, Path(sys.executable), test_command="true",
                       test_requires=["/nonexistent/dir/nothing-here"], project_dir=PACKAGE,
                       reporter=NullReporter(), environ=os.environ)


def test_empty_command_does_nothing(wheel: Path) -> None:
    reporter = NullReporter(verbose=True)
    run_wheel_test(wheel, Path("/nonexistent/python"), test_command="  ", test_requires=[],
                   project_dir=PACKAGE, reporter=reporter, environ=os.environ)
    assert reporter.lines == []


def test_placeholders_are_quoted() -> None:
    rendered = render_command("pytest {project}/tests --pkg={package}",
                              project_dir=Path("/a b/p"), package_dir=Path("/c"),
                              windows=False)
    assert rendered == "pytest '/a b/p'/tests --pkg=/c"
    rendered = render_command("pytest {project}", project_dir=Path("C:/a b"),
                              package_dir=Path("C:/a b"), windows=True)
    assert rendered == 'pytest "C:/a b"'


def _tiny_requirement(tmp_path: Path) -> Path:
    """A local wheel (no network needed) standing in for a test requirement."""
    import zipfile

    whl = tmp_path / "hwb_testreq-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("hwb_testreq/__init__.py", "")
        zf.writestr("hwb_testreq-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: hwb-testreq\nVersion: 1.0\n")
        zf.writestr("hwb_testreq-1.0.dist-info/WHEEL",
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                    "Tag: py3-none-any\n")
        zf.writestr("hwb_testreq-1.0.dist-info/RECORD", "")
    return whl
