"""GitLab reporter: sections, a dotenv report GitLab accepts, the summary file."""

from __future__ import annotations

import io
import re
from pathlib import Path

from hwb_action.ci import Annotation, detect_reporter
from hwb_action.ci.gitlab import DOTENV_FILE_LIMIT, GitLabReporter, dotenv_key, section_name

# GitLab's dotenv rules: KEY=VALUE, ASCII key, no empty lines, no comments, one line each.
DOTENV_LINE = re.compile(r"^[A-Za-z0-9_]+=[^\n\r]*$")


def test_detected_from_gitlab_ci(tmp_path: Path) -> None:
    rep = detect_reporter({"GITLAB_CI": "true"}, stream=io.StringIO())
    assert isinstance(rep, GitLabReporter)


def test_sections_are_well_formed() -> None:
    log = io.StringIO()
    rep = GitLabReporter({}, stream=log)
    with rep.group("Build wheel (cp312-manylinux_x86_64)"), rep.group("inner: backend log"):
        rep.log("compiling")
    lines = log.getvalue().split("\n")
    starts = [re.match(r"^\x1b\[0Ksection_start:(\d+):([A-Za-z0-9_.-]+)\[collapsed=true\]"
                       r"\r\x1b\[0K(.*)$", line) for line in lines]
    ends = [re.match(r"^\x1b\[0Ksection_end:(\d+):([A-Za-z0-9_.-]+)\r\x1b\[0K$", line)
            for line in lines]
    assert starts[0]
    assert starts[1]
    assert ends[3]
    assert ends[4]
    assert starts[0].group(3) == "Build wheel (cp312-manylinux_x86_64)"
    # Nested sections close in reverse order with the names they opened with.
    assert ends[3].group(2) == starts[1].group(2)
    assert ends[4].group(2) == starts[0].group(2)
    assert starts[0].group(2) != starts[1].group(2)
    assert lines[2] == "compiling"


def test_section_name_and_dotenv_key() -> None:
    assert section_name("Build: wheel/cp312 (x)", 3) == "build__wheel_cp312__x_3"
    assert section_name("***", 1) == "hwb_1"
    assert dotenv_key("release-notes") == "HWB_OUTPUT_RELEASE_NOTES"


def test_dotenv_report_follows_gitlab_rules(tmp_path: Path) -> None:
    rep = GitLabReporter({"HWB_CI_DOTENV": "out/hwb.env"}, stream=io.StringIO(), cwd=tmp_path)
    (tmp_path / "out").mkdir()
    rep.mask("pypi-SECRET-token")
    notes = "## 1.2.0\n\n- feat: a thing\n- fix: pypi-SECRET-token leaked?"
    matrix = '{"include": [' + ",".join(['{"python": "3.12"}'] * 100) + "]}"
    rep.set_output("version", "1.2.0")
    rep.set_output("previous-version", "1.1.0")
    rep.set_output("release-notes", notes)
    rep.set_output("matrix", matrix)
    rep.set_output("padded", "  x  ")
    rep.close()
    dotenv = (tmp_path / "out" / "hwb.env").read_text()
    lines = dotenv.splitlines()
    assert all(DOTENV_LINE.match(line) for line in lines), lines
    assert len(dotenv.encode()) <= DOTENV_FILE_LIMIT
    values = dict(line.split("=", 1) for line in lines)
    assert values["HWB_OUTPUT_VERSION"] == "1.2.0"
    assert values["HWB_OUTPUT_PREVIOUS_VERSION"] == "1.1.0"
    notes_file = tmp_path / "out" / values["HWB_OUTPUT_RELEASE_NOTES_FILE"]
    assert notes_file.read_text() == notes.replace("pypi-SECRET-token", "***")
    assert (tmp_path / "out" / values["HWB_OUTPUT_MATRIX_FILE"]).read_text() == matrix
    assert (tmp_path / "out" / values["HWB_OUTPUT_PADDED_FILE"]).read_text() == "  x  "
    assert "SECRET" not in dotenv


def test_no_outputs_no_dotenv(tmp_path: Path) -> None:
    rep = GitLabReporter({}, stream=io.StringIO(), cwd=tmp_path)
    rep.info("hello")
    rep.close()
    assert not (tmp_path / "hwb.env").exists()
    assert not (tmp_path / "hwb-summary.md").exists()


def test_summary_file_has_parts_and_every_annotation(tmp_path: Path) -> None:
    rep = GitLabReporter({"HWB_CI_SUMMARY": "summary.md"}, stream=io.StringIO(), cwd=tmp_path)
    rep.add_summary("### hwb build\n\n| File |\n|---|\n| demo-1.0-py3-none-any.whl |")
    for i in range(12):
        rep.warning(f"w{i}", file="pyproject.toml", line=i + 1)
    rep.annotate(Annotation(level="error", message="broken"))
    rep.close()
    text = (tmp_path / "summary.md").read_text()
    assert "### hwb build" in text
    assert "12 warnings, " not in text  # errors first
    assert "1 error, 12 warnings" in text
    for i in range(12):
        assert f"| w{i} |" in text
    assert "broken" in text


def test_outputs_cannot_be_read_as_options_by_a_later_job(tmp_path: Path) -> None:
    from hwb_action.settings import OPTIONS, resolve

    rep = GitLabReporter({}, stream=io.StringIO(), cwd=tmp_path)
    for name in ("sdist", "tag", "wheels", "version", "artifacts"):
        rep.set_output(name, "dist/demo-1.0.tar.gz")
    rep.close()
    env = dict(line.split("=", 1) for line in (tmp_path / "hwb.env").read_text().splitlines())
    assert not {o.env for o in OPTIONS} & set(env)
    # A later job with those variables still resolves its settings.
    assert resolve("build", environ=env)["sdist"] is False
    assert resolve("release", environ=env)["tag"] is True


def test_annotations_are_coloured_lines_and_redacted() -> None:
    log = io.StringIO()
    rep = GitLabReporter({}, stream=log)
    rep.mask("pypi-AgEIcHlwaS5vcmc")
    rep.annotate(Annotation(level="error", message="token pypi-AgEIcHlwaS5vcmc refused",
                            file="pyproject.toml", line=3))
    assert log.getvalue() == "\x1b[31;1mERROR: pyproject.toml:3: token *** refused\x1b[0m\n"


def test_empty_outputs_stay_out_of_the_dotenv_report(tmp_path: Path) -> None:
    """A job that needs the sdist job and the wheel jobs gets both reports: the wheel job's
    empty ``sdist`` must not blank the sdist job's value."""

    reporter = GitLabReporter({"GITLAB_CI": "true", "CI_PROJECT_DIR": str(tmp_path)},
                              stream=io.StringIO())
    reporter.set_output("sdist", "")
    reporter.set_output("wheels", '["demo-1.0-py3-none-any.whl"]')
    assert reporter.dotenv_lines() == ['HWB_OUTPUT_WHEELS=["demo-1.0-py3-none-any.whl"]']
