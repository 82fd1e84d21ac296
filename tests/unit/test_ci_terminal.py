"""Terminal reporter: plain lines on a pipe, live progress and colour on a real terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import threading

import pytest

from hwb_action.ci import Annotation
from hwb_action.ci.terminal import TerminalReporter
from hwb_action.errors import BuildError


def test_plain_output_has_no_escape_codes() -> None:
    log = io.StringIO()
    rep = TerminalReporter({"FORCE_COLOR": ""}, stream=log)
    assert not rep.live
    assert not rep.colour
    with rep.group("Build wheel"):
        rep.log("backend says hi")
    rep.warning("careful", file="pyproject.toml", line=3)
    rep.annotate(Annotation(level="error", message="broken"))
    rep.close()
    text = log.getvalue()
    assert "\x1b" not in text
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[:4] == ["* Build wheel", "backend says hi",
                         "WARNING: pyproject.toml:3: careful", "ERROR: broken"]
    # The tally at the end counts them (a long step ran); each was said once, above.
    assert lines[4:] == ["hwb: 1 error, 1 warning"]


def test_force_color_paints_even_on_a_pipe() -> None:
    log = io.StringIO()
    rep = TerminalReporter({"FORCE_COLOR": "1"}, stream=log)
    rep.annotate(Annotation(level="error", message="x"))
    assert "\x1b[31m" in log.getvalue()


def test_single_error_is_not_repeated() -> None:
    log = io.StringIO()
    rep = TerminalReporter({}, stream=log)
    rep.annotate(Annotation(level="error", message="only one"))
    rep.close()
    assert log.getvalue() == "ERROR: only one\n"


class _Pty:
    """A real pseudo-terminal: the reporter writes to the slave, the test reads the master."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        self.stream = os.fdopen(slave, "w", encoding="utf-8", buffering=1)
        self.chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    def close(self) -> str:
        self.stream.close()
        self._reader.join(timeout=5)
        os.close(self.master)
        return b"".join(self.chunks).decode("utf-8", errors="replace")


@pytest.fixture
def tty() -> _Pty:
    return _Pty()


def test_live_progress_on_a_terminal(tty: _Pty) -> None:
    rep = TerminalReporter({"TERM": "xterm"}, stream=tty.stream)
    assert rep.live
    assert rep.colour
    rep.mask("hunter2-secret")
    with rep.group("Build wheel"):
        for i in range(50):
            rep.log(f"compiling module {i} with hunter2-secret")
        rep.info("a line for people")
    rep.close()
    out = tty.close()
    # The status line is drawn and cleared in place, and shows the log's last line.
    assert "\r\x1b[2K" in out
    assert "Build wheel" in out
    assert "compiling module 49 with ***" in out
    # Build logs are kept back on success; people's lines are not.
    assert "compiling module 0 with" not in out
    assert "a line for people" in out
    assert re.search(r"\x1b\[32m\u2713 Build wheel\x1b\[0m", out)
    assert "hunter2" not in out


def test_failed_step_shows_the_tail_of_its_log(tty: _Pty) -> None:
    rep = TerminalReporter({"TERM": "xterm", "NO_COLOR": "1"}, stream=tty.stream)

    def fail_wheel() -> None:
        with rep.group("Build wheel"):
            for i in range(30):
                rep.log(f"log line {i}")
            raise RuntimeError("boom")

    def fail_sdist() -> None:
        with rep.group("Build sdist"):
            rep.log("hidden detail")
            raise BuildError("failed", details=["the tail"])

    with pytest.raises(RuntimeError):
        fail_wheel()
    # An error that carries its own details is not repeated.
    with pytest.raises(BuildError):
        fail_sdist()
    rep.close()
    out = tty.close()
    assert "\u2717 Build wheel" in out
    assert "  log line 29" in out
    assert "  log line 10" in out
    assert "  log line 9\r" not in out  # only the last 20 lines
    assert "\u2717 Build sdist" in out
    assert "  hidden detail" not in out
    assert "\x1b[3" not in out  # NO_COLOR


def test_live_progress_off_when_asked(tty: _Pty) -> None:
    rep = TerminalReporter({"TERM": "xterm", "HWB_NO_PROGRESS": "1"}, stream=tty.stream)
    assert not rep.live
    tty.close()


def test_dumb_terminal_is_plain(tty: _Pty) -> None:
    rep = TerminalReporter({"TERM": "dumb"}, stream=tty.stream)
    assert not rep.live
    assert not rep.colour
    tty.close()
