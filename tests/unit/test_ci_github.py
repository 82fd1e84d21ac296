"""GitHub reporter: what it writes, read back with the runner's own rules."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from hwb_action.ci import Annotation
from hwb_action.ci import github as gh
from hwb_action.ci.github import GitHubReporter, escape_data, escape_property, format_output
from tests.runner_support import parse_file_command, parse_log

HOSTILE = [
    "plain",
    "",
    "a=b=c",
    "x<<EOF",
    "100% done",
    "::error::not a command",
    "line one\nline two",
    "trailing newline\n",
    "\nleading newline",
    "crlf\r\nvalue",
    "lone\rcarriage",
    "ends with cr\r",
    "ends with crlf\r\n",
    "ghadelimiter_0123\nEOF\n",
    "unicode \u00e9\u2028\U0001f40d",
    '{"include": [{"python": "3.12", "target": "cp312-manylinux_x86_64"}]}',
    "   spaces around   ",
    "%25 already escaped %0A",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("windows", [False, True])
def test_output_round_trips_through_the_runner_parser(value: str, windows: bool) -> None:
    text = (format_output("release-notes", value, windows=windows)
            + format_output("next", "after", windows=windows))
    parsed = parse_file_command(text, windows=windows)
    assert parsed == {"release-notes": value, "next": "after"}


def test_delimiter_that_occurs_in_the_value_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = iter(["ghadelimiter_clash", "ghadelimiter_fresh"])
    monkeypatch.setattr(gh, "_new_delimiter", lambda: next(candidates))
    value = "before\nghadelimiter_clash\nafter"
    text = format_output("notes", value)
    assert text.splitlines()[0] == "notes<<ghadelimiter_fresh"
    assert parse_file_command(text) == {"notes": value}


@pytest.mark.parametrize("name", ["", "a=b", "a<<b", "has space", "new\nline"])
def test_bad_output_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        format_output(name, "v")


def test_set_output_appends_to_github_output_and_redacts(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.write_text("earlier=1\n")
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_OUTPUT": str(out)}, stream=log)
    rep.mask("s3cr3t-token")
    for i, value in enumerate(HOSTILE):
        rep.set_output(f"v{i}", value)
    rep.set_output("leak", "token is s3cr3t-token")
    rep.close()
    parsed = parse_file_command(out.read_bytes().decode("utf-8"))
    assert parsed["earlier"] == "1"
    for i, value in enumerate(HOSTILE):
        assert parsed[f"v{i}"] == value
    assert parsed["leak"] == "token is ***"
    assert "s3cr3t" not in out.read_text()


def test_output_file_has_lf_line_ends_on_every_os(tmp_path: Path) -> None:
    out = tmp_path / "output"
    rep = GitHubReporter({"GITHUB_OUTPUT": str(out)}, stream=io.StringIO())
    rep.set_output("notes", "a\nb")
    assert b"\r" not in out.read_bytes()


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("100%", "100%25"), ("a\nb", "a%0Ab"), ("a\r\nb", "a%0D%0Ab"), ("a::b", "a::b"),
     ("%0A", "%250A")],
)
def test_escape_data(raw: str, escaped: str) -> None:
    assert escape_data(raw) == escaped


def test_escape_property() -> None:
    assert escape_property("C:\\x,y%\n") == "C%3A\\x%2Cy%25%0A"


def test_annotation_reaches_the_runner_intact(tmp_path: Path) -> None:
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_WORKSPACE": str(tmp_path)}, stream=log)
    message = "bad value: 100% wrong\nsecond line ::error:: inside, with commas"
    rep.annotate(Annotation(level="error", message=message,
                            file=str(tmp_path / "sub dir" / "pyproject.toml"), line=7, col=3,
                            title="hwb: config, really"))
    commands, text = parse_log(log.getvalue())
    assert text == [""]
    (cmd,) = commands
    assert cmd.name == "error"
    assert cmd.properties == {"file": "sub dir/pyproject.toml", "line": "7", "col": "3",
                              "title": "hwb: config, really"}
    assert cmd.data == message


def test_annotation_outside_the_workspace_keeps_its_path(tmp_path: Path) -> None:
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_WORKSPACE": str(tmp_path / "ws")}, stream=log)
    rep.warning("w", file="/elsewhere/setup.cfg", line=1)
    (cmd,), _ = parse_log(log.getvalue())
    assert cmd.properties["file"] == "/elsewhere/setup.cfg"


def test_log_lines_that_look_like_commands_are_shown_not_run() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    hostile = ["::add-mask::nothing", "  ::error file=x::injected", "##[set-output name=x]y",
               "normal line"]
    for line in hostile:
        rep.log(line)
    rep.info("::warning::from info")
    commands, text = parse_log(log.getvalue())
    assert [c.name for c in commands if c.name != "stop-commands"] == []
    assert [*hostile, "::warning::from info"] == [t for t in text if t]


def test_mask_writes_add_mask_per_line_and_redacts() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    rep.mask("line-one-secret\nline-two%secret")
    rep.info("using line-one-secret\nline-two%secret now")
    commands, text = parse_log(log.getvalue())
    assert [(c.name, c.data) for c in commands] == [
        ("add-mask", "line-one-secret"), ("add-mask", "line-two%secret")]
    assert "secret" not in "".join(text)


def test_group_and_debug() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    with rep.group("Build wheel\n(cp312)"):
        rep.debug("detail 50%")
        rep.log("building")
    commands, text = parse_log(log.getvalue())
    assert [(c.name, c.data) for c in commands] == [
        ("group", "Build wheel\n(cp312)"), ("debug", "detail 50%"), ("endgroup", "")]
    assert "building" in text
    verbose_log = io.StringIO()
    GitHubReporter({}, stream=verbose_log, verbose=True).debug("shown")
    assert parse_log(verbose_log.getvalue()) == ([], ["shown", ""])


def test_summary_lists_every_warning_and_error(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    rep = GitHubReporter({"GITHUB_STEP_SUMMARY": str(summary),
                          "GITHUB_WORKSPACE": str(tmp_path)}, stream=io.StringIO())
    rep.add_summary("### hwb build\n\n| File |\n|---|\n| demo-1.0.tar.gz |")
    for i in range(14):
        rep.warning(f"warning number {i} | with a pipe", file=str(tmp_path / "pyproject.toml"),
                    line=i + 1)
    rep.annotate(Annotation(level="error", message="the last error"))
    rep.close()
    rep.close()  # idempotent: written once
    text = summary.read_text()
    assert text.count("### hwb build") == 1
    assert "14 warnings" in text
    assert "1 error" in text
    for i in range(14):
        assert f"warning number {i} \\| with a pipe" in text
        assert f"`pyproject.toml:{i + 1}`" in text
    assert "the last error" in text


def test_summary_is_cut_at_one_mebibyte(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step text\n")
    rep = GitHubReporter({"GITHUB_STEP_SUMMARY": str(summary)}, stream=io.StringIO())
    row = "| file-\u00e9.whl | py3-none-any | 1 KiB | " + "0" * 64 + " |\n"
    rep.add_summary("| File | Tags | Size | sha256 |\n|---|---|---|---|\n" + row * 20000)
    rep.annotate(Annotation(level="error", message="kept"))
    rep.close()
    size = os.path.getsize(summary)
    assert size <= gh.SUMMARY_LIMIT
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step text\n")
    assert "cut at GitHub's limit of 1 MiB" in text
    # Cut on a row boundary: every table row is whole.
    body = text.split("\n\n> **Note:**")[0]
    assert all(line.endswith("|") for line in body.splitlines()[1:] if line)


def test_no_summary_file_no_error() -> None:
    rep = GitHubReporter({}, stream=io.StringIO())
    rep.add_summary("x")
    rep.warning("w")
    rep.close()


def test_groups_do_not_nest() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    with rep.group("Build"):
        with rep.group("Building sdist"):
            rep.log("inner")
        rep.log("still in the outer group")
    with rep.group("Next"):
        pass
    commands, text = parse_log(log.getvalue())
    assert [(c.name, c.data) for c in commands] == [
        ("group", "Build"), ("endgroup", ""), ("group", "Next"), ("endgroup", "")]
    assert text[:3] == ["-- Building sdist", "inner", "still in the outer group"]


WORKFLOW = """\
name: build
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          isolation: not-this-one
      - name: Build
        uses: hwb-action/hwb-action@0000000000000000000000000000000000000000 # v1
        with:
          command: build
          isolation: containr
      - name: Later
        env:
          skip-existing: not-this-one
        run: echo
"""


def test_input_errors_point_at_the_workflow_input(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows" / "build.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW)
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_REPOSITORY": "o/r",
                          "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/build.yml@refs/heads/x"},
                         stream=log)
    rep.annotate(Annotation(level="error", message="HWB_ISOLATION: isolation must be one of "
                                                   "auto, uv, pip, none, container"))
    rep.annotate(Annotation(level="error", message="HWB_SKIP_EXISTING: not a boolean"))
    rep.annotate(Annotation(level="error", message="no variable named here"))
    commands, _ = parse_log(log.getvalue())
    assert commands[0].properties == {"file": ".github/workflows/build.yml", "line": "14"}
    assert "containr" in WORKFLOW.splitlines()[13]
    assert commands[1].properties == {}  # no such input in the workflow
    assert commands[2].properties == {}
