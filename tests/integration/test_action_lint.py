"""The action, the workflows and the GitLab template pass the validators users run on them.

check-jsonschema (its built-in github-actions, github-workflows and gitlab-ci schemas) and
zizmor --offline (no finding of medium severity or above), both offline; each also shown to
fail on a broken file, so a validator that checks nothing cannot pass these tests.  Then the
release examples' security shape: permissions, trusted publishing, pinning.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.runner_support import ARTIFACT_ACTIONS, PLACEHOLDER_ACTION, readme_yaml_blocks

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = [ROOT / "action.yml", *sorted((ROOT / "tests" / "act").glob("*/action.yml"))]
WORKFLOWS = sorted([*(ROOT / "examples" / "workflows").glob("*.yml"),
                    *(ROOT / ".github" / "workflows").glob("*.yml")])
GITLAB = [ROOT / "templates" / "hwb.gitlab-ci.yml", ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"]
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
PLACEHOLDER = "hwb-action/hwb-action@0000000000000000000000000000000000000000"


def _tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e .[test])")
    return found


def _check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           f"vendor.{schema}", *map(str, files)],
                          capture_output=True, text=True, check=False)


def _zizmor(files: list[Path]) -> list[dict[str, Any]]:
    proc = subprocess.run([_tool("zizmor"), "--offline", "--format", "json", *map(str, files)],
                          capture_output=True, text=True, check=False)
    assert proc.stdout.strip(), proc.stderr
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list)
    return findings


def _serious(findings: list[dict[str, Any]]) -> list[str]:
    out = []
    for f in findings:
        if f["determinations"]["severity"] in ("Medium", "High"):
            where = f["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]
            out.append(f"{where}: {f['ident']} ({f['determinations']['severity']}): {f['desc']}")
    return out


def test_files_exist() -> None:
    assert len(EXAMPLES) == 4
    assert all(p.is_file() for p in [*ACTIONS, *WORKFLOWS, *GITLAB])


def test_actions_match_the_schema() -> None:
    proc = _check_jsonschema("github-actions", ACTIONS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_match_the_schema() -> None:
    proc = _check_jsonschema("github-workflows", WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gitlab_files_match_the_schema() -> None:
    proc = _check_jsonschema("gitlab-ci", GITLAB)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_check_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text((ROOT / "templates" / "hwb.gitlab-ci.yml").read_text().replace(
        "parallel:\n    matrix:", "parallel:\n    matrixx:"))
    assert _check_jsonschema("gitlab-ci", [broken]).returncode != 0
    workflow = tmp_path / "broken-workflow.yml"
    workflow.write_text(EXAMPLES[0].read_text().replace("runs-on:", "run-on:", 1))
    assert _check_jsonschema("github-workflows", [workflow]).returncode != 0


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    findings = _zizmor([*ACTIONS, *WORKFLOWS])
    assert _serious(findings) == []


def test_zizmor_catches_an_injection(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "hwb")
    step["run"] = 'echo "${{ inputs.source }}"\n' + step["run"]
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(action, sort_keys=False))
    assert any("template-injection" in s for s in _serious(_zizmor([bad])))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_permissions_and_pins(path: Path) -> None:
    wf = _load(path)
    assert wf["permissions"] == {}, "start from no permissions"
    text = path.read_text()
    for ref in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", ref), ref
    assert PLACEHOLDER in text
    for name, job in wf["jobs"].items():
        perms = job.get("permissions")
        assert perms is not None, f"{name}: set the job's permissions"
        if perms.get("id-token") == "write":
            # Trusted publishing: only the publish job, in its environment, nothing else.
            assert name == "publish"
            assert job["environment"]["name"] in ("pypi", "testpypi")
            assert perms == {"id-token": "write"}
        for step in job.get("steps", []):
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.name != "build.yml"],
                         ids=lambda p: p.name)
def test_release_examples_publish_with_trusted_publishing(path: Path) -> None:
    publish = _load(path)["jobs"]["publish"]
    steps = publish["steps"]
    hwb = [s for s in steps if s.get("uses", "").startswith("hwb-action/")]
    assert hwb[-1]["with"]["command"] == "publish"
    assert not any(k in hwb[-1]["with"] for k in ("token", "password"))


def test_build_example_fans_out_over_the_plan() -> None:
    jobs = _load(ROOT / "examples" / "workflows" / "build.yml")["jobs"]
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert jobs["build"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["build"]["runs-on"] == "${{ matrix.runner }}"


def test_release_checks_the_tag_in_the_sdist_cell() -> None:
    """With no sdist job of its own, release.yml checks the tag where the sdist is built:
    the plan's `sdist` cell (binary) or `pure` cell, whose build outputs the version."""
    build = _load(ROOT / "examples" / "workflows" / "release.yml")["jobs"]["build"]
    (check,) = [s for s in build["steps"] if s.get("name") == "The tag is the version"]
    assert check["if"] == "matrix.target == 'sdist' || matrix.target == 'pure'"
    assert check["env"]["VERSION"] == "${{ steps.build.outputs.version }}"
    assert any(s.get("id") == "build" and s["with"]["command"] == "build"
               for s in build["steps"])


def test_gitlab_template_shape() -> None:
    template = _load(ROOT / "templates" / "hwb.gitlab-ci.yml")
    assert template["hwb-build"]["parallel"]["matrix"]
    publish = template["hwb-publish"]
    assert publish["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"},
                                    "SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert publish["rules"] == [{"if": '$CI_COMMIT_TAG && $HWB_CI_PLAN != "true"'}]
    assert template[".hwb"]["artifacts"]["reports"]["dotenv"] == "hwb.env"
    assert "hwb-summary.md" in template[".hwb"]["artifacts"]["paths"]
    example = _load(ROOT / "examples" / "gitlab" / ".gitlab-ci.yml")
    (include,) = example["include"]
    assert include["remote"].endswith("/templates/hwb.gitlab-ci.yml")


# -- the README's workflows and the examples' artifact flow ---------------------------------
@pytest.fixture(scope="module")
def readme_workflows(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The README's yaml blocks that are workflows, each written to a file."""
    out = tmp_path_factory.mktemp("readme")
    blocks = [b for b in readme_yaml_blocks((ROOT / "README.md").read_text())
              if "jobs" in (yaml.safe_load(b) or {})]
    paths = []
    for i, block in enumerate(blocks):
        path = out / f"readme-{i}.yml"
        path.write_text(block)
        paths.append(path)
    assert paths, "the README shows no workflow"
    return paths


def test_readme_workflows_match_the_schema_and_pass_zizmor(readme_workflows: list[Path]) -> None:
    proc = _check_jsonschema("github-workflows", readme_workflows)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _serious(_zizmor(readme_workflows)) == []


def test_readme_first_workflow_needs_no_artifact_steps(readme_workflows: list[Path]) -> None:
    wf = _load(readme_workflows[0])
    assert wf["permissions"] == {}
    assert set(wf["jobs"]) == {"plan", "build", "publish"}
    for name, job in wf["jobs"].items():
        assert job.get("runs-on"), f"{name}: every job needs runs-on"
        assert job.get("permissions") is not None, name
        for step in job["steps"]:
            assert "artifact" not in step.get("uses", ""), f"{name}: {step['uses']}"
    build = wf["jobs"]["build"]
    assert build["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    (hwb,) = [s for s in build["steps"] if s["uses"].startswith("hwb-action/")]
    # Wheels from the sdist: the cell builds both, not a wheel straight from the tree.
    assert hwb["with"] == {"command": "build", "target": "${{ matrix.target }}",
                           "artifact-name": "${{ matrix.artifact-name }}"}
    publish = wf["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["with"]["command"] == "publish"


def test_readme_and_examples_pin_the_same_refs(readme_workflows: list[Path]) -> None:
    def pins(text: str) -> dict[str, str]:
        return dict(re.findall(r"uses:\s*([\w.-]+/[\w.-]+)@(\w+)", text))

    readme = {k: v for p in readme_workflows for k, v in pins(p.read_text()).items()}
    examples = {k: v for p in EXAMPLES for k, v in pins(p.read_text()).items()}
    assert readme, "the README pins its actions"
    for action, sha in readme.items():
        assert examples.get(action) == sha, action
    assert PLACEHOLDER_ACTION in readme_workflows[0].read_text()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_leave_the_artifacts_to_the_action(path: Path) -> None:
    wf = _load(path)
    for name, job in wf["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            # Only a release job (hwb release, which downloads nothing) fetches them itself.
            if uses.startswith("actions/download-artifact@"):
                steps = job["steps"]
                nxt = steps[steps.index(step) + 1]
                assert nxt["with"]["command"] == "release", name
            assert not uses.startswith("actions/upload-artifact@"), name
            if uses.startswith("hwb-action/") and step["with"].get("command") == "build":
                # The cells build wheels from an sdist, never from the tree; the plan has
                # the sdist's cell, so no job builds one on the side.
                assert "wheel" not in step["with"], name
                assert "sdist" not in step["with"], name
                assert step["with"].get("target") == "${{ matrix.target }}", name
    for action, sha in ARTIFACT_ACTIONS.items():
        for ref in re.findall(rf"{action}@(\w+)", path.read_text()):
            assert ref == sha, (path.name, action)
