"""The deploy record: which template each stack was deployed with, so an unchanged stack needs no
GetTemplate (docs/deploy.md, "The deploy record").

After a deploy, under its lock, one JSON object per environment is written to the home region's artifact
bucket, `state/<app>/<env>/deployed.json`: per stack its StackId, its LastUpdatedTime (its CreationTime if
never updated), its status, and the sha256 of its template as deployed (the packaged template's canonical
JSON: what stackyard/deploy/unchanged.py compares). Only stacks that completed in that run are written
(with the entries of stacks the run did not select, kept as read).

Why it proves anything: a stack's template changes only by an operation on the stack, and CloudFormation
sets the stack's LastUpdatedTime whenever an update runs on it, whoever starts it (UpdateStack,
ExecuteChangeSet; DescribeStacks API reference, Stack.LastUpdatedTime: "The time the stack was last
updated"); a create makes a new StackId. So when DescribeStacks shows the recorded StackId, LastUpdatedTime
and status, a *_COMPLETE one that is not a rollback, the deployed template is the recorded one. (Where the
time cannot move, an emulator's updated stack whose LastUpdatedTime is its CreationTime, nothing is proved.)
A digest equal to the wanted template's then stands for GetTemplate; a different one only says a change
is coming, and GetTemplate is read as before, to say what changed. Missing, stale, another StackId, or
unreadable (AccessDenied, bad JSON, another format): GetTemplate as before, never an error.

The record is read once per run, before the lock when a deploy looks first (stackyard/deploy/precheck.py):
each entry carries the StackId and LastUpdatedTime it is valid for, and the DescribeStacks it is checked
against is always this phase's own, so an entry read before the lock proves no more after it than before.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from typing import Any

from stackyard.aws import S3, AwsError, DeployedStack

FORMAT = "stackyard-deploy-record/1"
MISSING_BUCKET = "NoSuchBucket"


def record_key(app: str, env: str) -> str:
    return f"state/{app}/{env}/deployed.json"


def template_digest(template: dict[str, Any]) -> str:
    """The sha256 of the template's canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(template, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def settled(status: str) -> bool:
    """A status whose stored template is what the stack runs: *_COMPLETE, not a rollback, not deleted."""
    return status.endswith("_COMPLETE") and "ROLLBACK" not in status and not status.startswith(("DELETE", "REVIEW"))


@dataclass(frozen=True)
class RecordedStack:
    stack_id: str
    updated_at: str  # LastUpdatedTime, or CreationTime if never updated
    status: str
    template_sha256: str

    def holds_for(self, deployed: DeployedStack) -> bool:
        """Whether the stack is still as recorded: the same StackId, not updated since, and settled."""
        return (
            bool(self.updated_at)
            and (self.stack_id, self.updated_at, self.status)
            == (deployed.stack_id, deployed.updated_at, deployed.status)
            and settled(deployed.status)
            and not time_stands_still(deployed)
        )


def time_stands_still(deployed: DeployedStack) -> bool:
    """An updated stack whose LastUpdatedTime is still its CreationTime: CloudFormation never shows that (the
    update came after the create), an emulator that does not track the time does (LocalStack's provider sets
    LastUpdatedTime to CreationTime), so its LastUpdatedTime proves nothing."""
    return (
        deployed.status != "CREATE_COMPLETE"
        and bool(deployed.created_at)
        and deployed.updated_at == deployed.created_at
    )


class DeployRecord:
    """The environment's deploy record: read once per run, written by a deploy under its lock."""

    def __init__(self, app: str, env: str):
        self.key = record_key(app, env)
        self.loaded = False
        self.bucket_missing = False  # the artifact bucket is gone: a deploy has that to make again
        self._read: dict[str, RecordedStack] = {}
        self._completed: dict[str, RecordedStack] = {}
        self._lock = threading.Lock()

    def load(self, s3: S3 | None, bucket: str | None) -> None:
        """Read the record once (1 GetObject); what cannot be read counts as no record."""
        if self.loaded:
            return
        self.loaded = True
        if s3 is None or bucket is None:
            return
        try:
            body = s3.read(bucket, self.key)
        except AwsError as error:  # AccessDenied, throttled, ...: GetTemplate as before
            self.bucket_missing = error.code == MISSING_BUCKET
            return
        self._read = parsed(body) if body is not None else {}

    def proves(self, stack: str, deployed: DeployedStack, template: dict[str, Any]) -> bool:
        """Whether the record shows the deployed stack's template is `template`."""
        entry = self._read.get(stack)
        return entry is not None and entry.holds_for(deployed) and entry.template_sha256 == template_digest(template)

    def completed(self, stack: str, deployed: DeployedStack, template: dict[str, Any]) -> None:
        """The stack is done in this run, deployed with `template`."""
        if not settled(deployed.status) or not deployed.updated_at:
            return
        entry = RecordedStack(deployed.stack_id, deployed.updated_at, deployed.status, template_digest(template))
        with self._lock:
            self._completed[stack] = entry

    def body(self, selected: list[str]) -> bytes:
        """The record to write: this run's completed stacks, and the entries of stacks it did not select."""
        with self._lock:
            entries = {stack: entry for stack, entry in self._read.items() if stack not in selected}
            entries |= self._completed
        stacks = {stack: asdict(entries[stack]) for stack in sorted(entries)}
        return json.dumps({"format": FORMAT, "stacks": stacks}, indent=2, sort_keys=True).encode()

    def write(self, s3: S3, bucket: str, selected: list[str]) -> None:
        s3.write(bucket, self.key, self.body(selected), "application/json")


def parsed(body: bytes) -> dict[str, RecordedStack]:
    """The record's entries; {} for anything not a record of this format."""
    try:
        found = json.loads(body)
        if not isinstance(found, dict) or found.get("format") != FORMAT or not isinstance(found.get("stacks"), dict):
            return {}
        return {
            str(stack): RecordedStack(
                str(entry["stack_id"]), str(entry["updated_at"]), str(entry["status"]), str(entry["template_sha256"])
            )
            for stack, entry in found["stacks"].items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}
