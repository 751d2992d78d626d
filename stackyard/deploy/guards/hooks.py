"""Where the guards meet the deploy pipeline (stackyard/deploy/deployment.py): the few calls the planner and
the appliers make, so each guard's rules stay in its own module.

    planner.propose   prepared()             rollback triggers chosen from the alarms already deployed
                      change_set_arguments() RoleARN, RollbackConfiguration, OnStackFailure (--no-rollback)
                      examined()             stack policy denials, drift, --no-rollback refusals -> refusal
    applier.apply     before_execute()       the build's policies set, or overridden for this update
                      execute_arguments()    DisableRollback (--no-rollback)
                      window()               the monitoring window's countdown
                      failure_note()         the alarm that rolled the update back; a kept failure
    applier.finish    keep_policies()        policies set after a create, put back after an override
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from stackyard.aws import Aws, DeployedStack, StackReader
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.guards import drift, no_rollback, triggers
from stackyard.deploy.guards.drift import DriftDetector
from stackyard.deploy.guards.policies import PolicyKeeper, denied_changes
from stackyard.deploy.guards.service_role import role_argument, role_created, role_for, role_holder
from stackyard.deploy.guards.triggers import RollbackWindow
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.stack_plan import Action, StackPlan
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError


class DeployGuards:
    def __init__(self, aws: Aws, environment: Environment, options: DeployOptions, watcher: Watcher):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.watcher = watcher
        self.policies = PolicyKeeper(aws, environment, watcher.progress)
        self.drift = DriftDetector(aws, watcher)
        self._role_exists = False  # once the stack creating the service role is seen deployed, it stays so

    @property
    def settings(self) -> Any:
        return self.environment.manifest.guards

    def role(self, stack: str) -> str | None:
        return role_for(self.environment, self.options, stack, self._holder_deployed(stack))

    def _holder_deployed(self, stack: str) -> bool:
        """Whether the environment's stack creating params' service role is deployed (the role exists); read
        before each write until it is, since this run may be the one creating it."""
        holder = role_holder(self.environment)
        if holder is None or self._role_exists or self.options.role_arn or self.options.plan_only:
            return True
        region = self.environment.region(holder, self.options)
        deployed = self.aws.stack_reader(region).describe(self.environment.manifest.entry(holder).stack_name)
        self._role_exists = role_created(deployed.status if deployed else None)
        if not self._role_exists and stack != holder:
            self.watcher.progress.line(
                stack,
                f"deployed as the caller: the service role params' guards.role_arn names is created by stack "
                f"{holder}, not deployed yet",
            )
        return self._role_exists

    # --- planning -------------------------------------------------------------------------------

    def prepared(self, plan: StackPlan) -> StackPlan:
        """The plan with its rollback triggers: the stack's critical alarms that are deployed already."""
        entry = self.environment.manifest.stacks.get(plan.stack)
        if entry is None or not self.settings.rollback_triggers:
            return plan
        existing = set()
        if plan.deployed is not None and plan.deployed.status != "REVIEW_IN_PROGRESS":
            existing = triggers.existing_alarms(self.aws.stack_reader(plan.region), plan.deployed.stack_id)
        chosen = triggers.choose(entry.critical_alarms, existing)
        found = dataclasses.replace(
            plan.guards,
            triggers=chosen.watched,
            unwatched=chosen.unwatched,
            monitoring_minutes=self.settings.rollback_monitoring_minutes,
        )
        return dataclasses.replace(plan, guards=found)

    def change_set_arguments(self, plan: StackPlan) -> dict[str, Any]:
        assert plan.action is not None
        arguments: dict[str, Any] = role_argument(self.role(plan.stack))
        arguments |= no_rollback.create_arguments(self.options.no_rollback, plan.action.name)
        if plan.stack in self.environment.manifest.stacks:  # turned off: the empty one removes earlier triggers
            arns = [triggers.alarm_arn(self._stack_id(plan), plan.region, name) for name in plan.guards.triggers]
            minutes = self.settings.rollback_monitoring_minutes if self.settings.rollback_triggers else 0
            arguments["RollbackConfiguration"] = triggers.rollback_configuration(arns, minutes)
        return arguments

    def examined(self, plan: StackPlan) -> StackPlan:
        """The plan with what its stack policy denies, what drifted, and whether a deploy must stop."""
        if plan.recovery is Recovery.RETRY_KEPT_FAILURE and plan.action is Action.UNCHANGED:
            raise StackyardError(
                f"stack {plan.name}: nothing to retry: the change set found no changes, so the stack stays "
                f"{plan.deployed.status if plan.deployed else 'failed'}. Fix: change what failed and deploy again "
                f"with --no-rollback, or deploy without it to roll the failed update back"
            )
        entry = self.environment.manifest.stacks.get(plan.stack)
        if entry is None or plan.change_set is None:
            return plan if plan.action is Action.UNCHANGED else self._pending(plan)
        changes = plan.change_set.changes
        denied = denied_changes(entry, self.environment.env_dir, changes)
        drifted, drift_notes = self._drift(plan)
        refusals = [
            self._policy_refusal(plan, denied),
            no_rollback.refusal(plan.name, changes) if self.options.no_rollback else "",
            self._drift_refusal(plan, drifted),
        ]
        found = dataclasses.replace(
            plan.guards,
            policy_denied=denied,
            policy_overridden=bool(denied) and self.options.allow_replace,
            drifted=tuple(drifted),
            drift_notes=tuple(drift_notes),
            retry_kept_failure=plan.recovery is Recovery.RETRY_KEPT_FAILURE,
            refusal="\n".join(refusal for refusal in refusals if refusal),
        )
        for note in (*found.unwatched, *drift_notes):
            self.watcher.progress.line(plan.stack, note)
        return self._pending(dataclasses.replace(plan, guards=found))

    def _pending(self, plan: StackPlan) -> StackPlan:
        """In a plan: the stack policies a deploy would set."""
        if not self.options.plan_only:
            return plan
        return dataclasses.replace(
            plan, guards=dataclasses.replace(plan.guards, policy_pending=self.policies.pending(plan))
        )

    def _policy_refusal(self, plan: StackPlan, denied: tuple[Any, ...]) -> str:
        if not denied or self.options.allow_replace:
            return ""
        described = dataclasses.replace(plan.guards, policy_denied=denied).loses
        return (
            f"stack {plan.name}: its stack policy keeps {described} from happening; CloudFormation would fail the "
            f"update. Fix: if that is intended, rerun with --allow-replace (it lifts the policy for exactly these "
            f"resources, for this one update)"
        )

    def _drift(self, plan: StackPlan) -> tuple[list[str], list[str]]:
        entry = self.environment.manifest.entry(plan.stack)
        if (
            not self.settings.drift_check
            or not entry.stateful
            or plan.action is not Action.UPDATE
            or plan.deployed is None
            or plan.recovery is Recovery.RETRY_KEPT_FAILURE
        ):
            return [], []
        self.watcher.progress.state(plan.stack, "detecting drift")
        report = self.drift.check(plan.stack, plan.region, plan.deployed.stack_id)
        return drift.blocking(report, entry.stateful), drift.notes(report, entry.stateful)

    def _drift_refusal(self, plan: StackPlan, drifted: list[str]) -> str:
        if not drifted or self.options.ignore_drift:
            return ""
        return (
            f"stack {plan.name}: stateful resources drifted from the template (changed outside CloudFormation): "
            f"{'; '.join(drifted)}. An update could overwrite that change or fail on it. Fix: see "
            f"python deploy.py drift --env {self.environment.name}; bring the resources back or change the params to "
            f"match, or deploy with --ignore-drift"
        )

    # --- applying -------------------------------------------------------------------------------

    def before_execute(self, plan: StackPlan) -> None:
        """An update runs under the build's policies, or the override --allow-replace asked for."""
        if plan.action is not Action.UPDATE or plan.deployed is None or self.policies.entry(plan) is None:
            return
        if plan.guards.policy_denied and self.options.allow_replace:
            self.policies.override(plan, plan.deployed.stack_id, plan.guards.policy_denied)
        else:
            self.policies.ensure(plan, plan.deployed.stack_id)

    def execute_arguments(self, plan: StackPlan) -> dict[str, Any]:
        assert plan.action is not None
        return no_rollback.execute_arguments(self.options.no_rollback, plan.action.name)

    def keep_policies(self, plan: StackPlan, deployed: DeployedStack | None) -> None:
        """The build's policies on the stack: set after a create, put back after an override or a console edit."""
        if deployed is not None and self.policies.entry(plan) is not None:
            self.policies.ensure(plan, deployed.stack_id)

    def window(self, plan: StackPlan) -> RollbackWindow | None:
        minutes = plan.guards.monitoring_minutes
        if not minutes or plan.action is not Action.UPDATE:
            return None
        return RollbackWindow(plan.stack, self.watcher.progress, minutes, plan.guards.triggers)

    def failure_note(self, plan: StackPlan, final: DeployedStack | None, reader: StackReader, started: datetime) -> str:
        """What a failure message adds: the rollback trigger that fired; a stack kept as it failed."""
        note = no_rollback.kept_note(final.status) if final and self.options.no_rollback else ""
        if not plan.guards.triggers or final is None:
            return note
        watched = {name: triggers.alarm_arn(final.stack_id, plan.region, name) for name in plan.guards.triggers}
        reasons = [event.reason for event in reader.events(final.stack_id, started) if event.reason]
        alarm = triggers.triggering_alarm([final.status_reason or "", *reasons], watched)
        return f". Rolled back by the rollback trigger alarm {alarm!r}, which went into ALARM{note}" if alarm else note

    def _stack_id(self, plan: StackPlan) -> str:
        return plan.deployed.stack_id if plan.deployed else ""
