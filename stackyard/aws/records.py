"""What AWS answers, as plain frozen values the rest of the deploy machinery reads (no boto3 here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    status_reason: str | None
    parameters: dict[str, str]
    tags: dict[str, str]
    outputs: dict[str, str]
    termination_protection: bool
    resolved: dict[str, str] = field(default_factory=dict)  # SSM parameter types: the value each resolved to
    updated_at: str = ""  # LastUpdatedTime, or CreationTime if never updated (ISO 8601); moved by every update
    created_at: str = ""  # CreationTime (ISO 8601)


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add, Modify, Remove, Import, Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True, False, Conditional, or "" when not applicable
    nested_in: str = ""  # logical id of the nested stack this change is inside, "" for the stack itself
    policy_action: str = ""  # Delete, Retain, Snapshot, ReplaceAndDelete, ReplaceAndRetain, ReplaceAndSnapshot


@dataclass(frozen=True)
class ChangeSet:
    change_set_id: str
    status: str
    reason: str | None
    execution_status: str
    changes: list[ResourceChange] = field(default_factory=list)
    stack_id: str = ""


@dataclass(frozen=True)
class ChangeSetSummary:
    """One change set of a stack, as ListChangeSets names it."""

    change_set_id: str
    name: str
    status: str
    execution_status: str
    created: datetime


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str | None
    physical_id: str = ""


@dataclass(frozen=True)
class Export:
    name: str
    value: str
    exporting_stack_id: str
