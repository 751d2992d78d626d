"""The executor: the one place that changes AWS during a deploy.

Per stack: recover a stack left stuck by an earlier run, package it, skip it when nothing
differs, otherwise create a change set, review it (data loss, exports in use), execute it with a
request token and watch its events until it settles. Stacks run through the scheduler, each as
soon as the stacks it depends on are done; outputs flow to the stacks whose parameters need them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stackyard import bootstrap
from stackyard import package as packaging
from stackyard.aws import S3, Aws, ChangeSet, CloudFormation, DeployedStack, ResourceChange
from stackyard.cfn import NESTED_STACK
from stackyard.errors import StackyardError
from stackyard.manifest import Manifest, StackEntry
from stackyard.plan import Action, action_for, export_changes, is_risky
from stackyard.progress import Progress
from stackyard.scheduler import DEFAULT_CONCURRENCY, Outcome, run_graph
from stackyard.status import (
    Recovery,
    change_set_has_no_changes,
    classify,
    is_failure_event,
    is_terminal,
    recovery_before_deploy,
    succeeded,
)

# Poll delays in seconds: quick at first (most operations here take seconds), then backing off.
POLL_DELAYS = (0.5, 0.5, 1, 1, 2, 2, 3)
STACK_TIMEOUT = timedelta(hours=2)
FAILURES_SHOWN = 5
LAMBDA_CACHE = ".lambda-cache"  # in the build folder: dependencies installed once per requirements


@dataclass(frozen=True)
class DeployOptions:
    plan_only: bool = False
    allow_replace: bool = False
    assume_yes: bool = False
    interactive: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    region_override: str | None = None


@dataclass
class Environment:
    """A generated environment as deploy sees it: its manifest and where its files are."""

    manifest: Manifest
    env_dir: Path
    project_dir: Path = Path(".")  # Lambda package folders are relative to it

    @property
    def name(self) -> str:
        return self.manifest.environment


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class StackRunner:
    """What deploy and delete share: watching a stack's operation, polling, request tokens."""

    aws: Aws
    environment: Environment
    progress: Progress
    options: DeployOptions = field(default_factory=DeployOptions)
    sleep: Callable[[float], None] = time.sleep
    run_id: str = field(default_factory=new_run_id)

    def __post_init__(self):
        self._lock = threading.Lock()

    def _cloudformation(self, stack: str) -> CloudFormation:
        return self.aws.cloudformation(self.environment.manifest.stack_region(stack, self.options.region_override))

    def _watch(self, stack: str, name: str, cloudformation: CloudFormation, started: datetime) -> DeployedStack:
        """Stream the stack's new events until its operation ends; the stack as it ended (or gone).

        `name` may be the stack's id, which a delete must use: a deleted stack's name no longer
        resolves, its id still shows DELETE_COMPLETE and the events."""
        seen: set[str] = set()

        def poll():
            for event in cloudformation.events(name, started):
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    self.progress.event(stack, event, started)
            return cloudformation.describe(name)

        final = self._poll(poll, lambda found: found is None or is_terminal(found.status))
        status = final.status if final else "DELETE_COMPLETE"
        self.progress.state(stack, status)
        return final or DeployedStack(name, "", "DELETE_COMPLETE", None, {}, {}, {}, False)

    def _failure_reasons(self, name: str, cloudformation: CloudFormation, started: datetime) -> str:
        return "; ".join(self._failures(name, cloudformation, started)[:FAILURES_SHOWN])

    def _failures(self, name: str, cloudformation: CloudFormation, started: datetime, within: str = "") -> list[str]:
        """The first failing resources and why, looking inside failed nested stacks for the real cause."""
        found = []
        for event in cloudformation.events(name, started):
            own = event.logical_id == name or event.physical_id == name  # the stack's events about itself
            if own or not (is_failure_event(event.status) and event.reason):
                continue
            if event.resource_type == NESTED_STACK and event.physical_id.startswith("arn:"):
                inner = self._failures(event.physical_id, cloudformation, started, f"{within}{event.logical_id}/")
                if inner:
                    found += inner
                    continue
            found.append(f"{within}{event.logical_id} ({event.resource_type}): {event.reason}")
        return found

    def _poll(self, read, done):
        deadline = time.monotonic() + STACK_TIMEOUT.total_seconds()
        attempt = 0
        while True:
            found = read()
            if done(found):
                return found
            if time.monotonic() > deadline:
                raise StackyardError(f"gave up waiting after {STACK_TIMEOUT}; the operation may still finish")
            self.sleep(POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)])
            attempt += 1

    def _token(self, stack: str, operation: str) -> str:
        return f"stackyard-{self.run_id}-{stack}-{operation}"[:128]


@dataclass
class Deployer(StackRunner):
    def __post_init__(self):
        super().__post_init__()
        self._outputs: dict[str, dict[str, str]] = {}
        self._buckets: dict[str, str] = {}

    def deploy(self, stacks: list[str]) -> dict[str, Outcome]:
        needs = self.environment.manifest.dependencies(stacks)
        return run_graph(list(needs), needs, self.deploy_stack, self.options.concurrency)

    def outputs(self) -> dict[str, dict[str, str]]:
        with self._lock:
            return dict(self._outputs)

    # --- one stack ---------------------------------------------------------------------------

    def deploy_stack(self, stack: str) -> Outcome:
        entry = self.environment.manifest.entry(stack)
        name, region = entry.stack_name, self.environment.manifest.stack_region(stack, self.options.region_override)
        cloudformation = self._cloudformation(stack)
        current, recreate = self._recover(stack, name, cloudformation)
        if recreate and self.options.plan_only:
            return Outcome(stack, "planned", f"would delete the failed first create ({current.status}) and create it")
        bucket, s3 = self._artifacts(entry, region)
        if (
            self.options.plan_only
            and current is None
            and bucket is None
            and packaging.needs_bucket(entry, self.environment.env_dir)
        ):
            return Outcome(
                stack,
                "planned",
                "would create it (its nested templates or Lambda packages need the "
                "artifact bucket, which a deploy creates first)",
            )
        self.progress.state(stack, "packaging")
        packaged = packaging.package(stack, entry, self.environment.env_dir, bucket, s3, region)
        parameters = self._parameters(stack, entry)
        if entry.packages:
            parameters |= packaging.package_lambdas(
                entry, self.environment.project_dir, self.environment.env_dir.parent / LAMBDA_CACHE, bucket, s3
            )
        tags = dict(self.environment.manifest.stack_tags)
        deployed_template = cloudformation.template(name) if current else None
        action = action_for(packaged.template, parameters, tags, current, deployed_template)
        if action is Action.UNCHANGED:
            return self._finish(stack, name, cloudformation, "unchanged", current)
        change_set = self._change_set(stack, name, cloudformation, packaged, parameters, tags, action)
        if change_set is None:
            return self._finish(stack, name, cloudformation, "unchanged", current)
        self.progress.change_set(stack, change_set.changes)
        losses = self._review(stack, name, cloudformation, change_set, deployed_template or {}, packaged.template)
        if self.options.plan_only:
            self._discard(name, cloudformation, change_set, created_stack=action is Action.CREATE)
            warning = f"; LOSES DATA: {losses}" if losses else ""
            return Outcome(stack, "planned", f"would {action.value}: {len(change_set.changes)} changes{warning}")
        self._execute(stack, name, cloudformation, change_set)
        return self._finish(
            stack,
            name,
            cloudformation,
            "created" if action is Action.CREATE else "updated",
            cloudformation.describe(name),
        )

    def _recover(self, stack: str, name: str, cloudformation: CloudFormation) -> tuple[DeployedStack | None, bool]:
        """Bring a stack left by an earlier run into a state a change set can start from.

        Returns the stack as deployed (None: to be created) and whether it must be deleted and
        created again (which a plan only reports).
        """
        while True:
            current = cloudformation.describe(name)
            recovery = recovery_before_deploy(name, classify(name, current.status if current else None))
            if recovery is Recovery.NONE:
                return current, False
            if recovery is Recovery.CREATE:
                return None, False
            if recovery is Recovery.DELETE_AND_CREATE and self.options.plan_only:
                return current, True
            self.progress.state(stack, f"{current.status}: {recovery.value}")
            if recovery is Recovery.WAIT:
                self._watch(stack, name, cloudformation, datetime.now(UTC))
            elif recovery is Recovery.DELETE_AND_CREATE:
                started = datetime.now(UTC)
                cloudformation.delete_stack(name, self._token(stack, "delete-failed-create"))
                self._watch(stack, current.stack_id, cloudformation, started)  # by id: the name stops resolving
            elif recovery is Recovery.CONTINUE_ROLLBACK:
                started = datetime.now(UTC)
                cloudformation.continue_update_rollback(name, self._token(stack, "continue-rollback"))
                self._watch(stack, name, cloudformation, started)

    def _artifacts(self, entry: StackEntry, region: str) -> tuple[str | None, S3 | None]:
        if not packaging.needs_bucket(entry, self.environment.env_dir):
            return None, None
        return self._artifact_bucket(region), self.aws.s3(region)

    def _artifact_bucket(self, region: str) -> str | None:
        """The region's artifact bucket, from its bootstrap stack, created on first use (not by a plan)."""
        with self._lock:
            if region in self._buckets:
                return self._buckets[region]
            cloudformation = self.aws.cloudformation(region)
            current = cloudformation.describe(bootstrap.STACK_NAME)
            if current is None or "BucketName" not in current.outputs:
                if self.options.plan_only:
                    return None
                current = self._create_bootstrap(region, cloudformation)
            self._buckets[region] = current.outputs["BucketName"]
            return self._buckets[region]

    def _create_bootstrap(self, region: str, cloudformation: CloudFormation) -> DeployedStack:
        self.progress.line("bootstrap", f"creating the artifact bucket stack {bootstrap.STACK_NAME} in {region}")
        template = bootstrap.build().to_dict()
        body = json.dumps(template, sort_keys=True, separators=(",", ":"))
        current, _ = self._recover("bootstrap", bootstrap.STACK_NAME, cloudformation)
        kind = Action.UPDATE if current else Action.CREATE
        change_set = self._change_set(
            "bootstrap",
            bootstrap.STACK_NAME,
            cloudformation,
            packaging.PackagedStack("bootstrap", template, {"TemplateBody": body}, 0, 0),
            {},
            {"ManagedBy": "stackyard"},
            kind,
        )
        if change_set is not None:
            self._execute("bootstrap", bootstrap.STACK_NAME, cloudformation, change_set)
        deployed = cloudformation.describe(bootstrap.STACK_NAME)
        if deployed is None or "BucketName" not in deployed.outputs:
            raise StackyardError(
                f"stack {bootstrap.STACK_NAME} in {region} has no BucketName output after "
                f"creating it. Fix: look at the stack's events, delete it, and deploy again"
            )
        return deployed

    def _parameters(self, stack: str, entry: StackEntry) -> dict[str, str]:
        """Parameter values taken from other stacks' outputs: this run's, or what is deployed."""
        values = {}
        for parameter, source in entry.parameters.items():
            outputs = self.outputs().get(source.stack)
            if outputs is None:
                deployed = self._cloudformation(source.stack).describe(
                    self.environment.manifest.entry(source.stack).stack_name
                )
                outputs = deployed.outputs if deployed else {}
            if source.output not in outputs:
                raise StackyardError(
                    f"stack {stack}: parameter {parameter} needs output {source.output} of stack "
                    f"{source.stack}, which is not deployed{' yet' if self.options.plan_only else ''}. "
                    f"Fix: deploy {source.stack} first"
                )
            values[parameter] = outputs[source.output]
        # Managed prefix lists (issue 13, the security helper): looked up by name in the stack's region.
        region = self.environment.manifest.stack_region(stack, self.options.region_override)
        for parameter, prefix_list in entry.prefix_lists.items():
            values[parameter] = self.aws.ec2(region).managed_prefix_list_id(prefix_list.name)
        return values

    def _change_set(self, stack, name, cloudformation, packaged, parameters, tags, action) -> ChangeSet | None:
        """A reviewed-to-be change set, or None when CloudFormation finds nothing to change."""
        self.progress.state(stack, "creating change set")
        change_set_id = cloudformation.create_change_set(
            name,
            f"stackyard-{self.run_id}",
            action.name,
            packaged.source,
            parameters,
            tags,
            f"stackyard run {self.run_id}",
        )
        change_set = self._poll(
            lambda: cloudformation.change_set(change_set_id),
            lambda found: found.status in ("CREATE_COMPLETE", "FAILED"),
        )
        if change_set_has_no_changes(change_set.status, change_set.reason):
            cloudformation.delete_change_set(change_set_id)
            return None
        if change_set.status == "FAILED":
            self._discard(name, cloudformation, change_set, created_stack=action is Action.CREATE)
            raise StackyardError(f"stack {name}: change set failed: {change_set.reason}")
        return change_set

    def _review(self, stack, name, cloudformation, change_set: ChangeSet, old: dict, new: dict) -> str:
        """Stop a change set that would break an import or lose data (unless allowed); in a plan,
        describe the data it would lose instead."""
        risky = [change for change in change_set.changes if is_risky(change)]
        blocked = []
        for change in export_changes(old, new, change_set.changes):
            importers = cloudformation.importers(change.export)
            if importers:
                blocked.append(f"export {change.export} ({change.kind}) is imported by {', '.join(importers)}")
        if blocked:
            self._discard(name, cloudformation, change_set, created_stack=False)
            raise StackyardError(
                f"stack {name}: {'; '.join(blocked)}. CloudFormation refuses to change an export in use. Fix, in "
                f"two steps: deploy the importing stacks without the import (or importing a new export), then "
                f"deploy this change"
            )
        described = ", ".join(_described(change) for change in risky)
        if not risky or self.options.plan_only:
            return described
        if not self.options.allow_replace:
            self._discard(name, cloudformation, change_set, created_stack=False)
            raise StackyardError(
                f"stack {name}: the change would lose data: {described}. Fix: if that is intended, "
                f"rerun with --allow-replace"
            )
        if self.options.interactive and not self.options.assume_yes:
            answer = self.progress.ask(f"{name}: {described}. Type yes to go on: ")
            if answer.strip() != "yes":
                self._discard(name, cloudformation, change_set, created_stack=False)
                raise StackyardError(f"stack {name}: not confirmed; nothing was changed")
        return described

    def _execute(self, stack: str, name: str, cloudformation: CloudFormation, change_set: ChangeSet) -> None:
        self.progress.state(stack, "executing")
        started = datetime.now(UTC) - timedelta(seconds=1)
        cloudformation.execute_change_set(change_set.change_set_id, self._token(stack, "execute"))
        final = self._watch(stack, name, cloudformation, started)
        if not succeeded(final.status):
            reasons = self._failure_reasons(name, cloudformation, started)
            raise StackyardError(f"stack {name}: {final.status}" + (f": {reasons}" if reasons else ""))

    def _finish(
        self, stack: str, name: str, cloudformation: CloudFormation, result: str, deployed: DeployedStack | None
    ) -> Outcome:
        protect = self.environment.manifest.termination_protection
        if deployed and deployed.termination_protection != protect and not self.options.plan_only:
            cloudformation.set_termination_protection(name, protect)
        outputs = deployed.outputs if deployed else {}
        with self._lock:
            self._outputs[stack] = outputs
        self.progress.state(stack, result)
        return Outcome(stack, result, outputs=outputs)

    def _discard(self, name: str, cloudformation: CloudFormation, change_set: ChangeSet, created_stack: bool) -> None:
        """Delete a change set not to be executed; a stack it created for itself (REVIEW_IN_PROGRESS) too."""
        cloudformation.delete_change_set(change_set.change_set_id)
        if created_stack:
            current = cloudformation.describe(name)
            if current and current.status == "REVIEW_IN_PROGRESS":
                cloudformation.delete_stack(name, f"stackyard-{self.run_id}-discard")


def _described(change: ResourceChange) -> str:
    where = f"{change.nested_in}/" if change.nested_in else ""
    verb = "removed" if change.action == "Remove" else "replaced"
    return f"{where}{change.logical_id} ({change.resource_type}) {verb}"
