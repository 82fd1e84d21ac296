"""abi3 declarations read from project files as data (the plan's use: tests/unit/test_plan.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hwb_action.abi3 import detect_abi3

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def tool_of(root: Path) -> dict[str, object]:
    path = root / "pyproject.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


@pytest.mark.parametrize(("package", "minimum", "file"), [
    ("plan_abi3_setup_cfg", "3.10", "setup.cfg"),
    ("plan_abi3_setup_py", "3.11", "setup.py"),
    ("plan_abi3_distutils", "3.11", "pyproject.toml"),
    ("plan_abi3_skbuild", "3.12", "pyproject.toml"),
    ("plan_abi3_meson", "3.10", "pyproject.toml"),
    ("plan_abi3_maturin", "3.9", "Cargo.toml"),
])
def test_declarations(package: str, minimum: str, file: str) -> None:
    root = PACKAGES / package
    found = detect_abi3(root, tool_of(root))
    assert found is not None
    assert (found.minimum, Path(found.file).name) == (minimum, file)


@pytest.mark.parametrize("package", ["cext_bz2", "plan_tables", "plan_setup_py"])
def test_no_declaration(package: str) -> None:
    root = PACKAGES / package
    assert detect_abi3(root, tool_of(root)) is None


def test_forms_and_opt_outs(tmp_path: Path) -> None:
    # setup.py: options={"bdist_wheel": {"py_limited_api": "cp39"}} tags the wheel
    (tmp_path / "setup.py").write_text(
        'from setuptools import setup\nsetup(options={"bdist_wheel": {"py_limited_api": '
        '"cp39"}})\n')
    found = detect_abi3(tmp_path, {})
    assert found is not None and found.minimum == "3.9"
    # Extension(py_limited_api=True) with no version anywhere: requires-python decides
    (tmp_path / "setup.py").write_text(
        'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("m", ["m.c"], '
        'py_limited_api=True)])\n')
    found = detect_abi3(tmp_path, {})
    assert found is not None and found.minimum is None
    (tmp_path / "setup.py").unlink()
    # meson-python with the limited API switched off in meson's own option
    meson = {"meson-python": {"limited-api": True,
                              "args": {"setup": ["-Dpython.allow_limited_api=false"]}}}
    assert detect_abi3(tmp_path, meson) is None
    assert detect_abi3(tmp_path, {"meson-python": {"limited-api": False}}) is None
    # scikit-build-core py-api "py3" is a pure tag, not abi3
    assert detect_abi3(tmp_path, {"scikit-build": {"wheel": {"py-api": "py3"}}}) is None
    # maturin: the feature in [tool.maturin], or pyo3 as a [dependencies.pyo3] table
    found = detect_abi3(tmp_path, {"maturin": {"features": ["pyo3/abi3-py310"]}})
    assert found is not None and found.minimum == "3.10"
    (tmp_path / "rust").mkdir()
    (tmp_path / "rust" / "Cargo.toml").write_text(
        '[package]\nname = "x"\nversion = "1.0.0"\n\n[dependencies.pyo3]\nversion = "0.23"\n'
        'features = ["abi3"]\n')
    found = detect_abi3(tmp_path, {"maturin": {"manifest-path": "rust/Cargo.toml"}})
    assert found is not None and found.minimum is None
    assert detect_abi3(tmp_path, {}) is None
