"""E9005: databases keep a week of encrypted backups; DynamoDB tables have point-in-time recovery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

MINIMUM_RETENTION_DAYS = 7


class BackupConfiguration(CloudFormationLintRule):
    id = "E9005"
    shortdesc = "Databases keep 7 days of encrypted backups; DynamoDB tables have point-in-time recovery"
    description = (
        "Seed 001 Property 7 (Backup Configuration): every DBCluster and every DBInstance outside an "
        f"Aurora cluster sets BackupRetentionPeriod >= {MINIMUM_RETENTION_DAYS} and StorageEncrypted true; "
        "every DynamoDB table (and global table replica) enables point-in-time recovery."
    )
    source_url = "docs/rules.md#e9005"
    tags = ["stackyard", "backup", "rds", "dynamodb"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_database_backups(cfn), *_table_recovery(cfn)]


def _database_backups(cfn: Template) -> Iterator[RuleMatch]:
    for name, database in cfn.get_resources(["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"]).items():
        props = facts.properties(database)
        if database.get("Type") == "AWS::RDS::DBInstance" and facts.rds_instance_in_cluster(props):
            continue  # the cluster holds the backups and the storage
        problems = [*_retention_problem(props), *_encryption_problem(props)]
        if problems:
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: {'; '.join(problems)}. Fix: set BackupRetentionPeriod to at least "
                f"{MINIMUM_RETENTION_DAYS} and StorageEncrypted to true.",
            )


def _retention_problem(props: dict[str, Any]) -> Iterator[str]:
    if "BackupRetentionPeriod" not in props:
        yield "BackupRetentionPeriod is not set (CloudFormation's default keeps 1 day)"
        return
    days = facts.as_int(props["BackupRetentionPeriod"])
    if days is not None and days < MINIMUM_RETENTION_DAYS:
        yield f"BackupRetentionPeriod is {days} day(s)"


def _encryption_problem(props: dict[str, Any]) -> Iterator[str]:
    encrypted = props.get("StorageEncrypted")
    if encrypted is None or facts.is_false(encrypted):
        yield "StorageEncrypted is not true"


def _table_recovery(cfn: Template) -> Iterator[RuleMatch]:
    for name, table in cfn.get_resources("AWS::DynamoDB::Table").items():
        if not _recovery_enabled(facts.properties(table)):
            yield _no_recovery(["Resources", name, "Properties"], f"Resource {name}")
    for name, table in cfn.get_resources("AWS::DynamoDB::GlobalTable").items():
        replicas = facts.properties(table).get("Replicas")
        for index, replica in enumerate(replicas if isinstance(replicas, list) else []):
            if isinstance(replica, dict) and not _recovery_enabled(replica):
                region = facts.describe(replica.get("Region"))
                yield _no_recovery(
                    ["Resources", name, "Properties", "Replicas", index], f"Resource {name} (replica in {region})"
                )


def _recovery_enabled(props: dict[str, Any]) -> bool:
    specification = props.get("PointInTimeRecoverySpecification")
    if not isinstance(specification, dict):
        return False
    enabled = specification.get("PointInTimeRecoveryEnabled")
    # an intrinsic function cannot be read here; only a literal false or absence is a finding
    return enabled is not None and not facts.is_false(enabled)


def _no_recovery(path: list[str | int], subject: str) -> RuleMatch:
    return RuleMatch(
        path,
        f"{subject}: point-in-time recovery is off, so the table cannot be restored to a moment before a "
        f"bad write. Fix: set PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled to true.",
    )
