"""Every matrix cell the plan makes is built by cibuildwheel on the runner the plan gives it.

macOS and Windows cells cannot run here, so this checks, with no process started:

* that ``hwb build --target`` accepts every identifier (and every cell's ``target``) the
  plan assigns to a runner, on a machine like that runner, for the tests/packages/plan_*
  projects, GitHub's and GitLab's labels, ``runner`` and ``target`` grouping;
* the exact cibuildwheel invocation and environment prepared for a macOS arm64 and a
  Windows AMD64 runner: platform, ``--only``/``CIBW_BUILD``, output directory, repair
  defaults untouched, config settings, hwb's steps, the user's ``CIBW_*``;
* which identifiers an abi3 wheel serves (reported, never built twice);
* the cibuildwheel options a host build names in its warning.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hwb_action.builder.cibw import cibuildwheel_command, cibuildwheel_environment, wheel_record
from hwb_action.builder.decide import BuildJob, Host, Where, decide, host_ignores, select_targets
from hwb_action.builder.engines import Engine
from hwb_action.builder.identifiers import built_elsewhere, served_identifiers
from hwb_action.options import BuildOptions, from_settings
from hwb_action.plan import Plan, plan_targets
from hwb_action.plan.runners import Fleet, Platform
from hwb_action.project import Project, load_project
from hwb_action.settings import resolve
from tests.conftest import PACKAGES

ENGINE = Engine(name="podman", executable="/usr/bin/podman")


def machine(platform: str, arch: str) -> Host:
    return Host(platform=platform, arch=arch, python="/usr/bin/python3",
                python_version="3.12.1", ci=True)


# The machine behind each default label: what platform.machine() says there.
MACHINES: dict[Fleet, dict[str, Host]] = {
    "github": {
        "ubuntu-latest": machine("linux", "x86_64"),
        "ubuntu-24.04-arm": machine("linux", "aarch64"),
        "macos-15-intel": machine("macos", "x86_64"),
        "macos-latest": machine("macos", "arm64"),
        "windows-latest": machine("windows", "AMD64"),
        "windows-11-arm": machine("windows", "ARM64"),
    },
    "gitlab": {
        "saas-linux-medium-amd64": machine("linux", "x86_64"),
        "saas-linux-medium-arm64": machine("linux", "aarch64"),
        "saas-macos-medium-m1": machine("macos", "arm64"),
        "saas-windows-medium-amd64": machine("windows", "AMD64"),
    },
}
MAC = replace(MACHINES["github"]["macos-latest"], ci=False)
WINDOWS = replace(MACHINES["github"]["windows-latest"], ci=False)


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Preparing a build must never start a process: make any attempt fail the test."""
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


def options(project_dir: Path | None = None, **cli: Any) -> BuildOptions:
    return from_settings(BuildOptions, resolve(
        "build", cli={k.replace("_", "-"): v for k, v in cli.items()}, environ={},
        project_dir=project_dir))


PROJECTS = sorted(p.name for p in PACKAGES.glob("plan_*"))
# (project, build options): the plan_* projects as they are, and one planned for every
# architecture (universal2, QEMU-emulated Linux, win32, ARM64).
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    *((name, {}) for name in PROJECTS),
    ("cext_simple", {"archs": ["all"]}),
    ("cext_simple", {"free_threaded": True, "pypy": True}),
]


def _plan(name: str, cli: dict[str, Any]) -> tuple[Project, Plan]:
    root = PACKAGES / name
    project = load_project(root)
    return project, plan_targets(project, options(root, **cli).plan_options(), environ={})


@pytest.mark.parametrize("fleet", ["github", "gitlab"])
@pytest.mark.parametrize(("name", "cli"), VARIANTS, ids=[f"{n}-{c}" for n, c in VARIANTS])
def test_every_runner_cell_is_accepted_on_its_runner(name: str, cli: dict[str, Any],
                                                     fleet: Fleet) -> None:
    """``runner`` grouping: the cell's ``target`` on a machine like its runner becomes one
    cibuildwheel job for exactly the cell's identifiers; the sdist cell builds the sdist."""
    project, plan = _plan(name, cli)
    cells = plan.cells(fleet)
    assert [c.target for c in cells].count("sdist") == 1
    for cell in cells:
        host = MACHINES[fleet][cell.runner]
        opts = options(PACKAGES / name, target=cell.target, **cli)
        job = decide(project, opts, host, ENGINE, None)
        if cell.target == "sdist":
            assert (host.platform, host.arch) == ("linux", "x86_64")
            assert job == BuildJob(sdist=True, wheels="none")
            continue
        assert job.targets == cell.identifiers, cell
        assert job.wheels == ("container" if host.platform == "linux" else "runner")
        assert job.wheel_source == "sdist"  # from the sdist hwb builds first
        assert not job.sdist  # which ships from its own job


@pytest.mark.parametrize("fleet", ["github", "gitlab"])
@pytest.mark.parametrize(("name", "cli"), VARIANTS, ids=[f"{n}-{c}" for n, c in VARIANTS])
def test_every_identifier_is_accepted_on_its_runner(name: str, cli: dict[str, Any],
                                                    fleet: Fleet) -> None:
    """``target`` grouping: each identifier alone, on the machine of its label."""
    project, plan = _plan(name, cli)
    plan = replace(plan, mode="target")
    cells = plan.cells(fleet)
    assert [c.target for c in cells].count("sdist") == 1
    for cell in cells:
        host = MACHINES[fleet][cell.runner]
        if cell.target == "sdist":
            opts = options(PACKAGES / name, target=cell.target, **cli)
            assert decide(project, opts, host, ENGINE, None) == BuildJob(sdist=True,
                                                                       wheels="none")
            continue
        where: Where = "container" if host.platform == "linux" else "runner"
        opts = options(PACKAGES / name, target=cell.target, **cli)
        found = select_targets(project, opts, host=host, where=where, plan=plan)
        assert [t.identifier for t in found] == list(cell.identifiers)


def test_the_runners_cover_every_platform_and_architecture() -> None:
    """The table above exercises what the issue named: universal2 on arm64 macOS, win32
    and ARM64 on Windows, emulated Linux, free-threaded and PyPy."""
    seen: set[str] = set()
    for name, cli in VARIANTS:
        seen |= set(_plan(name, cli)[1].identifiers())
    for piece in ("macosx_universal2", "macosx_x86_64", "-win32", "win_arm64",
                  "musllinux_s390x", "manylinux_i686", "t-manylinux", "pp311-"):
        assert any(piece in ident for ident in seen), piece


# -- macOS and Windows: what cibuildwheel is given --------------------------------------------
def env_for(targets: list[str], platform: Platform, environ: dict[str, str] | None = None,
            **cli: Any) -> dict[str, str]:
    return cibuildwheel_environment(targets=targets, options=options(**cli),
                                    environ=environ or {}, platform=platform)


def test_macos_cell_invocation_and_environment(tmp_path: Path) -> None:
    project = load_project(PACKAGES / "cext_simple")
    cell = "cp312-macosx_arm64,cp313-macosx_arm64,cp313-macosx_universal2"
    job = decide(project, options(target=cell, archs=["all"]), MAC, None, None)
    assert job.wheels == "runner"
    sdist = tmp_path / "cext_simple-0.1.0.tar.gz"
    out = tmp_path / "out"
    cmd = cibuildwheel_command(targets=job.targets, package=sdist, output_dir=out,
                               platform="macos", python="py")
    assert cmd == ["py", "-m", "cibuildwheel", "--platform", "macos", "--archs",
                   "arm64,universal2", "--output-dir", str(out), str(sdist)]
    user = {"MACOSX_DEPLOYMENT_TARGET": "11.0", "CIBW_BUILD_VERBOSITY": "1",
            "CIBW_TEST_SKIP": "*-macosx_universal2", "PYPI_API_TOKEN": "pypi-secret",
            "HWB_TOKEN": "pypi-x"}
    env = env_for(list(job.targets), "macos", user, config_settings={"setup-args": "-Dx=a b"},
                  test_command="pytest {project}/tests", environment={"CFLAGS": "-O2"})
    assert env["CIBW_PLATFORM"] == "macos"
    assert env["CIBW_BUILD"] == " ".join(job.targets)
    assert env["CIBW_SKIP"] == ""
    assert env["CIBW_ENABLE"] == "all"
    assert env["CIBW_CONFIG_SETTINGS"] == "'setup-args=-Dx=a b'"
    assert env["CIBW_TEST_COMMAND"] == "pytest {project}/tests"
    assert env["CIBW_ENVIRONMENT"] == 'CFLAGS="-O2"'
    # delocate's default repair, the deployment target and the user's CIBW_* untouched
    assert not any(k.startswith("CIBW_REPAIR_WHEEL_COMMAND") for k in env)
    assert env["MACOSX_DEPLOYMENT_TARGET"] == "11.0"
    assert env["CIBW_BUILD_VERBOSITY"] == "1"
    assert env["CIBW_TEST_SKIP"] == "*-macosx_universal2"
    # no container options, no publishing secret
    assert not any("IMAGE" in k or k == "CIBW_CONTAINER_ENGINE" for k in env)
    assert "PYPI_API_TOKEN" not in env
    assert "HWB_TOKEN" not in env


def test_windows_cell_invocation_and_environment(tmp_path: Path) -> None:
    project = load_project(PACKAGES / "cext_simple")
    job = decide(project, options(target="cp313-win32"), WINDOWS, None, None)
    assert job.wheels == "runner"
    assert job.targets == ("cp313-win32",)
    out = tmp_path / "out"
    cmd = cibuildwheel_command(targets=job.targets, package=tmp_path / "p.tar.gz",
                               output_dir=out, platform="windows", python="py")
    assert cmd == ["py", "-m", "cibuildwheel", "--only", "cp313-win32", "--output-dir",
                   str(out), str(tmp_path / "p.tar.gz")]
    env = env_for(["cp313-win32"], "windows", {"CIBW_BUILD": "cp3*", "GITHUB_TOKEN": "g"},
                  config_settings={"--build-option": "--quiet"})
    assert env["CIBW_PLATFORM"] == "windows"
    assert env["CIBW_BUILD"] == "cp3*"  # --only wins over it inside cibuildwheel
    assert env["CIBW_CONFIG_SETTINGS"] == "--build-option=--quiet"
    assert not any(k.startswith("CIBW_REPAIR_WHEEL_COMMAND") for k in env)  # delvewheel's
    assert "GITHUB_TOKEN" not in env
    several = cibuildwheel_command(targets=["cp313-win_amd64", "cp313-win32", "cp313-win_arm64"],
                                   package=Path("p"), output_dir=out, platform="windows",
                                   python="py")
    assert several[3:7] == ["--platform", "windows", "--archs", "AMD64,x86,ARM64"]


def test_no_repair_empties_the_repair_command() -> None:
    env = env_for(["cp313-win_amd64"], "windows", repair=False)
    assert env["CIBW_REPAIR_WHEEL_COMMAND"] == ""


def test_cibuildwheel_reads_its_own_table_itself() -> None:
    """Values hwb read from [tool.cibuildwheel] are not re-sent as CIBW_*: cibuildwheel
    reads them with their platform tables and overrides (plan_tables has a macOS
    environment and a cp313 test-command override that a CIBW_* would flatten)."""
    opts = options(PACKAGES / "plan_tables")
    assert opts.test_command  # hwb read it, for its host build
    env = cibuildwheel_environment(targets=["cp313-macosx_arm64"], options=opts, environ={},
                                   platform="macos")
    for name in ("CIBW_TEST_COMMAND", "CIBW_TEST_REQUIRES", "CIBW_BEFORE_BUILD",
                 "CIBW_ENVIRONMENT"):
        assert name not in env
    ours = options(PACKAGES / "plan_tables", test_command="hwb-test")
    assert cibuildwheel_environment(targets=["cp313-macosx_arm64"], options=ours, environ={},
                                    platform="macos")["CIBW_TEST_COMMAND"] == "hwb-test"


# -- abi3: one wheel, several identifiers -----------------------------------------------------
@pytest.mark.parametrize(("filename", "targets", "served"), [
    ("m-1-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
     ["cp312-manylinux_x86_64", "cp313-manylinux_x86_64", "cp313t-manylinux_x86_64",
      "cp312-musllinux_x86_64", "cp311-manylinux_x86_64"],
     ("cp312-manylinux_x86_64", "cp313-manylinux_x86_64")),
    ("m-1-cp313-cp313t-macosx_11_0_arm64.whl",
     ["cp313-macosx_arm64", "cp313t-macosx_arm64"], ("cp313t-macosx_arm64",)),
    ("m-1-cp312-cp312-win32.whl", ["cp312-win32", "cp312-win_amd64"], ("cp312-win32",)),
    ("m-1-cp310-abi3-macosx_10_9_universal2.whl",
     ["cp310-macosx_universal2", "cp314-macosx_universal2", "cp314-macosx_arm64"],
     ("cp310-macosx_universal2", "cp314-macosx_universal2")),
    ("m-1-pp311-pypy311_pp73-manylinux_2_28_aarch64.whl",
     ["pp311-manylinux_aarch64", "cp311-manylinux_aarch64"], ("pp311-manylinux_aarch64",)),
])
def test_a_wheel_names_the_identifiers_it_serves(filename: str, targets: list[str],
                                                 served: tuple[str, ...]) -> None:
    assert served_identifiers(filename, targets) == served
    info = wheel_record(Path(filename), targets)
    assert info.identifiers == served
    assert info.python == served[0].split("-")[0][2:3] + "." + served[0].split("-")[0][3:] \
        .removesuffix("t")


def test_an_abi3_wheel_another_cell_builds_is_not_shipped_twice() -> None:
    """Target cells cp312 and cp313 of a project whose abi3 the plan did not see: both
    builds make cp312-abi3-...; the cp313 cell names the cp312 cell instead of shipping a
    second file of that name."""
    wheel = "m-1-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    cp312, cp313 = "cp312-manylinux_x86_64", "cp313-manylinux_x86_64"
    assert built_elsewhere(wheel, [cp313], [cp312]) == cp312
    assert built_elsewhere(wheel, [cp312], [cp313]) is None  # its own cell ships it
    assert built_elsewhere(wheel, [cp312, cp313], []) is None  # one run, built once
    assert built_elsewhere(wheel, [cp313], []) is None  # no cp312 cell: this one ships it
    assert built_elsewhere("m-1-cp313-cp313-manylinux_2_17_x86_64.whl", [cp313],
                           [cp312]) is None
    job = decide(load_project(PACKAGES / "cext_simple"),
                 options(target=cp313, python_versions=["3.12", "3.13"], platforms=["linux"]),
                 MACHINES["github"]["ubuntu-latest"], ENGINE, None)
    assert cp312 in job.elsewhere
    assert cp313 not in job.elsewhere


# -- the host build says what it leaves out ---------------------------------------------------
def test_host_build_names_the_cibuildwheel_options_it_cannot_honour() -> None:
    root = PACKAGES / "plan_tables"
    host = replace(MACHINES["github"]["ubuntu-latest"],
                   cibw_environ={"CIBW_BEFORE_ALL_LINUX": "yum install -y x",
                                 "CIBW_ARCHS_LINUX": "x86_64", "CIBW_BUILD": "cp312-*"})
    ignored = host_ignores(load_project(root), options(root, environment={"A": "1"}), host)
    assert ignored == [
        "[tool.cibuildwheel] before-build", "[tool.cibuildwheel] environment",
        "[tool.cibuildwheel] config-settings", "[tool.cibuildwheel] build-verbosity",
        "[tool.cibuildwheel.linux] before-all", "[tool.cibuildwheel.linux] environment-pass",
        "[tool.cibuildwheel.macos] environment",
        "[tool.cibuildwheel] overrides", "CIBW_BEFORE_ALL_LINUX", "environment (--environment)",
    ]
    # what the host build does honour (selection through the plan, the test step) is not
    assert not [n for n in ignored if "test-" in n or "archs" in n or "build]" in n]
    plain = load_project(PACKAGES / "cext_simple")
    assert host_ignores(plain, options(), MACHINES["github"]["ubuntu-latest"]) == []


# -- what cibuildwheel itself makes of it -----------------------------------------------------
def _cibuildwheel_selects(cmd: list[str], env: dict[str, str], root: Path) -> list[str]:
    """The identifiers cibuildwheel's own option reading selects for this command line and
    environment (in-process: its Options and platform modules, as its main() does)."""
    from cibuildwheel.options import CommandLineArguments, Options
    from cibuildwheel.platforms import linux, macos, windows

    args = CommandLineArguments.defaults()
    args.package_dir = root
    if "--only" in cmd:
        args.only = cmd[cmd.index("--only") + 1]
        platform = {"manylinux": "linux", "musllinux": "linux", "macosx": "macos"}.get(
            args.only.split("-")[1].split("_")[0], "windows")
    else:
        platform = cmd[cmd.index("--platform") + 1]
        args.archs = cmd[cmd.index("--archs") + 1]
    options = Options(platform, args, env)  # type: ignore[arg-type]
    selector = options.globals.build_selector
    archs = options.globals.architectures
    if platform == "macos":
        return [c.identifier for c in macos.all_python_configurations()
                if selector(c.identifier) and any(c.identifier.endswith(a.value) for a in archs)]
    module = linux if platform == "linux" else windows
    return [c.identifier for c in module.get_python_configurations(selector, archs)]


# A user's own selection that would narrow a cell if hwb let it.
NARROWING = {"CIBW_SKIP": "*-musllinux_* *-win32 *-macosx_universal2 pp*",
             "CIBW_ARCHS_LINUX": "aarch64", "CIBW_ARCHS_MACOS": "x86_64",
             "CIBW_ARCHS_WINDOWS": "ARM64", "CIBW_BUILD": "cp39-*"}


@pytest.mark.parametrize(("platform", "targets"), [
    ("linux", ["cp311-manylinux_x86_64", "cp312-manylinux_i686", "cp313-musllinux_x86_64",
               "pp311-manylinux_x86_64", "cp314t-manylinux_x86_64"]),
    ("linux", ["cp312-musllinux_x86_64"]),
    ("macos", ["cp312-macosx_arm64", "cp313-macosx_universal2", "cp313-macosx_x86_64"]),
    ("windows", ["cp312-win_amd64", "cp312-win32", "cp313-win_arm64"]),
    ("windows", ["cp313-win32"]),
])
def test_cibuildwheel_builds_exactly_the_cells_identifiers(platform: Platform,
                                                           targets: list[str]) -> None:
    """One cibuildwheel run per cell: its own option reading, given hwb's command line and
    environment, selects exactly the cell's identifiers, whatever the user's CIBW_* say."""
    root = PACKAGES / "cext_simple"
    cmd = cibuildwheel_command(targets=targets, package=root, output_dir=Path("/o"),
                               platform=platform)
    env = env_for(targets, platform, NARROWING)
    assert sorted(_cibuildwheel_selects(cmd, env, root)) == sorted(targets)

