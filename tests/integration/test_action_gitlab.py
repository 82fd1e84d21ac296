"""The GitLab template's jobs, run the way a GitLab runner runs them (without GitLab).

Each job's variables (the template's, the hidden .hwb job's, one parallel:matrix cell) and
its script lines run in bash with GITLAB_CI=true in a copy of a fixture project; then what
GitLab would collect is checked: the artifact paths, the summary, and a dotenv report that
GitLab's own rules accept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwb_action.options import PlanOptions, from_settings
from hwb_action.plan import plan_targets
from hwb_action.plan.pipeline import child_pipeline
from hwb_action.project import load_project
from hwb_action.settings import resolve
from tests.gitlab_support import ROOT, TEMPLATE, parse_gitlab_dotenv


def _job(template: dict[str, Any], name: str) -> tuple[dict[str, str], list[str]]:
    job = template[name]
    base = template[job["extends"]]
    variables = {**template["variables"], **base.get("variables", {}),
                 **job.get("variables", {})}
    for cell in job.get("parallel", {}).get("matrix", [])[:1]:
        variables.update({k: v[0] if isinstance(v, list) else v for k, v in cell.items()})
    return {k: str(v) for k, v in variables.items()}, list(job["script"])


def _run_job(name: str, workspace: Path, extra: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    template = yaml.safe_load(TEMPLATE.read_text())
    variables, script = _job(template, name)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
           "HOME": str(workspace.parent), "CI": "true", "GITLAB_CI": "true",
           "CI_PROJECT_DIR": str(workspace), "PIP_CONFIG_FILE": os.devnull,
           **variables, **(extra or {})}
    # hwb is installed in the test environment: the before_script's pip install is skipped.
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", "\n".join(script)],
                          cwd=workspace, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    if shutil.which("hwb", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the hwb console script is not installed (pip install -e .)")
    ws = tmp_path / "project"
    shutil.copytree(ROOT / "tests" / "packages" / "action_demo", ws)
    return ws


@pytest.mark.parametrize(("job", "built", "output"), [
    ("hwb-sdist", "action_demo-1.0.0.tar.gz", "HWB_OUTPUT_SDIST"),
    ("hwb-build", "action_demo-1.0.0-py3-none-any.whl", "HWB_OUTPUT_WHEELS"),
])
def test_jobs_leave_what_the_template_collects(workspace: Path, job: str, built: str,
                                                output: str) -> None:
    template = yaml.safe_load(TEMPLATE.read_text())
    proc = _run_job(job, workspace, {"HWB_ISOLATION": "none"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "section_start:" in proc.stderr  # collapsible sections around the builds
    assert sorted(p.name for p in (workspace / "dist").iterdir()) == ["SHA256SUMS", built]
    for path in template[".hwb"]["artifacts"]["paths"]:
        if path != "hwb-outputs/":
            assert (workspace / path).exists(), path
    assert built in (workspace / "hwb-summary.md").read_text()
    dotenv = workspace / template[".hwb"]["artifacts"]["reports"]["dotenv"]
    values = parse_gitlab_dotenv(dotenv.read_text())
    assert values[output].endswith(f"dist/{built}")
    assert Path(values[output]).is_file()
    artifacts = (workspace / values["HWB_OUTPUT_ARTIFACTS_FILE"]).read_text() if (
        "HWB_OUTPUT_ARTIFACTS_FILE" in values) else values["HWB_OUTPUT_ARTIFACTS"]
    assert built in artifacts
    # Nothing in the dotenv report is an option that a later job's hwb would pick up.
    assert [k for k in values if not k.startswith("HWB_OUTPUT_")] == []


def test_gitlab_dotenv_rules_are_enforced() -> None:
    with pytest.raises(ValueError, match="invalid"):
        parse_gitlab_dotenv("A=1\n\nB=2\n")
    with pytest.raises(ValueError, match="invalid"):
        parse_gitlab_dotenv("MULTI=a\nb\n")
    assert parse_gitlab_dotenv("A=1\nB= 2 \n") == {"A": "1", "B": "2"}


def test_release_notes_reach_a_later_job_through_a_file(workspace: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                        "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                       cwd=workspace, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "chore: initial")
    git("tag", "v1.0.0")
    (workspace / "f.txt").write_text("x\n")
    git("add", "f.txt")
    git("commit", "-qm", "fix: 50% fewer crashes\n\nbody")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITLAB_CI": "true",
           "HOME": str(workspace.parent)}
    proc = subprocess.run(["hwb", "version"], cwd=workspace, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    values = parse_gitlab_dotenv((workspace / "hwb.env").read_text())
    assert values["HWB_OUTPUT_VERSION"] == "1.0.1"
    assert values["HWB_OUTPUT_TAG"] == "v1.0.1"
    notes = (workspace / values["HWB_OUTPUT_RELEASE_NOTES_FILE"]).read_text()
    assert "50% fewer crashes" in notes
    assert "\n" in notes


def test_the_child_pipeline_installs_hwb_as_the_template_does() -> None:
    template = yaml.safe_load(TEMPLATE.read_text())
    demo = ROOT / "tests" / "packages" / "action_demo"
    settings = resolve("plan", cli={}, environ={}, project_dir=demo)
    plan = plan_targets(load_project(demo), from_settings(PlanOptions, settings), environ={})
    child = child_pipeline(plan, publish=True)
    # One install: the same before_script, reporter variables and artifacts.
    assert child[".hwb"]["before_script"] == template[".hwb"]["before_script"]
    for key, value in child[".hwb"]["variables"].items():
        assert template[".hwb"]["variables"][key] == value
    assert child[".hwb"]["artifacts"] == template[".hwb"]["artifacts"]
    assert child["variables"]["HWB_ACTION_REPO"] == template["variables"]["HWB_ACTION_REPO"]
    # The trigger job runs what hwb-plan writes, and passes the parent's variables down.
    plan_job, trigger = template["hwb-plan"], template["hwb-matrix"]
    assert "hwb-pipeline.yml" in plan_job["artifacts"]["paths"]
    assert "> hwb-pipeline.yml" in plan_job["script"][-1]
    assert trigger["trigger"]["include"] == [{"artifact": "hwb-pipeline.yml", "job": "hwb-plan"}]
    assert trigger["trigger"]["forward"] == {"yaml_variables": True, "pipeline_variables": True}
    assert "extends" not in trigger  # .hwb's job variables would override the child's own
