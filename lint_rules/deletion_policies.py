"""E9013: every resource that holds data, logs or the keys to them says what happens to it on stack
delete and on replacement."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts
from stackyard.cfn import STATEFUL_TYPES

POLICIES = ("DeletionPolicy", "UpdateReplacePolicy")


class DeletionPolicies(CloudFormationLintRule):
    id = "E9013"
    shortdesc = "Stateful resources state their DeletionPolicy and UpdateReplacePolicy"
    description = (
        "Issue 13 section 4: every bucket, database, table, queue, log group, KMS key, secret, user pool, ECR "
        "repository (and the other types of stackyard.cfn.STATEFUL_TYPES) states both DeletionPolicy and "
        "UpdateReplacePolicy, so what a stack delete or a replacement does to its data is written, never "
        "CloudFormation's default. A DB instance of an Aurora cluster holds no data of its own and is left out."
    )
    source_url = "docs/rules.md#e9013"
    tags = ["stackyard", "data", "retention"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for name, resource in cfn.get_resources(sorted(STATEFUL_TYPES)).items():
            if resource.get("Type") == "AWS::RDS::DBInstance" and facts.rds_instance_in_cluster(
                facts.properties(resource)
            ):
                continue
            missing = [policy for policy in POLICIES if resource.get(policy) is None]
            if missing:
                matches.append(
                    RuleMatch(
                        ["Resources", name],
                        f"Resource {name}: {resource['Type']} without {' and '.join(missing)}, so CloudFormation's "
                        f"default decides what happens to its data on delete or replacement. Fix: state both, "
                        f"Retain (or Snapshot) where the environment keeps data, Delete where it does not "
                        f"(templates/parts/common.py keep_on_delete).",
                    )
                )
        return matches
