"""E9004: secrets are encrypted with a customer managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

DATABASES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")


class SecretEncryption(CloudFormationLintRule):
    id = "E9004"
    shortdesc = "Secrets are encrypted with a customer managed KMS key"
    description = (
        "Seed 001 Property 3 (Secret Encryption): every AWS::SecretsManager::Secret sets KmsKeyId to a "
        "customer managed key, and a DBCluster/DBInstance with ManageMasterUserPassword sets "
        "MasterUserSecret.KmsKeyId; an AWS managed key (alias/aws/...) does not count."
    )
    source_url = "docs/rules.md#e9004"
    tags = ["stackyard", "security", "secretsmanager", "kms"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_secrets_without_key(cfn), *_managed_passwords_without_key(cfn)]


def _secrets_without_key(cfn: Template) -> Iterator[RuleMatch]:
    for name, secret in cfn.get_resources("AWS::SecretsManager::Secret").items():
        problem = _key_problem(facts.properties(secret).get("KmsKeyId"))
        if problem is not None:
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: the secret {problem}. Fix: set KmsKeyId to a customer managed "
                f"AWS::KMS::Key of this stack (Ref or Fn::GetAtt Arn) or an imported key ARN.",
            )


def _managed_passwords_without_key(cfn: Template) -> Iterator[RuleMatch]:
    for name, database in cfn.get_resources(list(DATABASES)).items():
        props = facts.properties(database)
        if not facts.is_true(props.get("ManageMasterUserPassword")):
            continue
        master_secret = props.get("MasterUserSecret")
        key = master_secret.get("KmsKeyId") if isinstance(master_secret, dict) else None
        problem = _key_problem(key)
        if problem is not None:
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: ManageMasterUserPassword is on but the master user secret {problem}. "
                f"Fix: set MasterUserSecret.KmsKeyId to a customer managed AWS::KMS::Key.",
            )


def _key_problem(key: Any) -> str | None:
    """Why `key` is not a customer managed key, or None when it is (or cannot be told apart)."""
    if key is None:
        return "has no KmsKeyId, so Secrets Manager uses the AWS managed key aws/secretsmanager"
    if isinstance(key, str) and "alias/aws/" in key:
        return f"uses the AWS managed key {key}"
    return None
