"""One voice per problem, end to end: `hwb build` and `hwb check` as a GitHub step, each
warning once in the log and once in the job summary (rendered as CommonMark), and a failed
build's summary showing the compiler's error where it happened."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from markdown_it import MarkdownIt

from tests.conftest import PACKAGES
from tests.publish_support import PypiServer, build_dists, running

ROOT = Path(__file__).resolve().parents[2]


def hwb(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full["PYTHONPATH"] = str(ROOT)
    full.update(env)
    return subprocess.run([sys.executable, "-m", "hwb_action", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=600, check=False)


def no_readme_project(root: Path) -> Path:
    """A project whose metadata has no long description: two warnings per file."""
    (root / "src" / "nodesc").mkdir(parents=True)
    (root / "src" / "nodesc" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "nodesc"\nversion = "1.0"\n')
    return root


def github_env(tmp_path: Path, workspace: Path) -> dict[str, str]:
    summary = tmp_path / "summary.md"
    summary.write_text("")
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_WORKSPACE": str(workspace),
            "HWB_CACHE_DIR": str(tmp_path / "cache")}


def headings(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def table_rows(markdown: str) -> list[list[str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            rows.append([])
        elif t.type in ("th_open", "td_open"):
            rows[-1].append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
    return rows


def test_each_warning_once_in_the_log_and_once_in_the_summary(tmp_path: Path) -> None:
    project = no_readme_project(tmp_path / "project")
    env = github_env(tmp_path, project)
    result = hwb("build", "-o", "dist", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("::warning ")]
    assert len(warnings) == 4 == len(set(warnings)), result.stderr
    assert result.stderr.count("long_description missing") == 2
    # The backend's log is kept, folded in the build's group.
    assert "::group::Building wheel" in result.stderr
    markdown = (tmp_path / "summary.md").read_text()
    found = headings(markdown)
    assert found.count("Built distributions") == 1
    assert found.count("Warnings and errors (4 warnings)") == 1
    assert markdown.count("long_description missing") == 2
    # The Where column names the file of each warning.
    rows = [r for r in table_rows(markdown) if len(r) == 3 and "warning" in r[0]]
    assert sorted(r[1] for r in rows) == sorted(
        ["`nodesc-1.0.tar.gz`"] * 2 + ["`nodesc-1.0-py2.py3-none-any.whl`"] * 2)
    # hwb check on the same files: the same four, once each, with the member they are about.
    (tmp_path / "summary.md").write_text("")
    check = hwb("check", cwd=project, env=env)
    assert check.returncode == 0, check.stderr
    assert check.stderr.count("::warning ") == 4
    markdown = (tmp_path / "summary.md").read_text()
    assert headings(markdown).count("Warnings and errors (4 warnings)") == 1
    assert markdown.count("long_description missing") == 2


def test_a_failed_build_shows_the_compiler_error_where_it_happened(tmp_path: Path) -> None:
    project = tmp_path / "cext_broken"
    shutil.copytree(PACKAGES / "cext_broken", project)
    env = github_env(tmp_path, project)
    result = hwb("build", "--wheel", "-o", str(tmp_path / "dist"), cwd=project, env=env)
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith("::error file=src/cext_broken/_broken.c,line=4,col=2::")
    # The log was shown in the build's group: after the error, its error lines only.
    after = result.stderr.split(errors[0], 1)[1]
    assert "running build_ext" in result.stderr and "running build_ext" not in after
    assert "  src/cext_broken/_broken.c:4:2: error: #error" in after
    markdown = (tmp_path / "summary.md").read_text()
    assert "`src/cext_broken/_broken.c:4:2`" in markdown
    block = markdown.split("```text\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert block[0].startswith("src/cext_broken/_broken.c:4:2: error:")
    assert all("error" in line for line in block)  # the error lines, not the whole log


def test_a_publish_conflict_is_said_once(tmp_path: Path) -> None:
    password = "pypiserver-pw-voice"
    env = {**github_env(tmp_path, tmp_path), "TWINE_USERNAME": "uploader",
           "TWINE_PASSWORD": password}
    # the server stops (by PID) when the block ends, failed or not
    with contextlib.contextmanager(running)(
            PypiServer(tmp_path / "pypiserver", {"uploader": password})) as server:
        first = build_dists(tmp_path / "first")
        assert hwb("publish", "-r", server.url, *map(str, first), cwd=tmp_path,
                   env=env).returncode == 0
        (tmp_path / "summary.md").write_text("")
        other = build_dists(tmp_path / "other", value="changed")
        result = hwb("publish", "-r", server.url, *map(str, other), cwd=tmp_path, env=env)
        assert result.returncode == 1
        log = result.stdout + result.stderr
        for path in other:
            # the file's conflict: once in the log (an annotation on the file), once in
            # the summary (the errors table; the publish table says where to look)
            assert log.count(f"the index already holds {path.name}") == 1, log
            assert f"::error file={path.name},title=hwb publish::" in result.stderr
            markdown = (tmp_path / "summary.md").read_text()
            assert markdown.count(f"the index already holds {path.name}") == 1, markdown
