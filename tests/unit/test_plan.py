"""The build plan: computed from the project and settings without starting a process."""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwb_action import settings as settings_mod
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import PlanOptions, from_settings
from hwb_action.plan import (
    CPYTHON_VERSIONS,
    Plan,
    format_plan,
    plan_targets,
)
from hwb_action.project import Project, load_project

BINARY_SETUP = """\
from setuptools import Extension, setup
setup(ext_modules=[Extension("demo._x", sources=["src/demo/_x.c"])])
"""
ABI3_SETUP = """\
from setuptools import Extension, setup
setup(ext_modules=[Extension("demo._x", sources=["src/demo/_x.c"], py_limited_api=True)],
      options={"bdist_wheel": {"py_limited_api": "cp39"}})
"""


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning must never start a process: make any attempt fail the test."""
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"plan started a process: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


def make(tmp_path: Path, body: str, *, setup_py: str | None = BINARY_SETUP,
         requires_python: str | None = ">=3.9", classifiers: tuple[str, ...] = ()) -> Path:
    lines = ['[build-system]', 'requires = ["setuptools>=70"]',
             'build-backend = "setuptools.build_meta"', '', '[project]', 'name = "demo"',
             'version = "1.0"']
    if requires_python is not None:
        lines.append(f'requires-python = "{requires_python}"')
    if classifiers:
        lines.append("classifiers = " + json.dumps(list(classifiers)))
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")
    if setup_py is not None:
        (tmp_path / "setup.py").write_text(setup_py, encoding="utf-8")
        (tmp_path / "src" / "demo").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "demo" / "_x.c").write_text("/* c */\n", encoding="utf-8")
    else:
        (tmp_path / "src" / "demo").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def plan_of(root: Path, *, cli: Mapping[str, Any] | None = None,
            environ: Mapping[str, str] | None = None) -> tuple[Plan, Project]:
    project = load_project(root)
    settings = settings_mod.resolve("plan", cli=cli, environ=environ, project_dir=root)
    return plan_targets(project, from_settings(PlanOptions, settings)), project


def ids(plan: Plan) -> list[str]:
    return [t.identifier for t in plan.targets]


def test_pure_project_plans_one_cell(tmp_path: Path) -> None:
    plan, project = plan_of(make(tmp_path, "", setup_py=None))
    assert project.is_pure
    assert plan.matrix() == {"include": [{
        "runner": "ubuntu-latest", "python": CPYTHON_VERSIONS[-1], "platform": "linux",
        "arch": "x86_64", "target": "pure", "artifact-name": "dist-pure",
    }]}


def test_binary_project_plans_versions_platforms_archs(tmp_path: Path) -> None:
    plan, _ = plan_of(make(tmp_path, "", requires_python=">=3.10"))
    got = ids(plan)
    versions = [v for v in CPYTHON_VERSIONS if v != "3.9"]
    expected_suffixes = ["manylinux_x86_64", "manylinux_aarch64", "macosx_arm64",
                         "macosx_x86_64", "win_amd64"]
    assert sorted(got) == sorted(f"cp{v.replace('.', '')}-{s}"
                                 for v in versions for s in expected_suffixes)
    cells = plan.matrix()["include"]
    assert all(set(c) == {"runner", "python", "platform", "arch", "target", "artifact-name"}
               for c in cells)
    assert len({c["artifact-name"] for c in cells}) == len(cells)
    by_target = {c["target"]: c for c in cells}
    assert by_target["cp312-manylinux_aarch64"]["runner"] == "ubuntu-24.04-arm"
    assert by_target["cp312-macosx_x86_64"]["runner"] == "macos-13"
    assert by_target["cp312-macosx_arm64"]["runner"] == "macos-14"
    assert by_target["cp312-win_amd64"] == {
        "runner": "windows-latest", "python": "3.12", "platform": "windows", "arch": "AMD64",
        "target": "cp312-win_amd64", "artifact-name": "dist-cp312-win_amd64"}
    assert not any(t.free_threaded or t.implementation == "pypy" for t in plan.targets)


def test_requires_python_upper_and_micro_bounds(tmp_path: Path) -> None:
    plan, _ = plan_of(make(tmp_path, "", requires_python=">=3.11.4,<3.13"),
                      cli={"platforms": ["linux"], "archs": ["x86_64"]})
    assert ids(plan) == ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64"]


def test_requires_python_admitting_nothing_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="admits none"):
        plan_of(make(tmp_path, "", requires_python=">=4"))


def test_classifiers_narrower_than_requires_python(tmp_path: Path) -> None:
    classifiers = ("Programming Language :: Python :: 3",
                   "Programming Language :: Python :: 3.11",
                   "Programming Language :: Python :: 3.12",
                   "Programming Language :: Python :: 3 :: Only")
    plan, _ = plan_of(make(tmp_path, "", requires_python=">=3.9", classifiers=classifiers),
                      cli={"platforms": ["windows"]})
    assert ids(plan) == ["cp311-win_amd64", "cp312-win_amd64"]
    assert any("classifiers narrow" in n for n in plan.notes)


def test_classifiers_wider_than_requires_python_do_not_widen(tmp_path: Path) -> None:
    classifiers = tuple(f"Programming Language :: Python :: {v}" for v in CPYTHON_VERSIONS)
    plan, _ = plan_of(make(tmp_path, "", requires_python=">=3.13", classifiers=classifiers),
                      cli={"platforms": ["windows"]})
    assert ids(plan) == [f"cp{v.replace('.', '')}-win_amd64" for v in CPYTHON_VERSIONS
                         if v in ("3.13", "3.14")]


def test_abi3_plans_one_cell_per_platform_and_arch(tmp_path: Path) -> None:
    plan, project = plan_of(make(tmp_path, "", setup_py=ABI3_SETUP, requires_python=">=3.10"))
    assert project.abi3
    assert sorted(ids(plan)) == sorted(["cp310-manylinux_x86_64", "cp310-manylinux_aarch64",
                                        "cp310-macosx_arm64", "cp310-macosx_x86_64",
                                        "cp310-win_amd64"])
    assert all(t.abi3 for t in plan.targets)


def test_free_threaded_and_pypy_only_when_asked(tmp_path: Path) -> None:
    root = make(tmp_path, "")
    plain, _ = plan_of(root, cli={"platforms": ["linux"], "archs": ["x86_64"]})
    assert not any("t-" in i or i.startswith("pp") for i in ids(plain))
    asked, _ = plan_of(root, cli={"platforms": ["linux"], "archs": ["x86_64"],
                                  "free-threaded": True, "pypy": True})
    extra = set(ids(asked)) - set(ids(plain))
    assert extra == {"cp313t-manylinux_x86_64", "cp314t-manylinux_x86_64",
                     "pp310-manylinux_x86_64", "pp311-manylinux_x86_64"}
    cells = {c["target"]: c for c in asked.matrix()["include"]}
    assert cells["cp313t-manylinux_x86_64"]["python"] == "3.13t"
    assert cells["pp310-manylinux_x86_64"]["python"] == "pypy3.10"


def test_build_and_skip_selectors(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.hwb]\nbuild = "cp31{1,2}-*"\nskip = ["*-win*", "*_aarch64"]\n')
    plan, _ = plan_of(root)
    assert sorted(ids(plan)) == sorted(["cp311-manylinux_x86_64", "cp312-manylinux_x86_64",
                                        "cp311-macosx_arm64", "cp312-macosx_arm64",
                                        "cp311-macosx_x86_64", "cp312-macosx_x86_64"])


def test_selector_that_matches_nothing_is_noted_and_empty_plan_is_an_error(
        tmp_path: Path) -> None:
    root = make(tmp_path, "")
    plan, _ = plan_of(root, cli={"skip": ["cp312-manylinux_x86-64"], "platforms": ["linux"]})
    assert any("'cp312-manylinux_x86-64' matches no planned identifier" in n for n in plan.notes)
    with pytest.raises(UsageError, match="plan is empty") as info:
        plan_of(root, cli={"skip": ["*"]})
    assert str(info.value).startswith("--skip")


def test_musllinux_planned_when_asked_or_selected(tmp_path: Path) -> None:
    root = make(tmp_path, "", requires_python=">=3.14")
    plan, _ = plan_of(root, cli={"platforms": ["linux"], "archs": ["x86_64"],
                                 "musllinux": "1_2"})
    assert ids(plan) == ["cp314-manylinux_x86_64", "cp314-musllinux_x86_64"]
    plan, _ = plan_of(root, cli={"platforms": ["linux"], "build": ["*-musllinux_*"]})
    assert ids(plan) == ["cp314-musllinux_x86_64", "cp314-musllinux_aarch64"]


def test_tool_cibuildwheel_is_honoured(tmp_path: Path) -> None:
    body = ('[tool.cibuildwheel]\nbuild = "cp312-*"\nskip = "*-macosx_x86_64"\n'
            'test-command = "pytest {project}/tests"\n\n'
            '[tool.cibuildwheel.linux]\narchs = ["x86_64", "i686"]\n')
    root = make(tmp_path, body)
    project = load_project(root)
    settings = settings_mod.resolve("plan", project_dir=root)
    assert settings["test-command"] == "pytest {project}/tests"
    plan = plan_targets(project, from_settings(PlanOptions, settings))
    assert sorted(ids(plan)) == sorted(["cp312-manylinux_x86_64", "cp312-manylinux_i686",
                                        "cp312-macosx_arm64", "cp312-win_amd64"])
    # hwb's own settings win over [tool.cibuildwheel]
    plan, _ = plan_of(root, environ={"HWB_BUILD": "cp313-*", "HWB_ARCHS": "auto64"})
    assert sorted(ids(plan)) == sorted(["cp313-manylinux_x86_64", "cp313-manylinux_aarch64",
                                        "cp313-macosx_arm64", "cp313-win_amd64"])


def test_precedence_cli_over_env_over_pyproject(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.hwb]\nplatforms = ["linux"]\npython-versions = ["3.10"]\n')
    plan, _ = plan_of(root, cli={"archs": ["x86_64"]})
    assert ids(plan) == ["cp310-manylinux_x86_64"]
    plan, _ = plan_of(root, cli={"archs": ["x86_64"]}, environ={"HWB_PLATFORMS": "windows"})
    assert ids(plan) == ["cp310-win_amd64"]
    plan, _ = plan_of(root, cli={"archs": ["x86_64"], "platforms": ["macos"]},
                      environ={"HWB_PLATFORMS": "windows"})
    assert ids(plan) == ["cp310-macosx_x86_64"]


def test_unknown_tool_hwb_key_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.hwb]\nplatfroms = ["linux"]\n')
    with pytest.raises(ConfigError, match="did you mean 'platforms'") as info:
        plan_of(root)
    assert info.value.file == str(root / "pyproject.toml")
    assert info.value.line == 11


def test_unknown_platform_and_arch_values(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.hwb]\narchs = ["x86-64"]\n')
    with pytest.raises(ConfigError, match="did you mean 'x86_64'") as info:
        plan_of(root)
    assert info.value.line == 11
    with pytest.raises(UsageError, match=r"HWB_PLATFORMS: unknown platform 'linx' \(did you"):
        plan_of(make(tmp_path, ""), environ={"HWB_PLATFORMS": "linx"})


def test_python_versions_outside_requires_python(tmp_path: Path) -> None:
    root = make(tmp_path, "", requires_python=">=3.11")
    with pytest.raises(UsageError, match=r"3\.10 is outside requires-python >=3\.11"):
        plan_of(root, cli={"python-versions": ["3.10"]})
    with pytest.raises(UsageError, match="not a version hwb plans"):
        plan_of(root, cli={"python-versions": ["2.7"]})


def test_formats(tmp_path: Path) -> None:
    plan, _ = plan_of(make(tmp_path, "", requires_python=">=3.13"),
                      cli={"platforms": ["linux", "windows"], "archs": ["x86_64"]})
    github = format_plan(plan, "github")
    assert "\n" not in github
    assert json.loads(github) == plan.matrix() == json.loads(format_plan(plan, "json"))
    gitlab = yaml.safe_load(format_plan(plan, "gitlab"))
    rows = gitlab["parallel"]["matrix"]
    assert rows[0] == {"HWB_CELL_RUNNER": "ubuntu-latest", "HWB_CELL_PYTHON": "3.13",
                       "HWB_CELL_PLATFORM": "linux", "HWB_CELL_ARCH": "x86_64",
                       "HWB_TARGET": "cp313-manylinux_x86_64",
                       "HWB_CELL_ARTIFACT_NAME": "dist-cp313-manylinux_x86_64"}
    # Only HWB_TARGET is an hwb setting: nothing else in a cell changes what hwb build does.
    from hwb_action.settings import OPTIONS

    envs = {o.env for o in OPTIONS}
    assert [k for k in rows[0] if k in envs] == ["HWB_TARGET"]
    assert len(rows) == 4
    table = format_plan(plan, "table").splitlines()
    assert table[0].split() == ["target", "python", "platform", "arch", "runner",
                                "artifact-name"]
    assert table[1].split()[0] == "cp313-manylinux_x86_64"
    assert table[-1] == "4 target(s)"
    with pytest.raises(UsageError, match="did you mean 'gitlab'"):
        format_plan(plan, "gitlb")


def test_identifiers_are_known_to_cibuildwheel(tmp_path: Path) -> None:
    """Every identifier hwb plans exists in cibuildwheel's own table (but cp313t, which
    cibuildwheel 4 dropped and hwb still plans on hosts when asked)."""
    import cibuildwheel

    table = Path(cibuildwheel.__file__).parent / "resources" / "build-platforms.toml"
    data = tomllib.loads(table.read_text(encoding="utf-8"))
    known = {c["identifier"] for section in data.values()
             for c in section["python_configurations"]}
    plan, _ = plan_of(make(tmp_path, ""), cli={"archs": ["all"], "pypy": True,
                                               "musllinux": "1_2", "free-threaded": True})
    missing = [i for i in ids(plan) if i not in known and not i.startswith("cp313t-")]
    assert any(i.startswith("cp314t-") for i in ids(plan))
    assert len(ids(plan)) > 100
    assert missing == []
