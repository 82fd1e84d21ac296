"""What scripts/generate.py derives from the option table is committed as it generates it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate.py"
FILES = ("action.yml", "README.md", "docs/ci.md", "entrypoint.py")


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hwb_generate", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--root", str(root)],
                          capture_output=True, text=True, check=False, timeout=120)


def test_generated_files_are_up_to_date() -> None:
    done = _check(ROOT)
    assert done.returncode == 0, (
        f"{done.stderr}\nthe generated parts of action.yml, README.md, docs/ci.md or "
        "entrypoint.py differ from hwb_action/option_table.py: run `python scripts/generate.py` "
        "and commit the result")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_check_names_a_stale_file_and_the_fix_and_writing_repairs_it(copy: Path) -> None:
    action = copy / "action.yml"
    action.write_text(action.read_text().replace("HWB_OUT_DIR: ${{ inputs.out-dir }}\n", ""))
    stale = _check(copy)
    assert stale.returncode == 1
    assert "action.yml is out of date" in stale.stderr
    assert "python scripts/generate.py" in stale.stderr
    written = subprocess.run([sys.executable, str(SCRIPT), "--root", str(copy)],
                             capture_output=True, text=True, check=False, timeout=120)
    assert written.returncode == 0, written.stderr
    assert action.read_text() == (ROOT / "action.yml").read_text()
    assert _check(copy).returncode == 0


def test_hand_written_text_outside_the_markers_is_kept(copy: Path) -> None:
    readme = copy / "README.md"
    readme.write_text(readme.read_text().replace("## Exit codes", "## Exit codes, by hand"))
    assert _check(copy).returncode == 0


def test_missing_markers_are_a_usage_error(copy: Path) -> None:
    docs = copy / "docs" / "ci.md"
    docs.write_text(docs.read_text().replace("<!-- END GENERATED: inputs -->", ""))
    done = _check(copy)
    assert done.returncode == 2
    assert "docs/ci.md" in done.stderr
    assert "END GENERATED: inputs" in done.stderr


def test_markdown_cells_keep_emphasis_characters_literal(generate: ModuleType) -> None:
    text = generate.markdown_text("default: __token__, such as cp31*-manylinux_*. a|b x86_64")
    assert text == r"default: `__token__`, such as `cp31*-manylinux_*`. a\|b x86_64"
    assert generate.markdown_text("see `a_*` there") == "see `a_*` there"


def test_every_option_input_reaches_env_and_secrets_get_no_default(
        generate: ModuleType) -> None:
    env = yaml.safe_load("\n".join(generate.action_env()))
    inputs = yaml.safe_load("\n".join(generate.action_inputs()))
    for opt in generate.input_options():
        assert env[opt.env] == f"${{{{ inputs.{opt.name} }}}}"
        assert ("default" in inputs[opt.name]) is not opt.secret, opt.name
    assert "format" not in inputs  # plan's output format is no input


def test_ci_runs_the_checks_and_tests_the_readme_gives() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running the tests", 1)[1].split("```console", 1)[1]
    commands = [line[2:] for line in section.split("```", 1)[0].splitlines()
                if line.startswith("$ ")]
    assert any("pytest" in c for c in commands)
    assert any("ruff check" in c for c in commands)
    assert any("mypy" in c for c in commands)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    missing = [c for c in commands if not c.startswith("pip install") and c not in ci]
    assert not missing, f".ci/run does not run these commands of README.md: {missing}"
