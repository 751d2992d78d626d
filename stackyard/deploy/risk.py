"""Which changes of a change set lose data or take a service down: a pure decision, reviewed before a
change set may run.

The guarded types are one list: stackyard.cfn.STATEFUL_TYPES (what holds data, logs or the keys to
them, which lint rule E9013 also requires deletion policies on: databases, buckets, tables, queues,
log groups, ECR repositories, secrets, KMS keys, user pools ...), plus the resources whose identity
other systems hold (a replaced SSM parameter or Cognito user-pool client is a new name, value or
client id and secret that every client must learn). Replacing or removing one loses data, unless
the change's PolicyAction keeps it (Retain, Snapshot, ReplaceAndRetain, ReplaceAndSnapshot);
Delete and ReplaceAndDelete lose it (DescribeChangeSet, ResourceChange.PolicyAction). A change
CloudFormation cannot evaluate before it runs (Action Dynamic) may lose data, so it needs the same
review. Removing a nested stack loses all it holds. Replacing an EC2 instance is downtime (a new
instance, a new root volume): it needs --allow-replace too.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from stackyard.aws.records import ResourceChange
from stackyard.cfn import NESTED_STACK, STATEFUL_TYPES

# Their replacement hands clients a new identity: an SSM parameter's name and value, a user-pool client's id and secret.
IDENTITY_TYPES = frozenset({"AWS::SSM::Parameter", "AWS::Cognito::UserPoolClient"})
GUARDED_TYPES = STATEFUL_TYPES | IDENTITY_TYPES
DOWNTIME_TYPES = frozenset({"AWS::EC2::Instance"})
KEEPING_POLICY_ACTIONS = frozenset({"Retain", "Snapshot", "ReplaceAndRetain", "ReplaceAndSnapshot"})
REPLACED = ("True", "Conditional")


class Risk(Enum):
    LOSES_DATA = "LOSES DATA"
    MAY_LOSE_DATA = "MAY LOSE DATA"
    DOWNTIME = "DOWNTIME"


def is_stateful(change: ResourceChange) -> bool:
    return change.resource_type in GUARDED_TYPES


def kept(change: ResourceChange) -> bool:
    """The change's PolicyAction keeps the old resource (or a snapshot of it)."""
    return change.policy_action in KEEPING_POLICY_ACTIONS


def risk_of(change: ResourceChange) -> Risk | None:
    """What the change puts at risk, if anything."""
    if kept(change):
        return None
    if change.action == "Remove" and change.resource_type == NESTED_STACK:
        return Risk.LOSES_DATA
    if change.resource_type in DOWNTIME_TYPES and (change.replacement in REPLACED or change.action == "Dynamic"):
        return Risk.DOWNTIME
    if not is_stateful(change):
        return None
    if change.action == "Dynamic":
        return Risk.MAY_LOSE_DATA
    if change.action == "Remove" or change.replacement in REPLACED:
        return Risk.LOSES_DATA
    return None


def is_risky(change: ResourceChange) -> bool:
    return risk_of(change) is not None


def risky_changes(changes: list[ResourceChange]) -> tuple[ResourceChange, ...]:
    return tuple(change for change in changes if is_risky(change))


def described(change: ResourceChange) -> str:
    where = f"{change.nested_in}/" if change.nested_in else ""
    if change.action == "Remove":
        verb = "removed"
    elif change.action == "Dynamic":
        verb = "may be replaced (CloudFormation decides when it runs: Dynamic)"
    else:
        verb = "may be replaced" if change.replacement == "Conditional" else "replaced"
    return f"{where}{change.logical_id} ({change.resource_type}) {verb}"


def by_risk(changes: Iterable[ResourceChange]) -> dict[Risk, list[str]]:
    grouped: dict[Risk, list[str]] = {}
    for change in changes:
        risk = risk_of(change)
        if risk is not None:
            grouped.setdefault(risk, []).append(described(change))
    return grouped


def risks_text(changes: Iterable[ResourceChange]) -> str:
    """`LOSES DATA: Queue (AWS::SQS::Queue) replaced; DOWNTIME: AppServer (AWS::EC2::Instance) replaced`."""
    return "; ".join(f"{risk.value}: {', '.join(found)}" for risk, found in by_risk(changes).items())


def refusal_text(changes: Iterable[ResourceChange]) -> str:
    """What the change would do, for a refusal: `lose data: ...; take down: ...`."""
    verbs = {Risk.LOSES_DATA: "lose data", Risk.MAY_LOSE_DATA: "possibly lose data", Risk.DOWNTIME: "cause downtime"}
    return "; ".join(f"{verbs[risk]}: {', '.join(found)}" for risk, found in by_risk(changes).items())


def note(change: ResourceChange) -> str:
    """The change table's last column."""
    if change.action == "Import":
        return "adopt"
    risk = risk_of(change)
    if risk is not None:
        return risk.value
    if kept(change) and (is_stateful(change) or change.replacement in REPLACED or change.action == "Remove"):
        return f"kept ({change.policy_action})"
    return "stateful" if is_stateful(change) else ""
