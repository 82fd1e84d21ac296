"""Project analysis reads files as data; nothing of the project runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.errors import ConfigError, UsageError
from hwb_action.project import LEGACY_BACKEND, load_project
from tests.conftest import PACKAGES


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("package", "backend_name", "pure"),
    [
        ("hatch_pkg", "hatchling", True),
        ("flit_pkg", "flit-core", True),
        ("pdm_pkg", "pdm-backend", True),
        ("st_pyproject", "setuptools", True),
        ("legacy_setup_py", "setuptools", True),
        ("cext_setuptools", "setuptools", False),
    ],
)
def test_fixture_projects(package: str, backend_name: str, pure: bool) -> None:
    project = load_project(PACKAGES / package)
    assert project.backend_name == backend_name
    assert project.is_pure is pure
    assert bool(project.binary_reasons) is not pure


def test_legacy_setup_py_is_read_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write(tmp_path, {"setup.py": (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('x')\n"
        "from setuptools import setup\n"
        "setup(name='legacy', version='1.0', python_requires='>=3.9',\n"
        "      classifiers=['Programming Language :: Python :: 3.12'])\n")})
    project = load_project(tmp_path)
    assert not marker.exists()
    assert project.build_system.backend == LEGACY_BACKEND
    assert project.build_system.declared is False
    assert (project.name, project.version, project.requires_python) == ("legacy", "1.0", ">=3.9")
    assert project.classifiers == ("Programming Language :: Python :: 3.12",)


def test_setup_cfg_metadata(tmp_path: Path) -> None:
    write(tmp_path, {
        "setup.cfg": "[metadata]\nname = cfgpkg\nversion = 2.1\nclassifiers =\n"
                     "    Programming Language :: Python :: 3.11\n"
                     "[options]\npython_requires = >=3.10\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
    })
    project = load_project(tmp_path)
    assert (project.name, project.version, project.requires_python) == (
        "cfgpkg", "2.1", ">=3.10")
    assert project.classifiers == ("Programming Language :: Python :: 3.11",)


def test_dynamic_version_is_none(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
        'build-backend = "hatchling.build"\n'
        '[project]\nname = "dyn"\ndynamic = ["version"]\n')})
    project = load_project(tmp_path)
    assert project.version is None
    assert project.dynamic == ("version",)


@pytest.mark.parametrize(
    ("backend", "requires", "reason"),
    [
        ("maturin", '"maturin>=1,<2"', "maturin"),
        ("scikit_build_core.build", '"scikit-build-core"', "scikit-build-core"),
        ("mesonpy", '"meson-python"', "meson-python"),
        ("setuptools.build_meta", '"setuptools", "Cython"', "Cython"),
    ],
)
def test_binary_backends(tmp_path: Path, backend: str, requires: str, reason: str) -> None:
    write(tmp_path, {"pyproject.toml": (
        f'[build-system]\nrequires = [{requires}]\nbuild-backend = "{backend}"\n'
        '[project]\nname = "b"\nversion = "1"\n')})
    project = load_project(tmp_path)
    assert not project.is_pure
    assert any(reason in r for r in project.binary_reasons)


def test_abi3_from_setup_py(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": (
        "from setuptools import Extension, setup\n"
        "setup(name='a3', version='1', ext_modules=[Extension('a3._m', ['m.c'], "
        "py_limited_api=True)],\n      options={'bdist_wheel': {'py_limited_api': 'cp39'}})\n")})
    project = load_project(tmp_path)
    assert not project.is_pure
    assert project.abi3


def test_abi3_from_scikit_build_core(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": (
        '[build-system]\nrequires = ["scikit-build-core"]\n'
        'build-backend = "scikit_build_core.build"\n[project]\nname = "s"\nversion = "1"\n'
        '[tool.scikit-build]\nwheel.py-api = "cp312"\n')})
    assert load_project(tmp_path).abi3


def test_build_system_typo_has_line_and_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(PACKAGES / "bad_backend_typo")
    err = info.value
    assert err.line == 3
    assert "did you mean 'build-backend'" in err.message
    assert err.file is not None
    assert err.file.endswith("pyproject.toml")


def test_malformed_toml_has_line_and_column() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(PACKAGES / "bad_toml")
    assert info.value.line == 8
    assert info.value.col is not None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[build-system]\nbuild-backend = "x"\n', "has no 'requires'"),
        ('[build-system]\nrequires = "setuptools"\n', "array of strings"),
        ('[build-system]\nrequires = ["setup tools !!"]\n', "not a valid requirement"),
        ('[build-system]\nrequires = []\nbuild-backend = "not a module"\n', "not a module path"),
        ('[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["../x"]\n',
         "outside the project"),
        ('[build-system]\nrequires = []\n[project]\nname = "x"\nrequires-python = "3.9+"\n',
         "not a valid version specifier"),
    ],
)
def test_bad_build_system(tmp_path: Path, table: str, message: str) -> None:
    write(tmp_path, {"pyproject.toml": table})
    with pytest.raises(ConfigError, match=message) as info:
        load_project(tmp_path)
    assert info.value.exit_code == 2
    assert info.value.line is not None


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a Python project"):
        load_project(tmp_path)
