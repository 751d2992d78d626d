"""A failed update rollback (UPDATE_ROLLBACK_FAILED): the resources whose rollback failed, inside
nested stacks too, and the ones a user asks ContinueUpdateRollback to skip.

A deploy continues such a rollback once per run (stackyard/deploy/applier.py). When it fails again,
the run names each resource that failed and why, and the command that skips them. Skipping is the
user's call: CloudFormation marks a skipped resource UPDATE_COMPLETE without rolling it back, so it
drifts from the template until fixed by hand (ContinueUpdateRollback API reference; CloudFormation
User Guide, "Continue rolling back an update").

Names: the user writes a nested stack's resource as `Vpc.Subnet` (the nested stack's logical id,
as the deploy's output shows it: `Vpc/Subnet`); ResourcesToSkip takes `<nested stack name>.Subnet`,
the name of the stack that holds it (User Guide, "Using ResourcesToSkip to recover a nested stacks
hierarchy"). Both spellings are accepted.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from stackyard.aws import StackReader
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.delete_plan import stack_name_of
from stackyard.errors import BadInputError

FAILED = "UPDATE_FAILED"  # a resource whose rollback failed (its forward update failing shows the same)
SKIP_OPTION = "--skip-resources"
DRIFT_WARNING = (
    "CloudFormation marks skipped resources UPDATE_COMPLETE without rolling them back, so they drift from the "
    "template: fix them by hand (or deploy a template that matches them) before relying on the stack"
)


@dataclass(frozen=True)
class RollbackFailure:
    path: str  # "" for the stack's own resources, "Vpc/" inside the nested stack with logical id Vpc
    logical_id: str
    resource_type: str
    reason: str
    holder: str  # the name of the stack that holds the resource (a nested stack's generated name)

    @property
    def skip_name(self) -> str:
        """How --skip-resources names it: `Queue`, or `Vpc.Subnet` inside a nested stack."""
        return self.path.replace("/", ".") + self.logical_id

    @property
    def api_name(self) -> str:
        """How ResourcesToSkip names it: `Queue`, or `<nested stack name>.Subnet`."""
        return f"{self.holder}.{self.logical_id}" if self.path else self.logical_id

    def __str__(self) -> str:
        return f"{self.path}{self.logical_id} ({self.resource_type}): {self.reason or 'no reason given'}"


def rollback_failures(reader: StackReader, stack_id: str, path: str = "") -> list[RollbackFailure]:
    """The resources of the stack (and of its failed nested stacks) whose rollback failed."""
    found = []
    for resource in reader.resources(stack_id):
        if resource.status != FAILED:
            continue
        if resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:"):
            inner = rollback_failures(reader, resource.physical_id, f"{path}{resource.logical_id}/")
            if inner:
                found += inner
                continue
        holder = stack_name_of(stack_id)
        found.append(RollbackFailure(path, resource.logical_id, resource.resource_type, resource.reason or "", holder))
    return found


def resources_to_skip(name: str, requested: Sequence[str], failures: Sequence[RollbackFailure]) -> list[str]:
    """ResourcesToSkip for the user's --skip-resources: each must be a resource whose rollback failed."""
    by_name = {name: failure for failure in failures for name in (failure.skip_name, failure.api_name)}
    unknown = [name for name in requested if name not in by_name]
    if unknown:
        failed = ", ".join(failure.skip_name for failure in failures) or "none"
        raise BadInputError(
            f"{SKIP_OPTION} {','.join(unknown)}: stack {name} has no resource of that name whose rollback failed "
            f"(CloudFormation skips only those); the ones that failed: {failed}. Nothing was continued"
        )
    return sorted({by_name[name].api_name for name in requested})


def still_failing(stack: str, name: str, reason: str | None, failures: Sequence[RollbackFailure], command: str) -> str:
    """What a run says when one ContinueUpdateRollback left the stack UPDATE_ROLLBACK_FAILED again."""
    because = f" ({reason})" if reason else ""
    failed = "; ".join(str(failure) for failure in failures) or "CloudFormation names none; see the stack's events"
    skip = ",".join(failure.skip_name for failure in failures)
    text = (
        f"stack {name} is still UPDATE_ROLLBACK_FAILED after continuing its rollback once in this run{because}. "
        f"Failed to roll back: {failed}. Fix: correct what each reason names (a resource changed or deleted outside "
        f"CloudFormation, a missing permission), then deploy again"
    )
    if skip:
        text += f"; or skip them: {with_only(command, stack)} {SKIP_OPTION} {skip} ({DRIFT_WARNING})"
    return text


def with_only(command: str, stack: str) -> str:
    """The run's command for this one stack: its --only replaced by `--only <stack>`."""
    words, kept, skipping = shlex.split(command), [], False
    for word in words:
        if word == "--only":
            skipping = True
            continue
        if skipping and not word.startswith("--"):
            continue
        skipping = False
        kept.append(word)
    return shlex.join([*kept, "--only", stack])


def check_skip_request(reader: StackReader, name: str, requested: Sequence[str]) -> None:
    """Before anything changes: --skip-resources names resources of the stack whose rollback failed."""
    deployed = reader.describe(name)
    if deployed is None or deployed.status != "UPDATE_ROLLBACK_FAILED":
        status = deployed.status if deployed else "not deployed"
        raise BadInputError(
            f"{SKIP_OPTION}: stack {name} is {status}, not UPDATE_ROLLBACK_FAILED, so it has no failed rollback to "
            f"continue. Fix: deploy without {SKIP_OPTION}"
        )
    resources_to_skip(name, requested, rollback_failures(reader, deployed.stack_id))
