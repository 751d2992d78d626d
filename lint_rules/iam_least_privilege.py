"""E9011: no IAM policy allows wildcard or escalation actions on every resource, nor every action of a
service on any resource without a written reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts
from stackyard.iam import WILDCARD_REASONS, service_wide_wildcards, too_broad_on_everything

# Where each IAM resource type keeps its policy documents.
INLINE_POLICIES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
STANDALONE_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


class IamLeastPrivilege(CloudFormationLintRule):
    id = "E9011"
    shortdesc = "IAM policies never allow wildcard or escalation actions on every resource"
    description = (
        "Seed 003 task 4 (no overly broad permissions: avoid * actions on * resources): an Allow statement "
        "whose actions include a wildcard ('*', 's3:*', 's3:Put*') or one that reaches other roles' "
        "permissions (iam:PassRole, sts:AssumeRole, iam:Put*Policy ...) names the resources, never '*'. "
        "Issue 13: a statement allowing every action of a service ('*', 's3:*', 'dynamodb:*') on any resource "
        "has a Sid, and the resource's Metadata.Stackyard.WildcardReasons holds a written reason under it."
    )
    source_url = "docs/rules.md#e9011"
    tags = ["stackyard", "security", "iam"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for name, resource in cfn.get_resources(list(INLINE_POLICIES + STANDALONE_POLICIES)).items():
            reasons = _reasons(resource)
            for path, document in _documents(resource):
                for index, statement in enumerate(facts.as_list(document.get("Statement"))):
                    where = ["Resources", name, "Properties", *path, "Statement", index]
                    matches += _findings(name, index, statement, reasons, where)
        return matches


def _findings(
    name: str, index: int, statement: Any, reasons: dict[str, Any], where: list[str | int]
) -> list[RuleMatch]:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return []
    actions = [action for action in facts.as_list(statement.get("Action")) if isinstance(action, str)]
    broad = too_broad_on_everything(actions)
    if broad and "*" in facts.as_list(statement.get("Resource")):
        return [
            RuleMatch(
                where,
                f"Resource {name}: statement {index} allows {', '.join(broad)} on every resource "
                f"('*'). Fix: list the actions the role calls, or the ARNs they act on.",
            )
        ]
    wide = service_wide_wildcards(actions)
    sid = statement.get("Sid")
    reason = reasons.get(sid) if isinstance(sid, str) else None
    if wide and not (isinstance(reason, str) and reason.strip()):
        return [
            RuleMatch(
                where,
                f"Resource {name}: statement {index} allows {', '.join(wide)}, every action of the service "
                f"(configuration and deletion too), without a written reason. Fix: list the actions the role "
                f"calls, or give the params grant or statement a reason: (the template keeps it in "
                f"Metadata.Stackyard.{WILDCARD_REASONS} under the statement's Sid).",
            )
        ]
    return []


def _reasons(resource: Any) -> dict[str, Any]:
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    stackyard = metadata.get("Stackyard") if isinstance(metadata, dict) else None
    reasons = stackyard.get(WILDCARD_REASONS) if isinstance(stackyard, dict) else None
    return reasons if isinstance(reasons, dict) else {}


def _documents(resource: Any) -> Iterator[tuple[list[str | int], dict[str, Any]]]:
    props = facts.properties(resource)
    if isinstance(props.get("PolicyDocument"), dict):
        yield ["PolicyDocument"], props["PolicyDocument"]
    for index, policy in enumerate(facts.as_list(props.get("Policies"))):
        if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
            yield ["Policies", index, "PolicyDocument"], policy["PolicyDocument"]
