"""action.yml cannot drift from the option table, the entry point, or the outputs hwb sets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import entrypoint
from hwb_action.settings import BY_NAME, OPTIONS

# The only remote actions the composite uses: GitHub's artifact actions, pinned by SHA.
from tests.runner_support import ARTIFACT_ACTIONS

ROOT = Path(__file__).resolve().parents[2]
# Options that are no action input, and why.
NOT_INPUTS = {"format": "plan's output format: the action always writes the matrix output"}
OUTPUTS = {"matrix", "artifacts", "wheels", "sdist", "version", "previous-version", "tag",
           "release-notes", "published", "released", "packages", "changed-packages", "name",
           "dist", "supported-python-classifiers-json"}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def _hwb_step(action: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "hwb"]
    assert isinstance(step, dict)
    return step


def test_every_input_is_an_option_or_a_documented_action_input(action: dict[str, Any]) -> None:
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name), f"{name} is not kebab-case"
        assert name in BY_NAME or name in entrypoint.ACTION_ONLY_INPUTS, (
            f"action input {name!r} is neither an option in hwb_action/option_table.py nor one of "
            f"entrypoint.ACTION_ONLY_INPUTS")
        assert name not in NOT_INPUTS
        assert spec.get("description", "").strip(), f"input {name} has no description"
        if name in BY_NAME and BY_NAME[name].secret:
            assert "default" not in spec, f"secret input {name} must have no default"
        else:
            assert "default" in spec, f"input {name} has no default"


def test_every_option_is_an_input(action: dict[str, Any]) -> None:
    missing = [o.name for o in OPTIONS if o.name not in NOT_INPUTS
               and o.name not in action["inputs"]]
    assert not missing, (f"options without an action input: {missing}; add them to action.yml "
                         "(inputs and the hwb step's env) or to NOT_INPUTS with a reason")


def test_option_inputs_default_to_empty(action: dict[str, Any]) -> None:
    # An input default would outrank [tool.hwb] (HWB_* comes later in the precedence).
    for name, spec in action["inputs"].items():
        if name in BY_NAME and not BY_NAME[name].secret:
            assert spec["default"] == "", f"input {name} must default to ''"


def test_secret_inputs_say_to_pass_them_from_secrets(action: dict[str, Any]) -> None:
    secrets = [o.name for o in OPTIONS if o.secret]
    assert secrets, "the option table marks the credentials as secret"
    for name in secrets:
        assert "pass it from `secrets`" in action["inputs"][name]["description"], name


def test_every_input_reaches_python_as_hwb_env(action: dict[str, Any]) -> None:
    env = _hwb_step(action)["env"]
    for name in action["inputs"]:
        var = "HWB_" + name.upper().replace("-", "_")
        assert env.get(var) == f"${{{{ inputs.{name} }}}}", f"{var} is not set from {name}"
        if name in BY_NAME:
            assert BY_NAME[name].env == var
    unknown = [k for k in env if k.startswith("HWB_") and k not in (
        "HWB_ACTION_PATH",)
        and k[4:].lower().replace("_", "-") not in action["inputs"]]
    assert not unknown


def test_no_expression_inside_run(action: dict[str, Any]) -> None:
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"]
            assert step.get("shell"), "composite run steps need an explicit shell"


def test_outputs_are_the_ones_hwb_sets(action: dict[str, Any]) -> None:
    declared = action["outputs"]
    assert set(declared) == OUTPUTS
    for name, spec in declared.items():
        assert spec["value"] == f"${{{{ steps.hwb.outputs.{name} }}}}"
    source = "\n".join(p.read_text() for p in (ROOT / "hwb_action").rglob("*.py"))
    set_in_code = set(re.findall(r"""set_output\(\s*["']([a-z-]+)["']""", source))
    assert set_in_code <= OUTPUTS, f"outputs set by hwb but not declared: {set_in_code - OUTPUTS}"


def test_remote_actions_are_only_the_pinned_artifact_actions(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    used = {s["uses"].split("@")[0]: s["uses"].split("@")[1]
            for s in action["runs"]["steps"] if "uses" in s}
    assert used == ARTIFACT_ACTIONS
    text = (ROOT / "action.yml").read_text()
    for name, sha in ARTIFACT_ACTIONS.items():
        assert re.search(rf"uses: {name}@{sha} # v\d+\.\d+\.\d+\n", text), name


def test_artifact_steps_run_only_when_asked(action: dict[str, Any]) -> None:
    steps = action["runs"]["steps"]
    ids = [s.get("id") for s in steps]
    download, upload = (next(s for s in steps if s.get("uses", "").startswith(name))
                        for name in ARTIFACT_ACTIONS)
    hwb = ids.index("hwb")
    # Download before hwb runs, upload after; each behind its command and its opt-out.
    assert steps.index(download) < hwb < steps.index(upload)
    assert "inputs.download == 'true'" in download["if"]
    assert "inputs.command == 'publish'" in download["if"]
    assert "inputs.command == 'check'" in download["if"]
    assert download["with"]["merge-multiple"] is True
    assert download["with"]["pattern"] == "${{ inputs.download-pattern }}"
    assert upload["if"] == "inputs.command == 'build' && inputs.upload == 'true'"
    assert upload["with"]["name"].startswith("${{ inputs.artifact-name || matrix.artifact-name")
    assert upload["with"]["if-no-files-found"] == "error"
    assert "steps.hwb.outputs.dist" in upload["with"]["path"]
    inputs = action["inputs"]
    assert inputs["upload"]["default"] == inputs["download"]["default"] == "true"
    # The default download pattern takes what build uploads under by default.
    pattern = inputs["download-pattern"]["default"]
    for name in ("dist-pure", "dist-linux-x86_64", "dist-sdist", "Packages"):
        assert _brace_match(name, pattern), name
    assert not _brace_match("coverage-report", pattern)


def _brace_match(name: str, pattern: str) -> bool:
    """minimatch's ``{a,b}`` alternatives, one level, as download-artifact reads a pattern."""
    import fnmatch

    head, _, rest = pattern.partition("{")
    if not rest:
        return fnmatch.fnmatchcase(name, pattern)
    body, _, tail = rest.partition("}")
    return any(fnmatch.fnmatchcase(name, head + alt + tail) for alt in body.split(","))


def test_entrypoint_maps_inputs() -> None:
    env = entrypoint.input_env({"INPUT_OUT-DIR": "wheelhouse", "INPUT_COMMAND": "build",
                                "INPUT_SKIP_EXISTING": "true", "HWB_PYTHON": "3.12",
                                "INPUT_PYTHON": "3.11", "INPUT_": "x"})
    assert env["HWB_OUT_DIR"] == "wheelhouse"
    assert env["HWB_COMMAND"] == "build"
    assert env["HWB_SKIP_EXISTING"] == "true"
    assert env["HWB_PYTHON"] == "3.12"  # an explicit HWB_* wins
    assert entrypoint.hwb_argv({"HWB_COMMAND": " plan ", "HWB_VERBOSE": "True"}) == [
        "plan", "--verbose"]
    assert entrypoint.hwb_argv({"HWB_COMMAND": "build", "HWB_VERBOSE": "false"}) == ["build"]


def test_reserved_variable_prefixes_are_no_options() -> None:
    # HWB_CI_* configure the GitLab template and reporter, HWB_OUTPUT_* are GitLab outputs,
    # HWB_ACTION_* belong to action.yml; the action-only inputs are no options either.
    for opt in OPTIONS:
        assert not opt.env.startswith(("HWB_CI_", "HWB_OUTPUT_", "HWB_ACTION_")), opt.name
        assert opt.name not in entrypoint.ACTION_ONLY_INPUTS, opt.name


def test_docs_list_every_input_and_output(action: dict[str, Any]) -> None:
    docs = (ROOT / "docs" / "ci.md").read_text()
    missing = [n for n in [*action["inputs"], *action["outputs"]] if f"| `{n}` |" not in docs]
    assert not missing, f"docs/ci.md lacks rows for {missing}"
