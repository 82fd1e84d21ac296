"""What `hwb build` decides to build, and where, before any process starts.

One row per case, as tests/unit/test_plan.py: the project (pure or binary), the options as
CLI values, the machine, the container engine found (if any) and an sdist given as SOURCE,
and the build job expected.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hwb_action.builder.decide import BuildJob, Host, decide, engine_need
from hwb_action.builder.engines import Engine
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import BuildOptions, from_settings
from hwb_action.project import Project, load_project
from hwb_action.settings import resolve
from tests.conftest import PACKAGES

LINUX = Host(platform="linux", arch="x86_64", python="/usr/bin/python3",
             python_version="3.12.1")
LINUX_CI = replace(LINUX, ci=True)
LINUX_ARM = replace(LINUX, arch="aarch64", ci=True)
MAC = Host(platform="macos", arch="arm64", python="/usr/bin/python3", python_version="3.12.1")
WINDOWS = Host(platform="windows", arch="AMD64", python="C:/py/python.exe",
               python_version="3.12.1")
ENGINE = Engine(name="podman", executable="/usr/bin/podman")
GIVEN = Path("/elsewhere/demo-1.0.tar.gz")
X64 = "cp312-manylinux_x86_64"



def _linux_cells(arch: str, *versions: str) -> tuple[str, ...]:
    """The plan's Linux identifiers for ``arch`` (the plan itself is tested against
    cibuildwheel's own selection in test_plan.py), for the given versions or all."""
    from hwb_action.options import PlanOptions
    from hwb_action.plan import plan_targets

    plan = plan_targets(load_project(PACKAGES / "cext_simple"), PlanOptions(), environ={})
    return tuple(t.identifier for t in plan.targets
                 if t.platform == "linux" and t.arch == arch
                 and (not versions or t.identifier.split("-")[0] in versions))


HOST_LINUX_CELLS = _linux_cells("x86_64")


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deciding must never start a process: make any attempt fail the test."""
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"decide started a process: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


def project(kind: str) -> Project:
    return load_project(PACKAGES / ("cext_simple" if kind == "binary" else "st_pyproject"))


def options(**cli: Any) -> BuildOptions:
    return from_settings(BuildOptions, resolve(
        "build", cli={k.replace("_", "-"): v for k, v in cli.items()}, environ={}))


def job(**fields: Any) -> BuildJob:
    return BuildJob(**fields)


# (id, project, CLI options, host, engine found, sdist given as SOURCE, expected job)
CASES: list[tuple[str, str, dict[str, Any], Host, Engine | None, Path | None, BuildJob]] = [
    ("pure: sdist, then the wheel from it", "pure", {}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("pure --sdist: sdist only", "pure", {"sdist": True}, LINUX, None, None,
     job(sdist=True, wheels="none")),
    ("pure --wheel: the wheel from the tree", "pure", {"wheel": True}, LINUX, None, None,
     job(sdist=False, wheels="host", wheel_source="tree")),
    ("--sdist --wheel: both", "pure", {"sdist": True, "wheel": True}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("given sdist: wheels from it, no new sdist", "pure", {}, LINUX, None, GIVEN,
     job(sdist=False, wheels="host", wheel_source="given-sdist")),
    ("given sdist with --sdist: still no new sdist", "pure", {"sdist": True}, LINUX, None,
     GIVEN, job(sdist=False, wheels="host", wheel_source="given-sdist")),
    ("--target pure keeps the sdist", "pure", {"target": "pure"}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("pure project in CI with an engine: the host", "pure", {}, LINUX_CI, ENGINE, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("--python passes through", "pure", {"python": "3.11, 3.12"}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist", python="3.11, 3.12")),
    ("binary, local: the host, as uv and build do", "binary", {}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("binary, local, an engine found anyway: the host", "binary", {}, LINUX, ENGINE, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("binary in CI with an engine: containers, host arch", "binary", {}, LINUX_CI, ENGINE,
     None, job(sdist=True, wheels="container", wheel_source="sdist",
               targets=HOST_LINUX_CELLS, engine=ENGINE)),
    ("binary in CI on aarch64: aarch64 cells", "binary", {"python_versions": ["3.12"]},
     LINUX_ARM, ENGINE, None,
     job(sdist=True, wheels="container", wheel_source="sdist",
         targets=_linux_cells("aarch64", "cp312"), engine=ENGINE)),
    ("binary in CI without an engine: the host", "binary", {}, LINUX_CI, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("binary --target with an engine: that cell in a container, from a private sdist",
     "binary", {"target": X64}, LINUX, ENGINE, None,
     job(sdist=False, wheels="container", wheel_source="sdist", targets=(X64,),
         engine=ENGINE)),
    ("a runner cell's target: all its identifiers in one container job", "binary",
     {"target": f"{X64},cp312-manylinux_i686, cp313-musllinux_x86_64"}, LINUX_CI, ENGINE,
     None, job(sdist=False, wheels="container", wheel_source="sdist",
               targets=(X64, "cp312-manylinux_i686", "cp313-musllinux_x86_64"),
               engine=ENGINE)),
    ("emulated architectures: cibuildwheel runs them under QEMU", "binary",
     {"target": "cp312-manylinux_s390x cp312-musllinux_ppc64le", "archs": ["all"]},
     LINUX_CI, ENGINE, None,
     job(sdist=False, wheels="container", wheel_source="sdist",
         targets=("cp312-manylinux_s390x", "cp312-musllinux_ppc64le"), engine=ENGINE)),
    ("a cell's identifiers without an engine: the host, their Pythons", "binary",
     {"target": f"{X64},cp311-manylinux_x86_64"}, LINUX, None, None,
     job(sdist=False, wheels="host", wheel_source="tree", python="3.12, 3.11")),
    ("binary --target without an engine: the host, the target's Python", "binary",
     {"target": X64}, LINUX, None, None,
     job(sdist=False, wheels="host", wheel_source="tree", python="3.12")),
    ("binary --target --sdist: the sdist job of the matrix", "binary",
     {"target": X64, "sdist": True}, LINUX, None, None, job(sdist=True, wheels="none")),
    ("binary --target --sdist --wheel: both", "binary",
     {"target": X64, "sdist": True, "wheel": True}, LINUX, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist", python="3.12")),
    ("--python wins over the target's Python", "binary", {"target": X64, "python": "3.12.1"},
     LINUX, None, None, job(sdist=False, wheels="host", wheel_source="tree",
                            python="3.12.1")),
    ("--isolation container: containers, engine found at build time", "binary",
     {"isolation": "container", "python_versions": ["3.11"]}, LINUX, None, None,
     job(sdist=True, wheels="container", wheel_source="sdist",
         targets=_linux_cells("x86_64", "cp311"))),
    ("--isolation container from a given sdist", "binary",
     {"isolation": "container", "target": X64}, LINUX, ENGINE, GIVEN,
     job(sdist=False, wheels="container", wheel_source="given-sdist", targets=(X64,),
         engine=ENGINE)),
    ("--isolation uv in CI: the host", "binary", {"isolation": "uv"}, LINUX_CI, ENGINE, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("--manylinux asks for containers", "binary",
     {"manylinux": "2_28", "python_versions": ["3.13"], "platforms": ["linux"],
      "archs": ["x86_64"]}, LINUX, ENGINE, None,
     job(sdist=True, wheels="container", wheel_source="sdist",
         targets=_linux_cells("x86_64", "cp313"), engine=ENGINE)),
    ("binary in CI on macOS: cibuildwheel on the runner, its own arch", "binary",
     {"python_versions": ["3.12", "3.13"]}, replace(MAC, ci=True), ENGINE, None,
     job(sdist=True, wheels="runner", wheel_source="sdist",
         targets=("cp312-macosx_arm64", "cp313-macosx_arm64"))),
    ("binary locally on macOS: hwb's host build", "binary", {}, MAC, None, None,
     job(sdist=True, wheels="host", wheel_source="sdist")),
    ("macOS --target: cibuildwheel on the runner, from a private sdist", "binary",
     {"target": "cp311-macosx_arm64"}, MAC, None, None,
     job(sdist=False, wheels="runner", wheel_source="sdist",
         targets=("cp311-macosx_arm64",))),
    ("arm64 macOS builds universal2 and x86_64 (GitLab's M1 runner does)", "binary",
     {"target": "cp312-macosx_universal2,cp312-macosx_x86_64", "archs": ["all"]}, MAC, None,
     None, job(sdist=False, wheels="runner", wheel_source="sdist",
               targets=("cp312-macosx_universal2", "cp312-macosx_x86_64"))),
    ("macOS --target --python: hwb's host build", "binary",
     {"target": "cp311-macosx_arm64", "python": "3.11"}, MAC, None, None,
     job(sdist=False, wheels="host", wheel_source="tree", python="3.11")),
    ("macOS --target --isolation uv: hwb's host build, the target's Python", "binary",
     {"target": "cp311-macosx_arm64", "isolation": "uv"}, MAC, None, None,
     job(sdist=False, wheels="host", wheel_source="tree", python="3.11")),
    ("Windows AMD64 --target: cibuildwheel on the runner", "binary",
     {"target": "cp313-win_amd64"}, WINDOWS, None, None,
     job(sdist=False, wheels="runner", wheel_source="sdist", targets=("cp313-win_amd64",))),
    ("AMD64 Windows builds win32 and cross-compiles ARM64", "binary",
     {"target": "cp313-win_amd64 cp313-win32 cp313-win_arm64"}, WINDOWS, None, GIVEN,
     job(sdist=False, wheels="runner", wheel_source="given-sdist",
         targets=("cp313-win_amd64", "cp313-win32", "cp313-win_arm64"))),
    ("--sdist of a binary project in CI: no engine needed", "binary", {"sdist": True},
     LINUX_CI, None, None, job(sdist=True, wheels="none")),
    ("--target sdist (the plan's sdist cell): the sdist alone", "binary",
     {"target": "sdist"}, LINUX_CI, ENGINE, None, job(sdist=True, wheels="none")),
    ("--target sdist --sdist: the same", "binary", {"target": "sdist", "sdist": True},
     LINUX_CI, ENGINE, None, job(sdist=True, wheels="none")),
    ("--target sdist of a pure project: the sdist alone", "pure", {"target": "sdist"},
     LINUX, None, None, job(sdist=True, wheels="none")),
]


@pytest.mark.parametrize(("kind", "cli", "host", "engine", "given", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(kind: str, cli: dict[str, Any], host: Host, engine: Engine | None,
                given: Path | None, expected: BuildJob) -> None:
    assert decide(project(kind), options(**cli), host, engine, given) == expected


# (id, project, CLI options, host, engine found, error class, words in the message/hint)
ERRORS: list[tuple[str, str, dict[str, Any], Host, Engine | None, type[Exception], str]] = [
    ("a typo in --target", "binary", {"target": "cp312-manylinx_x86_64"}, LINUX, None,
     UsageError, "--target: target 'cp312-manylinx_x86_64' is not in the build plan "
     "(did you mean 'cp312-manylinux_x86_64'?)"),
    ("a typo in --target, container build", "binary",
     {"target": "cp312-manylinx_x86_64", "isolation": "container"}, LINUX, None,
     UsageError, "did you mean 'cp312-manylinux_x86_64'?"),
    ("a target older than requires-python", "binary", {"target": "cp38-manylinux_x86_64"},
     LINUX, ENGINE, UsageError, "not in the build plan"),
    ("pure is not a cell of a binary project", "binary", {"target": "pure"}, LINUX, None,
     UsageError, "not in the build plan"),
    ("a macOS target on Linux", "binary", {"target": "cp311-macosx_arm64"}, LINUX, None,
     UsageError, "is for macos arm64; this machine is linux x86_64"),
    ("a Linux target on macOS: the hint names containers", "binary", {"target": X64}, MAC,
     None, UsageError, "--isolation container"),
    ("a Windows target on macOS", "binary", {"target": "cp312-win_amd64"}, MAC, None,
     UsageError, "is for windows AMD64; cibuildwheel does not build it on this machine"),
    ("one unknown name in a cell's list", "binary",
     {"target": "cp312-win32,cp312-wn_amd64"}, WINDOWS, None, UsageError,
     "target 'cp312-wn_amd64' is not in the build plan (did you mean 'cp312-win_amd64'?)"),
    ("win32 on an ARM64 Windows machine", "binary", {"target": "cp312-win32"},
     replace(WINDOWS, arch="ARM64"), None, UsageError, "run it on the plan's runner "
     "(windows-latest)"),
    ("an empty list", "binary", {"target": " , "}, LINUX, ENGINE, UsageError,
     "is not in the build plan"),
    ("manylinux and musllinux of one Python without an engine", "binary",
     {"target": f"{X64},cp312-musllinux_x86_64"}, LINUX, None, UsageError,
     "are one Python (3.12) for hwb's host build"),
    ("i686 without an engine: hwb's host build cannot", "binary",
     {"target": "cp312-manylinux_i686"}, LINUX, None, UsageError, "is for linux i686"),
    ("an aarch64 target on x86_64", "binary", {"target": "cp312-manylinux_aarch64"}, LINUX,
     None, UsageError, "is for linux aarch64"),
    ("a macOS target in a container", "binary",
     {"target": "cp312-macosx_arm64", "isolation": "container"}, LINUX, None, UsageError,
     "cannot be built in a container"),
    ("a pure project in a container", "pure", {"isolation": "container"}, LINUX, None,
     UsageError, "no Linux targets"),
    ("--target sdist --wheel: the sdist cell makes no wheel", "binary",
     {"target": "sdist", "wheel": True}, LINUX_CI, ENGINE, UsageError,
     "--target: target 'sdist' builds the sdist alone, but --wheel asks for wheels too"),
    ("the sdist cell mixed with identifiers", "binary", {"target": f"sdist,{X64}"},
     LINUX_CI, ENGINE, UsageError, "mixes the sdist cell with wheel identifiers"),
    ("no Linux cell for this machine's architecture", "binary",
     {"isolation": "container", "python_versions": ["3.12"]},
     replace(LINUX, arch="riscv64"), None, UsageError, "architecture (riscv64)"),
]


@pytest.mark.parametrize(("kind", "cli", "host", "engine", "error", "words"),
                         [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_decide_refuses(kind: str, cli: dict[str, Any], host: Host, engine: Engine | None,
                        error: type[Exception], words: str) -> None:
    with pytest.raises(error) as info:
        decide(project(kind), options(**cli), host, engine, None)
    err = info.value
    assert isinstance(err, UsageError)
    assert words in err.message + " " + (err.hint or "")


def test_target_sdist_from_a_given_sdist_is_refused() -> None:
    """The sdist cell builds from the tree: given an sdist as SOURCE there is nothing to do,
    which is a mistake to name rather than an empty build."""
    with pytest.raises(UsageError) as info:
        decide(project("binary"), options(target="sdist"), LINUX_CI, ENGINE, GIVEN)
    assert "SOURCE is an sdist already (demo-1.0.tar.gz)" in info.value.message
    assert info.value.hint is not None and "project directory" in info.value.hint


def test_target_set_in_pyproject_points_at_its_line(tmp_path: Path) -> None:
    tree = tmp_path / "p"
    tree.mkdir()
    text = (PACKAGES / "cext_simple" / "pyproject.toml").read_text()
    (tree / "pyproject.toml").write_text(text + '\n[tool.hwb]\ntarget = "cp312-manylinx_x86_64"\n')
    opts = from_settings(BuildOptions, resolve("build", environ={}, project_dir=tree))
    with pytest.raises(ConfigError) as info:
        decide(project("binary"), opts, LINUX, None, None)
    assert info.value.file is not None
    assert info.value.file.endswith("pyproject.toml")
    assert info.value.line == text.count("\n") + 3


@pytest.mark.parametrize(
    ("kind", "cli", "host", "need"),
    [
        ("binary", {}, LINUX, "none"),
        ("binary", {}, LINUX_CI, "probe"),
        ("binary", {"target": X64}, LINUX, "probe"),
        ("binary", {"musllinux": "1_2"}, LINUX, "probe"),
        ("binary", {"sdist": True}, LINUX_CI, "none"),
        ("binary", {"target": "sdist"}, LINUX_CI, "none"),
        ("binary", {"isolation": "pip"}, LINUX_CI, "none"),
        ("binary", {}, replace(MAC, ci=True), "none"),
        ("pure", {}, LINUX_CI, "none"),
        ("pure", {"isolation": "container"}, LINUX, "require"),
        ("binary", {"isolation": "container", "sdist": True}, LINUX, "none"),
    ],
)
def test_engine_need(kind: str, cli: dict[str, Any], host: Host, need: str) -> None:
    """Which builds look for a container engine (probing one starts a process, so it
    happens only when the answer can change the job)."""
    assert engine_need(project(kind), options(**cli), host) == need


@pytest.mark.parametrize(
    ("cli", "words"),
    [
        ({"jobs": -1}, "--jobs: must be 0 or more, not -1"),
        ({"out_dir": "dist\n::error::injected"}, "--out-dir: must be one line, but "
                                                 "'dist\\n::error::injected' holds a line break"),
    ],
)
def test_build_options_refuse_values_no_build_can_use(cli: dict[str, Any], words: str) -> None:
    with pytest.raises(UsageError) as info:
        options(**cli)
    assert words in info.value.message


def test_the_sdist_target_is_the_plans() -> None:
    from hwb_action.builder.decide import SDIST_TARGET
    from hwb_action.plan import model

    assert SDIST_TARGET == model.SDIST_TARGET
