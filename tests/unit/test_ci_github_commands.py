"""No workflow command can be smuggled through hwb's output in GitHub mode.

Each test is the attack: hostile text reaches hwb's log as a backend's output, a file name
from disk, a value from an index or a stray library write, and the raw stream is read the
way the runner reads it (a line ends at LF, CR or CRLF; ``::stop-commands::TOKEN`` stops
command processing until ``::TOKEN::``).  The only commands left must be hwb's own.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import warnings
from pathlib import Path

import pytest

from hwb_action import _process
from hwb_action.ci import Annotation
from hwb_action.ci.github import GitHubReporter, looks_like_command, neutralise

HOSTILE = [
    "::add-mask::x",
    "::set-env name=X::y",
    "::error::evil",
    "  ::warning::indented evil",
    "\t::set-output name=matrix::evil",
    "harmless\r::error::evil after a carriage return",
    "harmless\n::warning::evil on a second line",
    "harmless\r\n::error::evil after crlf",
    "\ufeff::error::evil after a byte order mark",
    "a\u2028::error::evil after a line separator",
    "##[error]evil in the old syntax",
    "##[set-output name=x;]evil",
    "::stop-commands::guess",
]
# A line the runner would read as a command: `::name` at its start (after whitespace and
# invisible characters) or the old `##[` anywhere.
_COMMAND = re.compile(r"^[\s\ufeff\u200b]*::([a-z-]+)")


def interpreted(raw: str) -> list[tuple[str, str]]:
    """(command name, line) for every line of ``raw`` the runner would act on."""
    found: list[tuple[str, str]] = []
    stop: str | None = None
    for line in re.split(r"\r\n|\r|\n", raw):
        if stop is not None:
            if line.strip() == f"::{stop}::":
                stop = None
            continue
        match = _COMMAND.match(line)
        if match:
            found.append((match.group(1), line))
            if match.group(1) == "stop-commands":
                stop = line.split("::", 2)[2]
        elif "##[" in line:
            found.append(("##[", line))
    return found


def own(raw: str) -> list[str]:
    """The names of the commands the runner would run, stop-commands blocks aside."""
    return [name for name, _ in interpreted(raw) if name != "stop-commands"]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_hostile_line_looks_like_a_command(text: str) -> None:
    assert looks_like_command(text)
    assert own(neutralise(text)) == []


def test_reporter_lines_carry_no_command() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    for text in HOSTILE:
        rep.log(text)
        rep.info(text)
        rep.debug(text)  # not verbose: one ::debug:: command with escaped data
    assert own(log.getvalue()) == ["debug"] * len(HOSTILE)


def test_verbose_debug_lines_carry_no_command() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log, verbose=True)
    for text in HOSTILE:
        rep.debug(text)
    assert own(log.getvalue()) == []


def test_names_and_values_inside_hwb_commands_stay_data(tmp_path: Path) -> None:
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_WORKSPACE": str(tmp_path)}, stream=log)
    for text in HOSTILE:
        # A file name from disk, a title and a message from an index, a group name.
        rep.annotate(Annotation(level="warning", message=text, title=text,
                                file=str(tmp_path / f"pkg{text}.whl"), line=1))
        rep.warning(text)
        with rep.group(text):
            rep.log(text)
    names = own(log.getvalue())
    assert names.count("warning") == 2 * len(HOSTILE)
    assert set(names) == {"warning", "group", "endgroup"}


def test_a_file_name_with_a_line_break_on_disk(tmp_path: Path) -> None:
    evil = tmp_path / "demo\n::warning::evil-1.0-py3-none-any.whl"
    evil.write_bytes(b"")
    log = io.StringIO()
    rep = GitHubReporter({"GITHUB_WORKSPACE": str(tmp_path)}, stream=log)
    for path in tmp_path.iterdir():
        rep.info(f"Built {path.name}")
        rep.warning(f"{path.name} is odd", file=str(path))
    assert own(log.getvalue()) == ["warning"]


def test_backend_output_streamed_through_the_process_layer(tmp_path: Path) -> None:
    script = tmp_path / "backend.py"
    lines = [t.replace("\n", "\\n").replace("\r", "\\r") for t in HOSTILE]
    script.write_text("import sys\n" + "".join(
        f"sys.stdout.write({json.dumps(t)} + '\\n')\nsys.stderr.write({json.dumps(t)} + '\\n')\n"
        for t in lines), encoding="utf-8")
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log, verbose=True)
    _process.run([sys.executable, str(script)], reporter=rep, stream=True)
    with pytest.raises(Exception, match="failed"):
        _process.run([sys.executable, "-c", f"exec(open({str(script)!r}).read()); exit(1)"],
                     reporter=rep)
    assert "evil" in log.getvalue()
    assert own(log.getvalue()) == []


def test_stray_writes_of_libraries_carry_no_command() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    saved = sys.stdout, sys.stderr
    with rep.stray_output():
        for text in HOSTILE:
            print(text)
            sys.stderr.write(text + "\n")
        # Pieces written apart must not join into a line nobody looked at.
        sys.stdout.write("::add-")
        sys.stdout.write("mask::split\n")
        # What warnings.showwarning writes (pytest records warnings instead of showing them).
        sys.stderr.write(warnings.formatwarning("\n::error::evil in a warning", UserWarning,
                                                "lib.py", 1))
        sys.stdout.buffer.write("::error::evil in bytes \u00e9\n".encode())
        sys.stderr.write("::error::no newline at the end")
    assert (sys.stdout, sys.stderr) == saved
    raw = log.getvalue()
    assert "split" in raw
    assert "evil in bytes \u00e9" in raw
    assert "no newline at the end" in raw
    assert own(raw) == []


def test_stray_writes_are_redacted() -> None:
    log = io.StringIO()
    rep = GitHubReporter({}, stream=log)
    rep.mask("hunter2-secret")
    with rep.stray_output():
        print("the password is hunter2-secret")
    assert "hunter2-secret" not in log.getvalue().replace("::add-mask::hunter2-secret", "")


def test_the_json_document_stays_json_and_runs_nothing() -> None:
    rep = GitHubReporter({}, stream=io.StringIO())
    data = {"artifacts": [{"filename": t, "tags": [t]} for t in HOSTILE],
            "notes": "\n".join(HOSTILE), "odd": "\\##[x] ##[[ ###["}
    for indent in (2, None):
        document = rep.document(json.dumps(data, indent=indent), is_json=True)
        assert json.loads(document) == data
        assert own(document) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_the_text_document_runs_nothing(text: str) -> None:
    rep = GitHubReporter({}, stream=io.StringIO())
    document = rep.document(f"1.2.3\n{text}")
    assert own(document) == []
    assert document.splitlines()[0] == "1.2.3"


def test_plain_documents_are_left_as_they_are() -> None:
    rep = GitHubReporter({}, stream=io.StringIO())
    assert rep.document("1.2.3") == "1.2.3"
    assert rep.document('{"a": 1}', is_json=True) == '{"a": 1}'


def test_hwb_check_prints_no_command_for_hostile_file_names(tmp_path: Path) -> None:
    import subprocess

    names = ["demo\n::add-mask::x-1.0-py3-none-any.whl", "::error::evil-1.0.tar.gz",
             "demo\r::set-env name=X::y-1.0-py3-none-any.whl"]
    # Names read from disk (dist/), where no option check stands between them and the log.
    (tmp_path / "dist").mkdir()
    for name in names:
        (tmp_path / "dist" / name).write_bytes(b"not an archive")
    env = {**os.environ, "GITHUB_ACTIONS": "true", "PYTHONPATH": os.environ.get(
        "PYTHONPATH", str(Path(__file__).resolve().parents[2]))}
    for extra in ([], ["--json"]):
        proc = subprocess.run([sys.executable, "-m", "hwb_action", "check", *extra],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              check=False, timeout=300)
        assert proc.returncode == 1, proc.stderr
        assert "evil" in proc.stdout + proc.stderr
        assert own(proc.stdout) == []
        assert set(own(proc.stderr)) <= {"error", "warning", "debug"}
        for name, line in interpreted(proc.stderr):
            if name in ("error", "warning", "debug"):
                assert "\n" not in line and "\r" not in line
