"""Ordinary mistakes through the real CLI: exit 2, a message naming the file, line or value,
and never a traceback.  Each test makes the mistake a user (or a hostile tree) would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PYPROJECT = ('[build-system]\nrequires = ["setuptools>=61"]\n'
             'build-backend = "setuptools.build_meta"\n'
             '[project]\nname = "oops"\nversion = "1.0"\n')
SETUP_PY = 'from setuptools import setup\nsetup(name="oops", version="1.0")\n'


def hwb(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    # The timeout only turns a hang (a FIFO read, say) into a failure instead of a stuck run.
    return subprocess.run([sys.executable, "-m", "hwb_action", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)


def assert_usage_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert result.returncode == 2, output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


def project(tmp_path: Path, pyproject: str | None = PYPROJECT, **files: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    for name, text in files.items():
        (root / name.replace("_", ".")).write_text(text)
    return root


# -- pyproject.toml that is not a readable file ------------------------------------------------
def test_pyproject_that_is_a_directory(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY)
    (root / "pyproject.toml").mkdir()
    assert_usage_error(hwb(root, "plan"), "pyproject.toml is a directory, not a file",
                       str(root / "pyproject.toml"))


def test_pyproject_directory_alone_is_not_a_project(tmp_path: Path) -> None:
    root = project(tmp_path, None)
    (root / "pyproject.toml").mkdir()
    assert_usage_error(hwb(root, "build"), "pyproject.toml")


def test_pyproject_that_is_a_dangling_symlink(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY)
    (root / "pyproject.toml").symlink_to(tmp_path / "gone.toml")
    assert_usage_error(hwb(root, "plan"), "symbolic link to", "which does not exist")


def test_pyproject_that_is_a_symlink_loop(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY)
    (root / "pyproject.toml").symlink_to(root / "other.toml")
    (root / "other.toml").symlink_to(root / "pyproject.toml")
    assert_usage_error(hwb(root, "plan"), "pyproject.toml is a symbolic link loop")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_pyproject_that_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY)
    os.mkfifo(root / "pyproject.toml")
    assert_usage_error(hwb(root, "plan"), "pyproject.toml is a named pipe (FIFO)")
    assert_usage_error(hwb(root, "version"), "named pipe")


# -- files in the wrong encoding or with broken syntax -----------------------------------------
def test_pyproject_not_utf8_names_the_line(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_bytes(PYPROJECT.encode() + b'description = "caf\xe9"\n')
    assert_usage_error(hwb(root, "plan"), "pyproject.toml:7:", "not valid UTF-8", "0xe9")


def test_setup_cfg_not_utf8(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY)
    (root / "setup.cfg").write_bytes(b"[metadata]\nname = oops\nauthor = Jos\xe9\n")
    assert_usage_error(hwb(root, "plan"), "setup.cfg:3:", "not valid UTF-8")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("name = oops\n[metadata]\n", "setup.cfg:1:", "before the first [section] header"),
        ("[metadata]\nname = a\nname = b\n", "setup.cfg:3:", "'name' twice in section"),
        ("[metadata]\n[metadata]\n", "setup.cfg:2:", "section [metadata] twice"),
        ("[metadata]\nname = a\njunk line\n", "setup.cfg:3:", "'junk line' is not KEY"),
    ],
)
def test_malformed_setup_cfg(tmp_path: Path, text: str, where: str, message: str) -> None:
    root = project(tmp_path, None, setup_py=SETUP_PY, setup_cfg=text)
    assert_usage_error(hwb(root, "plan"), where, message)


def test_setup_py_with_a_syntax_error(tmp_path: Path) -> None:
    root = project(tmp_path, None, setup_py="from setuptools import setup\nsetup(name='x',\n")
    assert_usage_error(hwb(root, "plan"), "setup.py:2:", "not valid Python")


def test_setup_py_with_nul_bytes(tmp_path: Path) -> None:
    root = project(tmp_path, None)
    (root / "setup.py").write_bytes(b"from setuptools import setup\nsetup(\x00)\n")
    assert_usage_error(hwb(root, "build"), "setup.py:2:7:", "null bytes")


def test_deeply_nested_toml(tmp_path: Path) -> None:
    root = project(tmp_path, PYPROJECT + "[tool.x]\na = " + "[" * 100_000 + "\n")
    stderr = assert_usage_error(hwb(root, "plan"), "pyproject.toml:8:", "nested too deeply")
    assert "RecursionError" not in stderr


@pytest.mark.parametrize(
    ("tail", "line", "what"),
    [
        ('deps = [\n  "a",\n  "b",\n', 8, "the array that starts here"),
        ('matrix = [\n  ["a", "b"],\n  ["c",\n', 10, "the array that starts here"),
        ('notes = """\nfirst\nsecond\n', 8, "the multi-line string that starts here"),
        ("notes = '''\n# not a comment [\n", 8, "multi-line literal string"),
        ('x = "done" # a [ in a comment\nt = {', 9, "the inline table that starts here"),
        ('x = "a [ in a string"\n[tool.hwb', 9, "the table header that starts here"),
    ],
)
def test_toml_left_open_names_where_it_starts(tmp_path: Path, tail: str, line: int,
                                              what: str) -> None:
    root = project(tmp_path, PYPROJECT + "[tool.x]\n" + tail)
    assert_usage_error(hwb(root, "plan"), f"pyproject.toml:{line}:", what, "never closed")


# -- values hwb refuses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "env", "shown"),
    [
        (("build", "-j", "-1"), {}, "--jobs: must be 0 or more, not -1"),
        (("build",), {"HWB_JOBS": "-1"}, "HWB_JOBS: must be 0 or more, not -1"),
        (("publish", "-j", "-1"), {}, "--jobs: must be 0 or more, not -1"),
        (("publish",), {"HWB_JOBS": "-3"}, "HWB_JOBS: must be 0 or more, not -3"),
    ],
)
def test_negative_jobs(tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
                       shown: str) -> None:
    root = project(tmp_path)
    assert_usage_error(hwb(root, *args, env=env), shown)
    assert not (root / "dist").exists()


@pytest.mark.parametrize("command", ["build", "publish"])
def test_negative_jobs_in_pyproject(tmp_path: Path, command: str) -> None:
    root = project(tmp_path, PYPROJECT + "[tool.hwb]\njobs = -1\n")
    assert_usage_error(hwb(root, command), "pyproject.toml:8:", "[tool.hwb] jobs:",
                       "must be 0 or more")


@pytest.mark.parametrize(
    ("command", "args", "env", "shown"),
    [
        ("build", ("-o", "dist\nevil"), {}, "--out-dir: must be one line"),
        ("build", (), {"HWB_OUT_DIR": "dist\n"}, "HWB_OUT_DIR: must be one line"),
        ("build", ("--cache-dir", "c\rd"), {}, "--cache-dir: must be one line"),
        ("build", ("--target", "pure\n"), {}, "--target: must be one line"),
        ("publish", ("--repository", "https://i.example/\nx"), {}, "--repository: must be"),
        ("publish", (), {"HWB_INDEX_URL": "https://i.example/simple\n"}, "HWB_INDEX_URL"),
        ("publish", ("--endpoint-url", "http://127.0.0.1:9\n"), {}, "--endpoint-url"),
        ("version", ("--tag-format", "v{version}\n::warning::x"), {}, "--tag-format"),
        ("version", ("--remote", "origin\x1b[31m"), {}, "--remote: must not hold control"),
    ],
)
def test_values_with_line_breaks_are_refused(tmp_path: Path, command: str,
                                             args: tuple[str, ...], env: dict[str, str],
                                             shown: str) -> None:
    root = project(tmp_path)
    assert_usage_error(hwb(root, command, *args, env=env), shown)
    assert not (root / "dist").exists()


def test_line_break_in_pyproject_value_names_the_key(tmp_path: Path) -> None:
    root = project(tmp_path, PYPROJECT + '[tool.hwb]\ntag-format = """v{version}\nx"""\n')
    assert_usage_error(hwb(root, "version"), "pyproject.toml:8:", "[tool.hwb] tag-format:",
                       "must be one line")


def test_secret_with_a_line_break_is_not_shown(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = hwb(root, "publish", env={"HWB_TOKEN": "pypi-SECRETVALUE\n"})
    stderr = assert_usage_error(result, "HWB_TOKEN: must be one line")
    assert "SECRETVALUE" not in stderr + result.stdout


# -- [tool.cibuildwheel] and [tool.hwb] shapes -------------------------------------------------
@pytest.mark.parametrize(
    ("table", "shown"),
    [
        ("[tool.cibuildwheel]\ntest-command = 3\n", "[tool.cibuildwheel] test-command must be"),
        ("[tool.cibuildwheel]\nenvironment = 5\n", "[tool.cibuildwheel] environment must be"),
        ("[tool.cibuildwheel]\nskip = { a = 1 }\n", "[tool.cibuildwheel] skip must be"),
        ('[tool.cibuildwheel]\nenvironment = "A=\'x"\n', "cannot split"),
        ("[tool.cibuildwheel]\ntest-requires = [1]\n", "test-requires must be"),
    ],
)
def test_cibuildwheel_keys_with_wrong_types(tmp_path: Path, table: str, shown: str) -> None:
    root = project(tmp_path, PYPROJECT + table)
    assert_usage_error(hwb(root, "build"), "pyproject.toml:8:", shown)


def test_cibuildwheel_forms_are_accepted(tmp_path: Path) -> None:
    root = project(tmp_path, PYPROJECT + (
        '[tool.cibuildwheel]\ntest-command = ["python -c 1", "python -c 2"]\n'
        'before-build = ["echo a", "echo b"]\nenvironment = "A=1 B=\'two words\'"\n'
        'test-requires = "pytest>=7,<9 rich"\n'))
    result = hwb(root, "plan", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("table", "shown"),
    [
        ('[tool.hwb]\nisolation = "contaner"\n', "(did you mean 'container'?)"),
        ('[tool.hwb]\nisolation = "UV"\n', "(did you mean 'uv'?)"),
        ('[tool.hwb]\nout_dir = "d"\n', "unknown key 'out_dir' in [tool.hwb] (did you mean"),
        ('[tool.hwb.enviroment]\nA = "1"\n', "[tool.hwb.enviroment] (did you mean 'environ"),
        ('[tool.hwb.publish]\nrepository = "x"\n', "hwb has no per-command tables"),
        ('[tool.hwb.linux]\narchs = ["x86_64"]\n', "hwb has no per-platform tables"),
    ],
)
def test_misspellings_get_a_suggestion(tmp_path: Path, table: str, shown: str) -> None:
    root = project(tmp_path, PYPROJECT + table)
    assert_usage_error(hwb(root, "build"), "pyproject.toml:", shown)
