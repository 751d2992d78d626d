"""Which changes of a change set lose data: a pure decision, reviewed before a change set may run.

Replacing or removing a stateful resource (a database, bucket, table, user pool, secret, queue,
or the keys that encrypt such data), or removing a nested stack and all it holds, loses data.
"""

from __future__ import annotations

from stackyard.aws.records import ResourceChange
from stackyard.cfn import NESTED_STACK

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


def is_stateful(change: ResourceChange) -> bool:
    return change.resource_type in STATEFUL_TYPES


def is_risky(change: ResourceChange) -> bool:
    """Loses data: a stateful resource replaced or removed, or a nested stack (and all in it) removed."""
    # Where each change's PolicyAction (Retain/Snapshot keep the data) would refine the verdict.
    if change.action == "Remove" and change.resource_type == NESTED_STACK:
        return True
    return is_stateful(change) and (change.action == "Remove" or change.replacement in ("True", "Conditional"))


def risky_changes(changes: list[ResourceChange]) -> tuple[ResourceChange, ...]:
    return tuple(change for change in changes if is_risky(change))


def described(change: ResourceChange) -> str:
    where = f"{change.nested_in}/" if change.nested_in else ""
    verb = "removed" if change.action == "Remove" else "replaced"
    return f"{where}{change.logical_id} ({change.resource_type}) {verb}"
