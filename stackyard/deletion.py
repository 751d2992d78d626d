"""Deleting an environment: stacks in reverse dependency order, nothing lost by accident.

A stack goes only after every stack that depends on it. Its buckets are emptied first (every
version and delete marker) unless the template keeps them (DeletionPolicy Retain) or Object Lock
protects them; those are left, and everything a DeletionPolicy keeps is listed at the end.
Termination protection is respected, with the fix named; a stack already gone is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from stackyard import bootstrap
from stackyard.aws import S3, CloudFormation
from stackyard.cfn import NESTED_STACK
from stackyard.errors import StackyardError
from stackyard.executor import StackRunner
from stackyard.scheduler import Outcome, run_graph
from stackyard.status import StackState, classify, succeeded

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


class Deleter(StackRunner):
    def __post_init__(self):
        super().__post_init__()
        self.kept: list[Kept] = []

    def delete(self, stacks: list[str]) -> dict[str, Outcome]:
        dependants = self.environment.manifest.dependants(stacks)
        return run_graph(list(dependants), dependants, self.delete_stack, self.options.concurrency)

    def delete_stack(self, stack: str) -> Outcome:
        name = self.environment.manifest.entry(stack).stack_name
        cloudformation = self._cloudformation(stack)
        current = cloudformation.describe(name)
        if current is None:
            self.progress.state(stack, "already gone")
            return Outcome(stack, "gone")
        if current.termination_protection:
            raise StackyardError(
                f"stack {name} has termination protection. Fix: set termination_protection: false in the "
                f"environment's params and deploy, or run: aws cloudformation update-termination-protection "
                f"--no-enable-termination-protection --stack-name {name}; then delete again"
            )
        if classify(name, current.status) is StackState.BUSY:
            self.progress.state(stack, f"{current.status}: waiting for it")
            self._watch(stack, name, cloudformation, datetime.now(UTC))
        kept = self._empty_buckets(stack, name, cloudformation)
        self.progress.state(stack, "deleting")
        started = datetime.now(UTC)
        cloudformation.delete_stack(name, self._token(stack, "delete"))
        # By id: once deleted, the name no longer finds the stack, its final status or its events.
        final = self._watch(stack, current.stack_id, cloudformation, started)
        if not succeeded(final.status):
            reasons = self._failure_reasons(current.stack_id, cloudformation, started)
            raise StackyardError(f"stack {name}: {final.status}" + (f": {reasons}" if reasons else ""))
        with self._lock:
            self.kept += kept
        return Outcome(stack, "deleted", f"kept {len(kept)}" if kept else "")

    def _empty_buckets(self, stack: str, name: str, cloudformation: CloudFormation) -> list[Kept]:
        """Empty the buckets the delete would remove; return what the templates keep."""
        s3 = self.aws.s3(self.environment.manifest.stack_region(stack, self.options.region_override))
        kept = []
        for container, resource, policy in self._resources(name, cloudformation):
            if policy in KEEPING_POLICIES:
                kept.append(Kept(container, resource.logical_id, resource.resource_type, resource.physical_id, policy))
                if resource.resource_type == BUCKET:
                    self.progress.line(stack, f"leaving bucket {resource.physical_id}: its template keeps it")
            elif resource.resource_type == BUCKET and resource.physical_id:
                self._empty(stack, s3, resource.physical_id)
        return kept

    def _empty(self, stack: str, s3: S3, bucket: str) -> None:
        if s3.object_lock_enabled(bucket):
            raise StackyardError(
                f"bucket {bucket} has Object Lock, so its locked versions cannot be deleted and neither can the "
                f"stack. Fix: give the bucket DeletionPolicy Retain (stackyard's templates do) and deploy first"
            )
        self.progress.state(stack, f"emptying bucket {bucket}")
        deleted = s3.empty(bucket)
        self.progress.line(stack, f"emptied bucket {bucket}: {deleted} object versions and delete markers")

    def _resources(self, name: str, cloudformation: CloudFormation):
        """(stack, resource, DeletionPolicy) for every resource, nested stacks' included."""
        template = cloudformation.template(name)
        for resource in cloudformation.resources(name):
            policy = template.get("Resources", {}).get(resource.logical_id, {}).get("DeletionPolicy", "Delete")
            nested = resource.resource_type == NESTED_STACK and resource.physical_id
            if nested and policy not in KEEPING_POLICIES:
                yield from self._resources(resource.physical_id, cloudformation)
                continue
            yield name, resource, policy

    def delete_artifact_stacks(self, regions: list[str]) -> dict[str, Outcome]:
        """The artifact bucket stacks go last, and only when asked: other environments may share them."""
        outcomes = {}
        for region in regions:
            label = f"{bootstrap.STACK_NAME} ({region})"
            cloudformation = self.aws.cloudformation(region)
            current = cloudformation.describe(bootstrap.STACK_NAME)
            if current is None:
                outcomes[label] = Outcome(label, "gone")
                continue
            bucket = current.outputs.get("BucketName")
            if bucket:
                self._empty("bootstrap", self.aws.s3(region), bucket)
            started = datetime.now(UTC)
            cloudformation.delete_stack(bootstrap.STACK_NAME, self._token("bootstrap", f"delete-{region}"))
            final = self._watch("bootstrap", current.stack_id, cloudformation, started)
            outcomes[label] = (
                Outcome(label, "deleted") if succeeded(final.status) else Outcome(label, "failed", final.status)
            )
        return outcomes
