"""Carrying out a delete's plan: Deleter removes stacks, DeleteDisplay only shows what would go.

A stack goes only after every stack that depends on it. Its buckets are emptied first (every
version and delete marker) unless the template keeps them (DeletionPolicy Retain); everything a
DeletionPolicy keeps is listed at the end. Only DELETE_COMPLETE (or a stack already gone) is a
deleted stack: CloudFormation refuses some deletes by leaving the stack in its previous status
with a StackStatusReason, and that is reported as the failure it is. The delete's plan was checked
for refusals before this runs (stackyard/deploy/delete_plan.py), so nothing is emptied for a delete that
cannot happen.
"""

from __future__ import annotations

from stackyard.aws import Aws
from stackyard.deploy.delete_plan import DeletePlan, Kept, StackDeletion
from stackyard.deploy.environment import DeployOptions, Environment, request_token
from stackyard.deploy.guards.service_role import role_for
from stackyard.deploy.interrupt import Interrupted
from stackyard.deploy.progress import Progress
from stackyard.deploy.scheduler import Outcome, run_graph
from stackyard.deploy.status import StackState, classify, deleted
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError


class Deleter:
    def __init__(self, aws: Aws, environment: Environment, options: DeployOptions, watcher: Watcher, run_id: str):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.watcher = watcher
        self.progress = watcher.progress
        self.interrupt = watcher.interrupt
        self.run_id = run_id
        self.kept: list[Kept] = []

    def delete(self, plan: DeletePlan) -> dict[str, Outcome]:
        by_stack = {deletion.target.stack: deletion for deletion in plan.stacks}
        dependants = self.environment.manifest.dependants(list(by_stack))
        return run_graph(
            list(dependants),
            dependants,
            lambda stack: self.delete_stack(by_stack[stack]),
            self.options.concurrency,
            self.interrupt,
        )

    def delete_artifacts(self, plan: DeletePlan) -> dict[str, Outcome]:
        """The artifact bucket stacks go last, and only when asked: other environments may share them."""
        outcomes = {}
        for deletion in plan.artifacts:
            try:
                outcomes[deletion.target.stack] = self.delete_stack(deletion)
            except Interrupted as stopped:
                outcomes[deletion.target.stack] = Outcome(deletion.target.stack, "interrupted", str(stopped))
            except StackyardError as error:
                outcomes[deletion.target.stack] = Outcome(deletion.target.stack, "failed", str(error))
        return outcomes

    def delete_stack(self, deletion: StackDeletion) -> Outcome:
        target, stack = deletion.target, deletion.target.stack
        writer = self.aws.cloudformation(target.region)
        current = writer.describe(deletion.deployed.stack_id) if deletion.deployed else None
        if current is None or deleted(current.status):
            self.progress.state(stack, "already gone")
            return Outcome(stack, "gone")
        if classify(target.name, current.status) is StackState.BUSY:
            self.progress.state(stack, f"{current.status}: waiting for it")
            self.watcher.watch(stack, current.stack_id, writer, self.watcher.clock.now())
        for bucket in deletion.buckets:
            self._empty(stack, target.region, bucket.bucket)
        for kept in deletion.kept:
            if kept.resource_type == "AWS::S3::Bucket":
                self.progress.line(stack, f"leaving bucket {kept.physical_id}: its template keeps it")
        self.interrupt.check(f"stack {target.name} was not deleted")
        self.progress.state(stack, "deleting")
        started = self.watcher.clock.now()
        role = role_for(self.environment, self.options, stack)
        writer.delete_stack(target.name, request_token(self.run_id, stack, "delete"), role_arn=role)
        final = self.watcher.watch(stack, current.stack_id, writer, started)
        if not deleted(final.status if final else None):
            raise StackyardError("not deleted: " + self.watcher.failure(target.name, final, writer, started))
        self.kept += deletion.kept
        return Outcome(stack, "deleted", f"kept {len(deletion.kept)}" if deletion.kept else "")

    def _empty(self, stack: str, region: str, bucket: str) -> None:
        self.progress.state(stack, f"emptying bucket {bucket}")
        removed = self.aws.s3(region).empty(bucket, stop=lambda: self.interrupt.requested)
        self.progress.line(stack, f"emptied bucket {bucket}: {removed} object versions and delete markers")
        self.interrupt.check(
            f"stopped emptying bucket {bucket} after {removed} object versions; the stack was not deleted"
        )


class DeleteDisplay:
    """A plan of a delete: every stack that would go, every bucket emptied (with counts), what is
    kept and why, and what would refuse it. Changes nothing."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def show(self, plan: DeletePlan) -> dict[str, Outcome]:
        outcomes = {}
        for deletion in (*plan.stacks, *plan.artifacts):
            stack = deletion.target.stack
            for bucket in deletion.buckets:
                self.progress.line(stack, f"would empty bucket {bucket}")
            for kept in deletion.kept:
                self.progress.line(stack, f"would keep {kept}: DeletionPolicy {kept.policy}")
            result = "planned" if deletion.deployed else "gone"
            self.progress.state(stack, result)
            outcomes[stack] = Outcome(stack, result, deletion.summary())
        for blocker in plan.blockers:
            self.progress.line("delete", f"would be refused: {blocker}")
        return outcomes
