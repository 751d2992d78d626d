"""A discrete-event clock for whole deploy runs: virtual time jumps to the earliest wake time once
every unit of work is asleep.

A unit of work is a run's own thread (`enter`/`leave` around it) or a stack the scheduler handed
to a worker thread (counted from `pool.submit` until its future is done). A run's thread that waits
on the scheduler's futures is not busy while it waits: `accounted()` puts counting versions of
ThreadPoolExecutor and `wait` into stackyard/deploy/scheduler.py for the length of a simulation,
so the engine runs unchanged. When the busy count reaches zero, the clock moves to the earliest
wake time and wakes exactly the sleepers due then; the engine's own CPU time takes no virtual time.

A watchdog (`wait_for`) names the threads and where they are when nothing moves for a while in
real time, so an accounting mistake fails loudly instead of hanging.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stackyard.deploy import scheduler

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class _Waiter:
    """A thread blocked until one of `futures` is done."""

    futures: set[futures.Future[Any]]
    credited: bool = False  # a finished future already counted the thread busy again


@dataclass(order=True)
class _Sleeper:
    wake_at: datetime
    order: int
    woken: threading.Event = field(compare=False, default_factory=threading.Event)


class DiscreteClock:
    """stackyard.deploy.clock.Clock on virtual time that jumps once everyone sleeps."""

    def __init__(self, start: datetime = START):
        self._now = start
        self._lock = threading.Lock()
        self._busy = 0
        self._sleepers: list[_Sleeper] = []
        self._waiters: list[_Waiter] = []
        self._order = itertools.count()
        self.moved_at = time.monotonic()  # real time virtual time last moved on, for the watchdog
        self.start = start

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def elapsed(self) -> float:
        return (self.now() - self.start).total_seconds()

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Sleep in virtual time (a Ctrl-C is not played: `wake` only ends a wait already requested)."""
        if seconds <= 0 or (wake is not None and wake.is_set()):
            return
        with self._lock:
            sleeper = _Sleeper(self._now + _at_least_a_tick(seconds), next(self._order))
            heapq.heappush(self._sleepers, sleeper)
            self._busy -= 1
            self._jump_if_idle()
        sleeper.woken.wait()

    def advance(self, seconds: float) -> None:
        """Move time on from outside any run (a scenario's setup)."""
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def enter(self) -> None:
        """A unit of work starts (call it before starting the thread that does it)."""
        with self._lock:
            self._busy += 1

    def leave(self) -> None:
        with self._lock:
            self._busy -= 1
            self._jump_if_idle()

    # --- the scheduler's futures -----------------------------------------------------------------

    def task_done(self, finished: futures.Future[Any]) -> None:
        """A stack's work ended: its unit goes; a thread waiting on it is busy again."""
        with self._lock:
            self._busy -= 1
            for waiter in self._waiters:
                if finished in waiter.futures and not waiter.credited:
                    waiter.credited = True
                    self._busy += 1
            self._jump_if_idle()

    def wait(
        self,
        waited: Iterable[futures.Future[Any]],
        timeout: float | None = None,
        return_when: str = futures.ALL_COMPLETED,
    ) -> Any:
        """concurrent.futures.wait, not counted busy while it blocks."""
        waited = set(waited)
        waiter = None
        with self._lock:
            if not any(each.done() for each in waited):
                waiter = _Waiter(waited)
                self._waiters.append(waiter)
                self._busy -= 1
                self._jump_if_idle()
        try:
            return futures.wait(waited, timeout, return_when)
        finally:
            if waiter is not None:
                with self._lock:
                    self._waiters.remove(waiter)
                    if not waiter.credited:
                        self._busy += 1

    def _jump_if_idle(self) -> None:
        if self._busy > 0 or not self._sleepers:
            return
        if self._sleepers[0].wake_at > self._now:
            self._now = self._sleepers[0].wake_at
            self.moved_at = time.monotonic()
        while self._sleepers and self._sleepers[0].wake_at <= self._now:
            sleeper = heapq.heappop(self._sleepers)
            self._busy += 1
            sleeper.woken.set()

    # --- running threads under the clock ---------------------------------------------------------

    def start_thread(self, name: str, work: Callable[[], None]) -> threading.Thread:
        """`work()` in a new thread counted as a unit of work until it returns."""

        def counted() -> None:
            try:
                work()
            finally:
                self.leave()

        self.enter()
        thread = threading.Thread(target=counted, name=name, daemon=True)
        thread.start()
        return thread

    def wait_for(
        self, threads: list[threading.Thread], stuck_after: float = 60.0, report: Callable[[], None] | None = None
    ) -> None:
        """Join `threads`; raise, naming where every thread is, when virtual time stops moving.
        `report()` is called every few seconds of real time while they run."""
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=5.0)
                if report:
                    report()
                if thread.is_alive() and time.monotonic() - self.moved_at > stuck_after:
                    raise RuntimeError(f"the simulation is stuck (busy={self._busy}):\n{_stacks()}")


def _at_least_a_tick(seconds: float) -> timedelta:
    """`seconds` rounded up to datetime's microsecond: a shorter sleep would not move time on, and a
    waiter that computed it (a token bucket short of a token by a rounding error) would spin."""
    return timedelta(microseconds=math.ceil(seconds * 1_000_000))


def _stacks() -> str:
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame)[-6:])}"
        for ident, frame in sys._current_frames().items()
    )


@contextlib.contextmanager
def accounted(clock: DiscreteClock) -> Iterator[None]:
    """The scheduler's pool and wait, counting for `clock`, while the block runs."""

    class AccountedPool(futures.ThreadPoolExecutor):
        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future[Any]:
            clock.enter()
            try:
                submitted = super().submit(fn, *args, **kwargs)
            except BaseException:
                clock.leave()
                raise
            submitted.add_done_callback(clock.task_done)
            return submitted

    saved = scheduler.ThreadPoolExecutor, scheduler.wait
    scheduler.ThreadPoolExecutor, scheduler.wait = AccountedPool, clock.wait  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        scheduler.ThreadPoolExecutor, scheduler.wait = saved  # type: ignore[misc]
