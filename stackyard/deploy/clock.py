"""Time as the deploy machinery sees it: what time it is, and waiting between polls.

Injected, so the fault matrix (tests/faults/) runs CloudFormation's timelines on a virtual clock:
an operation "takes" minutes while the test takes milliseconds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Wait `seconds`, or less when `wake` is set (a Ctrl-C ends a wait at once)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        if wake is None:
            time.sleep(seconds)
        else:
            wake.wait(seconds)
