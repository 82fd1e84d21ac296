"""The plan as a GitLab child pipeline: GitLab's equivalent of GitHub's ``fromJSON(matrix)``.

The template's ``hwb-plan`` job (``templates/hwb.gitlab-ci.yml``, with ``HWB_CI_PLAN: "true"``)
runs ``hwb plan --format gitlab-pipeline > hwb-pipeline.yml`` and keeps the file as an
artifact; its ``hwb-matrix`` trigger job runs it::

    hwb-matrix:
      needs: [{job: hwb-plan, artifacts: true}]
      trigger:
        include: [{artifact: hwb-pipeline.yml, job: hwb-plan}]
        strategy: depend
        forward: {yaml_variables: true, pipeline_variables: true}

The pipeline has an ``hwb-sdist`` job (a binary plan's sdist cell), a build job per wheel
cell (or one ``parallel: matrix`` job per runner tag that several cells share), each keeping
``dist/`` as its artifact, and, with ``--gitlab-publish``, an ``hwb-publish`` job that fans in
with ``needs:`` and asks GitLab for the OIDC tokens trusted publishing (``PYPI_ID_TOKEN``,
audience ``pypi``) and PEP 740 attestations (``SIGSTORE_ID_TOKEN``, audience ``sigstore``)
take.  Publishing lives here, in the child, because a parent job cannot ``needs:`` the
artifacts of a child pipeline's jobs.

Every job installs hwb exactly as the template's jobs do (the same ``.hwb`` hidden job:
:data:`INSTALL_SCRIPT`, a test holds the two equal): it fetches ``HWB_ACTION_REPO`` at
``HWB_ACTION_REF`` and runs its ``entrypoint.py --install COMMAND`` (the hash-pinned lock of
the command, then hwb-action with ``--no-deps``).  Never a package name: hwb-action is not on
PyPI.  The parent's variables (``HWB_ACTION_REPO``, ``HWB_ACTION_REF``, ``HWB_CI_IMAGE``, hwb's
``HWB_*`` options) reach the child through the trigger job and take precedence over the
defaults written here.  Linux cells run cibuildwheel, which starts manylinux/musllinux
containers: their runner must allow that.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from hwb_action.plan.model import SDIST_TARGET, Cell, Plan

DEFAULT_ACTION_REPO = "https://github.com/hwb-action/hwb-action.git"
DEFAULT_IMAGE = "python:3.12"
# The install, in bash (Linux images, macOS shell runners): the template's `.hwb`
# before_script, line for line.  A job without HWB_ACTION_REF stops (exit 2) saying so.
# python3 first: Debian-based images and macOS have no `python`; the python images have both.
INSTALL_SCRIPT = """\
if [ -z "${HWB_ACTION_REF:-}" ]; then
  echo "ERROR: set the variable HWB_ACTION_REF to the commit of hwb-action your include:" >&2
  echo "names (hwb is installed from HWB_ACTION_REPO at that commit)" >&2
  exit 2
fi
hwb_action_dir="$(mktemp -d)"
git init --quiet "$hwb_action_dir"
git -C "$hwb_action_dir" fetch --quiet --depth 1 "$HWB_ACTION_REPO" "$HWB_ACTION_REF"
git -C "$hwb_action_dir" checkout --quiet FETCH_HEAD
hwb_python="$(command -v python3 || command -v python)"
hwb_bin="$("$hwb_python" "$hwb_action_dir/entrypoint.py" --install "$HWB_CI_COMMAND")"
export PATH="$hwb_bin:$PATH"
"""
# The same on Windows runners (PowerShell): native commands do not stop the script on
# failure there, so each exit code is checked.
INSTALL_POWERSHELL = """\
if (-not $env:HWB_ACTION_REF) {
  [Console]::Error.WriteLine("ERROR: set the variable HWB_ACTION_REF to the commit of " +
    "hwb-action your include: names (hwb is installed from HWB_ACTION_REPO at that commit)")
  exit 2
}
$hwb_action_dir = Join-Path ([IO.Path]::GetTempPath()) ("hwb-action-" + [guid]::NewGuid())
git init --quiet $hwb_action_dir
if ($LASTEXITCODE) { exit $LASTEXITCODE }
git -C $hwb_action_dir fetch --quiet --depth 1 $env:HWB_ACTION_REPO $env:HWB_ACTION_REF
if ($LASTEXITCODE) { exit $LASTEXITCODE }
git -C $hwb_action_dir checkout --quiet FETCH_HEAD
if ($LASTEXITCODE) { exit $LASTEXITCODE }
$hwb_bin = python (Join-Path $hwb_action_dir entrypoint.py) --install $env:HWB_CI_COMMAND
if ($LASTEXITCODE) { exit $LASTEXITCODE }
$env:PATH = "$hwb_bin;$env:PATH"
"""
# What the reporter writes, where the template keeps it: the summary, the outputs, a dotenv.
REPORTER_VARIABLES = {"HWB_CI_DOTENV": "hwb.env", "HWB_CI_SUMMARY": "hwb-summary.md",
                      "HWB_CI_OUTPUTS_DIR": "hwb-outputs"}
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


def _base(platform: str) -> str:
    """The hidden job a cell's job extends: the install in its runner's shell."""
    return ".hwb-windows" if platform == "windows" else ".hwb"


def _hidden(install: str) -> dict[str, Any]:
    return {"variables": {**REPORTER_VARIABLES, "HWB_CI_COMMAND": "build"},
            "before_script": [install, "hwb --version"],
            "artifacts": {"when": "always", "expire_in": "1 week", "paths": list(_KEEP),
                          "reports": {"dotenv": REPORTER_VARIABLES["HWB_CI_DOTENV"]}}}


def _job(*, platform: str, tag: str | None, command: str, stage: str) -> dict[str, Any]:
    job: dict[str, Any] = {"extends": _base(platform), "stage": stage}
    if platform == "linux":
        job["image"] = "$HWB_CI_IMAGE"
    if tag:
        job["tags"] = [tag]
    job["script"] = [command]
    return job


def _group(cells: list[Cell]) -> dict[tuple[str, str], list[Cell]]:
    groups: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.runner, cell.platform), []).append(cell)
    return groups


def child_pipeline(plan: Plan, *, publish: bool = False) -> dict[str, Any]:
    """The child pipeline of ``plan`` as data (see the module docstring)."""
    platforms = {cell.platform for cell in plan.cells("gitlab")}
    pipeline: dict[str, Any] = {
        "stages": ["build", "deploy"] if publish else ["build"],
        # Defaults only: the trigger job passes the parent's values down, which win.
        "variables": {
            "HWB_ACTION_REPO": DEFAULT_ACTION_REPO,
            "HWB_ACTION_REF": "",
            "HWB_CI_IMAGE": DEFAULT_IMAGE,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        ".hwb": _hidden(INSTALL_SCRIPT),
    }
    if "windows" in platforms:
        pipeline[".hwb-windows"] = _hidden(INSTALL_POWERSHELL)
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
        job["variables"] = {"HWB_CI_COMMAND": "publish"}
        job["needs"] = [{"job": j, "artifacts": True} for j in build_jobs]
        job["environment"] = {"name": "pypi"}
        job["id_tokens"] = {"PYPI_ID_TOKEN": {"aud": "pypi"},
                            "SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
        job["artifacts"] = {"when": "always", "paths": [p for p in _KEEP if p != "dist/"],
                            "reports": {"dotenv": REPORTER_VARIABLES["HWB_CI_DOTENV"]}}
        pipeline[name] = job
    return pipeline


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the install scripts) as literal blocks, as a person writes them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def format_pipeline(plan: Plan, *, publish: bool = False) -> str:
    """:func:`child_pipeline` as YAML, in the order GitLab shows it."""
    header = ("# Generated by `hwb plan --format gitlab-pipeline`: run it with a trigger job\n"
              "# (trigger: include: - artifact: FILE, job: NAME).\n")
    return header + yaml.dump(child_pipeline(plan, publish=publish), Dumper=_Dumper,
                              sort_keys=False, default_flow_style=False,
                              width=1000).rstrip("\n")
