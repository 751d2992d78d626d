"""Planning a deploy: the facts gathered from AWS, the pure decisions called, a StackPlan returned.

`assess` reads what is deployed (waiting, by stack id, while another operation runs), decides the
recovery, packages the stack and decides its action with the reasons (stackyard/deploy/unchanged.py).
`propose` makes the change set, reads it, and reviews it: the changes that lose data
(stackyard/deploy/risk.py) and the exports in use it would change (stackyard/deploy/exports.py, ListImports).
Planning never executes, deletes or continues anything: it holds no StackWriter. `assess` only reads;
`propose` uploads the content-addressed templates and Lambda packages the change set needs to the
artifact bucket first, as `aws cloudformation package` does (stackyard/deploy/package.py), and
withdraws its own change sets when they are not to run.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from stackyard.aws import Aws, ChangeSet, ChangeSetOptions, ChangeSetProposer, DeployedStack, StackReader
from stackyard.deploy import adoption, images
from stackyard.deploy import package as packaging
from stackyard.deploy.artifacts import ArtifactBuckets
from stackyard.deploy.change_sets import change_set_name, withdraw
from stackyard.deploy.container_images import ContainerImages
from stackyard.deploy.environment import DeployOptions, Environment, request_token
from stackyard.deploy.export_levels import export_level
from stackyard.deploy.exports import blocked_exports, exports_changed
from stackyard.deploy.guards.hooks import DeployGuards
from stackyard.deploy.interrupt import Interrupted
from stackyard.deploy.outputs import RunOutputs
from stackyard.deploy.record import DeployRecord
from stackyard.deploy.recovery import Recovery, RecoveryDecision, decide_recovery
from stackyard.deploy.risk import risky_changes
from stackyard.deploy.rollback import rollback_failures
from stackyard.deploy.stack_plan import Action, Desired, StackPlan, Target
from stackyard.deploy.status import StackState, change_set_has_no_changes, classify
from stackyard.deploy.unchanged import decide_action
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError
from stackyard.manifest import StackEntry

LAMBDA_CACHE = ".lambda-cache"  # in the build folder: dependencies installed once per requirements


class StackBusy(Exception):
    """An operation runs on the stack, and this planner does not wait for it (`waits_for_others`)."""


class DeployPlanner:
    def __init__(
        self,
        aws: Aws,
        environment: Environment,
        options: DeployOptions,
        watcher: Watcher,
        artifacts: ArtifactBuckets,
        outputs: RunOutputs,
        run_id: str,
        guards: DeployGuards | None = None,
        container_images: ContainerImages | None = None,
    ):
        self.aws = aws
        self.guards = guards or DeployGuards(aws, environment, options, watcher)
        self.environment = environment
        self.no_import_regions: set[str] = set()  # where CloudFormation cannot import into a new stack
        self.options = options
        self.watcher = watcher
        self.progress = watcher.progress
        self.artifacts = artifacts
        self.outputs = outputs
        self.run_id = run_id
        self.change_set_name = change_set_name(run_id, options.plan_only)
        self.container_images = container_images or ContainerImages(aws, watcher.progress)
        self.waits_for_others = True  # False: a busy stack raises StackBusy (stackyard/deploy/precheck.py)
        self.record: DeployRecord | None = None  # the deploy record, standing for GetTemplate where it proves it

    def target(self, stack: str) -> Target:
        entry = self.environment.manifest.entry(stack)
        return Target(stack, entry.stack_name, self.environment.region(stack, self.options))

    def assess(self, stack: str) -> StackPlan:
        target = self.target(stack)
        return self.assess_target(target, lambda: self._desired(stack, target.region))

    def assess_target(self, target: Target, desired: Callable[[], Desired | str]) -> StackPlan:
        """The recovery and action for the stack, with why; no change set yet. `desired()` packages
        the stack, or says why it cannot be packaged yet."""
        reader = self.aws.stack_reader(target.region)
        deployed = self._settled(target, reader)
        decision = decide_recovery(target.name, deployed, self.options.no_rollback)
        if decision.recovery.writes:
            return StackPlan(
                target, deployed, decision.recovery, None, self._recovery_reasons(decision, deployed, reader)
            )
        wanted = desired()
        if isinstance(wanted, str):
            action = Action.CREATE if decision.recovery is Recovery.CREATE else Action.UPDATE
            return StackPlan(target, deployed, decision.recovery, action, (wanted,))
        read_template = decision.recovery in (Recovery.NONE, Recovery.RETRY_KEPT_FAILURE)
        deployed_template = self._deployed_template(target, reader, deployed, wanted) if read_template else None
        if not self.options.refresh_images:
            wanted = images.keep_pins(wanted, deployed)
        action, reasons = decide_action(wanted, deployed, deployed_template)
        if decision.recovery is Recovery.RETRY_KEPT_FAILURE:  # never skipped: the stack is not as it should be
            action, reasons = Action.UPDATE, (decision.reason,)
        if action is Action.UNCHANGED and self.options.refresh_images:
            newer = images.newer_images(wanted, deployed, self.aws.ssm(target.region))
            action, reasons = (Action.UPDATE, tuple(newer)) if newer else (action, reasons)
        adoptions = self._adoptions(target, wanted) if action is Action.CREATE else ()
        if adoptions:
            reason = f"{', '.join(map(str, adoptions))} exist, kept by an earlier delete"
            return StackPlan(target, deployed, Recovery.ADOPT, None, (reason,), wanted, adoptions=adoptions)
        auto = adoption.auto_import_wanted(wanted.template, deployed_template)
        return StackPlan(
            target, deployed, decision.recovery, action, reasons, wanted, deployed_template, import_existing=auto
        )

    def _deployed_template(
        self, target: Target, reader: StackReader, deployed: DeployedStack | None, wanted: Desired
    ) -> dict[str, Any]:
        """GetTemplate, unless the deploy record proves the stack runs the wanted template already
        (stackyard/deploy/record.py)."""
        if (
            self.record is not None
            and deployed is not None
            and self.record.proves(target.stack, deployed, wanted.template)
        ):
            return copy.deepcopy(wanted.template)
        return reader.template(target.name)

    def _adoptions(self, target: Target, desired: Desired) -> tuple[adoption.Adoption, ...]:
        """What an earlier delete kept that an IMPORT change set must adopt before the stack is created."""
        if target.region in self.no_import_regions:
            return ()
        account = self.aws.account_id(target.region)
        wanted = [c for c in adoption.candidates(desired.template, account, target.region) if not c.auto]
        if not wanted:
            return ()
        existing = self.aws.existing(target.region)
        found = [(candidate, existing.identifier(candidate.resource_type, candidate.name)) for candidate in wanted]
        return tuple(adoption.Adoption(candidate, identifier) for candidate, identifier in found if identifier)

    @staticmethod
    def _recovery_reasons(
        decision: RecoveryDecision, deployed: DeployedStack | None, reader: StackReader
    ) -> tuple[str, ...]:
        """Why the recovery; for a failed rollback, also each resource whose rollback failed."""
        if decision.recovery is not Recovery.CONTINUE_ROLLBACK or deployed is None:
            return (decision.reason,)
        failures = rollback_failures(reader, deployed.stack_id)
        return (decision.reason, *(f"failed to roll back: {failure}" for failure in failures))

    def propose(self, plan: StackPlan) -> StackPlan:
        """The plan with its change set made and reviewed; the action UNCHANGED when CloudFormation
        finds nothing to change (that change set withdrawn)."""
        if plan.desired is None or plan.action not in (Action.CREATE, Action.UPDATE):
            return plan
        plan = self._pinned(plan)
        assert plan.desired is not None and plan.action is not None
        proposer = self.aws.change_set_proposer(plan.region)
        prepared = self.guards.prepared(plan)
        if plan.desired.uploads:  # only now: an unchanged stack uploads nothing
            packaging.upload(self.aws.s3(plan.region), plan.desired.uploads)
        self.progress.state(plan.stack, "creating change set")
        change_set_id = proposer.create_change_set(
            plan.name,
            self.change_set_name,
            plan.action.name,
            plan.desired.source,
            plan.desired.parameters,
            plan.desired.tags,
            f"stackyard run {self.run_id}",
            ChangeSetOptions(import_existing=plan.import_existing, delete_on_failure=plan.action is Action.CREATE),
            **self.guards.change_set_arguments(prepared),
        )
        made = dataclasses.replace(
            prepared,
            change_set=ChangeSet(change_set_id, "CREATE_PENDING", None, "", []),
            created_stack=plan.deployed is None,
        )
        made = dataclasses.replace(made, change_set=self._created(made, proposer, change_set_id))
        return self.guards.examined(self._reviewed(made, proposer))

    def _pinned(self, plan: StackPlan) -> StackPlan:
        """An update's image parameters pinned to the images the stack runs (stackyard/deploy/images.py)."""
        desired = plan.desired
        if desired is None or plan.action is not Action.UPDATE or self.options.refresh_images:
            return plan
        if not images.unpinned(desired, plan.deployed):
            return plan

        def say(text: str) -> None:
            self.progress.line(plan.stack, text)

        return dataclasses.replace(plan, desired=images.pin(desired, plan.deployed, self.aws.ssm(plan.region), say))

    def _created(self, made: StackPlan, proposer: ChangeSetProposer, change_set_id: str) -> ChangeSet:
        try:
            return self.watcher.poll(
                lambda: proposer.change_set(change_set_id),
                lambda found: found.status in ("CREATE_COMPLETE", "FAILED"),
                f"creating the change set of {made.name}; it was deleted",
            )
        except Interrupted:
            withdraw(proposer, made, self.token(made.stack, "withdraw"))
            raise

    def _reviewed(self, made: StackPlan, proposer: ChangeSetProposer) -> StackPlan:
        assert made.change_set is not None and made.desired is not None
        change_set = made.change_set
        if change_set_has_no_changes(change_set.status, change_set.reason):
            withdraw(proposer, made, self.token(made.stack, "withdraw"))
            reasons = (*made.reasons, "CloudFormation's change set found no changes")
            return dataclasses.replace(made, action=Action.UNCHANGED, reasons=reasons, change_set=None)
        if change_set.status == "FAILED":
            withdraw(proposer, made, self.token(made.stack, "withdraw"))
            raise StackyardError(f"stack {made.name}: change set failed: {change_set.reason}")
        reader = self.aws.stack_reader(made.region)
        changed = exports_changed(export_level(made, change_set.changes, reader))
        importers = {change.export: proposer.importers(change.export) for change in changed}
        return dataclasses.replace(
            made, risky=risky_changes(change_set.changes), blocked_exports=blocked_exports(changed, importers)
        )

    def token(self, stack: str, operation: str) -> str:
        return request_token(self.run_id, stack, operation)

    def _settled(self, target: Target, reader: StackReader) -> DeployedStack | None:
        """The stack once no operation runs on it: another run's is waited for, by stack id."""
        while True:
            deployed = reader.describe(target.name)
            if deployed is None or classify(target.name, deployed.status) is not StackState.BUSY:
                return deployed
            if not self.waits_for_others:
                raise StackBusy(f"stack {target.name} is {deployed.status}")
            self.progress.state(target.stack, f"{deployed.status}: {Recovery.WAIT.value}")
            self.watcher.watch(target.stack, deployed.stack_id, reader, self.watcher.clock.now())

    def _desired(self, stack: str, region: str) -> Desired | str:
        entry = self.environment.manifest.entry(stack)
        env_dir = self.environment.env_dir
        needs_bucket = packaging.needs_bucket(entry, env_dir)
        bucket = self.artifacts.find(region) if needs_bucket else None
        if needs_bucket and bucket is None:
            return self.artifacts.state(region).why_not_ready()
        waiting = self._waiting_on(entry)
        if waiting:
            return waiting
        self.progress.state(stack, "packaging")
        packaged = packaging.package(stack, entry, env_dir, bucket, region)
        uploads = packaged.uploads
        parameters = self._parameters(stack, entry)
        if entry.images:  # a service waits for its image (stackyard/deploy/container_images.py)
            reader = self.aws.stack_reader(region)
            parameters |= self.container_images.parameters(
                stack, entry, region, lambda: reader.describe(entry.stack_name)
            )
        if entry.packages and bucket:
            cache = env_dir.parent / LAMBDA_CACHE
            lambdas, zips = packaging.package_lambdas(entry, self.environment.project_dir, cache, bucket)
            parameters |= lambdas
            uploads += zips
        tags = dict(self.environment.manifest.stack_tags)
        return Desired(packaged.template, packaged.source, parameters, tags, packaged.children, uploads)

    def _waiting_on(self, entry: StackEntry) -> str:
        """In a plan: why the stack's parameters cannot be known yet (a stack they come from would be
        created first); "" when they can."""
        pending = sorted({source.stack for source in entry.parameters.values() if self.outputs.pending(source.stack)})
        if not pending:
            return ""
        return f"its parameters take outputs of {', '.join(pending)}, which this plan would create first"

    def _parameters(self, stack: str, entry: StackEntry) -> dict[str, str]:
        """Parameter values taken from other stacks' outputs (this run's, or what is deployed), and the ids
        of the managed prefix lists the stack names."""
        values = {}
        for parameter, source in entry.parameters.items():
            outputs = self.outputs.of(source.stack)
            if outputs is None:
                region = self.environment.region(source.stack, self.options)
                name = self.environment.manifest.entry(source.stack).stack_name
                deployed = self.aws.stack_reader(region).describe(name)
                outputs = deployed.outputs if deployed else {}
            if source.output not in outputs:
                raise StackyardError(
                    f"stack {stack}: parameter {parameter} needs output {source.output} of stack "
                    f"{source.stack}, which is not deployed{' yet' if self.options.plan_only else ''}. "
                    f"Fix: deploy {source.stack} first"
                )
            values[parameter] = outputs[source.output]
        if entry.prefix_lists:  # AWS-managed prefix lists, by name: their ids differ per region
            ec2 = self.aws.ec2(self.environment.region(stack, self.options))
            values |= {
                parameter: ec2.managed_prefix_list_id(source.name) for parameter, source in entry.prefix_lists.items()
            }
        return values
