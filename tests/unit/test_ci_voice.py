"""One voice per problem: each warning and error once in the terminal and once in the
summary; --quiet; artifact lines that fit; sizes in one unit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hwb_action._text import human_size
from hwb_action.artifacts import Artifact
from hwb_action.builder.result import LINE_WIDTH, artifact_line
from hwb_action.ci import Annotation, detect_reporter
from hwb_action.ci.github import GitHubReporter
from hwb_action.ci.gitlab import GitLabReporter
from hwb_action.ci.terminal import TerminalReporter
from hwb_action.errors import BuildError


def test_quiet_shows_errors_and_the_result_only() -> None:
    log = io.StringIO()
    rep = detect_reporter({}, stream=log, quiet=True)
    assert isinstance(rep, TerminalReporter) and rep.quiet
    rep.info("Creating build environment")
    with rep.group("Building wheel"):
        rep.log("compiling...")
    rep.warning("long_description missing", file="x.whl")
    rep.result("1 artifact(s) in dist, checked")
    assert log.getvalue() == "1 artifact(s) in dist, checked\n"
    # the warning is kept for the summary
    assert [a.message for a in rep.annotations] == ["long_description missing"]
    rep.annotate(Annotation(level="error", message="broken"))
    rep.info("TIP: fix it")  # what follows an error belongs to it
    rep.close()  # no tally: each problem was shown
    assert log.getvalue().splitlines()[1:] == ["ERROR: broken", "TIP: fix it"]


def test_quiet_failed_step_shows_its_failure_and_tail() -> None:
    log = io.StringIO()
    rep = TerminalReporter({}, stream=log)
    rep.quiet = True
    def build(lines: list[str], error: Exception) -> None:
        with rep.group("Building wheel"):
            for line in lines:
                rep.log(line)
            raise error

    with pytest.raises(RuntimeError):
        build(["gcc -c x.c", "x.c:3:1: error: expected ';'"], RuntimeError())
    lines = log.getvalue().splitlines()
    assert lines[0].startswith(("\u2717 Building wheel", "FAILED Building wheel"))
    assert lines[1:] == ["  gcc -c x.c", "  x.c:3:1: error: expected ';'"]
    # an error that carries its own details does not get the tail again
    log = io.StringIO()
    rep = TerminalReporter({}, stream=log)
    rep.quiet = True
    with pytest.raises(BuildError):
        build(["noise"], BuildError("failed", details=["x.c:3:1: error: expected ';'"]))
    assert "noise" not in log.getvalue()


def test_verbose_wins_over_quiet() -> None:
    log = io.StringIO()
    rep = detect_reporter({}, stream=log, quiet=True, verbose=True)
    rep.info("shown")
    assert not rep.quiet and log.getvalue() == "shown\n"


def test_ci_reporters_keep_build_logs(tmp_path: Path) -> None:
    # A green build's backend log goes to the log, folded in the step's group.
    assert not TerminalReporter({}, stream=io.StringIO()).shows_build_logs
    assert TerminalReporter({}, stream=io.StringIO(), verbose=True).shows_build_logs
    assert GitHubReporter({}, stream=io.StringIO()).shows_build_logs
    assert GitLabReporter({}, stream=io.StringIO(), cwd=tmp_path).shows_build_logs
    quiet = detect_reporter({"GITHUB_ACTIONS": "true"}, stream=io.StringIO(), quiet=True)
    assert not quiet.shows_build_logs


def test_terminal_tally_counts_and_does_not_repeat() -> None:
    log = io.StringIO()
    rep = TerminalReporter({}, stream=log)
    rep.warning("long_description missing", file="a.tar.gz")
    rep.warning("long_description missing", file="a.whl")
    rep.close()
    text = log.getvalue()
    assert text.count("long_description missing") == 2
    assert text.splitlines()[-1] == "hwb: 2 warnings"


def _artifact(filename: str, tags: tuple[str, ...], size: int = 8806) -> Artifact:
    return Artifact(path=Path("dist") / filename, kind="wheel", filename=filename,
                    sha256="ab" * 32, size=size, tags=tags, name="demo", version="1.0",
                    requires_python=None, metadata=b"")


def test_artifact_lines_fit_100_columns() -> None:
    short = _artifact("demo-1.0-py3-none-any.whl", ("py3-none-any",))
    assert artifact_line(short) == (
        "  demo-1.0-py3-none-any.whl  [py3-none-any]  8.6 KiB  sha256:abababababababab")
    tags = ("cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313-manylinux2014_x86_64")
    many = _artifact("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                     tags)
    line = artifact_line(many)
    assert len(line) <= LINE_WIDTH
    # still too long with one tag: no tags, a shorter sha256 prefix
    assert line == f"  {many.filename}  8.6 KiB  sha256:abababab"
    two = _artifact("demo-1.0-py2.py3-none-any.whl", ("py2-none-any", "py3-none-any"))
    assert "[py2-none-any, py3-none-any]" in artifact_line(two)
    assert "[py2-none-any +1]" in artifact_line(two, width=90)


def test_one_size_unit() -> None:
    assert [human_size(n) for n in (597, 8806, 3 * 1024 * 1024)] == [
        "597 B", "8.6 KiB", "3.0 MiB"]


def test_a_failed_build_names_the_compilers_error_once_in_the_summary() -> None:
    from hwb_action.ci import NullReporter, error_annotation
    from hwb_action.ci.summary import annotations_markdown

    log = ["running build_ext", "gcc -c src/demo/_x.c -o build/_x.o",
           "src/demo/_x.c:4:2: error: #error \"does not compile\"",
           "    4 | #error \"does not compile\"",
           "error: command 'gcc' failed with exit code 1"]
    err = BuildError("building the wheel failed: backend 'setuptools.build_meta' failed",
                     details=log)
    annotation = error_annotation(err)
    # no place of its own: the compiler's first error gives it one
    assert (annotation.file, annotation.line, annotation.col) == ("src/demo/_x.c", 4, 2)
    rep = NullReporter()
    rep.annotate(annotation)
    markdown = rep.summary_markdown()
    assert markdown.count("building the wheel failed") == 2  # the row and the heading
    assert "| `src/demo/_x.c:4:2` |" in markdown
    block = markdown.split("```text\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert block == [log[2], log[4]]  # the error lines only
    # MSVC's form, and a log with no error line: its tail
    msvc = error_annotation(BuildError("failed", details=[
        r"src\demo\_x.c(12,5): error C2065: 'y': undeclared identifier"]))
    assert (msvc.file, msvc.line, msvc.col) == (r"src\demo\_x.c", 12, 5)
    plain = Annotation(level="error", message="failed", details=tuple(f"l{i}" for i in range(30)))
    tail = annotations_markdown([plain]).split("```text\n", 1)[1].split("\n```", 1)[0]
    assert tail.splitlines() == [f"l{i}" for i in range(10, 30)]


def test_error_output_cannot_close_its_code_block() -> None:
    from hwb_action.ci.summary import code_block

    block = code_block(["error: ```` injected", "# heading?"])
    assert block.startswith("`````text\n") and block.endswith("\n`````")


def test_help_placeholders_say_what_they_take() -> None:
    import argparse

    from hwb_action.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in COMMANDS:
        text = sub.choices[command].format_help()
        assert " VALUE" not in text.replace("KEY=VALUE", ""), command
        assert "-q, --quiet" in text
    build_help = sub.choices["build"].format_help()
    assert "-o DIR, --out-dir DIR" in build_help
    assert "--isolation {auto,uv,pip,none,container}" in build_help
    assert "--timeout SECONDS" in sub.choices["publish"].format_help()


def test_cibuildwheel_cannot_overwrite_the_summary() -> None:
    # cibuildwheel writes $GITHUB_STEP_SUMMARY whole (Path.write_text) when it knows it.
    from hwb_action.builder.container import cibuildwheel_environment
    from hwb_action.options import BuildOptions, from_settings
    from hwb_action.settings import resolve

    options = from_settings(BuildOptions, resolve("build", cli={}, environ={}))
    env = cibuildwheel_environment(
        targets=["cp312-manylinux_x86_64"], options=options, engine=None,
        environ={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/runner/summary.md",
                 "GITHUB_ENV": "/runner/env", "PATH": "/bin"})
    assert "GITHUB_STEP_SUMMARY" not in env and "GITHUB_ENV" not in env
    assert env["GITHUB_ACTIONS"] == "true"  # its log still folds in groups
