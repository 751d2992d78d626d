"""What build records for deploy's guards (docs/deploy.md, "Guards"), derived from the rendered templates.

Per stack: its stack policy and its nested stacks' (written beside their templates), its stateful
resources (the drift check stops on those), the names of its critical alarms (rollback triggers), and
whether it creates the CloudFormation service role that params' `guards.role_arn` names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from stackyard import stack_policy
from stackyard.config import EnvironmentConfig
from stackyard.iam import ROLE_ARN
from stackyard.manifest import PolicyFile
from templates import names

ALARM = "AWS::CloudWatch::Alarm"
ROLE = "AWS::IAM::Role"


@dataclass(frozen=True)
class StackGuards:
    files: dict[str, bytes] = field(default_factory=dict)  # policy files, by path in the build folder
    policy: PolicyFile | None = None
    nested_policies: dict[str, PolicyFile] = field(default_factory=dict)  # nested stack's logical id -> policy
    stateful: tuple[str, ...] = ()  # logical ids, nested ones as "Vpc/FlowLogGroup"
    critical_alarms: tuple[str, ...] = ()  # alarm names, in template order
    holds_service_role: bool = False


def stack_guards(
    config: EnvironmentConfig,
    template_path: str,
    template: dict[str, Any],
    children: dict[str, tuple[str, dict[str, Any]]],  # nested stack's logical id -> (its template's path, template)
) -> StackGuards:
    mode = config.guards.stack_policy
    files: dict[str, bytes] = {}
    nested_policies = {}
    stateful = list(stack_policy.stateful_resources(template))
    for logical_id, (path, child) in children.items():
        held = stack_policy.stateful_resources(child)
        stateful += [f"{logical_id}/{inner}" for inner in held]
        written = _written(files, path, stack_policy.policy_for(child, mode))
        if written:
            nested_policies[logical_id] = written
    holding = [logical_id for logical_id, (_, child) in children.items() if stack_policy.stateful_resources(child)]
    documents = [template, *(child for _, child in children.values())]
    return StackGuards(
        files,
        _written(files, template_path, stack_policy.policy_for(template, mode, holding)),
        nested_policies,
        tuple(stateful),
        tuple(name for document in documents for name in _critical_alarms(config, document)),
        _holds_role(config, documents),
    )


def _written(files: dict[str, bytes], template_path: str, policy: dict[str, Any] | None) -> PolicyFile | None:
    if policy is None:
        return None
    path = template_path.removesuffix(".json") + stack_policy.POLICY_SUFFIX
    files[path] = stack_policy.render(policy)
    return PolicyFile(path, hashlib.sha256(files[path]).hexdigest())


def _critical_alarms(config: EnvironmentConfig, template: dict[str, Any]) -> list[str]:
    """Alarms that notify the critical topic (templates/parts/alarms.py): those that page someone."""
    critical = {"Fn::ImportValue": config.export_name(names.topic_arn_export("critical"))}
    return [
        resource["Properties"]["AlarmName"]
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == ALARM
        and critical in resource.get("Properties", {}).get("AlarmActions", [])
        and isinstance(resource["Properties"].get("AlarmName"), str)
    ]


def _holds_role(config: EnvironmentConfig, templates: list[dict[str, Any]]) -> bool:
    """Whether the stack creates the service role `guards.role_arn` names: CloudFormation cannot run a stack's
    first create as a role that create makes, nor delete a stack as a role its delete removes."""
    named = ROLE_ARN.fullmatch(config.guards.role_arn or "")
    return named is not None and any(
        resource.get("Type") == ROLE and resource.get("Properties", {}).get("RoleName") == named.group(1)
        for template in templates
        for resource in template.get("Resources", {}).values()
    )
