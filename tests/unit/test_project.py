"""Project analysis reads files as data; nothing of the project runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action import _configfile
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


# -- files that are not what they should be ----------------------------------------------------
def test_setup_py_honours_its_coding_line(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nfrom setuptools import setup\n"
        b"setup(name='caf\xe9', version='1.0')\n")
    assert load_project(tmp_path).name == "caf\u00e9"


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (b"from setuptools import setup\nsetup(name='x'\n", 2, "was never closed"),
        (b"from setuptools import setup\n\nsetup(name='x')\x00\n", 3, "null bytes"),
        (b"print 'python 2'\n", 1, "Missing parentheses"),
    ],
)
def test_setup_py_that_is_not_python(tmp_path: Path, source: bytes, line: int,
                                     message: str) -> None:
    (tmp_path / "setup.py").write_bytes(source)
    with pytest.raises(ConfigError, match=message) as info:
        load_project(tmp_path)
    assert (info.value.line, info.value.exit_code) == (line, 2)
    assert info.value.message.startswith("setup.py is not valid Python")


def test_setup_py_nested_beyond_the_compiler(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("x = " + "1+" * 200_000 + "1\n")
    with pytest.raises(ConfigError, match="nests expressions too deeply"):
        load_project(tmp_path)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[metadata]\nname = a\n[metadata]\n", 3, "section [metadata] twice"),
        ("# comment\nname = a\n", 2, "a line before the first [section] header"),
        ("[options]\npython_requires = >=3.9\n[metadata]\n!!\n", 4, "'!!' is not KEY = VALUE"),
    ],
)
def test_malformed_setup_cfg(tmp_path: Path, text: str, line: int, message: str) -> None:
    write(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n", "setup.cfg": text})
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert message in info.value.message
    assert info.value.line == line
    assert info.value.file is not None
    assert info.value.file.endswith("setup.cfg")


def test_non_regular_pyproject_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="character device, not a file"):
        load_project(tmp_path)


# -- TOML errors at their line -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "col", "what"),
    [
        ('a = "x\\"[" # ]\nb = [\n  1,\n', 2, 5, "array"),
        ("a = 'x\\' \nb = { c = [1] , d = '''\n[", 2, 21, "multi-line literal string"),
        ('a = """ " "" \\""" """\nb = """\nc\n', 2, 5, "multi-line string"),
        ('a = 1\n\n[table', 3, 1, "table header"),
        ('a = [[1, 2],\n     [3, [4,\n', 2, 10, "array"),
    ],
)
def test_unclosed_construct_at_end_of_file(tmp_path: Path, text: str, line: int, col: int,
                                           what: str) -> None:
    write(tmp_path, {"pyproject.toml": text})
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert (info.value.line, info.value.col) == (line, col)
    assert f"the {what} that starts here is never closed" in info.value.message
    assert info.value.hint is not None
    assert info.value.hint.startswith("close it with")


def test_deep_nesting_is_an_error_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[x]\na = " + "[" * 150 + "]" * 150 + "\n"})
    assert load_project(tmp_path).name is None  # deep, but tomllib reads it
    write(tmp_path, {"pyproject.toml": "[x]\nb = 1\na = " + "[{a=" * 5000 + "}]" * 5000})
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        load_project(tmp_path)
    assert info.value.line == 3


def test_byte_order_mark_gets_its_own_hint(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"\xef\xbb\xbf[project]\nname = 'x'\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert info.value.hint is not None
    assert "byte order mark" in info.value.hint


def test_oversized_config_file_is_not_read_whole(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_configfile, "MAX_CONFIG_BYTES", 64)
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n" + "# padding\n" * 10})
    with pytest.raises(ConfigError, match="larger than"):
        load_project(tmp_path)
