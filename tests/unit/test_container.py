"""How hwb's settings become cibuildwheel's options, and which targets a container build makes.

No process is started here (as cibuildwheel's own unit tests): the real builds are in
tests/integration/test_container_build.py.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from hwb_action.builder.container import (
    Engine,
    cibuildwheel_command,
    cibuildwheel_environment,
    find_engine,
    require_engine,
)
from hwb_action.builder.decide import Host, container_targets
from hwb_action.errors import BuildError, UsageError
from hwb_action.options import BuildOptions, from_settings
from hwb_action.project import load_project
from hwb_action.settings import resolve

PODMAN = Engine(name="podman", executable="/usr/bin/podman")


X86_LINUX = Host(platform="linux", arch="x86_64", python="/usr/bin/python3",
                 python_version="3.12.0")


def settings(**cli: Any) -> BuildOptions:
    return from_settings(BuildOptions, resolve(
        "build", cli={k.replace("_", "-"): v for k, v in cli.items()}, environ={}))


def env_for(targets: list[str], environ: dict[str, str] | None = None,
            engine: Engine | None = PODMAN, **cli: Any) -> dict[str, str]:
    return cibuildwheel_environment(targets=targets, options=settings(**cli), engine=engine,
                                    environ=environ or {})


def test_one_target_uses_only_and_several_use_build_and_archs() -> None:
    one = cibuildwheel_command(targets=["cp312-manylinux_x86_64"], package=Path("."),
                               output_dir=Path("/o"), python="py")
    assert one == ["py", "-m", "cibuildwheel", "--only", "cp312-manylinux_x86_64",
                   "--output-dir", "/o", "."]
    several = ["cp312-manylinux_x86_64", "cp313-musllinux_aarch64"]
    cmd = cibuildwheel_command(targets=several, package=Path("."), output_dir=Path("/o"),
                               python="py")
    assert "--only" not in cmd
    # the archs on the command line, where a user's CIBW_ARCHS_LINUX cannot narrow them
    assert cmd[3:7] == ["--platform", "linux", "--archs", "x86_64,aarch64"]
    env = env_for(several, {"CIBW_ARCHS_LINUX": "x86_64", "CIBW_SKIP": "*-musllinux*"})
    assert env["CIBW_BUILD"] == "cp312-manylinux_x86_64 cp313-musllinux_aarch64"
    assert env["CIBW_SKIP"] == ""
    assert env["CIBW_ENABLE"] == "all"


def test_settings_become_cibw_variables() -> None:
    env = env_for(
        ["cp311-manylinux_x86_64"],
        environment={"CFLAGS": "-O2 -g", "PATH": "$PATH:/opt/bin"},
        test_command="pytest {project}/tests",
        test_requires=["pytest>=8", "numpy"],
        before_build="pip install cython",
        container_create_args="--network=none --ulimit nofile=1024",
    )
    assert env["CIBW_ENVIRONMENT"] == 'CFLAGS="-O2 -g" PATH="$PATH:/opt/bin"'
    assert env["CIBW_TEST_COMMAND"] == "pytest {project}/tests"
    assert shlex.split(env["CIBW_TEST_REQUIRES"]) == ["pytest>=8", "numpy"]
    assert env["CIBW_BEFORE_BUILD"] == "pip install cython"
    assert env["CIBW_CONTAINER_ENGINE"] == (
        "podman; create_args: --network=none --ulimit nofile=1024")
    assert env["CIBW_PLATFORM"] == "linux"


def test_no_targets_pass_build_skip_archs() -> None:
    env = env_for([], build=["cp31*-*"], skip=["*-musllinux_*"], archs=["x86_64", "i686"])
    assert env["CIBW_BUILD"] == "cp31*-*"
    assert env["CIBW_SKIP"] == "*-musllinux_*"
    assert env["CIBW_ARCHS"] == "x86_64 i686"


@pytest.mark.parametrize(("value", "expected"), [
    ("2_28", "manylinux_2_28"),
    ("manylinux_2_34", "manylinux_2_34"),
    ("2014", "manylinux2014"),
    ("localhost/my-image:1", "localhost/my-image:1"),
    ("quay.io/pypa/manylinux_2_28_x86_64@sha256:ab",) * 2,
])
def test_manylinux_policy_or_image(value: str, expected: str) -> None:
    env = env_for(["cp311-manylinux_x86_64"], manylinux=value)
    assert env["CIBW_MANYLINUX_X86_64_IMAGE"] == expected
    assert env["CIBW_MANYLINUX_PYPY_X86_64_IMAGE"] == expected
    assert "CIBW_MANYLINUX_AARCH64_IMAGE" not in env


def test_musllinux_policy_and_unset_images() -> None:
    env = env_for(["cp311-musllinux_aarch64"], musllinux="1_2")
    assert env["CIBW_MUSLLINUX_AARCH64_IMAGE"] == "musllinux_1_2"
    assert not any(k.startswith("CIBW_MANYLINUX") for k in env)


def test_user_cibw_variables_pass_through_and_hwb_wins_where_both_set() -> None:
    user = {"CIBW_BUILD_VERBOSITY": "2", "CIBW_TEST_COMMAND": "user-cmd",
            "CIBW_CONTAINER_ENGINE": "podman; create_args: --userns=keep-id",
            "CIBW_ENVIRONMENT_PASS_LINUX": "TOKEN_NAME"}
    env = env_for(["cp311-manylinux_x86_64"], environ=user)
    assert env["CIBW_BUILD_VERBOSITY"] == "2"
    assert env["CIBW_TEST_COMMAND"] == "user-cmd"
    assert env["CIBW_CONTAINER_ENGINE"] == "podman; create_args: --userns=keep-id"
    assert env["CIBW_ENVIRONMENT_PASS_LINUX"] == "TOKEN_NAME"
    env = env_for(["cp311-manylinux_x86_64"], environ=user, test_command="hwb-cmd")
    assert env["CIBW_TEST_COMMAND"] == "hwb-cmd"


def test_docker_engine_named_when_found() -> None:
    docker = Engine(name="docker", executable="/usr/bin/docker", host="unix:///run/p.sock")
    env = env_for(["cp311-manylinux_x86_64"], engine=docker)
    assert env["CIBW_CONTAINER_ENGINE"] == "docker"
    assert docker.describe() == "docker at unix:///run/p.sock"


def test_no_engine_on_path_is_a_clear_error(tmp_path: Path) -> None:
    environ = {"PATH": str(tmp_path)}
    assert find_engine(settings(), environ) is None
    with pytest.raises(BuildError) as info:
        require_engine(settings(), environ)
    err = info.value
    assert "no working container engine (docker or podman)" in err.message
    assert err.details == ["docker: docker is not on PATH", "podman: podman is not on PATH"]
    assert err.hint
    assert "--isolation uv" in err.hint
    with pytest.raises(BuildError) as info:
        require_engine(settings(container_engine="podman"), environ)
    assert info.value.details == ["podman: podman is not on PATH"]


def test_targets_come_from_the_plan(packages: Path) -> None:
    project = load_project(packages / "cext_simple")
    cell = container_targets(project, settings(target="cp312-manylinux_x86_64"), X86_LINUX)
    assert cell == ["cp312-manylinux_x86_64"]
    with pytest.raises(UsageError) as info:
        container_targets(project, settings(target="cp27-manylinux_x86_64"), X86_LINUX)
    assert "not in the build plan" in info.value.message
    assert "--target" in info.value.message
    with pytest.raises(UsageError) as info:
        container_targets(project, settings(target="cp312-macosx_arm64"), X86_LINUX)
    assert "Linux targets" in info.value.message
    with pytest.raises(UsageError) as info:  # a typo is a typo, not a non-Linux cell
        container_targets(project, settings(target="cp312-manylinx_x86_64"), X86_LINUX)
    assert "not in the build plan (did you mean 'cp312-manylinux_x86_64'?)" in (
        info.value.message)
    few = container_targets(project, settings(python_versions=["3.11", "3.12"],
                                               platforms=["linux"], archs=["x86_64"]),
                            X86_LINUX)
    # cibuildwheel's selection: musllinux too, as cibuildwheel builds it by default
    assert few == ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64",
                   "cp311-musllinux_x86_64", "cp312-musllinux_x86_64"]


def test_default_targets_are_the_host_arch(packages: Path) -> None:
    project = load_project(packages / "cext_simple")
    ids = container_targets(project, settings(python_versions=["3.11"]), X86_LINUX)
    assert ids == ["cp311-manylinux_x86_64", "cp311-musllinux_x86_64"]  # not i686, aarch64
    arm = Host(platform="linux", arch="arm64", python="/usr/bin/python3",
               python_version="3.12.0")
    assert container_targets(project, settings(python_versions=["3.11"]), arm) == [
        "cp311-manylinux_aarch64", "cp311-musllinux_aarch64"]


def test_failed_build_error_carries_the_compiler_message_not_the_log() -> None:
    from hwb_action.builder.cibw import _failure

    log = "\n".join([
        *(f"noise line {i}" for i in range(200)),
        "src/m.c:4:2: error: #error \"does not compile\"",
        "    4 | #error \"does not compile\"",
        "      |  ^~~~~",
        "ERROR Backend subprocess exited when trying to invoke build_wheel",
        "                                   ✕ 1.99s",
        "cibuildwheel: error: Command ['python', '-m', 'build'] failed with code 1.",
    ])
    err = _failure(1, log, f"with {PODMAN.describe()}", "cp311-manylinux_x86_64",
                   lambda s: s.replace("m.c", "***"))
    assert err.returncode == 1
    assert err.message == ("cibuildwheel failed with exit code 1 building "
                           "cp311-manylinux_x86_64 with podman")
    assert err.details == [
        "src/***:4:2: error: #error \"does not compile\"",
        "    4 | #error \"does not compile\"",
        "      |  ^~~~~",
        "ERROR Backend subprocess exited when trying to invoke build_wheel",
        "cibuildwheel: error: Command ['python', '-m', 'build'] failed with code 1.",
    ]
    quiet = _failure(3, "\n".join(f"line {i}" for i in range(100)), "with podman", "x", str)
    assert quiet.details == [f"line {i}" for i in range(85, 100)]
    assert quiet.hint
    assert "no build identifier matched" in quiet.hint
    native = _failure(1, "boom", "on this macos runner", "cp312-macosx_arm64", str,
                      container=False)
    assert native.message.endswith("building cp312-macosx_arm64 on this macos runner")
    assert native.hint
    assert "CIBW_DEBUG_KEEP_CONTAINER" not in native.hint


def test_cibuildwheel_never_sees_publishing_secrets() -> None:
    """cibuildwheel runs the project's backend, before-build and test commands: the job's
    publishing credentials and OIDC request variables stay behind; build settings pass."""
    secrets = {"HWB_TOKEN": "pypi-x", "TWINE_PASSWORD": "pw", "GITHUB_TOKEN": "ghs_x",
               "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "ACTIONS_ID_TOKEN_REQUEST_URL": "u",
               "PYPI_ID_TOKEN": "jwt", "CI_JOB_TOKEN": "glt", "AWS_SECRET_ACCESS_KEY": "k"}
    env = env_for(["cp312-manylinux_x86_64"], {**secrets, "CFLAGS": "-O2", "CIBW_SKIP": "pp*"})
    assert not set(secrets) & set(env)
    assert env["CFLAGS"] == "-O2"
    assert env["CIBW_SKIP"] == "pp*"  # the user's own CIBW_* untouched


def test_config_settings_reach_cibuildwheel_with_lists_repeated() -> None:
    env = env_for(["cp312-manylinux_x86_64"],
                  config_settings={"key": ["a", "b c"], "flag": ""})
    assert env["CIBW_CONFIG_SETTINGS"] == "key=a 'key=b c' flag="
