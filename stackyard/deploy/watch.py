"""Waiting on CloudFormation: polling with backoff, watching an operation by stack id, and the
failure message a user needs.

A stack is always watched by its id: once deleted, its name no longer resolves, while its id still
shows DELETE_COMPLETE and its events ("does not exist" means gone). Nested stacks' resource events
are shown as they happen, prefixed with the nested stack's logical id. A poll that AWS throttles
even after botocore's retries backs off and goes on (the operation runs on in CloudFormation
either way); a Ctrl-C ends the wait at once, naming the operation left running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from stackyard.aws import DeployedStack, StackEvent, StackReader, ThrottledError
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.clock import Clock
from stackyard.deploy.interrupt import Interrupt, Interrupted
from stackyard.deploy.progress import Progress
from stackyard.deploy.status import is_failure_event, is_terminal
from stackyard.errors import StackyardError

# Poll delays in seconds: quick at first (most operations here take seconds), then backing off.
POLL_DELAYS = (0.5, 0.5, 1, 1, 2, 2, 3)
# When a poll is still throttled after botocore's retries: wait longer, a few times, then give up.
THROTTLED_DELAYS = (5, 10, 20, 30)
STACK_TIMEOUT = timedelta(hours=2)
FAILURES_SHOWN = 5

Found = TypeVar("Found")
# Told of the stack's own resources' new events at each poll, with the time (the rollback window's countdown).
EventObserver = Callable[[list[StackEvent], datetime], None]


class OperationLeftRunning(Interrupted):
    """Ctrl-C while an operation runs in CloudFormation: it goes on there; the run stops watching."""


@dataclass
class _NestedWatch:
    """The nested stacks seen in a watched operation, by id -> their logical-id path ("Vpc/")."""

    paths: dict[str, str] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)


class Watcher:
    def __init__(self, progress: Progress, clock: Clock, interrupt: Interrupt, resume_command: str):
        self.progress = progress
        self.clock = clock
        self.interrupt = interrupt
        self.resume_command = resume_command
        # Called with (stack, stack id) on each poll of a watched operation: readers of what CloudFormation
        # waits on, such as a certificate's validation records (stackyard/deploy/validation.py).
        self.pollers: list[Callable[[str, str], None]] = []

    def poll(self, read: Callable[[], Found], done: Callable[[Found], bool], what: str) -> Found:
        """`read()` until `done(found)`, backing off; raises Interrupted on Ctrl-C, naming `what`."""
        deadline = self.clock.now() + STACK_TIMEOUT
        attempt = throttled = 0
        while True:
            try:
                found = read()
            except ThrottledError:
                if throttled == len(THROTTLED_DELAYS):
                    raise
                self.clock.sleep(THROTTLED_DELAYS[throttled], self.interrupt.event)
                throttled += 1
                continue
            if done(found):
                return found
            self.interrupt.check(what)
            if self.clock.now() > deadline:
                raise StackyardError(f"{what}: gave up waiting after {STACK_TIMEOUT}; the operation may still finish")
            self.clock.sleep(POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)], self.interrupt.event)
            attempt += 1

    def watch(
        self,
        stack: str,
        stack_id: str,
        reader: StackReader,
        started: datetime,
        observer: EventObserver | None = None,
    ) -> DeployedStack | None:
        """Stream the stack's new events (its nested stacks' too) until its operation ends; the stack
        as it ended, or None when it is gone."""
        nested = _NestedWatch()
        last: list[DeployedStack | None] = [None]

        def read() -> DeployedStack | None:
            shown = self._show_events(stack, stack_id, "", reader, started, nested)
            if observer is not None:
                observer(shown, self.clock.now())
            for nested_id in sorted(nested.active):
                self._show_events(stack, nested_id, nested.paths[nested_id], reader, started, nested)
            for poller in self.pollers:
                poller(stack, stack_id)
            last[0] = reader.describe(stack_id)
            return last[0]

        try:
            final = self.poll(read, lambda found: found is None or is_terminal(found.status), f"watching {stack}")
        except Interrupted:
            status = last[0].status if last[0] else "in progress"
            raise OperationLeftRunning(
                f"stopped watching: stack {last[0].name if last[0] else stack_id} is {status} in CloudFormation and "
                f"goes on there. Resume: {self.resume_command}"
            ) from None
        self.progress.state(stack, final.status if final else "DELETE_COMPLETE")
        return final

    def _show_events(
        self, stack: str, stack_id: str, path: str, reader: StackReader, started: datetime, nested: _NestedWatch
    ) -> list[StackEvent]:
        """Show the resources' new events; returns them."""
        shown = []
        for event in reader.events(stack_id, started):
            if event.event_id in nested.seen:
                continue
            nested.seen.add(event.event_id)
            if event.physical_id == stack_id:
                continue  # the stack's own events: its status is shown on the board
            self.progress.event(stack, event, started, path)
            self._follow_nested(event, path, nested)
            shown.append(event)
        return shown

    @staticmethod
    def _follow_nested(event: StackEvent, path: str, nested: _NestedWatch) -> None:
        if event.resource_type != NESTED_STACK or not event.physical_id.startswith("arn:"):
            return
        nested.paths[event.physical_id] = f"{path}{event.logical_id}/"
        if is_terminal(event.status):
            nested.active.discard(event.physical_id)
        else:
            nested.active.add(event.physical_id)

    def failure(self, name: str, final: DeployedStack | None, reader: StackReader, started: datetime) -> str:
        """The status, StackStatusReason and first failing resources (the real cause inside nested stacks)."""
        status = final.status if final else "DELETE_COMPLETE"
        text = f"stack {name}: {status}"
        if final and final.status_reason:
            text += f" ({final.status_reason})"
        stack_id = final.stack_id if final and final.stack_id else name
        found = failures(stack_id, reader, started)[:FAILURES_SHOWN]
        return text + (f": {'; '.join(found)}" if found else "")


def failures(stack_id: str, reader: StackReader, started: datetime, within: str = "") -> list[str]:
    """The first failing resources and why, looking inside failed nested stacks for the real cause."""
    found = []
    for event in reader.events(stack_id, started):
        own = event.physical_id == stack_id or event.logical_id == stack_id
        if own or not (is_failure_event(event.status) and event.reason):
            continue
        if event.resource_type == NESTED_STACK and event.physical_id.startswith("arn:"):
            inner = failures(event.physical_id, reader, started, f"{within}{event.logical_id}/")
            if inner:
                found += inner
                continue
        found.append(f"{within}{event.logical_id} ({event.resource_type}): {event.reason}")
    return found
