"""SIGINT and SIGTERM end hwb the way an exception does, so that every cleanup runs.

Python turns SIGINT into KeyboardInterrupt; SIGTERM would end the process on the spot and
leave the staging directory, temporary trees and backend processes behind.  Inside
:func:`interrupts_unwind` both raise (KeyboardInterrupt, :class:`Terminated`) in the main
thread, after every process hwb started has been ended, so that the ``with`` and ``finally``
blocks on the way out find nothing running that could still write or hold their files.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from hwb_action._process import end_descendants

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived.  A BaseException, like KeyboardInterrupt, so that ``except
    Exception`` does not swallow it on the way out."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM :class:`Terminated` while inside.

    The first signal ends every process hwb started, then raises.  Later ones are ignored
    until the block is left: a CI runner signals the whole process group and then the
    process again, and a second exception would cut the cleanup short.  A signal that was
    ignored when hwb started stays ignored.  Outside the main thread nothing changes
    (Python delivers signals to the main thread only).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        end_descendants()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current is not signal.SIG_IGN:
            previous[sig] = current
            signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
