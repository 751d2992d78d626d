"""The facts the export check (stackyard/deploy/exports.py) follows an update's export values through:
the stack's deployed and new templates, its changes and changed parameters, and, for exports that
take a nested stack's output (Fn::GetAtt <NestedStack>.Outputs.X), that nested stack's deployed
template (GetTemplate on its id), new template (as packaged) and changes (its nested change set).

Reads only; a stack whose exports take no nested output reads nothing more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from stackyard.aws import DeployedStack, ResourceChange, StackReader
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.exports import Level, nested_outputs_used
from stackyard.deploy.stack_plan import Desired, StackPlan
from stackyard.deploy.unchanged import effective_parameters


def export_level(plan: StackPlan, changes: Sequence[ResourceChange], reader: StackReader) -> Level:
    assert plan.desired is not None
    old = plan.deployed_template or {}
    top = {change.logical_id: change for change in changes if not change.nested_in}
    level = Level(old, plan.desired.template, top, changed_parameters(plan.desired, plan.deployed))
    used = sorted(nested_outputs_used(old) & set(plan.desired.children))
    if not used or plan.deployed is None:
        return level
    stacks = {
        resource.logical_id: resource.physical_id
        for resource in reader.resources(plan.deployed.stack_id)
        if resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:")
    }
    children = {
        logical_id: level.child(
            logical_id,
            reader.template(stacks[logical_id]) if logical_id in stacks else {},
            plan.desired.children[logical_id],
            [change for change in changes if change.nested_in == logical_id],
        )
        for logical_id in used
    }
    return dataclasses.replace(level, children=children)


def changed_parameters(desired: Desired, deployed: DeployedStack | None) -> dict[str, str]:
    """The stack's parameters whose value the update changes (a NoEcho one, masked, counts)."""
    wanted = effective_parameters(desired.template, desired.parameters)
    before = deployed.parameters if deployed else {}
    return {name: f"parameter {name} changes" for name, value in wanted.items() if before.get(name) != value}
