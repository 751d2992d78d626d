"""Deploying (or planning) an environment's stacks, each as soon as the stacks it needs are done.

Per stack the pipeline is the same for `deploy` and `plan`; only the applier differs:

    planner.assess   what is deployed -> recovery and action, with the reasons    (planner.py)
    applier.recover  a stack left stuck: deleted / rollback continued, then assessed again
    applier.prepare  stale stackyard-* change sets removed (deploy only)           (change_sets.py)
    planner.propose  change set made, read, reviewed: data loss, exports in use     (risk.py, exports.py)
    applier.apply    executed and watched by stack id, or only shown               (applier.py, watch.py)

Where each decision lives: statuses in status.py, recoveries in recovery.py, "unchanged" in
unchanged.py, data loss in risk.py, exports in use in exports.py, whether a change set may run in
review.py; deletes in delete_plan.py and deletion.py; the lock in lock.py; Ctrl-C in interrupt.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from stackyard.aws import Aws, DeployedStack
from stackyard.deploy import bootstrap
from stackyard.deploy import package as packaging
from stackyard.deploy.adopting import ImportUnsupported
from stackyard.deploy.applier import ChangeApplier, DisplayOnlyApplier
from stackyard.deploy.artifacts import ArtifactBuckets, BootstrapState
from stackyard.deploy.clock import Clock, SystemClock
from stackyard.deploy.environment import DeployOptions, Environment, request_token
from stackyard.deploy.guards.hooks import DeployGuards
from stackyard.deploy.interrupt import Interrupt
from stackyard.deploy.outputs import RunOutputs
from stackyard.deploy.planner import DeployPlanner
from stackyard.deploy.progress import Progress
from stackyard.deploy.reboots import RebootCheck
from stackyard.deploy.record import DeployRecord
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.scheduler import Outcome, run_graph
from stackyard.deploy.stack_plan import Action, Desired, StackPlan, Target
from stackyard.deploy.status import deleted
from stackyard.deploy.validation import ValidationRecords
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError

BOOTSTRAP_TAGS = {"ManagedBy": "stackyard"}


class Deployment:
    def __init__(
        self,
        aws: Aws,
        environment: Environment,
        progress: Progress,
        options: DeployOptions,
        run_id: str,
        clock: Clock | None = None,
        interrupt: Interrupt | None = None,
        record: DeployRecord | None = None,
    ):
        self.aws = aws
        self.run_id = run_id
        self.environment = environment
        self.progress = progress
        self.options = options
        self.interrupt = interrupt or Interrupt()
        self.outputs = RunOutputs()
        self.artifacts = ArtifactBuckets(aws)
        self.watcher = Watcher(progress, clock or SystemClock(), self.interrupt, options.resume_command)
        guards = DeployGuards(aws, environment, options, self.watcher)
        self.planner = DeployPlanner(
            aws, environment, options, self.watcher, self.artifacts, self.outputs, run_id, guards
        )
        self.record = record
        self.planner.record = record
        self.applier: ChangeApplier | DisplayOnlyApplier = (
            DisplayOnlyApplier(aws, self.watcher, self.outputs, run_id, guards)
            if options.plan_only
            else ChangeApplier(aws, environment, options, self.watcher, self.outputs, run_id, guards, record)
        )
        self.validation = ValidationRecords(aws, environment, options, progress)
        self.plans: dict[str, StackPlan] = {}  # each stack's plan once proposed (a plan's Markdown reads them)
        self.reboots = RebootCheck(aws, self.watcher)
        self.pending_reboots: list[str] = []  # databases an update left waiting for a reboot (reboots.py)
        if not options.plan_only:
            self.watcher.pollers.append(self.validation.while_waiting)

    def deploy(self, stacks: list[str]) -> dict[str, Outcome]:
        needs = self.environment.manifest.dependencies(stacks)
        return run_graph(list(needs), needs, self.deploy_stack, self.options.concurrency, self.interrupt)

    def outputs_of_environment(self) -> dict[str, dict[str, str]]:
        """The outputs gathered so far, of the environment's stacks only, in deploy order."""
        gathered = self.outputs.all()
        return {stack: gathered[stack] for stack in self.environment.manifest.deploy_order if stack in gathered}

    def deploy_stack(self, stack: str) -> Outcome:
        outcome = self.run_target(self.planner.target(stack), lambda: self.planner.assess(stack))
        if outcome.ok and not self.options.plan_only:
            self.validation.after(stack)
            self._check_reboots(stack, outcome)
        return outcome

    def _check_reboots(self, stack: str, outcome: Outcome) -> None:
        plan = self.plans.get(stack)
        if outcome.result != "updated" or plan is None or plan.deployed is None:
            return
        for line in self.reboots.after_update(plan, plan.deployed.stack_id):
            self.progress.line(stack, line)
            self.pending_reboots.append(line)

    def run_target(self, target: Target, assess: Callable[[], StackPlan]) -> Outcome:
        plan = self._recovered(target, assess)
        if isinstance(plan, Outcome):
            return plan
        if plan.action is Action.UNCHANGED:
            return self.applier.finish(plan)
        for reason in plan.reasons:
            self.progress.line(target.stack, f"{plan.action.value if plan.action else 'plan'}: {reason}")
        self.applier.prepare(plan)
        plan = self.planner.propose(plan)
        self.plans[target.stack] = plan
        if plan.action is Action.UNCHANGED:
            return self.applier.finish(plan)
        if plan.change_set is not None:
            self.progress.change_set(target.stack, plan.change_set.changes)
        if isinstance(self.applier, ChangeApplier) and plan.change_set is None:
            raise StackyardError(f"stack {target.name}: {plan.summary()}")  # a deploy always has its bucket
        return self.applier.apply(plan)

    def _recovered(self, target: Target, assess: Callable[[], StackPlan]) -> StackPlan | Outcome:
        """The plan once no recovery is left, each recovery tried at most once per run (or a plan's
        outcome when the applier only shows it)."""
        tried: set[Recovery] = set()
        while True:
            plan = assess()
            if not plan.recovery.writes:
                return plan
            if plan.recovery in tried:
                raise StackyardError(
                    f"stack {target.name}: still {plan.deployed.status if plan.deployed else 'missing'} after "
                    f"trying to {plan.recovery.value} once in this run ({plan.reasons[0]}). Fix: see the stack's "
                    f"events for the resources that keep failing, then deploy again"
                )
            try:
                outcome = self.applier.recover(plan)
            except ImportUnsupported as unsupported:  # assessed again, as a plain create
                self.progress.line(target.stack, str(unsupported))
                self.planner.no_import_regions.add(target.region)
                continue
            if outcome is not None:
                return outcome
            tried.add(plan.recovery)

    def regions_needing_buckets(self, stacks: list[str]) -> list[str]:
        return regions_needing_buckets(self.environment, self.options, stacks)

    def ensure_artifact_bucket(self, region: str) -> str:
        """The region's artifact bucket (deploy only): its bootstrap stack created first when missing,
        updated when its version is older than stackyard's, made again when its bucket is gone."""
        state = self.artifacts.state(region)
        if state.current and state.bucket:
            return state.bucket
        self.progress.line("bootstrap", self._bootstrap_step(state))
        if state.deployed and state.bucket and not state.bucket_exists:
            self._delete_bootstrap(state.deployed, region)
        target = Target("bootstrap", bootstrap.STACK_NAME, region)
        outcome = self.run_target(target, lambda: self.planner.assess_target(target, _bootstrap_desired))
        self.artifacts.forget(region)
        found = self.artifacts.find(region)
        if found is None:
            raise StackyardError(
                f"stack {bootstrap.STACK_NAME} in {region} has no BucketName output after {outcome.result}. "
                f"Fix: look at the stack's events, delete it, and deploy again"
            )
        return found

    @staticmethod
    def _bootstrap_step(state: BootstrapState) -> str:
        where = f"{bootstrap.STACK_NAME} in {state.region}"
        if state.deployed is None or state.bucket is None:
            return f"creating the artifact bucket stack {where}"
        if not state.bucket_exists:
            return f"{state.why_not_ready()}: deleting {where}, then creating it"
        return f"updating {where} from version {state.version} to {bootstrap.VERSION}"

    def _delete_bootstrap(self, deployed: DeployedStack, region: str) -> None:
        """A bootstrap stack whose bucket was deleted outside CloudFormation holds nothing of use."""
        writer = self.aws.cloudformation(region)
        started = self.watcher.clock.now()
        writer.delete_stack(bootstrap.STACK_NAME, request_token(self.run_id, "bootstrap", "bucket-gone"))
        final = self.watcher.watch("bootstrap", deployed.stack_id, writer, started)
        if not deleted(final.status if final else None):
            raise StackyardError(self.watcher.failure(bootstrap.STACK_NAME, final, writer, started))

    def bootstrap_notes(self, stacks: list[str]) -> list[str]:
        """For a plan: what a deploy would do first about the artifact bucket stacks."""
        states = [self.artifacts.state(region) for region in self.regions_needing_buckets(stacks)]
        return [f"a deploy would start {self._bootstrap_step(state)}" for state in states if not state.current]


def regions_needing_buckets(environment: Environment, options: DeployOptions, stacks: list[str]) -> list[str]:
    """The home region (the lock lives there) and every region with a stack that uploads."""
    manifest, env_dir = environment.manifest, environment.env_dir
    uploading = [stack for stack in stacks if packaging.needs_bucket(manifest.entry(stack), env_dir)]
    return sorted({environment.home_region(options), *manifest.regions(uploading, options.region_override)})


def _bootstrap_desired() -> Desired:
    template = bootstrap.build().to_dict()
    body = json.dumps(template, sort_keys=True, separators=(",", ":"))
    return Desired(template, {"TemplateBody": body}, {}, dict(BOOTSTRAP_TAGS))
