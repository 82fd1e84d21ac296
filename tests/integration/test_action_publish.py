"""The action's build and publish steps against a real pypiserver: outputs, masks, summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.action_support import ROOT, run_step
from tests.publish_support import PypiServer, free_port

SECRET = "s3cr3t-upload-pw-4711"


def test_build_then_publish_through_the_action(tmp_path: Path) -> None:
    ws = tmp_path / "workspace"
    shutil.copytree(ROOT / "tests" / "packages" / "action_demo", ws)
    pyproject = ws / "pyproject.toml"
    # Versions in numeric order (3.10 after 3.9); "3 :: Only" and "3" are no versions.
    classifiers = ", ".join(f'"Programming Language :: Python :: {v}"'
                            for v in ("3.10", "3", "3.9", "3 :: Only", "3.13"))
    pyproject.write_text(pyproject.read_text().replace(
        "[project]\n", f"[project]\nclassifiers = [{classifiers}]\n", 1))
    server = PypiServer(root=tmp_path / "index", users={"uploader": SECRET}).start()
    try:
        built = run_step({"install": "none", "command": "build", "isolation": "none"},
                         workspace=ws, runner_temp=tmp_path / "rt")
        assert built.returncode == 0, built.log
        # What a pipeline reads of the build, from the built files' metadata.
        assert built.outputs["name"] == "action-demo"
        assert built.outputs["version"] == "1.0.0"
        assert built.outputs["dist"] == str(ws / "dist")
        assert json.loads(built.outputs["supported-python-classifiers-json"]) == [
            "3.9", "3.10", "3.13"]
        inputs = {"install": "none", "command": "publish", "repository": server.url,
                  "username": "uploader", "password": SECRET, "trusted-publishing": "never"}
        first = run_step(inputs, workspace=ws, runner_temp=tmp_path / "rt")
        assert first.returncode == 0, first.log
        again = run_step(inputs, workspace=ws, runner_temp=tmp_path / "rt")
        assert again.returncode == 0, again.log
    finally:
        server.stop()
    assert sorted(p.name for p in server.packages.iterdir()) == [
        "action_demo-1.0.0-py3-none-any.whl", "action_demo-1.0.0.tar.gz"]
    for step in (first, again):
        # The password is masked before use and appears nowhere hwb writes.
        masks = [c.data for c in step.commands if c.name == "add-mask"]
        assert SECRET in masks
        assert SECRET not in "\n".join(step.text)
        assert SECRET not in step.summary
        assert SECRET not in json.dumps(step.outputs)
    first_status = {r["filename"]: r["status"] for r in json.loads(first.outputs["published"])}
    again_status = {r["filename"]: r["status"] for r in json.loads(again.outputs["published"])}
    names = {"action_demo-1.0.0-py3-none-any.whl", "action_demo-1.0.0.tar.gz"}
    assert set(first_status) == set(again_status) == names
    assert set(first_status.values()) == {"uploaded"}
    assert set(again_status.values()) == {"skipped"}  # idempotent: same sha256 already there
    assert "action_demo-1.0.0.tar.gz" in first.summary


@pytest.mark.parametrize("index_check", ["", "false"], ids=["index-check", "no-index-check"])
def test_check_only_fails_when_the_index_cannot_be_reached(tmp_path: Path,
                                                           index_check: str) -> None:
    # A dry run against a port nothing listens on: no file is "ready", the step fails.
    ws = tmp_path / "workspace"
    shutil.copytree(ROOT / "tests" / "packages" / "action_demo", ws)
    built = run_step({"install": "none", "command": "build", "isolation": "none"},
                     workspace=ws, runner_temp=tmp_path / "rt")
    assert built.returncode == 0, built.log
    nowhere = f"http://127.0.0.1:{free_port()}/"
    step = run_step({"install": "none", "command": "publish", "check-only": "true",
                     "repository": nowhere, "username": "u", "password": "p",
                     "retries": "0", "trusted-publishing": "never",
                     "index-check": index_check}, workspace=ws, runner_temp=tmp_path / "rt")
    assert step.returncode == 1, step.log
    results = json.loads(step.outputs["published"])
    assert {r["status"] for r in results} == {"failed"}
    errors = [c.data for c in step.commands if c.name == "error"]
    assert any("could not" in e and "index" in e for e in errors), errors
    assert "ready" not in {r["status"] for r in results}


def test_check_only_is_ready_when_the_index_answers(tmp_path: Path) -> None:
    ws = tmp_path / "workspace"
    shutil.copytree(ROOT / "tests" / "packages" / "action_demo", ws)
    server = PypiServer(root=tmp_path / "index", users={"uploader": SECRET}).start()
    try:
        built = run_step({"install": "none", "command": "build", "isolation": "none"},
                         workspace=ws, runner_temp=tmp_path / "rt")
        assert built.returncode == 0, built.log
        step = run_step({"install": "none", "command": "publish", "check-only": "true",
                         "repository": server.url, "username": "uploader", "password": SECRET,
                         "trusted-publishing": "never", "index-check": "false"},
                        workspace=ws, runner_temp=tmp_path / "rt")
    finally:
        server.stop()
    assert step.returncode == 0, step.log
    assert {r["status"] for r in json.loads(step.outputs["published"])} == {"ready"}
    assert list(server.packages.iterdir()) == []  # a dry run uploads nothing
