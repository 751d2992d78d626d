"""Planning a delete: what each stack holds, read from AWS; nothing is emptied or deleted here.

For every stack of the delete (nested stacks included): the buckets its templates would delete,
with how many object versions they hold; what a DeletionPolicy keeps; what it exports, and who
imports that (ListImports). A delete waits here, by stack id, for an operation already running on
a stack; a plan of a delete only reports it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from stackyard.aws import Aws, DeployedStack, Export, StackReader, StackResource
from stackyard.cfn import NESTED_STACK
from stackyard.deploy import bootstrap
from stackyard.deploy.delete_plan import (
    BUCKET,
    KEEPING_POLICIES,
    BucketToEmpty,
    DeletePlan,
    Kept,
    StackDeletion,
    blockers,
    stack_name_of,
)
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.lock import LOCK_PREFIX
from stackyard.deploy.stack_plan import Target
from stackyard.deploy.status import StackState, classify
from stackyard.deploy.watch import Watcher

COUNT_PAGES = 10  # a plan counts up to 10,000 object versions per bucket, then says "10,000+"


class DeletePlanner:
    def __init__(self, aws: Aws, environment: Environment, options: DeployOptions, watcher: Watcher):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.watcher = watcher
        self._exports_by_region: dict[str, list[Export]] = {}
        self._lock = threading.Lock()

    def plan(self, stacks: list[str], with_artifacts: bool, own_lock: str = "") -> DeletePlan:
        """`stacks` in delete order; `own_lock`: this run's lock key, not a blocker of its own."""
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:  # reads only: any order will do
            deletions = tuple(pool.map(self.stack, stacks))
        importers = self._importers(deletions)
        artifacts: tuple[StackDeletion, ...] = ()
        other_locks: list[str] = []
        if with_artifacts:
            regions = self.environment.manifest.regions(stacks, self.options.region_override)
            artifacts = tuple(self.artifact_stack(region) for region in regions)
            other_locks = [key for deletion in artifacts for key in self._locks(deletion) if key != own_lock]
        return DeletePlan(deletions, artifacts, blockers((*deletions, *artifacts), importers, other_locks))

    def _importers(self, deletions: tuple[StackDeletion, ...]) -> dict[str, list[str]]:
        """Each export's importers (ListImports), asked --concurrency at a time: an environment has dozens."""
        asked = [(deletion.target.region, export) for deletion in deletions for export in deletion.exports]
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            found = pool.map(lambda item: self.aws.stack_reader(item[0]).importers(item[1]), asked)
            return {export: importers for (_, export), importers in zip(asked, found, strict=True)}

    def stack(self, stack: str) -> StackDeletion:
        entry = self.environment.manifest.entry(stack)
        return self._deletion(Target(stack, entry.stack_name, self.environment.region(stack, self.options)))

    def artifact_stack(self, region: str) -> StackDeletion:
        return self._deletion(Target(f"{bootstrap.STACK_NAME} ({region})", bootstrap.STACK_NAME, region))

    def _deletion(self, target: Target) -> StackDeletion:
        reader = self.aws.stack_reader(target.region)
        deployed = self._settled(target, reader)
        if deployed is None or deployed.status == "REVIEW_IN_PROGRESS":  # a review-only stack holds nothing
            return StackDeletion(target, deployed)
        buckets, kept, nested = [], [], []
        for container, resource, policy in self._resources(target.name, target.name, reader):
            if policy in KEEPING_POLICIES:
                kept.append(Kept(container, resource.logical_id, resource.resource_type, resource.physical_id, policy))
            elif resource.resource_type == NESTED_STACK:
                nested.append(resource.physical_id)
            elif resource.resource_type == BUCKET and resource.physical_id:
                buckets.append(self._bucket(target.region, resource.physical_id))
        ids = {deployed.stack_id, *nested}
        exports = tuple(sorted(item.name for item in self._exports(target.region) if item.exporting_stack_id in ids))
        return StackDeletion(target, deployed, tuple(buckets), tuple(kept), tuple(nested), exports)

    def _exports(self, region: str) -> list[Export]:
        """The region's exports, listed once per plan."""
        with self._lock:
            if region not in self._exports_by_region:
                self._exports_by_region[region] = self.aws.stack_reader(region).exports()
            return self._exports_by_region[region]

    def _settled(self, target: Target, reader: StackReader) -> DeployedStack | None:
        deployed = reader.describe(target.name)
        if self.options.plan_only or deployed is None:
            return deployed
        if classify(target.name, deployed.status) is StackState.BUSY:
            self.watcher.progress.state(target.stack, f"{deployed.status}: waiting for it")
            self.watcher.watch(target.stack, deployed.stack_id, reader, self.watcher.clock.now())
            return reader.describe(deployed.stack_id)
        return deployed

    def _bucket(self, region: str, bucket: str) -> BucketToEmpty:
        s3 = self.aws.s3(region)
        versions, complete = s3.count_versions(bucket, COUNT_PAGES)
        return BucketToEmpty(bucket, versions, complete, s3.object_lock_enabled(bucket))

    def _resources(self, stack: str, name: str, reader: StackReader) -> Iterator[tuple[str, StackResource, str]]:
        """(stack name, resource, DeletionPolicy) for every resource of `stack` (a name or id), nested
        stacks' included (a nested stack that goes is listed itself, then its resources)."""
        template = reader.template(stack)
        for resource in reader.resources(stack):
            policy = template.get("Resources", {}).get(resource.logical_id, {}).get("DeletionPolicy", "Delete")
            nested = resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:")
            if nested and policy not in KEEPING_POLICIES:
                yield name, resource, policy
                yield from self._resources(resource.physical_id, stack_name_of(resource.physical_id), reader)
                continue
            yield name, resource, policy

    def _locks(self, deletion: StackDeletion) -> list[str]:
        bucket = deletion.deployed.outputs.get("BucketName") if deletion.deployed else None
        return self.aws.s3(deletion.target.region).keys(bucket, LOCK_PREFIX) if bucket else []
