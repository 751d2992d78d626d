"""Ctrl-C during a deploy or delete: the first one stops the run cleanly, the second at once.

The first SIGINT only sets a flag that every step checks: the scheduler starts no new stack, no
further change set is executed, change sets created but not executed are deleted, waits on
operations already running in CloudFormation end (they go on there; the run says which, and the
command that resumes), the outputs gathered so far are written and the run exits 130. A second
SIGINT exits at once (docs/deploy.md, "Ctrl-C").
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from stackyard.errors import EXIT_INTERRUPTED, StackyardError


class Interrupted(StackyardError):
    """The user pressed Ctrl-C; the step stopped without starting anything new."""

    exit_code = EXIT_INTERRUPTED


class Interrupt:
    """Whether the user asked the run to stop; shared by every thread of the run."""

    def __init__(self) -> None:
        self.event = threading.Event()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def request(self) -> None:
        self.event.set()

    def check(self, what: str) -> None:
        """Raise Interrupted, naming `what` was not done, once the user asked to stop."""
        if self.requested:
            raise Interrupted(f"interrupted: {what}")


@contextmanager
def first_stops_second_exits(interrupt: Interrupt, announce: Callable[[], None]) -> Iterator[None]:
    """Handle SIGINT while the block runs (from the main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if interrupt.requested:
            print(
                "\ninterrupted again: exiting now; operations already running go on in CloudFormation", file=sys.stderr
            )
            os._exit(EXIT_INTERRUPTED)
        interrupt.request()
        announce()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
