"""Waiting on CloudFormation: polling with backoff, watching an operation by stack id, and the
failure message a user needs.

A stack is always watched by its id: once deleted, its name no longer resolves, while its id still
shows DELETE_COMPLETE and its events ("does not exist" means gone). Each poll reads only the events
newer than the last one seen, of the stack and of each nested stack still running (shown as they
happen, prefixed with the nested stack's logical id); the stack itself is described on the first
poll and once its own events say it ended, so a long operation costs one call per stack per poll.
Polls come quickly in an operation's first minute, then every STEADY_DELAY seconds, and then no
stack is read twice within STEADY_DELAY (docs/deploy.md, "How a deploy waits"). A poll that AWS
throttles even after botocore's retries backs off and goes on (the operation runs on in
CloudFormation either way); a Ctrl-C ends the wait at once, naming the operation left running.
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

# Seconds between polls in an operation's first minute: most operations take seconds.
POLL_DELAYS = (0.5, 0.5, 1, 1, 2, 2, 3)
# After that minute: a resource event still shows within this many seconds, and a stack is read at
# most once in as many (CloudFormation throttles Describe* per account and region).
STEADY_AFTER = timedelta(minutes=1)
STEADY_DELAY = 5.0
# When a poll is still throttled after botocore's retries: wait longer, a few times, then give up.
THROTTLED_DELAYS = (5, 10, 20, 30)
STACK_TIMEOUT = timedelta(hours=2)
FAILURES_SHOWN = 5

Found = TypeVar("Found")
# Told of the stack's own resources' new events at each poll, with the time (the rollback window's countdown).
EventObserver = Callable[[list[StackEvent], datetime], None]


class OperationLeftRunning(Interrupted):
    """Ctrl-C while an operation runs in CloudFormation: it goes on there; the run stops watching."""


def poll_delay(attempt: int, elapsed: timedelta) -> float:
    """Seconds to wait before poll `attempt + 1` of a wait that has run `elapsed`."""
    if elapsed >= STEADY_AFTER:
        return STEADY_DELAY
    return POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)]


@dataclass
class _Stream:
    """The events of one stack of a watched operation: the stack itself or a nested one."""

    path: str  # "" for the watched stack, its logical-id path ("Vpc/") for a nested one
    last_seen: str | None = None  # the newest event id read
    last_read: datetime | None = None
    active: bool = True  # still read each poll
    finishing: bool = False  # the nested stack ended: read once more, then no longer


@dataclass
class _Operation:
    stack: str
    stack_id: str
    started: datetime
    streams: dict[str, _Stream] = field(default_factory=dict)  # by stack id, the watched stack first
    ended: bool = False  # its own events say it ended; describe it
    described: DeployedStack | None = None
    ever_described: bool = False


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
        started = self.clock.now()
        deadline = started + STACK_TIMEOUT
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
            now = self.clock.now()
            if now > deadline:
                raise StackyardError(f"{what}: gave up waiting after {STACK_TIMEOUT}; the operation may still finish")
            self.clock.sleep(poll_delay(attempt, now - started), self.interrupt.event)
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
        operation = _Operation(stack, stack_id, started, {stack_id: _Stream("")})

        def read() -> tuple[bool, DeployedStack | None]:
            shown = self._read_events(operation, stack_id, reader)
            if observer is not None:  # the stack's own resources' events (the rollback window's countdown)
                observer(shown, self.clock.now())
            for nested_id, stream in list(operation.streams.items()):
                if nested_id != stack_id and stream.active:
                    self._read_events(operation, nested_id, reader)
            for poller in self.pollers:
                poller(stack, stack_id)
            if operation.ever_described and not operation.ended:
                return False, operation.described
            operation.described = self._paced(operation, stack_id, lambda: reader.describe(stack_id))
            operation.ever_described = True
            # Once the events showed the end, describe on each poll until the stack shows it too
            # (DescribeStacks can lag the events; the stack's own end event comes only once).
            return True, operation.described

        def done(found: tuple[bool, DeployedStack | None]) -> bool:
            described, deployed = found
            return described and (deployed is None or is_terminal(deployed.status))

        try:
            final = self.poll(read, done, f"watching {stack}")[1]
        except Interrupted:
            last = operation.described
            status = last.status if last else "in progress"
            raise OperationLeftRunning(
                f"stopped watching: stack {last.name if last else stack_id} is {status} in CloudFormation and "
                f"goes on there. Resume: {self.resume_command}"
            ) from None
        self.progress.state(stack, final.status if final else "DELETE_COMPLETE")
        return final

    def _paced(self, operation: _Operation, stack_id: str, call: Callable[[], Found]) -> Found:
        """`call()`, reading `stack_id`, once it was not read within STEADY_DELAY (after the first minute)."""
        stream = operation.streams.get(stack_id) or _Stream("")
        now = self.clock.now()
        if stream.last_read is not None and now - operation.started >= STEADY_AFTER:
            wait = STEADY_DELAY - (now - stream.last_read).total_seconds()
            if wait > 0:
                self.clock.sleep(wait, self.interrupt.event)
        stream.last_read = self.clock.now()
        return call()

    def _read_events(self, operation: _Operation, stack_id: str, reader: StackReader) -> list[StackEvent]:
        """Show the new events of the stack's resources; returns them."""
        stream = operation.streams[stack_id]
        events, stream.last_seen = self._paced(
            operation, stack_id, lambda: reader.events_since(stack_id, operation.started, stream.last_seen)
        )
        shown = []
        for event in events:
            if _is_own(event, stack_id):  # the stack's own status: shown on the board
                operation.ended = operation.ended or (stack_id == operation.stack_id and is_terminal(event.status))
                continue
            self.progress.event(operation.stack, event, operation.started, stream.path)
            self._follow_nested(operation, event, stream.path)
            shown.append(event)
        if stream.finishing:
            stream.active = stream.finishing = False
        return shown

    @staticmethod
    def _follow_nested(operation: _Operation, event: StackEvent, path: str) -> None:
        if event.resource_type != NESTED_STACK or not event.physical_id.startswith("arn:"):
            return
        stream = operation.streams.setdefault(event.physical_id, _Stream(f"{path}{event.logical_id}/"))
        if is_terminal(event.status):
            stream.finishing = stream.active  # its last events come before this one: a last read shows them
        else:
            stream.active, stream.finishing = True, False

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


def _is_own(event: StackEvent, stack_id: str) -> bool:
    """The stack's own status event, not one of its resources': CloudFormation names it by the stack."""
    name = stack_id.split("/")[1] if stack_id.startswith("arn:") and "/" in stack_id else stack_id
    return event.physical_id == stack_id or (event.resource_type == NESTED_STACK and event.logical_id == name)
