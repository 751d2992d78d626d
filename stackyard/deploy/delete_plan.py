"""A delete's plan: frozen values saying what a delete would remove, empty and keep, and why it
would be refused; and the pure decisions that find those refusals.

The whole delete is planned before anything is emptied or deleted, so a delete that CloudFormation
would refuse (an export imported by a stack outside the delete, termination protection) or that
could not finish (a bucket with Object Lock to empty) changes nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stackyard.aws import DeployedStack
from stackyard.deploy.stack_plan import Target

KEEPING_POLICIES = ("Retain", "RetainExceptOnCreate", "Snapshot")
BUCKET = "AWS::S3::Bucket"


@dataclass(frozen=True)
class Kept:
    """A resource the stack's template keeps when the stack goes."""

    stack: str
    logical_id: str
    resource_type: str
    physical_id: str
    policy: str

    def __str__(self) -> str:
        what = "a final snapshot of " if self.policy == "Snapshot" else ""
        return f"{what}{self.resource_type} {self.physical_id or self.logical_id} ({self.stack}/{self.logical_id})"


@dataclass(frozen=True)
class BucketToEmpty:
    bucket: str
    versions: int  # object versions and delete markers counted
    all_counted: bool  # False: there are more (counting stops after a few pages)
    object_lock: bool

    def __str__(self) -> str:
        return f"{self.bucket}: {self.versions:,}{'' if self.all_counted else '+'} object versions and delete markers"


@dataclass(frozen=True)
class StackDeletion:
    """One stack of the delete, as deployed: None when it is already gone."""

    target: Target
    deployed: DeployedStack | None
    buckets: tuple[BucketToEmpty, ...] = ()
    kept: tuple[Kept, ...] = ()
    nested: tuple[str, ...] = ()  # ids of the nested stacks that go with it
    exports: tuple[str, ...] = ()  # export names it and its nested stacks export

    @property
    def stack_ids(self) -> tuple[str, ...]:
        return ((self.deployed.stack_id,) if self.deployed else ()) + self.nested

    def summary(self) -> str:
        if self.deployed is None:
            return "already gone"
        parts = [f"would delete {self.target.name} ({self.deployed.status})"]
        if self.buckets:
            parts.append(f"empty {len(self.buckets)} bucket{'s' if len(self.buckets) != 1 else ''}")
        if self.kept:
            parts.append(f"keep {len(self.kept)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class DeletePlan:
    stacks: tuple[StackDeletion, ...]  # the environment's, in delete order
    artifacts: tuple[StackDeletion, ...] = ()  # the artifact bucket stacks, with --delete-artifacts
    blockers: tuple[str, ...] = ()  # why the delete is refused; empty when it may go ahead

    @property
    def anything_to_delete(self) -> bool:
        return any(deletion.deployed for deletion in (*self.stacks, *self.artifacts))


def stack_name_of(stack_id: str) -> str:
    """`arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>` -> `<name>` (a name stays itself)."""
    parts = stack_id.split("/")
    return parts[1] if stack_id.startswith("arn:") and len(parts) >= 3 else stack_id


def blockers(
    stacks: Sequence[StackDeletion], importers: Mapping[str, Sequence[str]], other_locks: Sequence[str] = ()
) -> tuple[str, ...]:
    """Why the delete must not start: exports imported from outside it, termination protection, Object
    Lock on a bucket it would empty, deploy locks of other runs in an artifact bucket it would delete."""
    inside = {stack_name_of(stack_id) for deletion in stacks for stack_id in deletion.stack_ids}
    found = []
    for deletion in stacks:
        found += _stack_blockers(deletion, importers, inside)
    found += [f"the artifact bucket holds the deploy lock {key}, so another run may be using it" for key in other_locks]
    return tuple(found)


def _stack_blockers(deletion: StackDeletion, importers: Mapping[str, Sequence[str]], inside: set[str]) -> list[str]:
    name = deletion.target.name
    if deletion.deployed is None:
        return []
    found = []
    if deletion.deployed.termination_protection:
        found.append(
            f"stack {name} has termination protection. Fix: set termination_protection: false in the "
            f"environment's params and deploy, or run: aws cloudformation update-termination-protection "
            f"--no-enable-termination-protection --stack-name {name}"
        )
    for export in deletion.exports:
        outside = sorted(set(importers.get(export, ())) - inside)
        if outside:
            found.append(
                f"stack {name}: export {export} is imported by {', '.join(outside)}, which this delete does not "
                f"include, so CloudFormation would refuse it. Fix: delete {', '.join(outside)} first (or remove "
                f"its import and deploy it), then delete again"
            )
    for bucket in deletion.buckets:
        if bucket.object_lock:
            found.append(
                f"bucket {bucket.bucket} of stack {name} has Object Lock, so its locked versions cannot be deleted "
                f"and neither can the stack. Fix: give the bucket DeletionPolicy Retain (stackyard's templates do) "
                f"and deploy first"
            )
    return found
