"""The plan as a GitLab child pipeline: GitLab's equivalent of GitHub's ``fromJSON(matrix)``.

A ``plan`` job runs ``hwb plan --format gitlab-pipeline > hwb-pipeline.yml`` and keeps the file
as an artifact; a trigger job runs it::

    hwb-plan:
      script: [hwb plan --format gitlab-pipeline --gitlab-publish > hwb-pipeline.yml]
      artifacts: {paths: [hwb-pipeline.yml]}
    hwb-build:
      needs: [hwb-plan]
      variables: {HWB_ACTION_SPEC: "hwb-action==X.Y.Z"}
      trigger:
        include: [{artifact: hwb-pipeline.yml, job: hwb-plan}]
        strategy: depend

The pipeline has an ``sdist`` job (a binary plan's sdist cell), a build job per wheel cell
(or one ``parallel: matrix`` job per runner tag that several cells share), each keeping
``dist/`` as its artifact, and, with
``--gitlab-publish``, a ``publish`` job that fans in with ``needs:`` and asks GitLab for the
OIDC tokens trusted publishing (``PYPI_ID_TOKEN``, audience ``pypi``) and PEP 740
attestations (``SIGSTORE_ID_TOKEN``, audience ``sigstore``) take.

How the jobs install hwb is the parent's to say, through variables that a trigger job passes
down (they take precedence over the defaults written here):

``HWB_INSTALL``
    the shell command that installs hwb (default ``python -m pip install "$HWB_ACTION_SPEC"``,
    which GitLab expands); it runs through ``eval`` (``Invoke-Expression`` on Windows
    runners), so it must be a command both understand where Windows cells exist;
``HWB_ACTION_SPEC``
    the requirement that command installs (default ``hwb-action``: pin it);
``HWB_CI_IMAGE``
    the image of the Linux jobs (default ``python:3.12``).  Linux cells run cibuildwheel,
    which starts manylinux/musllinux containers: the runner must allow that.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from hwb_action.plan.model import SDIST_TARGET, Cell, Plan

DEFAULT_INSTALL = 'python -m pip install "$HWB_ACTION_SPEC"'
DEFAULT_SPEC = "hwb-action"
DEFAULT_IMAGE = "python:3.12"
# Files every job keeps: the distributions and what the reporter writes (summary, outputs).
_KEEP = ["dist/", "hwb-summary.md", "hwb-outputs/"]
_JOB_BAD = re.compile(r"[^a-z0-9_.-]+")


def _job_name(prefix: str, name: str, taken: set[str]) -> str:
    base = f"{prefix}-" + (_JOB_BAD.sub("-", name.lower()).strip("-") or "cell")
    job, number = base, 2
    while job in taken:
        job, number = f"{base}-{number}", number + 1
    taken.add(job)
    return job


def _script(platform: str, command: str) -> list[str]:
    """Install hwb the parent's way, then run ``command``; PowerShell on Windows runners."""
    if platform == "windows":
        return ["Invoke-Expression $env:HWB_INSTALL", "hwb --version", command]
    return ['eval "$HWB_INSTALL"', "hwb --version", command]


def _job(*, platform: str, tag: str | None, command: str, stage: str) -> dict[str, Any]:
    job: dict[str, Any] = {"stage": stage}
    if platform == "linux":
        job["image"] = "$HWB_CI_IMAGE"
    if tag:
        job["tags"] = [tag]
    job["script"] = _script(platform, command)
    job["artifacts"] = {"when": "always", "expire_in": "1 week", "paths": list(_KEEP),
                        "reports": {"dotenv": "hwb.env"}}
    return job


def _group(cells: list[Cell]) -> dict[tuple[str, str], list[Cell]]:
    groups: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.runner, cell.platform), []).append(cell)
    return groups


def child_pipeline(plan: Plan, *, publish: bool = False) -> dict[str, Any]:
    """The child pipeline of ``plan`` as data (see the module docstring)."""
    pipeline: dict[str, Any] = {
        "stages": ["build", "deploy"] if publish else ["build"],
        "variables": {
            "HWB_ACTION_SPEC": DEFAULT_SPEC,
            # GitLab expands $HWB_ACTION_SPEC in it (with the value the parent passed down)
            # before the job starts: the command holds no variable, for bash and PowerShell.
            "HWB_INSTALL": DEFAULT_INSTALL,
            "HWB_CI_IMAGE": DEFAULT_IMAGE,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
    }
    taken: set[str] = set()
    build_jobs: list[str] = []
    # Every pipeline ships the sdist from this one job: it is a binary plan's sdist cell
    # (left out of the cells below), and the pure cell builds its wheel alone.
    sdist = _job_name("hwb", "sdist", taken)
    pipeline[sdist] = _job(platform="linux", tag=None, command="hwb build --sdist",
                           stage="build")
    build_jobs.append(sdist)
    wheel_cells = [c for c in plan.cells("gitlab") if c.target != SDIST_TARGET]
    for (tag, platform), cells in _group(wheel_cells).items():
        if len(cells) == 1:
            cell = cells[0]
            name = _job_name("hwb-build", cell.artifact_name.removeprefix("dist-"), taken)
            # Identifiers are [a-z0-9_.-] and commas: safe unquoted in every shell.  The pure
            # cell would build an sdist too: the sdist job's is the one published.
            wheel = "--wheel " if cell.target == "pure" else ""
            job = _job(platform=platform, tag=tag,
                       command=f"hwb build {wheel}--target {cell.target}", stage="build")
        else:
            # Cells that share a runner tag: one job, GitLab fans it out.  `hwb build` reads
            # HWB_TARGET as its --target, in any shell.
            name = _job_name("hwb-build", f"{platform}-{tag}", taken)
            job = _job(platform=platform, tag=tag, command="hwb build", stage="build")
            job["parallel"] = {"matrix": [{"HWB_TARGET": [c.target for c in cells]}]}
        pipeline[name] = job
        build_jobs.append(name)
    if publish:
        name = _job_name("hwb", "publish", taken)
        job = _job(platform="linux", tag=None, command="hwb publish", stage="deploy")
        job["needs"] = [{"job": j, "artifacts": True} for j in build_jobs]
        job["environment"] = {"name": "pypi"}
        job["id_tokens"] = {"PYPI_ID_TOKEN": {"aud": "pypi"},
                            "SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
        job["artifacts"]["paths"] = [p for p in _KEEP if p != "dist/"]
        pipeline[name] = job
    return pipeline


def format_pipeline(plan: Plan, *, publish: bool = False) -> str:
    """:func:`child_pipeline` as YAML, in the order GitLab shows it."""
    header = ("# Generated by `hwb plan --format gitlab-pipeline`: run it with a trigger job\n"
              "# (trigger: include: - artifact: FILE, job: NAME).\n")
    return header + yaml.safe_dump(child_pipeline(plan, publish=publish), sort_keys=False,
                                   default_flow_style=False, width=1000).rstrip("\n")
