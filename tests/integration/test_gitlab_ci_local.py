"""The GitLab template and the example pipeline, run for real by gitlab-ci-local.

gitlab-ci-local (npm) reads a project's ``.gitlab-ci.yml`` as GitLab does (includes, extends,
rules, needs, parallel:matrix, dotenv reports, artifacts, trigger jobs and their child
pipelines) and runs the jobs: in the host's shell (``--force-shell-executor``: the jobs'
``image:`` is the host, with this test's Python as ``python3``), each in its own copy of the
project (``--shell-isolation``), as a runner's jobs run apart; or in their images through
podman, from a locally built image.  hwb is installed the template's way: HWB_ACTION_REPO is
this checkout committed into a repository of its own, HWB_ACTION_REF that commit.  A tag
pipeline's child publishes to pypiserver on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwb_action.plan.pipeline import INSTALL_SCRIPT
from tests.container_support import Unavailable, podman_env
from tests.gitlab_support import (
    EXAMPLE,
    ROOT,
    TEMPLATE,
    action_repository,
    ensure_gitlab_image,
    find_gitlab_ci_local,
    git,
    parse_gitlab_dotenv,
)
from tests.publish_support import PypiServer, running

pytestmark = pytest.mark.slow
_PASS_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE",
                 "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "UV_CACHE_DIR")
CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
SDIST = "action_demo-1.0.0.tar.gz"
WHEEL = "action_demo-1.0.0-py3-none-any.whl"


class Runner:
    """gitlab-ci-local with what the jobs share: hwb-action's repository, the temporary
    directory where the install keeps its environments (one per lock, reused by later jobs
    as on a shell runner) and a uv cache."""

    def __init__(self, program: str, work: Path) -> None:
        self.program = program
        self.work = work
        self.url, self.commit = action_repository(work)
        bin_dir = work / "bin"
        bin_dir.mkdir()
        # The jobs' python3 is this test's interpreter (Python 3.11+, as the template asks).
        (bin_dir / "python3").symlink_to(sys.executable)
        node = shutil.which("node")
        path = [str(bin_dir), str(Path(program).parent),
                *([str(Path(node).parent)] if node else []), "/usr/bin", "/bin"]
        self.env = {
            "PATH": os.pathsep.join(path), "HOME": str(work / "home"),
            "TMPDIR": str(work / "tmp"), "UV_CACHE_DIR": str(work / "uv-cache"),
            # GITLAB_CI is ours to set (the reporter reads it); gitlab-ci-local warns.
            "GCL_IGNORE_PREDEFINED_VARS": "GITLAB_CI,CI_PIPELINE_SOURCE",
            **{k: v for k, v in os.environ.items() if k in _PASS_THROUGH},
        }
        (work / "tmp").mkdir()

    def project(self, name: str, pipeline: dict[str, Any],
                variables: dict[str, str] | None = None) -> Path:
        """A git project: the action_demo package, the template as ci/hwb.gitlab-ci.yml,
        ``pipeline`` as its .gitlab-ci.yml and ``variables`` as project variables."""
        project = self.work / name
        shutil.copytree(ROOT / "tests" / "packages" / "action_demo", project)
        (project / "ci").mkdir()
        shutil.copy2(TEMPLATE, project / "ci" / "hwb.gitlab-ci.yml")
        (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False),
                                                encoding="utf-8")
        # Project variables (gitlab-ci-local's file), which the child pipeline sees too:
        # GitLab's runner sets GITLAB_CI=true; gitlab-ci-local says "false" unless told.
        (project / ".gitlab-ci-local-variables.yml").write_text(
            yaml.safe_dump({"GITLAB_CI": "true", **(variables or {})}), encoding="utf-8")
        git(project, "init", "-q", "-b", "main")
        git(project, "add", "-A")
        git(project, "commit", "-qm", "demo")
        git(project, "remote", "add", "origin", "https://gitlab.example.com/demo/action-demo.git")
        return project

    def run(self, project: Path, *args: str, image: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        """Every job in the host's shell; with ``image``, the jobs with an ``image:`` in
        podman containers (and ``image`` as gitlab-ci-local's helper image)."""
        common = ["--no-artifacts-to-source", "--home", str(self.work / "home"), "--no-color",
                  "--concurrency", "2", *args]
        if image is None:
            return subprocess.run([self.program, "--force-shell-executor", "--shell-isolation",
                                   *common], cwd=project, env=self.env, capture_output=True,
                                  text=True, check=False, timeout=900)
        repo = self.url.removeprefix("file://")
        mode = ["--container-executable", "podman", "--pull-policy", "if-not-present",
                "--helper-image", image, "--volume", f"{repo}:{repo}:ro"]
        if CA_BUNDLE.is_file():  # a proxy's CA that the host trusts, the jobs too
            mode += ["--ca-file", str(CA_BUNDLE)]
        env = podman_env(self.env)
        env["PATH"] += f"{os.pathsep}/usr/sbin{os.pathsep}/sbin"  # podman's CNI runs iptables
        before = _gcl_volumes(env)
        try:
            return subprocess.run([self.program, *mode, *common], cwd=project, env=env,
                                  capture_output=True, text=True, check=False, timeout=900)
        finally:
            # gitlab-ci-local leaves its helper containers and their volumes: remove ours.
            for volume in _gcl_volumes(env) - before:
                users = _podman_out(env, "ps", "-a", "-q", "--filter", f"volume={volume}")
                for container in users.split():
                    _podman_out(env, "rm", "-f", container)
                _podman_out(env, "volume", "rm", "-f", volume)


def _podman_out(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["podman", *args], env=env, capture_output=True, text=True,
                          check=False, timeout=120).stdout


def _gcl_volumes(env: dict[str, str]) -> set[str]:
    names = _podman_out(env, "volume", "ls", "--format", "{{.Name}}").split()
    return {name for name in names if name.startswith("gcl-")}


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    program = find_gitlab_ci_local()
    if program is None:
        pytest.skip("gitlab-ci-local is not installed: .ci/run installs it "
                    "(npm install -g gitlab-ci-local@4.65.1)")
    if shutil.which("rsync") is None:  # gitlab-ci-local's --shell-isolation copies with it
        pytest.skip("rsync is not installed (gitlab-ci-local needs it; .ci/run installs it)")
    return Runner(program, tmp_path_factory.mktemp("gitlab-ci-local"))


def _artifacts(project: Path, job: str) -> Path:
    return project / ".gitlab-ci-local" / "artifacts" / job


def _dotenv(project: Path, job: str) -> dict[str, str]:
    report = _artifacts(project, job) / ".gitlab-ci-reports" / "dotenv" / "hwb.env"
    return parse_gitlab_dotenv(report.read_text(encoding="utf-8"))


def _log(project: Path, job: str) -> str:
    return (project / ".gitlab-ci-local" / "output" / f"{job}.log").read_text(encoding="utf-8")


def _check_plan_and_child(project: Path) -> None:
    # The child pipeline that hwb-plan kept: valid for GitLab, installing as the template does.
    child_file = _artifacts(project, "hwb-plan") / "hwb-pipeline.yml"
    check = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                            "vendor.gitlab-ci", str(child_file)],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    child = yaml.safe_load(child_file.read_text(encoding="utf-8"))
    assert [k for k in child if k.startswith("hwb-")] == ["hwb-sdist", "hwb-build-pure"]
    assert child[".hwb"]["before_script"][0] == INSTALL_SCRIPT
    assert "hwb-publish" not in child  # not a tag pipeline
    assert "HWB_OUTPUT_MATRIX" in _dotenv(project, "hwb-plan")
    assert "Build plan for action-demo" in (
        _artifacts(project, "hwb-plan") / "hwb-summary.md").read_text(encoding="utf-8")

    # The child's jobs got HWB_ACTION_REPO/REF from the parent (their own default is empty:
    # the install would have stopped) and installed the build lock from that repository.
    for job, built, output in (("hwb-sdist", SDIST, "HWB_OUTPUT_SDIST"),
                               ("hwb-build-pure", WHEEL, "HWB_OUTPUT_WHEELS")):
        assert "installing hwb-action into" in _log(project, job)
        dist = _artifacts(project, job) / "dist"
        assert sorted(p.name for p in dist.iterdir()) == ["SHA256SUMS", built]
        values = _dotenv(project, job)
        assert values[output].endswith(f"/dist/{built}")
        assert built in (_artifacts(project, job) / "hwb-summary.md").read_text(encoding="utf-8")


def test_the_plan_drives_a_child_pipeline(runner: Runner) -> None:
    # The template unmodified, included as a project includes it, with the plan switched on.
    project = runner.project("planned", {
        "include": [{"local": "ci/hwb.gitlab-ci.yml"}],
        "variables": {"HWB_ACTION_REPO": runner.url, "HWB_ACTION_REF": runner.commit,
                      "HWB_CI_PLAN": "true"},
    })
    done = runner.run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    # The parent ran hwb-plan and the trigger job, whose child ran one job per cell.
    for line in ("PASS  hwb-plan", "PASS  hwb-matrix", "PASS  [hwb-matrix] -> hwb-sdist",
                 "PASS  [hwb-matrix] -> hwb-build-pure"):
        assert line in done.stdout, done.stdout
    assert "hwb-build " not in done.stdout  # the parallel:matrix jobs are the other route

    _check_plan_and_child(project)


def test_the_example_pipeline_runs(runner: Runner) -> None:
    # examples/gitlab/.gitlab-ci.yml as it is, but for the include (this checkout's template,
    # not the placeholder commit's) and where hwb is installed from.
    example: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    (include,) = example["include"]
    assert include["remote"].endswith("/templates/hwb.gitlab-ci.yml")
    example["include"] = [{"local": "ci/hwb.gitlab-ci.yml"}]
    example["variables"] |= {"HWB_ACTION_REPO": runner.url, "HWB_ACTION_REF": runner.commit}
    project = runner.project("example", example)
    done = runner.run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    pythons = example["hwb-build"]["parallel"]["matrix"][0]["HWB_CI_PYTHON"]
    builds = [f"hwb-build: [{python}]" for python in pythons]
    for job in ("hwb-sdist", *builds, "smoke-test"):
        assert f"PASS  {job}" in done.stdout, done.stdout
    assert "hwb-plan" not in done.stdout and "hwb-publish" not in done.stdout
    values = _dotenv(project, "hwb-sdist")
    assert values["HWB_OUTPUT_SDIST"].endswith(f"/dist/{SDIST}")
    # The dotenv report reached the later job's script, and the sdist with it.
    smoke = _log(project, "smoke-test")
    assert f"hwb-sdist built {values['HWB_OUTPUT_SDIST']}" in smoke
    assert "action_demo-1.0.0/pyproject.toml" in smoke
    # One wheel job per matrix cell (gitlab-ci-local names their artifact folders its way).
    cells = [d.name for d in (project / ".gitlab-ci-local" / "artifacts").iterdir()
             if d.name.startswith("hwb-build")]
    assert len(cells) == len(pythons)
    for cell in cells:
        assert _dotenv(project, cell)["HWB_OUTPUT_WHEELS"].endswith(f"/dist/{WHEEL}")


@pytest.mark.container
def test_the_plan_and_its_child_run_in_containers(runner: Runner) -> None:
    # The jobs as a Docker runner runs them: in their image (a local one: no registry is
    # reachable here), through podman, hwb-action's repository mounted at its path.
    try:
        image = ensure_gitlab_image()
    except Unavailable as err:
        pytest.skip(f"no container engine can run here: {err}")
    variables = {"PIP_CERT": "/etc/ssl/certs/ca-certificates.crt"} if CA_BUNDLE.is_file() else {}
    project = runner.project("containers", {
        "include": [{"local": "ci/hwb.gitlab-ci.yml"}],
        "variables": {"HWB_ACTION_REPO": runner.url, "HWB_ACTION_REF": runner.commit,
                      "HWB_CI_PLAN": "true", "HWB_CI_IMAGE": image},
    }, variables)
    done = runner.run(project, image=image)
    assert done.returncode == 0, done.stdout + done.stderr
    for job in ("hwb-plan", "[hwb-matrix] -> hwb-sdist", "[hwb-matrix] -> hwb-build-pure"):
        assert f"starting {image}" in next(
            line for line in done.stdout.splitlines() if line.lstrip().startswith(job)), job
    _check_plan_and_child(project)
    # Built inside the container, at the project directory GitLab's runners use.
    assert _dotenv(project, "hwb-sdist")["HWB_OUTPUT_SDIST"].startswith("/builds/")


def test_a_tag_pipeline_publishes_from_the_child(runner: Runner, tmp_path: Path) -> None:
    # On a tag hwb-plan adds the publish job to the child pipeline; it fans in the sdist and
    # the wheel (needs: artifacts) and uploads them, here to pypiserver on 127.0.0.1 with a
    # password given as project variables (GitLab's masked variables), not an ID token.
    password = "gitlab-ci-local-pw-5d1e"
    with contextlib.contextmanager(running)(PypiServer(tmp_path / "index",
                                                       {"uploader": password})) as index:
        project = runner.project("tagged", {
            "include": [{"local": "ci/hwb.gitlab-ci.yml"}],
            "variables": {"HWB_ACTION_REPO": runner.url, "HWB_ACTION_REF": runner.commit,
                          "HWB_CI_PLAN": "true"},
        }, {"CI_COMMIT_TAG": "v1.0.0", "HWB_REPOSITORY": index.url,
            "TWINE_USERNAME": "uploader", "TWINE_PASSWORD": password})
        done = runner.run(project)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "PASS  [hwb-matrix] -> hwb-publish" in done.stdout, done.stdout
        child = yaml.safe_load((_artifacts(project, "hwb-plan") / "hwb-pipeline.yml").read_text())
        assert [n["job"] for n in child["hwb-publish"]["needs"]] == ["hwb-sdist", "hwb-build-pure"]
        assert sorted(p.name for p in index.packages.iterdir()) == [WHEEL, SDIST]
        log = _log(project, "hwb-publish")
        assert "installing hwb-action into" in log and "-publish from action-publish.txt" in log
        assert password not in done.stdout + log
        assert SDIST in (_artifacts(project, "hwb-publish") / "hwb-summary.md").read_text()
