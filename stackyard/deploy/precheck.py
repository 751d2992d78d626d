"""Look before you lock: a deploy that would change nothing ends without the lock (docs/deploy.md, "A deploy
that changes nothing").

Before its bootstrap step and the lock, a deploy assesses every selected stack read-only, in dependency
order, with the same decisions it makes under the lock (DeployPlanner.assess, parameters from the deployed
stacks' outputs), and reads the artifact bucket's name from each bootstrap stack's DescribeStacks (no
HeadBucket: nothing is uploaded) and the deploy record from it (stackyard/deploy/record.py: a stack it
proves unchanged needs no GetTemplate; a NoSuchBucket there means the bucket is to be made again). The run is done when every bootstrap stack is current and every stack
is UNCHANGED with no recovery, its termination protection and stack policies already as the build says:
then nothing would be written, not even by ChangeApplier.finish. Anything else (a change, a stack busy or
stuck, an error while looking) and the deploy takes its normal path, which assesses every stack again
under the lock: what was read before the lock may have changed by the time it is held.

A no-op needs no lock because the lock only keeps two runs from changing the same stacks at once, and a
no-op changes nothing: what it reports is what CloudFormation showed when it looked, as a plan's is.
Its progress lines are held back while it looks and shown only when it is the run's result, so a run
that takes the normal path shows exactly what it showed before.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from stackyard.aws import Aws
from stackyard.deploy.artifacts import ArtifactBuckets
from stackyard.deploy.clock import Clock
from stackyard.deploy.deployment import Deployment, regions_needing_buckets
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.guards.hooks import DeployGuards
from stackyard.deploy.interrupt import Interrupt
from stackyard.deploy.outputs import RunOutputs
from stackyard.deploy.planner import DeployPlanner, StackBusy
from stackyard.deploy.progress import Progress
from stackyard.deploy.record import DeployRecord
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.scheduler import Outcome
from stackyard.deploy.stack_plan import Action, StackPlan
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError

NO_LOCK = "every stack is unchanged, so nothing is written and no deploy lock was taken"


class HeldBack(Progress):
    """Progress lines kept, to be shown only if the look before the lock is the run's result."""

    def __init__(self, env: str, stacks: list[str]):
        super().__init__(env, stacks, Path(os.devnull), out=io.StringIO(), live=False)
        self.kept: list[tuple[str, str, bool]] = []  # (stack, text, whether a state)

    def state(self, stack: str, text: str) -> None:
        self.kept.append((stack, text, True))

    def line(self, stack: str, text: str) -> None:
        self.kept.append((stack, text, False))

    def replay(self, progress: Progress) -> None:
        for stack, text, is_state in self.kept:
            (progress.state if is_state else progress.line)(stack, text)


@dataclass
class NoOp:
    """What the look found: every stack unchanged, each with its plan."""

    plans: list[StackPlan]
    planner: DeployPlanner
    held: HeldBack

    def finish(self, deployment: Deployment) -> dict[str, Outcome]:
        """The run's outcomes, shown on the deployment's progress as a deploy under the lock shows them."""
        progress = deployment.progress
        progress.line("lock", NO_LOCK)
        self.held.replay(progress)
        deployment.planner.container_images = self.planner.container_images  # the images it found missing
        outcomes = {}
        for plan in self.plans:
            outputs = plan.deployed.outputs if plan.deployed else {}
            deployment.outputs.record(plan.stack, outputs)
            deployment.validation.after(plan.stack)
            outcomes[plan.stack] = Outcome(plan.stack, "unchanged", outputs=outputs)
        return outcomes


def nothing_to_change(
    aws: Aws,
    environment: Environment,
    options: DeployOptions,
    run_id: str,
    stacks: list[str],
    clock: Clock,
    interrupt: Interrupt,
    record: DeployRecord,
) -> NoOp | None:
    """The stacks' plans when a deploy would change nothing, else None (the normal path decides again)."""
    held = HeldBack(environment.name, stacks)
    watcher = Watcher(held, clock, interrupt, options.resume_command)
    artifacts = ArtifactBuckets(aws, check_bucket=False)
    guards = DeployGuards(aws, environment, options, watcher)
    planner = DeployPlanner(aws, environment, options, watcher, artifacts, RunOutputs(), run_id, guards)
    planner.waits_for_others = False
    planner.record = record
    home = environment.home_region(options)
    try:
        with held:
            regions = regions_needing_buckets(environment, options, stacks)
            if not all(artifacts.state(region).current for region in regions):
                return None
            bucket = artifacts.find(home)
            record.load(aws.s3(home) if bucket else None, bucket)
            if record.bucket_missing:  # deleted outside CloudFormation: the normal path makes it again
                return None
            plans = []
            for stack in stacks:
                plan = planner.assess(stack)
                if not _as_built(plan, environment, guards):
                    return None
                planner.outputs.record(stack, plan.deployed.outputs if plan.deployed else {})
                held.state(stack, "unchanged")
                plans.append(plan)
    except (StackyardError, StackBusy):
        return None  # the normal path meets it again, under the lock, and says so as it always did
    return NoOp(plans, planner, held)


def _as_built(plan: StackPlan, environment: Environment, guards: DeployGuards) -> bool:
    """Unchanged, with nothing that ChangeApplier.finish would write: termination protection, stack policies."""
    if plan.recovery is not Recovery.NONE or plan.action is not Action.UNCHANGED or plan.deployed is None:
        return False
    if plan.deployed.termination_protection != environment.manifest.termination_protection:
        return False
    return not guards.policies.pending(plan)  # GetStackPolicy, as keep_policies compares
