"""A backend's output reaches hwb's output while the backend runs (issue 14, item 5).

The backend (tests/packages/recorder, with ``RECORDER_GATE``) prints a line, then waits
until the gate file exists; the test creates it only once it has read that line from hwb's
stderr, and the wheel records whether the backend saw it.  So the line provably arrived
before the backend ended; the timestamps of the lines are asserted the same way.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.cli_support import hwb_environ
from tests.conftest import PACKAGES


def _run(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[list[tuple[float, str]],
                                                                         Path, int]:
    project = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", project)
    gate = tmp_path / "gate"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwb_action", "build", "--wheel", *args], cwd=project,
        env=hwb_environ({**env, "RECORDER_GATE": str(gate)}, cache=tmp_path / "cache"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: list[tuple[float, str]] = []
    try:
        for line in proc.stderr:
            lines.append((time.monotonic(), line.rstrip("\n")))
            if "recorder: first line" in line:
                gate.touch()  # only now may the backend go on
    finally:
        code = proc.wait(timeout=300)
    return lines, project, code


def _gate_seen(project: Path) -> bool:
    (wheel,) = (project / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return bool(json.loads(zf.read("recorder_pkg/recorder-wheel.json"))["gate_seen"])


def _index(lines: list[tuple[float, str]], text: str) -> int:
    return next(i for i, (_, line) in enumerate(lines) if text in line)


@pytest.mark.parametrize(("args", "env"), [
    (["-v"], {}),
    ([], {"GITHUB_ACTIONS": "true"}),
    ([], {"GITLAB_CI": "true"}),
], ids=["verbose-terminal", "github", "gitlab"])
def test_backend_lines_arrive_while_it_runs(args: list[str], env: dict[str, str],
                                            tmp_path: Path) -> None:
    lines, project, code = _run(tmp_path, args, env)
    assert code == 0, "\n".join(line for _, line in lines)
    assert _gate_seen(project)
    first, second = _index(lines, "recorder: first line"), _index(lines, "recorder: second line")
    assert lines[first][0] <= lines[second][0] and first < second
    built = _index(lines, "Built recorder-1.0")
    assert second < built


def test_github_groups_the_backend_output(tmp_path: Path) -> None:
    lines, _, code = _run(tmp_path, [], {"GITHUB_ACTIONS": "true"})
    assert code == 0
    texts = [line for _, line in lines]
    start = max(i for i, t in enumerate(texts[:_index(lines, "recorder: first line")])
                if t.startswith("::group::"))
    assert "::endgroup::" not in texts[start:_index(lines, "recorder: second line")]
