"""Planning: what a deploy would do to a stack, decided from what is deployed. Reads, never writes.

A stack whose deployed template, parameters and tags equal the local ones is unchanged, and no
change set is made for it. A change set is reviewed before it may run: replacing or removing a
stateful resource, or changing an export another stack imports, stops the run with the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from stackyard.aws import DeployedStack, ResourceChange
from stackyard.cfn import NESTED_STACK

# Resources whose replacement or removal loses data (issue: databases, buckets, tables, user
# pools, secrets, queues), and the keys that encrypt such data.
STATEFUL_TYPES = frozenset(
    {
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::Cognito::UserPool",
        "AWS::SecretsManager::Secret",
        "AWS::SQS::Queue",
        "AWS::KMS::Key",
        "AWS::EFS::FileSystem",
    }
)
SUB_NAMES = re.compile(r"\$\{(?!!)([^}]+)\}")  # ${Name} and ${Name.Attribute}; ${!Literal} is text


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


def action_for(
    local_template: dict[str, Any],
    parameters: dict[str, str],
    tags: dict[str, str],
    deployed: DeployedStack | None,
    deployed_template: dict[str, Any] | None,
) -> Action:
    """CREATE for a stack not deployed, UNCHANGED when template, parameters and tags all match.

    A stack whose last operation rolled back is never skipped: what it holds may not be what its
    stored template says, so CloudFormation's own change set decides.
    """
    if deployed is None:
        return Action.CREATE
    if deployed.status.endswith("ROLLBACK_COMPLETE"):
        return Action.UPDATE
    same = deployed_template == local_template and deployed.parameters == parameters and deployed.tags == tags
    return Action.UNCHANGED if same else Action.UPDATE


def is_stateful(change: ResourceChange) -> bool:
    return change.resource_type in STATEFUL_TYPES


def is_risky(change: ResourceChange) -> bool:
    """Loses data: a stateful resource replaced or removed, or a nested stack (and all in it) removed."""
    if change.action == "Remove" and change.resource_type == NESTED_STACK:
        return True
    return is_stateful(change) and (change.action == "Remove" or change.replacement in ("True", "Conditional"))


@dataclass(frozen=True)
class ExportChange:
    export: str
    output: str
    kind: str  # "removed" or "changed"


def export_changes(
    old_template: dict[str, Any], new_template: dict[str, Any], changes: list[ResourceChange]
) -> list[ExportChange]:
    """Exports the update would remove, or whose value it would change (a new expression, or a
    resource it refers to being replaced)."""
    replaced = {change.logical_id for change in changes if not change.nested_in and change.replacement == "True"}
    new_outputs = new_template.get("Outputs", {})
    found = []
    for output_name, output in old_template.get("Outputs", {}).items():
        export = output.get("Export", {}).get("Name")
        if not isinstance(export, str):
            continue
        new = new_outputs.get(output_name)
        if new is None or new.get("Export", {}).get("Name") != export:
            found.append(ExportChange(export, output_name, "removed"))
        elif new.get("Value") != output.get("Value") or referenced(output.get("Value")) & replaced:
            found.append(ExportChange(export, output_name, "changed"))
    return found


def referenced(value: Any) -> set[str]:
    """Logical ids a template expression refers to through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text, variables = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                names = {name.split(".")[0] for name in SUB_NAMES.findall(str(text)) if "::" not in name}
                found |= (names - set(variables)) | referenced(variables)
            else:
                found |= referenced(inner)
        return found
    if isinstance(value, list):
        return set().union(*(referenced(item) for item in value)) if value else set()
    return set()
