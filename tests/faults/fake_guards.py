"""The fault matrix's CloudFormation, with the guards (docs/deploy.md, "Guards") played as AWS documents them.

- Stack policies (User Guide, "Prevent updates to stack resources"): SetStackPolicy and GetStackPolicy;
  an update whose change set replaces or removes a resource the stack's policy denies fails on that
  resource with "Action denied by stack policy: Statement [#2] does not allow [Update:Replace] for
  resource [LogicalResourceId/Queue];" and rolls back (the event text as CloudFormation writes it).
  Nested stacks are enforced for the parent's own changes only.
- Rollback triggers (User Guide, "Roll back your CloudFormation stack on alarm breach"): a trigger that
  does not exist fails the whole operation; a watched alarm in `alarms_firing` goes into ALARM that many
  seconds after the update's resources are done, and if that is within MonitoringTimeInMinutes the
  update rolls back, the stack's reason naming the alarm's ARN (CloudFormation's wording is not
  documented); otherwise the stack stays UPDATE_IN_PROGRESS for the window, then cleans up and completes.
- Drift (DetectStackDrift API reference): a detection takes two virtual seconds; it never covers nested
  stacks; `drift` scripts what differs ("stack/Logical" or "Logical" -> property differences, or
  "DELETED"), `drift_fails` the stacks whose detection fails.
- --no-rollback (aws/aws-cdk#30546): a failure with DisableRollback (or a create with OnStackFailure
  DO_NOTHING) ends UPDATE_FAILED (CREATE_FAILED); replacements are refused while rollback is disabled;
  an UPDATE_FAILED stack takes a change set executed with DisableRollback, or RollbackStack.
- Every RoleARN is recorded with the call (the matrix asserts it is passed on every write).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.faults.answers import aws_error
from tests.faults.fake_cloudformation import FakeCloudFormation
from tests.faults.fake_records import STEP, FakeChangeSet, FakeStack, FinalState

ALARM = "AWS::CloudWatch::Alarm"
DETECTION_SECONDS = 2 * STEP
KEPT_FAILED = "To update the stack from this state, please use the disable-rollback parameter with update-stack API"


@dataclass
class _Monitor:
    """An update's rollback triggers and monitoring window, until the update ends."""

    triggers: dict[str, str]  # alarm name -> ARN
    minutes: int
    final: FinalState | None = None


@dataclass
class _Detection:
    stack: FakeStack
    started: datetime


@dataclass
class GuardFaults:
    alarms_firing: dict[str, float] = field(default_factory=dict)  # alarm name -> seconds after resources are done
    drift: dict[str, Any] = field(default_factory=dict)  # "stack/Logical" or "Logical" -> differences or "DELETED"
    drift_fails: set[str] = field(default_factory=set)  # stack names whose drift detection fails


class GuardedCloudFormation(FakeCloudFormation):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.guard_faults = GuardFaults()
        self.policies: dict[str, str] = {}  # stack id -> policy body
        self._arguments: dict[str, dict[str, Any]] = {}  # change set id -> its guard arguments
        self._monitored: dict[str, _Monitor] = {}  # stack id -> the running update's triggers
        # stack id -> the triggers it keeps: a change set without a RollbackConfiguration reuses the stack's
        # (RollbackConfiguration.RollbackTriggers, API reference: "To use the rollback triggers previously
        # specified for this stack, if any, don't specify this parameter"; an empty list removes them)
        self._kept_triggers: dict[str, dict[str, Any]] = {}
        self._kept: set[str] = set()  # stack ids whose running operation has rollback disabled
        self._detections: dict[str, _Detection] = {}

    # --- stack policies ---------------------------------------------------------------------------

    def set_stack_policy(self, StackName: str, StackPolicyBody: str = "", **_: Any) -> dict[str, Any]:
        stack = self._find("SetStackPolicy", StackName)
        json.loads(StackPolicyBody)  # CloudFormation refuses a policy that is not JSON
        self.policies[stack.stack_id] = StackPolicyBody
        return {}

    def get_stack_policy(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("GetStackPolicy", StackName)
        body = self.policies.get(stack.stack_id)
        return {"StackPolicyBody": body} if body else {}

    # --- change sets, with the guards' arguments --------------------------------------------------

    def create_change_set(self, StackName: str, ChangeSetName: str, **params: Any) -> dict[str, Any]:
        made = super().create_change_set(StackName, ChangeSetName, **params)
        self._arguments[made["Id"]] = {
            key: params[key] for key in ("RoleARN", "RollbackConfiguration", "OnStackFailure") if key in params
        }
        return made

    def execute_change_set(self, ChangeSetName: str, **params: Any) -> dict[str, Any]:
        change_set = self._change_set("ExecuteChangeSet", ChangeSetName)
        stack, arguments = change_set.stack, self._arguments.get(change_set.change_set_id, {})
        disabled = bool(params.get("DisableRollback")) or arguments.get("OnStackFailure") == "DO_NOTHING"
        if stack.status == "UPDATE_FAILED" and not disabled:
            raise aws_error(
                "ExecuteChangeSet",
                "ValidationError",
                f"This stack is currently in a non-terminal [UPDATE_FAILED] state. {KEPT_FAILED}. To rollback to "
                f"the last known good state, use the rollback-stack API",
            )
        refused = self._refusal(stack, change_set, disabled) or self._missing_trigger(arguments)
        if disabled:
            self._kept.add(stack.stack_id)
        configuration = arguments.get("RollbackConfiguration", self._kept_triggers.get(stack.stack_id, {}))
        self._kept_triggers[stack.stack_id] = configuration
        self._monitored[stack.stack_id] = _Monitor(
            {arn.rsplit(":", 1)[-1]: arn for arn in (t["Arn"] for t in configuration.get("RollbackTriggers", []))},
            configuration.get("MonitoringTimeInMinutes", 0),
        )
        if refused:  # the update stops at its first step; executing still deletes the stack's other change sets
            self._all_change_sets = [other for other in self._all_change_sets if other.stack is not stack]
            self._fail_at_start(stack, *refused)
            return {}
        return super().execute_change_set(ChangeSetName, **params)

    def rollback_stack(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("RollbackStack", StackName)
        if stack.status not in ("UPDATE_FAILED", "CREATE_FAILED"):
            raise aws_error(
                "RollbackStack",
                "ValidationError",
                f"Stack {stack.stack_id} is in {stack.status} state and can not be rolled back",
            )
        verb = "UPDATE" if stack.status == "UPDATE_FAILED" else "CREATE"
        self._begin(stack, f"{'UPDATE_' if verb == 'UPDATE' else ''}ROLLBACK_IN_PROGRESS", "User Initiated")
        final = "UPDATE_ROLLBACK_COMPLETE" if verb == "UPDATE" else "ROLLBACK_COMPLETE"
        self._later(2 * STEP, lambda: self._end(stack, final, None))
        return {}

    # --- drift --------------------------------------------------------------------------------------

    def detect_stack_drift(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("DetectStackDrift", StackName)
        detection_id = f"drift-{len(self._detections) + 1:04d}"
        self._detections[detection_id] = _Detection(stack, self.cloud.clock.now())
        return {"StackDriftDetectionId": detection_id}

    def describe_stack_drift_detection_status(self, StackDriftDetectionId: str, **_: Any) -> dict[str, Any]:
        detection = self._detections[StackDriftDetectionId]
        stack = detection.stack
        answer = {
            "StackId": stack.stack_id,
            "StackDriftDetectionId": StackDriftDetectionId,
            "Timestamp": detection.started,
        }
        if self.cloud.clock.now() < detection.started + timedelta(seconds=DETECTION_SECONDS):
            return answer | {"DetectionStatus": "DETECTION_IN_PROGRESS"}
        if stack.name in self.guard_faults.drift_fails:
            reason = "Failed to detect drift on resource [Queue]: not authorized to perform: sqs:GetQueueAttributes"
            return answer | {
                "DetectionStatus": "DETECTION_FAILED",
                "DetectionStatusReason": reason,
                "StackDriftStatus": "UNKNOWN",
            }
        drifted = "DRIFTED" if self._drifts_of(stack) else "IN_SYNC"
        return answer | {"DetectionStatus": "DETECTION_COMPLETE", "StackDriftStatus": drifted}

    def describe_stack_resource_drifts(self, StackName: str, **params: Any) -> dict[str, Any]:
        stack = self._find("DescribeStackResourceDrifts", StackName)
        wanted = set(params.get("StackResourceDriftStatusFilters", ["MODIFIED", "DELETED", "IN_SYNC", "NOT_CHECKED"]))
        found = []
        for logical, differences in self._drifts_of(stack).items():
            kind, physical = stack.resources[logical]
            status = "DELETED" if differences == "DELETED" else "MODIFIED"
            if status not in wanted:
                continue
            found.append(
                {
                    "StackId": stack.stack_id,
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "StackResourceDriftStatus": status,
                    "Timestamp": self.cloud.clock.now(),
                    "PropertyDifferences": [] if differences == "DELETED" else differences,
                }
            )
        return {"StackResourceDrifts": found}

    def _drifts_of(self, stack: FakeStack) -> dict[str, Any]:
        found = {}
        for key, differences in self.guard_faults.drift.items():
            name, _, logical = key.rpartition("/")
            if (not name or name == stack.name) and logical in stack.resources:
                found[logical] = differences
        return found

    # --- how the guards change an operation -------------------------------------------------------

    def _physical(self, stack: FakeStack, logical: str, spec: dict[str, Any], parameters: dict[str, str]) -> str:
        if spec["Type"] == ALARM and isinstance(spec.get("Properties", {}).get("AlarmName"), str):
            return str(spec["Properties"]["AlarmName"])  # an alarm's physical id is its name
        return super()._physical(stack, logical, spec, parameters)

    def _apply(self, stack: FakeStack, final: FinalState, status: str) -> None:
        monitor = self._monitored.get(stack.stack_id)
        if status == "UPDATE_COMPLETE" and monitor is not None and monitor.final is None and self._watching(monitor):
            monitor.final = final  # the update commits only once the window has passed
            return
        super()._apply(stack, final, status)

    def _end(self, stack: FakeStack, status: str, reason: str | None) -> None:
        monitor = self._monitored.get(stack.stack_id)
        if status == "UPDATE_COMPLETE" and monitor is not None and monitor.final is not None:
            self._watch_window(stack, monitor)
            return
        if not status.endswith("_IN_PROGRESS"):
            self._monitored.pop(stack.stack_id, None)
            self._kept.discard(stack.stack_id)
        super()._end(stack, status, reason)

    def _roll_back(
        self,
        stack: FakeStack,
        verb: str,
        logical: str,
        at: float,
        template: dict[str, Any],
        on_failure: str = "ROLLBACK",
    ) -> float:
        if stack.stack_id not in self._kept:
            return super()._roll_back(stack, verb, logical, at, template, on_failure)
        failed = "create" if verb == "CREATE" else "update"
        reason = f"The following resource(s) failed to {failed}: [{logical}]. "
        if verb == "CREATE":
            self._at(at, lambda: setattr(stack, "template", template))
        self._at(at + STEP, lambda: self._end(stack, f"{verb}_FAILED", reason))
        return STEP

    def _watching(self, monitor: _Monitor) -> bool:
        return bool(monitor.minutes or any(name in self.guard_faults.alarms_firing for name in monitor.triggers))

    def _watch_window(self, stack: FakeStack, monitor: _Monitor) -> None:
        """The update's resources are done: the stack stays UPDATE_IN_PROGRESS through the window."""
        window = monitor.minutes * 60.0
        firing = sorted(
            (seconds, name) for name, seconds in self.guard_faults.alarms_firing.items() if name in monitor.triggers
        )
        if firing and firing[0][0] <= window:
            seconds, name = firing[0]
            reason = f"Stack rollback triggered by rollback trigger {monitor.triggers[name]} in ALARM state"
            self._later(seconds, lambda: self._set(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason))
            self._later(seconds + STEP, lambda: self._end(stack, "UPDATE_ROLLBACK_COMPLETE", reason))
            return
        final = monitor.final
        assert final is not None
        monitor.final = None
        self._later(window, lambda: self._set(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None))
        self._later(
            window + STEP,
            lambda: (
                super(GuardedCloudFormation, self)._apply(stack, final, "UPDATE_COMPLETE"),
                self._end(stack, "UPDATE_COMPLETE", None),
            ),
        )

    def _refusal(self, stack: FakeStack, change_set: FakeChangeSet, disabled: bool) -> tuple[str, str, str] | None:
        """(logical id, type, reason) of the first change the stack's policy, or disabled rollback, refuses."""
        policy = json.loads(self.policies[stack.stack_id]) if stack.stack_id in self.policies else None
        for item in change_set.changes:
            change = item["ResourceChange"]
            action = _policy_action(change)
            logical, kind = change["LogicalResourceId"], change["ResourceType"]
            if disabled and action == "Update:Replace":
                return logical, kind, "Replacement type updates not supported on stack with disable-rollback."
            denied = _denied_by(policy, action, logical, kind) if policy else None
            if denied:
                return (
                    logical,
                    kind,
                    (
                        f"Action denied by stack policy: Statement [#{denied}] does not allow [{action}] for resource "
                        f"[LogicalResourceId/{logical}];"
                    ),
                )
        return None

    def _missing_trigger(self, arguments: dict[str, Any]) -> tuple[str, str, str] | None:
        names = {physical for stack in self._live() for kind, physical in stack.resources.values() if kind == ALARM}
        for trigger in arguments.get("RollbackConfiguration", {}).get("RollbackTriggers", []):
            if trigger["Arn"].rsplit(":", 1)[-1] not in names:
                return "RollbackTriggers", ALARM, f"Rollback trigger {trigger['Arn']} does not exist"
        return None

    def _fail_at_start(self, stack: FakeStack, logical: str, kind: str, reason: str) -> None:
        """The update stops at its first step: the resource's event says why, then rollback (or not)."""
        self._at(0, lambda: self._begin(stack, "UPDATE_IN_PROGRESS", "User Initiated"))
        self._at(STEP, lambda: self._event(stack, logical, kind, "UPDATE_FAILED", reason, ""))
        self._roll_back(stack, "UPDATE", logical, STEP, stack.template)


def _policy_action(change: dict[str, Any]) -> str:
    if change.get("Action") == "Remove":
        return "Update:Delete"
    if change.get("Replacement") in ("True", "Conditional"):
        return "Update:Replace"
    return "Update:Modify"


def _denied_by(policy: dict[str, Any], action: str, logical: str, kind: str) -> int | None:
    """The number of the statement that denies `action` on the resource (an explicit Deny, or no Allow)."""
    statements = policy.get("Statement", [])
    for number, statement in enumerate(statements, start=1):
        if statement.get("Effect") == "Deny" and _matches(statement, action, logical, kind):
            return number
    allowed = any(s.get("Effect") == "Allow" and _matches(s, action, logical, kind) for s in statements)
    return None if allowed else len(statements)


def _matches(statement: dict[str, Any], action: str, logical: str, kind: str) -> bool:
    actions = _listed(statement.get("Action", []))
    if not any(each in (action, "Update:*") for each in actions):
        return False
    resource = f"LogicalResourceId/{logical}"
    if "NotResource" in statement and resource in _listed(statement["NotResource"]):
        return False
    if "Resource" in statement and not {"*", resource} & set(_listed(statement["Resource"])):
        return False
    types = statement.get("Condition", {}).get("StringEquals", {}).get("ResourceType")
    return types is None or kind in _listed(types)


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]
