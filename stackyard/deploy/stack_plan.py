"""A stack's plan: a frozen value that says what a deploy would do to the stack, and why.

Planning (stackyard/deploy/planner.py) gathers the facts from AWS and calls the pure decisions
(recovery.py, unchanged.py, risk.py, exports.py); an applier (applier.py) then carries the plan
out, or only shows it. The same value reaches both, so a plan shows exactly what a deploy does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from stackyard.aws.records import ChangeSet, DeployedStack, ResourceChange
from stackyard.deploy.adoption import Adoption
from stackyard.deploy.exports import BlockedExport
from stackyard.deploy.guards.findings import GuardFindings
from stackyard.deploy.package import Upload
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.risk import refusal_text, risks_text


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Target:
    """A stack a run works on: its name in the manifest ("bootstrap" for the artifact bucket's),
    its CloudFormation name and its region."""

    stack: str
    name: str
    region: str


@dataclass(frozen=True)
class Desired:
    """What a deploy would make the stack: the packaged template and the values passed to it."""

    template: dict[str, Any]  # as deployed: nested TemplateURLs point at the artifact bucket
    source: dict[str, str]  # {"TemplateBody": ...} or {"TemplateURL": ...}, for CreateChangeSet
    parameters: dict[str, str]
    tags: dict[str, str]
    children: dict[str, dict[str, Any]] = field(default_factory=dict)  # nested stack logical id -> its template
    uploads: tuple[Upload, ...] = ()  # what its change set fetches from the artifact bucket, put there first


@dataclass(frozen=True)
class StackPlan:
    target: Target
    deployed: DeployedStack | None  # None: the stack does not exist
    recovery: Recovery
    action: Action | None  # None: decided once the recovery is done
    reasons: tuple[str, ...]  # why the recovery, or why the action (e.g. which parameter differs)
    desired: Desired | None = None  # None: nothing packaged (a recovery comes first, or no artifact bucket yet)
    deployed_template: dict[str, Any] | None = None
    change_set: ChangeSet | None = None  # made by this run; None when no change set was made
    created_stack: bool = False  # this run's CREATE change set made the (REVIEW_IN_PROGRESS) stack
    risky: tuple[ResourceChange, ...] = ()  # changes that lose data or cause downtime (stackyard/deploy/risk.py)
    blocked_exports: tuple[BlockedExport, ...] = ()  # exports in use the change would change or remove
    adoptions: tuple[Adoption, ...] = ()  # kept resources an IMPORT change set adopts first (Recovery.ADOPT)
    import_existing: bool = False  # the change set adopts what exists by itself (ImportExistingResources)
    guards: GuardFindings = field(
        default_factory=GuardFindings
    )  # stack policy, rollback triggers, drift (stackyard/deploy/guards/)

    @property
    def stack(self) -> str:
        return self.target.stack

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def risks(self) -> str:
        """`lose data: Queue (AWS::SQS::Queue) replaced; cause downtime: ...`, for a refusal."""
        return refusal_text(self.risky)

    def summary(self) -> str:
        """One line for a plan's summary: what a deploy would do."""
        if self.action is None or self.recovery.writes:
            return f"would {self.recovery.value} ({self.reasons[0]})"
        guarded = f"; {self.guards.summary()}" if self.guards.summary() else ""
        if self.change_set is None:
            return f"would {self.action.value} ({'; '.join(self.reasons)}){guarded}"
        text = f"would {self.action.value}: {len(self.change_set.changes)} changes"
        adopted = [change for change in self.change_set.changes if change.action == "Import"]
        if adopted:
            text += f"; adopts {', '.join(f'{change.logical_id} ({change.resource_type})' for change in adopted)}"
        if self.risky:
            text += f"; {risks_text(self.risky)}"
        if self.blocked_exports:
            text += f"; REFUSED: {'; '.join(str(blocked) for blocked in self.blocked_exports)}"
        return text + guarded
