"""Drive action.yml's hwb step the way the GitHub runner does, without a runner.

The step's ``env:`` is rendered from action.yml with the given inputs (defaults from
action.yml, as the runner fills them in), its ``run:`` script is written to a file and run
with ``bash --noprofile --norc -e -o pipefail``, and the runner's files (``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY``, ``GITHUB_ENV``, ``GITHUB_PATH``) are read back with the runner's
own parsing rules (tests/runner_support.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.runner_support import Command, parse_file_command, parse_log

ROOT = Path(__file__).resolve().parent.parent
_PASS_THROUGH = {"SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE",
                 "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
                 "https_proxy", "no_proxy"}
_EXPR = re.compile(r"^\$\{\{\s*(.+?)\s*\}\}$")


def load_action() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def hwb_step(action: Mapping[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "hwb"]
    return dict(step)


def render(value: str, inputs: Mapping[str, str], context: Mapping[str, str]) -> str:
    """Evaluate the one kind of expression action.yml's env uses: a whole-value reference."""
    match = _EXPR.match(value)
    if not match:
        return value
    ref = match.group(1)
    if ref.startswith("inputs."):
        return inputs[ref[len("inputs."):]]
    return context.get(ref, "")


@dataclass(frozen=True, kw_only=True)
class StepResult:
    returncode: int
    log: str
    commands: list[Command]
    text: list[str]
    outputs: dict[str, str]
    summary: str
    env_file: str


def run_step(
    given: Mapping[str, str],
    *,
    workspace: Path,
    runner_temp: Path,
    extra_env: Mapping[str, str] | None = None,
) -> StepResult:
    """Run the hwb step with inputs ``given`` (others take action.yml's defaults)."""
    action = load_action()
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"not inputs of action.yml: {unknown}"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    step = hwb_step(action)
    files = runner_temp / "_runner_file_commands"
    files.mkdir(parents=True, exist_ok=True)
    output, summary, env_file, path_file = (files / n for n in (
        "set_output", "step_summary", "set_env", "add_path"))
    for f in (output, summary, env_file, path_file):
        f.write_text("")
    context = {"github.action_path": str(ROOT)}
    venv_bin = str(Path(sys.executable).parent)
    env: dict[str, str] = {
        "PATH": f"{venv_bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(runner_temp)),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ENV": str(env_file),
        "GITHUB_PATH": str(path_file),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        "PIP_CONFIG_FILE": os.devnull,
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
    }
    # The machine's TLS and proxy settings, as a self-hosted runner would have them.
    env.update({k: v for k, v in os.environ.items() if k in _PASS_THROUGH})
    env.update({k: render(str(v), inputs, context) for k, v in step["env"].items()})
    env.update(extra_env or {})
    script = runner_temp / "hwb-step.sh"
    script.write_text(step["run"], encoding="utf-8")
    cwd = workspace / render(str(step.get("working-directory", ".")), inputs, context)
    proc = subprocess.run(
        [shutil.which(step["shell"]) or step["shell"], "--noprofile", "--norc", "-e", "-o",
         "pipefail", str(script)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        check=False, timeout=600,
    )
    commands, text = parse_log(proc.stdout)
    return StepResult(
        returncode=proc.returncode, log=proc.stdout, commands=commands, text=text,
        outputs=parse_file_command(output.read_text(encoding="utf-8")),
        summary=summary.read_text(encoding="utf-8"),
        env_file=env_file.read_text(encoding="utf-8"),
    )
