"""Rollback triggers: the stack's own critical alarms roll its update back (docs/deploy.md, "Rollback triggers").

Build records the names of each stack's critical alarms (those that page someone). An update's change set
gets a RollbackConfiguration with up to 5 of them (CloudFormation's limit), and params' monitoring window:
CloudFormation watches them while the update runs and for that many minutes after its resources are done,
and rolls the whole update back when one goes into ALARM. An alarm the same update creates does not exist
yet, and a trigger that does not exist fails the whole operation (RollbackTrigger API reference), so only
alarms already deployed in the stack (or its nested stacks) are used: a first create has none.

An explicit configuration is always passed, the empty one included (also when params turn triggers off):
without it CloudFormation keeps whatever triggers were set on the stack before, by anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stackyard.aws import StackEvent, StackReader
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.progress import Progress

MAX_TRIGGERS = 5  # RollbackConfiguration.RollbackTriggers holds at most 5
ALARM = "AWS::CloudWatch::Alarm"
GONE = ("DELETE_COMPLETE", "CREATE_FAILED", "DELETE_IN_PROGRESS")


@dataclass(frozen=True)
class TriggerChoice:
    watched: tuple[str, ...]  # alarm names
    unwatched: tuple[str, ...]  # "name: why not"


def choose(critical: tuple[str, ...], existing: set[str]) -> TriggerChoice:
    """The critical alarms to watch: those deployed already, the first 5 in template order (pure)."""
    deployed = [name for name in critical if name in existing]
    unwatched = [
        f"{name}: created by this update, so not watched until it exists" for name in critical if name not in existing
    ]
    unwatched += [f"{name}: past CloudFormation's {MAX_TRIGGERS} triggers" for name in deployed[MAX_TRIGGERS:]]
    return TriggerChoice(tuple(deployed[:MAX_TRIGGERS]), tuple(unwatched))


def alarm_arn(stack_id: str, region: str, name: str) -> str:
    """The alarm's ARN, in the stack's partition and account (read from its id: arn:<partition>:...:<account>:...)."""
    parts = stack_id.split(":")
    partition, account = (parts[1], parts[4]) if len(parts) > 4 and parts[0] == "arn" else ("aws", "")
    return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"


def rollback_configuration(arns: list[str], minutes: int) -> dict[str, Any]:
    return {
        "RollbackTriggers": [{"Arn": arn, "Type": ALARM} for arn in arns],
        "MonitoringTimeInMinutes": minutes,
    }


def existing_alarms(reader: StackReader, stack_id: str) -> set[str]:
    """Names of the alarms deployed in the stack and its nested stacks (an alarm's physical id is its name)."""
    found: set[str] = set()
    for resource in reader.resources(stack_id):
        if resource.status in GONE:
            continue
        if resource.resource_type == ALARM:
            found.add(resource.physical_id)
        elif resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:"):
            found |= existing_alarms(reader, resource.physical_id)
    return found


def triggering_alarm(reasons: list[str], watched: dict[str, str]) -> str | None:
    """The watched alarm (name -> ARN) a rollback reason names. CloudFormation's wording is not documented,
    so the alarm is recognised by its ARN, or by its name after "alarm:" (pure)."""
    for reason in reasons:
        for name, arn in watched.items():
            if arn in reason or f"alarm:{name}" in reason:
                return name
    return None


class RollbackWindow:
    """Shows how much of the monitoring window is left once an update's resources are done.

    CloudFormation's stack stays UPDATE_IN_PROGRESS through the window; the window starts when no
    resource is in progress any more (a resource starting again restarts it)."""

    def __init__(self, stack: str, progress: Progress, minutes: int, alarms: tuple[str, ...]):
        self.stack, self.progress = stack, progress
        self.length = timedelta(minutes=minutes)
        self.alarms = alarms
        self.busy: set[str] = set()
        self.done_at: datetime | None = None
        self.shown: int | None = None

    def observe(self, events: list[StackEvent], now: datetime) -> None:
        for event in events:
            if event.status.endswith("_IN_PROGRESS"):
                self.busy.add(event.logical_id)
                self.done_at = None
            elif event.status.endswith(("_COMPLETE", "_FAILED")):
                self.busy.discard(event.logical_id)
                if not self.busy:
                    self.done_at = event.timestamp
        left = self.remaining(now)
        if left is None:
            return
        minutes = int(left.total_seconds() // 60) + (1 if left.total_seconds() % 60 else 0)
        if minutes != self.shown:
            self.shown = minutes
            watched = f"alarms {', '.join(self.alarms)}" if self.alarms else "no alarms (the window only waits)"
            self.progress.state(self.stack, f"rollback monitoring: {minutes} min left, watching {watched}")

    def remaining(self, now: datetime) -> timedelta | None:
        if self.done_at is None or self.busy:
            return None
        return max(self.done_at + self.length - now, timedelta(0))
