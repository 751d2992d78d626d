"""E9011: no IAM policy allows wildcard or escalation actions on every resource."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from lint_rules import _template_facts as facts
from stackyard.iam import too_broad_on_everything

# Where each IAM resource type keeps its policy documents.
INLINE_POLICIES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
STANDALONE_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")


class IamLeastPrivilege(CloudFormationLintRule):
    id = "E9011"
    shortdesc = "IAM policies never allow wildcard or escalation actions on every resource"
    description = (
        "Seed 003 task 4 (no overly broad permissions: avoid * actions on * resources): an Allow statement "
        "whose actions include a wildcard ('*', 's3:*', 's3:Put*') or one that reaches other roles' "
        "permissions (iam:PassRole, sts:AssumeRole, iam:Put*Policy ...) names the resources, never '*'."
    )
    source_url = "docs/rules.md#e9011"
    tags = ["stackyard", "security", "iam"]

    def match(self, cfn):
        matches = []
        for name, resource in cfn.get_resources(list(INLINE_POLICIES + STANDALONE_POLICIES)).items():
            for path, document in _documents(resource):
                for index, statement in enumerate(facts.as_list(document.get("Statement"))):
                    broad = _broad_actions(statement)
                    if broad:
                        matches.append(
                            RuleMatch(
                                ["Resources", name, "Properties", *path, "Statement", index],
                                f"Resource {name}: statement {index} allows {', '.join(broad)} on every resource "
                                f"('*'). Fix: list the actions the role calls, or the ARNs they act on.",
                            )
                        )
        return matches


def _documents(resource):
    props = facts.properties(resource)
    if isinstance(props.get("PolicyDocument"), dict):
        yield ["PolicyDocument"], props["PolicyDocument"]
    for index, policy in enumerate(facts.as_list(props.get("Policies"))):
        if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
            yield ["Policies", index, "PolicyDocument"], policy["PolicyDocument"]


def _broad_actions(statement) -> list[str]:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return []
    if "*" not in facts.as_list(statement.get("Resource")):
        return []
    return too_broad_on_everything(
        [action for action in facts.as_list(statement.get("Action")) if isinstance(action, str)]
    )
