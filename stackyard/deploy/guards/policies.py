"""Stack policies at deploy time (docs/deploy.md, "Stack policies").

Build writes each stack's policy, and its nested stacks', beside the templates (stackyard/stack_policy.py).
A deploy sets them with SetStackPolicy after a create and whenever the deployed one differs (compared
with GetStackPolicy), so a policy changed in the console is put back. Before an update runs, the
policies in force are the build's. An update whose change set replaces or removes a guarded resource is
refused unless --allow-replace; with it, the policy of the stack holding that resource is overridden for
that one update: the same policy with exactly those logical ids exempt, set before ExecuteChangeSet and
put back as soon as the update ends.

Why not StackPolicyDuringUpdateBody: CloudFormation takes a temporary policy only on UpdateStack, which
computes its changes anew; ExecuteChangeSet, which runs the change set the review approved, takes none.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from stackyard import stack_policy
from stackyard.aws import Aws, ResourceChange
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.environment import Environment
from stackyard.deploy.progress import Progress
from stackyard.deploy.stack_plan import StackPlan
from stackyard.manifest import PolicyFile, StackEntry, read_verified

REPLACED = ("True", "Conditional")  # Conditional: CloudFormation decides during the update, so it may replace


@dataclass(frozen=True)
class PolicyTarget:
    label: str  # the stack's name in the manifest, a nested stack's as "network/Vpc"
    nested_in: str  # "" for the stack itself, else the nested stack's logical id
    stack: str  # the CloudFormation stack's name, or a nested stack's id
    policy: dict[str, Any]


def denies(guarded: frozenset[str], change: ResourceChange) -> bool:
    """Whether a policy guarding `guarded` types stops the change: replacing or removing such a resource."""
    return change.resource_type in guarded and (change.action == "Remove" or change.replacement in REPLACED)


def denied_changes(entry: StackEntry, env_dir: Any, changes: list[ResourceChange]) -> tuple[ResourceChange, ...]:
    """The changes the stack's policies (its own, or a nested stack's for changes inside it) would stop."""
    guarded = {"": _guarded(env_dir, entry.stack_policy)} | {
        logical_id: _guarded(env_dir, child.stack_policy) for logical_id, child in entry.nested.items()
    }
    return tuple(change for change in changes if denies(guarded.get(change.nested_in, frozenset()), change))


def exempted(denied: tuple[ResourceChange, ...]) -> dict[str, set[str]]:
    """Per stack ("" the stack itself, else the nested stack's logical id): the logical ids to exempt."""
    found: dict[str, set[str]] = defaultdict(set)
    for change in denied:
        found[change.nested_in].add(change.logical_id)
    return found


class PolicyKeeper:
    """Reads and sets the stack policies of a stack and its nested stacks."""

    def __init__(self, aws: Aws, environment: Environment, progress: Progress):
        self.aws = aws
        self.environment = environment
        self.progress = progress

    def entry(self, plan: StackPlan) -> StackEntry | None:
        """The stack's manifest entry when it has policies to keep (the artifact bucket's stack has none)."""
        entry = self.environment.manifest.stacks.get(plan.stack)
        return entry if entry is not None and entry.policy_files() else None

    def targets(self, plan: StackPlan, stack_id: str) -> list[PolicyTarget]:
        """The deployed stack and nested stacks that have a policy in the build, each with that policy."""
        entry = self.entry(plan)
        if entry is None:
            return []
        found = []
        if entry.stack_policy:
            found.append(PolicyTarget(plan.stack, "", stack_id, self._policy(entry.stack_policy)))
        wanted = {logical_id: child.stack_policy for logical_id, child in entry.nested.items() if child.stack_policy}
        if wanted:
            for resource in self.aws.stack_reader(plan.region).resources(stack_id):
                policy = wanted.get(resource.logical_id)
                if resource.resource_type == NESTED_STACK and policy and resource.physical_id.startswith("arn:"):
                    label = f"{plan.stack}/{resource.logical_id}"
                    found.append(PolicyTarget(label, resource.logical_id, resource.physical_id, self._policy(policy)))
        return found

    def pending(self, plan: StackPlan) -> tuple[str, ...]:
        """The stacks whose policy a deploy would set: all of them for a stack not created yet."""
        entry = self.entry(plan)
        if entry is None:
            return ()
        if plan.deployed is None or plan.deployed.status == "REVIEW_IN_PROGRESS":
            nested = [f"{plan.stack}/{logical_id}" for logical_id, child in entry.nested.items() if child.stack_policy]
            return tuple(([plan.stack] if entry.stack_policy else []) + nested)
        reader = self.aws.guard_reader(plan.region)
        targets = self.targets(plan, plan.deployed.stack_id)
        return tuple(t.label for t in targets if not stack_policy.same(reader.stack_policy(t.stack), t.policy))

    def ensure(self, plan: StackPlan, stack_id: str) -> None:
        """Set each policy of the build that the deployed stack (or nested stack) does not have."""
        writer = self.aws.guard_writer(plan.region)
        for target in self.targets(plan, stack_id):
            if not stack_policy.same(writer.stack_policy(target.stack), target.policy):
                writer.set_stack_policy(target.stack, json.dumps(target.policy, sort_keys=True))
                self.progress.line(plan.stack, f"stack policy set on {target.label}")

    def override(self, plan: StackPlan, stack_id: str, denied: tuple[ResourceChange, ...]) -> None:
        """Exempt exactly the denied changes' resources, for the update about to run (--allow-replace)."""
        exempt = exempted(denied)
        writer = self.aws.guard_writer(plan.region)
        for target in self.targets(plan, stack_id):
            if target.nested_in in exempt:
                ids = sorted(exempt[target.nested_in])
                overridden = stack_policy.protective(stack_policy.guarded_types(target.policy), ids)
                writer.set_stack_policy(target.stack, json.dumps(overridden, sort_keys=True))
                self.progress.line(
                    plan.stack, f"stack policy of {target.label} overridden for this update: {', '.join(ids)}"
                )

    def _policy(self, file: PolicyFile) -> dict[str, Any]:
        return dict(json.loads(read_verified(self.environment.env_dir, file.path, file.sha256)))


def _guarded(env_dir: Any, file: PolicyFile | None) -> frozenset[str]:
    if file is None:
        return frozenset()
    return stack_policy.guarded_types(json.loads(read_verified(env_dir, file.path, file.sha256)))
