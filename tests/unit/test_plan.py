"""The build plan: computed from the project and settings without starting a process, and
checked against the identifiers the real ``cibuildwheel --print-build-identifiers`` prints."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwb_action import settings as settings_mod
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import PlanOptions, from_settings
from hwb_action.plan import CPYTHON_VERSIONS, Plan, format_plan, plan_targets
from hwb_action.project import Project, load_project

PACKAGES = Path(__file__).resolve().parent.parent / "packages"
BINARY_SETUP = """\
from setuptools import Extension, setup
setup(ext_modules=[Extension("demo._x", sources=["src/demo/_x.c"])])
"""


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
    (tmp_path / "src" / "demo").mkdir(parents=True, exist_ok=True)
    if setup_py is not None:
        (tmp_path / "setup.py").write_text(setup_py, encoding="utf-8")
    else:
        (tmp_path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def plan_of(root: Path, *, cli: Mapping[str, Any] | None = None,
            environ: Mapping[str, str] | None = None, **extra: Any) -> tuple[Plan, Project]:
    """Plan ``root``; any process started while planning fails the test."""
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"plan started a process: {args!r}")

    project = load_project(root)
    settings = settings_mod.resolve("plan", cli=cli, environ=environ, project_dir=root)
    options = dataclasses.replace(from_settings(PlanOptions, settings), **extra)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(subprocess.Popen, "__init__", refuse)
        return plan_targets(project, options, environ=environ or {}), project


def ids(plan: Plan, platform: str | None = None) -> list[str]:
    return [t.identifier for t in plan.targets if platform in (None, t.platform)]


# -- the oracle: cibuildwheel itself ----------------------------------------------------------
def oracle(root: Path, archs: Mapping[str, tuple[str, ...]],
           env: Mapping[str, str] | None = None) -> dict[str, set[str]]:
    """What ``cibuildwheel --print-build-identifiers --platform P --archs A`` prints, per
    platform, with ``env`` as the only CIBW_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "HWB_"))}
    base.update(env or {})

    def run(item: tuple[str, tuple[str, ...]]) -> tuple[str, set[str]]:
        name, platform_archs = item
        proc = subprocess.run(
            [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform",
             name, "--archs", ",".join(platform_archs), str(root)],
            capture_output=True, text=True, env=base, check=False)
        assert proc.returncode == 0, proc.stderr
        return name, set(proc.stdout.split())

    with ThreadPoolExecutor(3) as pool:
        return dict(pool.map(run, [(p, a) for p, a in archs.items() if a]))


def host_only_gaps(platform_name: str, extra: set[str]) -> set[str]:
    """cibuildwheel on an x86_64 machine leaves out PyPy/GraalPy macOS arm64 builds (it
    cannot cross-compile them there); the plan is for the arm64 runner, which builds them."""
    if platform_name != "macos" or platform.machine() not in ("x86_64", "AMD64"):
        return set()
    return {i for i in extra if i.startswith(("pp", "gp")) and i.endswith("arm64")}


# (case id, project, hwb CLI settings, CIBW_* environment of both, extra oracle environment)
ORACLE_CASES: list[tuple[str, str, dict[str, Any], dict[str, str], dict[str, str]]] = [
    ("defaults: 3.15, free-threaded, musllinux, win32, ARM64", "cext_bz2", {}, {}, {}),
    ("enable groups: pypy, pypy-eol, graalpy, prerelease", "plan_enable", {}, {}, {}),
    ("platform tables, overrides, universal2, emulated", "plan_tables", {}, {}, {}),
    ("requires-python from setup.py, classifiers", "plan_setup_py", {}, {}, {}),
    ("CIBW_* variables", "cext_bz2", {},
     {"CIBW_ARCHS_LINUX": "aarch64 ppc64le", "CIBW_SKIP": "cp39-* *-win32",
      "CIBW_ENABLE": "pypy", "CIBW_BUILD": "cp31*-* pp*"}, {}),
    ("CIBW_PROJECT_REQUIRES_PYTHON", "plan_tables", {},
     {"CIBW_PROJECT_REQUIRES_PYTHON": ">=3.13"}, {}),
    ("hwb build/skip replace the project's", "plan_tables",
     {"build": ["cp31{2,3}-*"], "skip": ["*-musllinux_*", "*-win32"]}, {},
     {"CIBW_BUILD": "cp31{2,3}-*", "CIBW_SKIP": "*-musllinux_* *-win32"}),
    ("hwb pypy, free-threaded=false, musllinux=none", "cext_bz2",
     {"pypy": True, "free-threaded": False, "musllinux": "none"}, {},
     {"CIBW_ENABLE": "pypy", "CIBW_SKIP": "*t-* *-musllinux_*"}),
    ("hwb archs across platforms", "cext_bz2", {"archs": ["arm64", "x86"]}, {}, {}),
    ("3.15 only", "cext_bz2", {}, {"CIBW_PROJECT_REQUIRES_PYTHON": ">=3.15"}, {}),
]


@pytest.mark.parametrize(("name", "package", "cli", "env", "oracle_env"), ORACLE_CASES,
                         ids=[c[0] for c in ORACLE_CASES])
def test_plan_is_what_cibuildwheel_prints(name: str, package: str, cli: dict[str, Any],
                                          env: dict[str, str],
                                          oracle_env: dict[str, str]) -> None:
    root = PACKAGES / package
    plan, _ = plan_of(root, cli=cli, environ=env)
    expected = oracle(root, plan.archs, {**env, **oracle_env})
    assert set(plan.archs) == {"linux", "macos", "windows"}
    for platform_name, archs in plan.archs.items():
        got = set(ids(plan, platform_name))
        want = expected.get(platform_name, set())
        assert want <= got, f"{platform_name} {archs}: missing {sorted(want - got)}"
        extra = got - want
        assert extra == host_only_gaps(platform_name, extra), (
            f"{platform_name} {archs}: extra {sorted(extra)}")
    assert len(set(ids(plan))) == len(ids(plan))


def test_archs_are_resolved_per_runner() -> None:
    plan, _ = plan_of(PACKAGES / "cext_bz2")
    # auto on every default runner: ubuntu-latest x86_64+i686, ubuntu-24.04-arm aarch64, ...
    assert plan.archs == {"linux": ("x86_64", "i686", "aarch64"),
                          "macos": ("x86_64", "arm64"), "windows": ("AMD64", "x86", "ARM64")}
    tables, _ = plan_of(PACKAGES / "plan_tables")
    assert tables.archs == {"linux": ("x86_64", "aarch64", "ppc64le"),
                            "macos": ("arm64", "universal2"),
                            "windows": ("AMD64", "x86", "ARM64")}
    across, _ = plan_of(PACKAGES / "cext_bz2", cli={"archs": ["arm64", "x86"]})
    assert across.archs == {"linux": ("i686", "aarch64"), "macos": ("arm64",),
                            "windows": ("x86", "ARM64")}


def test_enable_groups_and_free_threaded_follow_cibuildwheel() -> None:
    plan, _ = plan_of(PACKAGES / "plan_enable")
    got = set(ids(plan))
    assert {"pp311-manylinux_x86_64", "pp310-manylinux_x86_64", "cp314t-win_amd64",
            "pp311-macosx_arm64", "cp315t-macosx_arm64"} <= got
    assert any(i.startswith("gp") for i in got)
    assert not any(i.startswith("cp313t") for i in got)  # cibuildwheel 4 dropped cp313t
    python = {t.identifier: t.python for t in plan.targets}
    assert python["pp311-manylinux_x86_64"] == "pypy3.11"
    assert python["cp314t-win_amd64"] == "3.14t"
    assert next(p for i, p in python.items() if i.startswith("gp")).startswith("graalpy-")


# -- cells --------------------------------------------------------------------------------
def test_runner_cells_by_default() -> None:
    plan, _ = plan_of(PACKAGES / "cext_bz2")
    *cells, sdist = plan.matrix()["include"]
    assert [(c["runner"], c["platform"], c["arch"]) for c in cells] == [
        ("ubuntu-latest", "linux", "x86_64,i686"), ("ubuntu-24.04-arm", "linux", "aarch64"),
        ("macos-15-intel", "macos", "x86_64"), ("macos-latest", "macos", "arm64"),
        ("windows-latest", "windows", "AMD64,x86"), ("windows-11-arm", "windows", "ARM64")]
    # the last cell builds the sdist, so plan -> build -> publish ships it
    assert sdist == {"runner": "ubuntu-latest", "python": CPYTHON_VERSIONS[-1],
                     "platform": "linux", "arch": "x86_64", "target": "sdist",
                     "identifiers": ["sdist"], "artifact-name": "dist-sdist"}
    assert all(list(c) == ["runner", "python", "platform", "arch", "target", "identifiers",
                           "artifact-name"] for c in cells)
    assert sorted(i for c in cells for i in c["identifiers"]) == sorted(ids(plan))
    assert all(c["target"] == ",".join(c["identifiers"]) for c in cells)
    assert len({c["artifact-name"] for c in cells}) == len(cells)
    windows = cells[4]
    assert "cp39-win32" in windows["identifiers"] and "cp315t-win_amd64" in windows["identifiers"]
    assert windows["python"] == CPYTHON_VERSIONS[-1]
    # every identifier knows where it builds (the builder checks --target against these)
    by_id = {t.identifier: t for t in plan.targets}
    assert (by_id["cp312-win32"].arch, by_id["cp312-win32"].runner) == ("x86", "windows-latest")
    assert by_id["cp312-manylinux_i686"].runner == "ubuntu-latest"
    assert by_id["cp312-musllinux_aarch64"].libc == "musllinux"
    assert any("ubuntu-24.04-arm" in n and "public repositories" in n for n in plan.notes)
    assert any("windows-11-arm" in n and "public repositories" in n for n in plan.notes)
    # every cell's target names exactly its identifiers (what `hwb build --target` resolves)
    for cell in plan.cells()[:-1] + plan.cells("gitlab")[:-1]:
        found, unknown = plan.lookup(cell.target)
        assert ([t.identifier for t in found], unknown) == (list(cell.identifiers), [])
    assert plan.lookup("cp312-win32 cp27-win32,cp312-win32") == ([by_id["cp312-win32"]],
                                                                 ["cp27-win32"])


def test_universal2_and_emulated_cells() -> None:
    plan, _ = plan_of(PACKAGES / "plan_tables")
    cells = {c.artifact_name: c for c in plan.cells()}
    assert cells["dist-macos-arm64-universal2"].runner == "macos-latest"
    assert "cp312-macosx_universal2" in cells["dist-macos-arm64-universal2"].identifiers
    # QEMU builds are slow: their own job, on the x86_64 runner, with a note
    emulated = cells["dist-linux-ppc64le"]
    assert (emulated.runner, emulated.emulated) == ("ubuntu-latest", True)
    assert cells["dist-linux-x86_64"].runner == "ubuntu-latest"
    assert any("QEMU" in n and "ppc64le" in n for n in plan.notes)
    by_id = {t.identifier: t for t in plan.targets}
    assert by_id["cp312-manylinux_ppc64le"].emulated


def test_target_cells_one_per_identifier() -> None:
    plan, _ = plan_of(PACKAGES / "plan_setup_py", cli={"platforms": ["windows"]},
                      matrix="target")
    *cells, sdist = plan.matrix()["include"]
    assert [c["target"] for c in cells] == ids(plan)
    assert all(c["identifiers"] == [c["target"]] for c in cells)
    # a Windows-only plan still builds its sdist on the Linux x86_64 runner
    assert sdist == {"runner": "ubuntu-latest", "python": CPYTHON_VERSIONS[-1], "platform": "linux",
                     "arch": "x86_64", "target": "sdist", "identifiers": ["sdist"],
                     "artifact-name": "dist-sdist"}
    assert cells[0] == {"runner": "windows-latest", "python": "3.12", "platform": "windows",
                        "arch": "x86", "target": "cp312-win32", "identifiers": ["cp312-win32"],
                        "artifact-name": "dist-cp312-win32"}


def test_runner_labels_are_configurable() -> None:
    plan, _ = plan_of(PACKAGES / "plan_tables",
                      runners={"Linux-x86_64": "self-hosted-x64", "macos-arm64": "macos-15",
                               "windows-arm64": "win-arm-private"})
    cells = {c.artifact_name: c.runner for c in plan.cells()}
    assert cells["dist-linux-x86_64"] == "self-hosted-x64"
    assert cells["dist-linux-ppc64le"] == "self-hosted-x64"  # follows linux-x86_64
    assert cells["dist-macos-arm64-universal2"] == "macos-15"  # universal2 follows arm64
    assert cells["dist-windows-ARM64"] == "win-arm-private"
    assert cells["dist-sdist"] == "self-hosted-x64"  # the sdist cell: linux-x86_64's label
    assert not any("windows-11-arm" in n for n in plan.notes)
    assert any("ubuntu-24.04-arm" in n for n in plan.notes)
    with pytest.raises(UsageError, match=r"unknown runner key 'macos-arm65' \(did you mean "
                                         r"'macos-arm64'\?\)"):
        plan_of(PACKAGES / "cext_bz2", runners={"macos-arm65": "x"})
    with pytest.raises(UsageError, match="must be one of runner, target, not 'targets'"):
        plan_of(PACKAGES / "cext_bz2", matrix="targets")


def test_pure_project_plans_one_cell(tmp_path: Path) -> None:
    plan, project = plan_of(make(tmp_path, "", setup_py=None))
    assert project.is_pure
    assert plan.matrix() == {"include": [{
        "runner": "ubuntu-latest", "python": CPYTHON_VERSIONS[-1], "platform": "linux",
        "arch": "x86_64", "target": "pure", "identifiers": ["pure"],
        "artifact-name": "dist-pure",
    }]}
    assert plan.targets[0].is_pure
    plan, _ = plan_of(tmp_path, cli={"platforms": ["windows", "linux"]})
    assert [(c.runner, c.arch, c.identifiers) for c in plan.cells()] == [
        ("windows-latest", "AMD64", ("pure",))]


# -- abi3 ---------------------------------------------------------------------------------
ABI3_CASES = [  # project, declared minimum, requires-python minimum, where it is declared
    ("plan_abi3_setup_cfg", "3.10", "3.9", "[bdist_wheel] py_limited_api = cp310"),
    ("plan_abi3_setup_py", "3.11", "3.9", "setup.py Extension(py_limited_api=True)"),
    ("plan_abi3_distutils", "3.11", "3.9", "[tool.distutils.bdist_wheel] py-limited-api"),
    ("plan_abi3_skbuild", "3.12", "3.8", "[tool.scikit-build] wheel.py-api = 'cp312'"),
    ("plan_abi3_meson", "3.10", "3.9", "[tool.meson-python] limited-api = true"),
    ("plan_abi3_maturin", "3.9", "3.10", "pyo3 feature 'abi3-py39'"),
]


@pytest.mark.parametrize(("package", "minimum", "requires", "source"), ABI3_CASES,
                         ids=[c[0] for c in ABI3_CASES])
def test_abi3_one_cpython_per_platform_and_arch(package: str, minimum: str, requires: str,
                                                source: str) -> None:
    root = PACKAGES / package
    plan, _ = plan_of(root)
    printed = oracle(root, plan.archs)
    lowest = max(minimum, requires, key=lambda v: int(v.split(".")[1]))
    built = f"cp3{lowest.split('.')[1]}"
    for platform_name, every in printed.items():
        tags = {i.split("-", 1)[1] for i in every}
        # the abi3 wheel once per platform tag; builds that cannot use it stay as printed
        want = {f"{built}-{tag}" for tag in tags} | {
            i for i in every if not i.startswith("cp") or i.split("-", 1)[0].endswith("t")}
        assert set(ids(plan, platform_name)) == want, platform_name
    assert all(t.abi3 == (t.identifier.startswith(built + "-")) for t in plan.targets)
    assert any(source in n and f"CPython {lowest}" in n for n in plan.notes), plan.notes


def test_a_runner_job_runs_hwb_on_a_python_it_supports() -> None:
    plan, _ = plan_of(PACKAGES / "plan_abi3_maturin", cli={"platforms": ["linux"]})
    assert "cp310-manylinux_x86_64" in ids(plan)
    assert {c.python for c in plan.cells()} == {"3.11"}  # hwb needs 3.11 or newer


def test_abi3_below_the_minimum_gets_a_note() -> None:
    plan, _ = plan_of(PACKAGES / "plan_abi3_skbuild", cli={"platforms": ["linux"]})
    assert not any(i.startswith(("cp39-", "cp310-", "cp311-")) for i in ids(plan))
    assert any("3.9, 3.10, 3.11, below the abi3 minimum 3.12" in n for n in plan.notes)


# -- errors and notes ---------------------------------------------------------------------
def test_cibuildwheel_configuration_errors_are_config_errors(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.cibuildwheel]\nenable = ["cpython-freethreading"]\n')
    with pytest.raises(ConfigError, match="Unknown enable group") as info:
        plan_of(root)
    assert info.value.file == str(root / "pyproject.toml")
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace(
        'enable = ["cpython-freethreading"]', 'test-comand = "pytest"'))
    with pytest.raises(ConfigError, match="Perhaps you meant 'test-command'") as info:
        plan_of(root)
    assert (info.value.file, info.value.line) == (str(root / "pyproject.toml"), 11)
    with pytest.raises(ConfigError, match="Invalid architecture 'arm65'") as info:
        plan_of(make(tmp_path, ""), environ={"CIBW_ARCHS_MACOS": "arm65"})
    assert "CIBW_ARCHS_MACOS" in str(info.value.hint)


def test_requires_python_admitting_nothing_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="plan is empty"):
        plan_of(make(tmp_path, "", requires_python=">=4"))


def test_classifiers_narrower_than_requires_python_are_noted() -> None:
    plan, _ = plan_of(PACKAGES / "plan_setup_py", cli={"platforms": ["linux"]})
    assert "cp314-manylinux_x86_64" in ids(plan)  # cibuildwheel reads requires-python only
    assert any("classifiers do not list CPython 3.14, 3.15" in n for n in plan.notes)


def test_python_versions(tmp_path: Path) -> None:
    root = make(tmp_path, "", requires_python=">=3.11")
    plan, _ = plan_of(root, cli={"python-versions": ["3.12"], "platforms": ["windows"]})
    assert ids(plan) == ["cp312-win32", "cp312-win_amd64", "cp312-win_arm64"]
    with pytest.raises(UsageError, match=r"3\.10 is outside requires-python >=3\.11"):
        plan_of(root, cli={"python-versions": ["3.10"]})
    with pytest.raises(UsageError, match="not a version hwb plans"):
        plan_of(root, cli={"python-versions": ["2.7"]})


def test_selector_notes_and_empty_plan(tmp_path: Path) -> None:
    root = make(tmp_path, "")
    plan, _ = plan_of(root, cli={"skip": ["cp312-manylinux_x86-64"], "platforms": ["linux"]})
    assert any("'cp312-manylinux_x86-64' matches no identifier" in n for n in plan.notes)
    with pytest.raises(UsageError, match="plan is empty") as info:
        plan_of(root, cli={"skip": ["*"]})
    assert str(info.value).startswith("--skip")


def test_precedence_cli_over_env_over_pyproject(tmp_path: Path) -> None:
    root = make(tmp_path, '[tool.hwb]\nplatforms = ["linux"]\npython-versions = ["3.10"]\n'
                '\n[tool.cibuildwheel]\nskip = "*-musllinux_* *-manylinux_i686"\n')
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


# -- output -------------------------------------------------------------------------------
def test_formats() -> None:
    plan, _ = plan_of(PACKAGES / "cext_bz2", cli={"python-versions": ["3.13"]})
    github = format_plan(plan, "github")
    assert "\n" not in github
    assert json.loads(github) == plan.matrix() == json.loads(format_plan(plan, "json"))
    rows = yaml.safe_load(format_plan(plan, "gitlab"))["parallel"]["matrix"]
    # GitLab's hosted tags: one macOS (Apple silicon) and one Windows (AMD64) machine
    assert [r["HWB_CELL_RUNNER"] for r in rows] == [
        "saas-linux-medium-amd64", "saas-linux-medium-arm64", "saas-macos-medium-m1",
        "saas-windows-medium-amd64"]
    # no sdist row: GitLab's hwb-sdist job (template, child pipeline) is the sdist cell
    assert all(r["HWB_TARGET"] != "sdist" for r in rows)
    assert plan.cells("gitlab")[-1].target == "sdist"
    assert rows[2]["HWB_CELL_ARCH"] == "x86_64,arm64"
    assert rows[2]["HWB_CELL_IDENTIFIERS"] == "cp313-macosx_x86_64 cp313-macosx_arm64"
    assert rows[2]["HWB_TARGET"] == "cp313-macosx_x86_64,cp313-macosx_arm64"
    assert all(isinstance(v, str) for r in rows for v in r.values())
    # Only HWB_TARGET is an hwb setting: nothing else in a cell changes what hwb build does.
    envs = {o.env for o in settings_mod.OPTIONS}
    assert [k for k in rows[0] if k in envs] == ["HWB_TARGET"]
    relabelled, _ = plan_of(PACKAGES / "cext_bz2", cli={"python-versions": ["3.13"]},
                            gitlab_runners={"windows-arm64": "my-arm-windows"})
    rows = yaml.safe_load(format_plan(relabelled, "gitlab"))["parallel"]["matrix"]
    assert rows[-1]["HWB_CELL_RUNNER"] == "my-arm-windows"
    assert rows[-1]["HWB_CELL_IDENTIFIERS"] == "cp313-win_arm64"
    table = format_plan(plan, "table").splitlines()
    assert table[0].split() == ["target", "python", "platform", "arch", "runner",
                                "artifact-name"]
    assert table[1].split()[2:4] == ["linux", "x86_64,i686"]
    # the sdist cell's Python: the newest the plan builds
    assert table[-2].split()[:4] == ["sdist", "3.13", "linux", "x86_64"]
    assert table[-1] == f"7 cell(s), {len(plan.targets)} identifier(s)"
    with pytest.raises(UsageError, match="did you mean 'gitlab'"):
        format_plan(plan, "gitlb")
