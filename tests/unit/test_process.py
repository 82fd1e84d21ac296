"""The subprocess helper keeps its promises, with real processes: a timeout holds while the
output is read, the whole process group ends with it, capture modes keep what they say."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hwb_action import _process
from hwb_action.ci import NullReporter
from hwb_action.errors import ProcessError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "child.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(path)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def _gone(pid: int) -> bool:
    # An orphan is reaped by init a moment after it is killed: a bounded poll, no timing.
    for _ in range(200):
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


HANGS = """
    import os, sys, time
    print("started", os.getpid(), flush=True)
    time.sleep(600)
"""


def test_a_process_that_hangs_with_its_output_open_is_killed_at_the_timeout(
    tmp_path: Path,
) -> None:
    reporter = NullReporter()
    with pytest.raises(ProcessError) as info:
        _process.run(_script(tmp_path, HANGS), reporter=reporter, timeout=1,
                     what="the hanging child", timeout_setting="hook-timeout")
    err = info.value
    assert err.timed_out
    assert "the hanging child" in err.message
    assert "1 s" in err.message
    assert err.hint is not None
    assert "hook-timeout" in err.hint
    assert "HWB_HOOK_TIMEOUT" in err.hint
    (started,) = [line for line in err.details if line.startswith("started")]
    assert _gone(int(started.split()[1]))


def test_the_timeout_holds_even_when_check_is_off(tmp_path: Path) -> None:
    with pytest.raises(ProcessError) as info:
        _process.run(_script(tmp_path, HANGS), timeout=1, check=False)
    assert info.value.timed_out


BACKGROUND = """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("grandchild", child.pid, flush=True)
    {after}
"""


def test_a_background_grandchild_is_killed_at_the_timeout(tmp_path: Path) -> None:
    with pytest.raises(ProcessError) as info:
        _process.run(_script(tmp_path, BACKGROUND.format(after="time.sleep(600)")), timeout=1)
    assert info.value.timed_out
    (line,) = [ln for ln in info.value.details if ln.startswith("grandchild")]
    assert _gone(int(line.split()[1]))


def test_a_command_that_leaves_a_background_process_returns_and_ends_it(
    tmp_path: Path,
) -> None:
    # The grandchild keeps the output pipe open: without ending it, reading never ends.
    done = _process.run(_script(tmp_path, BACKGROUND.format(after="print('bye')")),
                        timeout=120)
    assert done.returncode == 0
    assert "bye" in done.stdout
    pid = int(done.stdout.split("grandchild", 1)[1].split()[0])
    assert _gone(pid)


def test_an_interrupt_kills_the_process_group(tmp_path: Path) -> None:
    class Interrupting(NullReporter):
        def log(self, line: str) -> None:
            super().log(line)
            if line.startswith("grandchild"):
                raise KeyboardInterrupt

    reporter = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        _process.run(_script(tmp_path, BACKGROUND.format(after="time.sleep(600)")),
                     reporter=reporter, stream=True)
    (line,) = [ln for ln in reporter.lines if ln.startswith("grandchild")]
    assert _gone(int(line.split()[1]))


BOTH = """
    import sys
    print("to stdout", flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    print('{"machine": "readable"}', flush=True)
"""


def test_capture_merged_keeps_both_streams(tmp_path: Path) -> None:
    done = _process.run(_script(tmp_path, BOTH))
    assert "to stdout" in done.stdout
    assert "to stderr" in done.stdout
    assert done.stderr == ""


def test_capture_stdout_keeps_stderr_out_of_the_result(tmp_path: Path) -> None:
    reporter = NullReporter()
    done = _process.run(_script(tmp_path, BOTH), capture="stdout", reporter=reporter,
                        stream=True, prefix="[x] ")
    assert done.stdout.splitlines() == ["to stdout", '{"machine": "readable"}']
    assert done.stderr == "to stderr\n"
    # stderr is logged for people; the machine-read stdout is not.
    assert "[x] to stderr" in reporter.lines
    assert not any("to stdout" in line for line in reporter.lines)


def test_capture_stdout_without_stream_logs_stderr_as_debug(tmp_path: Path) -> None:
    quiet = NullReporter()
    _process.run(_script(tmp_path, BOTH), capture="stdout", reporter=quiet)
    assert quiet.lines == []
    verbose = NullReporter(verbose=True)
    _process.run(_script(tmp_path, BOTH), capture="stdout", reporter=verbose)
    assert "to stderr" in verbose.lines


def test_capture_none_keeps_nothing_but_still_streams(tmp_path: Path) -> None:
    reporter = NullReporter()
    done = _process.run(_script(tmp_path, BOTH), capture="none", reporter=reporter, stream=True)
    assert done.stdout == ""
    assert "to stdout" in reporter.lines
    assert "to stderr" in reporter.lines


def test_failure_carries_the_redacted_tail(tmp_path: Path) -> None:
    reporter = NullReporter(verbose=True)
    reporter.mask("s3cret-value")
    body = """
        import sys
        for i in range(100):
            print(f"line {i}")
        print("token s3cret-value")
        sys.exit(3)
    """
    cmd = [*_script(tmp_path, body), "--password", "s3cret-value"]
    with pytest.raises(ProcessError) as info:
        _process.run(cmd, reporter=reporter, what="the child")
    err = info.value
    assert err.returncode == 3
    assert not err.timed_out
    assert err.message == "the child failed with exit code 3"
    assert len(err.details) == _process.TAIL_LINES
    assert err.details[-2] == "line 99"
    assert err.details[-1] == "token ***"
    # The echo of the command comes first and hides the secret.
    assert reporter.lines[0].startswith("+ ")
    assert "--password ***" in reporter.lines[0]
    assert not any("s3cret-value" in line for line in reporter.lines)


def test_check_false_returns_the_exit_code(tmp_path: Path) -> None:
    done = _process.run(_script(tmp_path, "import sys; print('x'); sys.exit(5)"), check=False)
    assert done.returncode == 5
    assert done.stdout == "x\n"


def test_stdin_reaches_the_child(tmp_path: Path) -> None:
    done = _process.run(_script(tmp_path, "import sys; print(sys.stdin.read().upper())"),
                        stdin="hello")
    assert done.stdout == "HELLO\n"


def test_a_missing_program_is_a_process_error(tmp_path: Path) -> None:
    with pytest.raises(ProcessError) as info:
        _process.run([str(tmp_path / "no-such-program")], what="the tool")
    assert info.value.returncode == 127
    assert "could not start the tool" in info.value.message


def test_end_descendants_ends_every_process_below_the_root(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    body = f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(600)
    """
    child = subprocess.Popen(_script(tmp_path, body))
    try:
        for _ in range(400):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        grandchild = int(pid_file.read_text())
        assert grandchild in _process.descendants(child.pid)
        assert grandchild in _process.descendants()
        # Below the child only: this test process may have other children of its own.
        _process.end_descendants(child.pid)
        assert _gone(grandchild)
        os.kill(child.pid, signal.SIGTERM)
        assert child.wait(timeout=30) != 0
    finally:
        child.kill()
        child.wait(timeout=30)
