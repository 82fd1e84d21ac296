"""The GitLab template installs hwb as the action does, from hwb-action's project at a ref.

The template's hidden ``.hwb`` job's ``before_script`` and a job's ``script`` run in bash
(as GitLab's shell does, ``-e -o pipefail``) with the template's variables; HWB_ACTION_REPO is
a local git repository holding this checkout, HWB_ACTION_REF its commit.
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

from tests.gitlab_support import ROOT, TEMPLATE, action_repository

_PASS_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE",
                 "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "UV_CACHE_DIR")


def _job(name: str) -> tuple[dict[str, str], list[str]]:
    template: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    job = template[name]
    base = template[job["extends"]]
    variables = {**template["variables"], **base["variables"], **job.get("variables", {})}
    return ({k: str(v) for k, v in variables.items()},
            [*base["before_script"], *job["script"]])


def _run(tmp_path: Path, name: str, variables: dict[str, str], lines: list[str]
         ) -> subprocess.CompletedProcess[str]:
    ws = tmp_path / "project"
    if not ws.exists():
        shutil.copytree(ROOT / "tests" / "packages" / "action_demo", ws)
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
           "HOME": str(tmp_path), "CI": "true", "GITLAB_CI": "true",
           "CI_PROJECT_DIR": str(ws), "TMPDIR": str(tmp), "PIP_CONFIG_FILE": os.devnull,
           **{k: v for k, v in os.environ.items() if k in _PASS_THROUGH}, **variables}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", "\n".join(lines)], cwd=ws,
                          env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.slow
def test_build_job_installs_hwb_from_the_project_at_the_ref(tmp_path: Path) -> None:
    url, commit = action_repository(tmp_path)
    variables, script = _job("hwb-sdist")
    assert variables["HWB_CI_COMMAND"] == "build"
    variables |= {"HWB_ACTION_REPO": url, "HWB_ACTION_REF": commit}
    done = _run(tmp_path, "hwb-sdist", variables, [*script, "command -v hwb"])
    assert done.returncode == 0, done.stdout + done.stderr
    hwb = Path(done.stdout.strip().splitlines()[-1])
    # The private environment of the build lock, not the test's own hwb.
    assert hwb.parent.parent.name.endswith("-build"), hwb
    assert hwb.is_relative_to(tmp_path / "tmp" / "hwb-action")
    assert (tmp_path / "project" / "dist" / "action_demo-1.0.0.tar.gz").is_file()
    assert "hwb 0.1.0" in done.stdout  # `hwb --version` of the before_script


@pytest.mark.slow
def test_publish_job_installs_the_publish_lock(tmp_path: Path) -> None:
    url, commit = action_repository(tmp_path)
    variables, _ = _job("hwb-publish")
    assert variables["HWB_CI_COMMAND"] == "publish"
    variables |= {"HWB_ACTION_REPO": url, "HWB_ACTION_REF": commit}
    template: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    done = _run(tmp_path, "hwb-publish", variables,
                [*template[".hwb"]["before_script"], "command -v hwb"])
    assert done.returncode == 0, done.stdout + done.stderr
    venv = Path(done.stdout.strip().splitlines()[-1]).parent.parent
    assert venv.name.endswith("-publish")
    installed = {p.name.split("-")[0].lower()
                 for p in venv.glob("lib/python3*/site-packages/*.dist-info")}
    assert {"twine", "id", "hwb_action"} <= installed
    assert not installed & {"cibuildwheel", "build", "uv", "auditwheel"}


def test_a_job_without_the_ref_says_what_to_set(tmp_path: Path) -> None:
    variables, script = _job("hwb-sdist")
    assert variables["HWB_ACTION_REF"] == ""  # the template cannot know its own commit
    done = _run(tmp_path, "hwb-sdist", variables, script)
    assert done.returncode == 2
    assert "HWB_ACTION_REF" in done.stderr
    assert not (tmp_path / "project" / "dist").exists()
