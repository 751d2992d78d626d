"""Carrying out a stack's plan: ChangeApplier changes AWS, DisplayOnlyApplier only shows the plan.

Both take the same StackPlan from the planner, so `plan` runs the same pipeline as `deploy` and
cannot reach a write by accident: the display-only applier holds no StackWriter and only withdraws
the change sets its own run proposed (the shape of chalice's Executor / DisplayOnlyExecutor).

The ChangeApplier recovers stacks earlier runs left stuck (once each per run), removes stale
`stackyard-*` change sets before a new one is made, reviews the change set (stackyard/deploy/review.py),
executes it with a request token unless the user pressed Ctrl-C, and watches it by stack id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from stackyard.aws import Aws, DeployedStack, StackWriter
from stackyard.deploy.adopting import adopt
from stackyard.deploy.change_sets import change_set_name, is_stale, withdraw
from stackyard.deploy.environment import DeployOptions, Environment, request_token
from stackyard.deploy.guards.hooks import DeployGuards
from stackyard.deploy.interrupt import Interrupted
from stackyard.deploy.outputs import RunOutputs
from stackyard.deploy.record import DeployRecord
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.review import Verdict, review
from stackyard.deploy.rollback import DRIFT_WARNING, resources_to_skip, rollback_failures, still_failing
from stackyard.deploy.scheduler import Outcome
from stackyard.deploy.stack_plan import Action, StackPlan
from stackyard.deploy.status import deleted, succeeded
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError

FIX = "fix the cause and deploy again"
# Events a little older than the call still belong to it: the local clock and AWS's may differ.
CLOCK_SKEW = timedelta(seconds=1)


class ChangeApplier:
    def __init__(
        self,
        aws: Aws,
        environment: Environment,
        options: DeployOptions,
        watcher: Watcher,
        outputs: RunOutputs,
        run_id: str,
        guards: DeployGuards | None = None,
        record: DeployRecord | None = None,
    ):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.watcher = watcher
        self.progress = watcher.progress
        self.interrupt = watcher.interrupt
        self.outputs = outputs
        self.run_id = run_id
        self.guards = guards or DeployGuards(aws, environment, options, watcher)
        self.record = record

    def recover(self, plan: StackPlan) -> Outcome | None:
        """Delete a failed first create, continue a failed update rollback, adopt what an earlier delete
        kept, or roll back an update kept failed by --no-rollback; None once done."""
        writer = self.aws.cloudformation(plan.region)
        role = self.guards.role(plan.stack)
        status = plan.deployed.status if plan.deployed else "not deployed"
        self.progress.state(plan.stack, f"{status}: {plan.recovery.value}")
        self.interrupt.check(f"stack {plan.name} was left {status}; nothing was started")
        started = self.watcher.clock.now() - CLOCK_SKEW
        if plan.recovery is Recovery.DELETE_AND_CREATE:
            assert plan.deployed is not None
            writer.delete_stack(plan.name, self.token(plan.stack, "delete-failed-create"), role_arn=role)
            final = self.watcher.watch(plan.stack, plan.deployed.stack_id, writer, started)
            if not deleted(final.status if final else None):
                raise StackyardError(self.watcher.failure(plan.name, final, writer, started))
        elif plan.recovery is Recovery.CONTINUE_ROLLBACK:
            assert plan.deployed is not None
            self._continue_rollback(plan, plan.deployed.stack_id, writer, started, role)
        elif plan.recovery is Recovery.ADOPT:
            adopt(writer, self.watcher, plan, self.run_id, started, role)
        elif plan.recovery is Recovery.ROLLBACK_KEPT_FAILURE:
            assert plan.deployed is not None
            self.progress.line(plan.stack, plan.reasons[0])  # and how to retry instead
            self.aws.guard_writer(plan.region).rollback_stack(plan.name, self.token(plan.stack, "rollback"), role)
            final = self.watcher.watch(plan.stack, plan.deployed.stack_id, writer, started)
            if final is None or final.status != "UPDATE_ROLLBACK_COMPLETE":
                raise StackyardError(self.watcher.failure(plan.name, final, writer, started))
        return None

    def _continue_rollback(
        self, plan: StackPlan, stack_id: str, writer: StackWriter, started: datetime, role: str | None
    ) -> None:
        """One ContinueUpdateRollback per run, with this run's token and the resources the user skips; a
        rollback that fails again names each resource that failed, and stops."""
        skip = []
        if self.options.skip_resources:
            failures = rollback_failures(writer, stack_id)
            skip = resources_to_skip(plan.name, self.options.skip_resources, failures)
            self.progress.line(plan.stack, f"skipping {', '.join(skip)} in the rollback: {DRIFT_WARNING}")
        writer.continue_update_rollback(plan.name, self.token(plan.stack, "continue-rollback"), skip, role)
        final = self.watcher.watch(plan.stack, stack_id, writer, started)
        if final is not None and final.status == "UPDATE_ROLLBACK_FAILED":
            failures = rollback_failures(writer, stack_id)
            raise StackyardError(
                still_failing(plan.stack, plan.name, final.status_reason, failures, self.options.resume_command)
            )

    def prepare(self, plan: StackPlan) -> None:
        """Remove the `stackyard-*` change sets killed runs left on the stack (this run holds the lock)."""
        if plan.deployed is None:
            return
        proposer = self.aws.change_set_proposer(plan.region)
        own, now = change_set_name(self.run_id, plan_only=False), self.watcher.clock.now()
        for summary in proposer.change_sets(plan.deployed.stack_id):
            if is_stale(summary, own, now):
                self.progress.line(plan.stack, f"deleting change set {summary.name}, left by an earlier run")
                proposer.delete_change_set(summary.change_set_id)

    def apply(self, plan: StackPlan) -> Outcome:
        """Review the change set, then execute it and watch it to the end."""
        assert plan.change_set is not None
        writer = self.aws.cloudformation(plan.region)
        verdict = review(plan, self.options.allow_replace, self.options.interactive and not self.options.assume_yes)
        if verdict.verdict is Verdict.REFUSE:
            self._withdraw(plan)
            raise StackyardError(verdict.message)
        if verdict.verdict is Verdict.CONFIRM and self.progress.ask(verdict.message).strip() != "yes":
            self._withdraw(plan)
            raise StackyardError(f"stack {plan.name}: not confirmed; nothing was changed")
        if plan.guards.refusal:
            self._withdraw(plan)
            raise StackyardError(plan.guards.refusal)
        if self.interrupt.requested:
            self._withdraw(plan)
            raise Interrupted(f"the change set of stack {plan.name} was not executed, and was deleted")
        self.guards.before_execute(plan)
        self.progress.state(plan.stack, "executing")
        started = self.watcher.clock.now() - CLOCK_SKEW
        writer.execute_change_set(
            plan.change_set.change_set_id, self.token(plan.stack, "execute"), **self.guards.execute_arguments(plan)
        )
        stack_id = plan.change_set.stack_id or (plan.deployed.stack_id if plan.deployed else plan.name)
        window = self.guards.window(plan)
        # A Ctrl-C leaves the update running: an overridden policy is put back by the next deploy.
        final = self.watcher.watch(plan.stack, stack_id, writer, started, window.observe if window else None)
        if final is None or not succeeded(final.status):
            self.guards.keep_policies(plan, final)  # an override ends with the update, however it ended
            failure = self.watcher.failure(plan.name, final, writer, started)
            if plan.action is Action.CREATE and deleted(final.status if final else None):
                failure += (
                    f". The failed create was deleted (OnStackFailure DELETE), so nothing is left to clean up: {FIX}"
                )
            raise StackyardError(failure + self.guards.failure_note(plan, final, writer, started))
        return self.finish(plan, "created" if plan.action is Action.CREATE else "updated", final)

    def finish(self, plan: StackPlan, result: str = "unchanged", deployed: DeployedStack | None = None) -> Outcome:
        """Record the stack's outputs; keep its termination protection as the params say."""
        deployed = deployed or plan.deployed
        manifest = self.environment.manifest
        protect = manifest.termination_protection
        if deployed and plan.stack in manifest.stacks and deployed.termination_protection != protect:
            self.aws.cloudformation(plan.region).set_termination_protection(plan.name, protect)
        self.guards.keep_policies(plan, deployed)
        self._record(plan, result, deployed)
        outputs = deployed.outputs if deployed else {}
        self.outputs.record(plan.stack, outputs)
        self.progress.state(plan.stack, result)
        return Outcome(plan.stack, result, outputs=outputs)

    def _record(self, plan: StackPlan, result: str, deployed: DeployedStack | None) -> None:
        """The deploy record's entry: the template the change set ran, or the one an unchanged stack showed."""
        if self.record is None or deployed is None or plan.stack not in self.environment.manifest.stacks:
            return
        ran = plan.desired.template if plan.desired is not None and result in ("created", "updated") else None
        template = ran if ran is not None else plan.deployed_template
        if template is not None:
            self.record.completed(plan.stack, deployed, template)

    def token(self, stack: str, operation: str) -> str:
        return request_token(self.run_id, stack, operation)

    def _withdraw(self, plan: StackPlan) -> None:
        withdraw(self.aws.change_set_proposer(plan.region), plan, self.token(plan.stack, "withdraw"))


class DisplayOnlyApplier:
    """A plan's applier: shows what a deploy would do, withdraws its own change sets, changes nothing."""

    def __init__(
        self, aws: Aws, watcher: Watcher, outputs: RunOutputs, run_id: str, guards: DeployGuards | None = None
    ):
        self.aws = aws
        self.progress = watcher.progress
        self.outputs = outputs
        self.run_id = run_id
        self.guards = guards

    def recover(self, plan: StackPlan) -> Outcome:
        for reason in plan.reasons[1:]:
            self.progress.line(plan.stack, reason)
        self.outputs.mark_pending(plan.stack)
        self.progress.state(plan.stack, "planned")
        return Outcome(plan.stack, "planned", plan.summary())

    def prepare(self, plan: StackPlan) -> None:
        """A plan removes no change set it did not make."""

    def apply(self, plan: StackPlan) -> Outcome:
        if plan.change_set is not None:
            token = request_token(f"plan-{self.run_id}", plan.stack, "withdraw")
            left = withdraw(self.aws.change_set_proposer(plan.region), plan, token, plan_only=True)
            if left:
                self.progress.line(plan.stack, left)
        if plan.action is Action.CREATE:
            self.outputs.mark_pending(plan.stack)
        elif plan.deployed:
            self.outputs.record(plan.stack, plan.deployed.outputs)
        result = "blocked" if plan.blocked_exports else "planned"
        for refusal in plan.guards.refusal.splitlines():  # each names the option a deploy would need
            self.progress.line(plan.stack, f"a deploy would stop: {refusal}")
        self.progress.state(plan.stack, result)
        return Outcome(plan.stack, result, plan.summary())

    def finish(self, plan: StackPlan, result: str = "unchanged", deployed: DeployedStack | None = None) -> Outcome:
        outputs = plan.deployed.outputs if plan.deployed else {}
        self.outputs.record(plan.stack, outputs)
        pending = self.guards.policies.pending(plan) if self.guards else ()
        if pending:  # the stack is as built, but its stack policy is not
            result = "planned"
            detail = f"would set the stack policy of {', '.join(pending)}"
            self.progress.state(plan.stack, result)
            return Outcome(plan.stack, result, detail, outputs=outputs)
        self.progress.state(plan.stack, result)
        return Outcome(plan.stack, result, outputs=outputs)
