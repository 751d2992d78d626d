"""The fault matrix's CloudFormation records: a stack, a change set, and a stack's state once an
operation succeeds (tests/faults/fake_cloudformation.py plays them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

NESTED = "AWS::CloudFormation::Stack"
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."
STEP = 1.0  # virtual seconds between the steps of an operation


@dataclass
class FakeStack:
    name: str
    stack_id: str
    status: str
    created: datetime
    template: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (type, physical id)
    reason: str | None = None
    termination_protection: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    resource_status: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # not CREATE_COMPLETE
    resolved: dict[str, str] = field(default_factory=dict)  # SSM parameter types: the value each resolved to
    rollback_blocked_by: set[str] = field(default_factory=set)  # ResourcesToSkip names whose rollback keeps failing
    updated: datetime | None = None  # LastUpdatedTime: when an update last started on it

    @property
    def values(self) -> dict[str, str]:
        """The parameters as resources see them: an SSM parameter type's resolved value, not its name."""
        return self.parameters | self.resolved


@dataclass
class FakeChangeSet:
    change_set_id: str
    name: str
    stack: FakeStack
    kind: str
    template: dict[str, Any]
    parameters: dict[str, str]
    tags: dict[str, str]
    changes: list[dict[str, Any]]
    created: datetime
    status: str = "CREATE_PENDING"
    reason: str | None = None
    execution: str = "UNAVAILABLE"
    resolved: dict[str, str] = field(default_factory=dict)
    nested: list[FakeChangeSet] = field(default_factory=list)  # IncludeNestedStacks: its nested stacks' change sets
    imports: dict[str, str] = field(default_factory=dict)  # logical id -> the existing physical id it adopts
    on_failure: str = "ROLLBACK"  # OnStackFailure


@dataclass
class FinalState:
    """A stack's state once an operation succeeds, worked out when the operation starts."""

    template: dict[str, Any]
    parameters: dict[str, str]
    tags: dict[str, str]
    resources: dict[str, tuple[str, str]]
    resolved: dict[str, str] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, str]:
        """The parameters as resources see them: an SSM parameter type's resolved value, not its name."""
        return self.parameters | self.resolved


def imports_export(value: Any, export: str) -> bool:
    if isinstance(value, dict):
        return value.get("Fn::ImportValue") == export or any(imports_export(inner, export) for inner in value.values())
    if isinstance(value, list):
        return any(imports_export(inner, export) for inner in value)
    return False


def holds(template: dict[str, Any], condition: str | None, parameters: dict[str, str]) -> bool:
    """A resource's Condition, for the one shape the fault matrix uses: Fn::Equals of a parameter and a value."""
    if condition is None:
        return True
    left, right = template["Conditions"][condition]["Fn::Equals"]
    return str(parameters.get(left["Ref"]) if isinstance(left, dict) else left) == str(right)
