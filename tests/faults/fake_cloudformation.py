"""The fault matrix's CloudFormation: stacks, change sets, events and exports on a virtual clock.

It plays the documented status machine (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-resource-configuration-complete.html
and the API reference): a CREATE change set makes a REVIEW_IN_PROGRESS stack; executing one runs
its resources one virtual second apart and deletes the stack's other change sets; a failed create
ends ROLLBACK_COMPLETE, a failed update UPDATE_ROLLBACK_COMPLETE, with the resource's reason on its
event and the stack-level reason on the stack; a deleted stack's name no longer resolves while its
id still shows DELETE_COMPLETE; a delete refused because an export is imported leaves the stack in
its previous status with a StackStatusReason (aws/aws-cdk#604); nested stacks run as their own
stacks with their own events. Events are written with the time they happen and shown once the
clock has passed it.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from tests.faults.answers import ACCOUNT, aws_error

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud

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


@dataclass
class _Final:
    """A stack's state once an operation succeeds, worked out when the operation starts."""

    template: dict[str, Any]
    parameters: dict[str, str]
    tags: dict[str, str]
    resources: dict[str, tuple[str, str]]


class FakeCloudFormation:
    def __init__(self, cloud: FakeCloud, region: str):
        self.cloud, self.region = cloud, region
        self.stacks: list[FakeStack] = []
        self._all_change_sets: list[FakeChangeSet] = []
        self._steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self._ids = itertools.count(1)
        self._step_time: datetime | None = None  # when the step being played was due
        self._last_event = datetime.min.replace(tzinfo=cloud.clock.now().tzinfo)

    # --- scenario helpers -----------------------------------------------------------------------

    def seed(self, name: str, template: dict[str, Any], parameters: dict[str, str], tags: dict[str, str]) -> FakeStack:
        """A stack deployed before the scenario starts, CREATE_COMPLETE."""
        stack = self._new_stack(name, "CREATE_COMPLETE")
        self._apply(stack, self._final(stack, template, parameters, tags), "CREATE_COMPLETE")
        return stack

    def stack(self, name: str) -> FakeStack:
        found = self._active(name)
        assert found is not None, f"no stack {name}"
        return found

    def drop(self, name: str) -> None:
        """The stack is gone, as if deleted long ago."""
        stack = self.stack(name)
        stack.status, stack.deleted, stack.resources = "DELETE_COMPLETE", True, {}

    def change_sets_of(self, name: str) -> list[str]:
        stack = self._active(name)
        return [change_set.name for change_set in self._change_sets(stack)] if stack else []

    def set_status(self, name: str, status: str, reason: str | None = None) -> None:
        stack = self.stack(name)
        stack.status, stack.reason = status, reason
        self._event(stack, stack.name, NESTED, status, reason, stack.stack_id)

    def run_for_another_process(self, name: str, status: str, seconds: float, final: str) -> None:
        """Another run's operation: `status` now, `final` after `seconds` (DELETE_COMPLETE: the stack goes)."""
        stack = self.stack(name)
        self.set_status(name, status)
        self._later(seconds, lambda: self._end(stack, final, None))

    def tick(self) -> None:
        now = self.cloud.clock.now()
        while self._steps and self._steps[0][0] <= now:
            self._step_time, _, action = heapq.heappop(self._steps)
            try:
                action()
            finally:
                self._step_time = None

    # --- the CloudFormation API -------------------------------------------------------------------

    def describe_stacks(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("DescribeStacks", StackName)
        no_echo = {k for k, v in stack.template.get("Parameters", {}).items() if str(v.get("NoEcho")).lower() == "true"}
        described = {
            "StackName": stack.name,
            "StackId": stack.stack_id,
            "StackStatus": stack.status,
            "CreationTime": stack.created,
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": "****" if key in no_echo else value}
                for key, value in sorted(stack.parameters.items())
            ],
            "Tags": [{"Key": key, "Value": value} for key, value in stack.tags.items()],
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in stack.outputs.items()],
            "EnableTerminationProtection": stack.termination_protection,
        }
        return {"Stacks": [described | ({"StackStatusReason": stack.reason} if stack.reason else {})]}

    def get_template(self, StackName: str, **_: Any) -> dict[str, Any]:
        return {"TemplateBody": json.dumps(self._find("GetTemplate", StackName).template)}

    def describe_stack_events(self, StackName: str, **_: Any) -> dict[str, Any]:
        now = self.cloud.clock.now()
        shown = [event for event in self._find("DescribeStackEvents", StackName).events if event["Timestamp"] <= now]
        return {"StackEvents": sorted(shown, key=lambda event: event["Timestamp"], reverse=True)}

    def list_stack_resources(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("ListStackResources", StackName)
        listed = {logical: (kind, physical, "CREATE_COMPLETE") for logical, (kind, physical) in stack.resources.items()}
        if stack.status.endswith("_IN_PROGRESS"):  # resources of the running operation, as their events show them
            now = self.cloud.clock.now()
            for event in stack.events:
                if event["Timestamp"] <= now and event["PhysicalResourceId"] not in ("", stack.stack_id):
                    listed[event["LogicalResourceId"]] = (
                        event["ResourceType"],
                        event["PhysicalResourceId"],
                        event["ResourceStatus"],
                    )
        summaries = [
            {
                "LogicalResourceId": logical,
                "PhysicalResourceId": physical,
                "ResourceType": kind,
                "ResourceStatus": status,
                "LastUpdatedTimestamp": stack.created,
            }
            for logical, (kind, physical, status) in listed.items()
        ]
        return {"StackResourceSummaries": summaries}

    def create_change_set(
        self, StackName: str, ChangeSetName: str, ChangeSetType: str = "UPDATE", **params: Any
    ) -> dict[str, Any]:
        stack = self._target_of_change_set(StackName, ChangeSetType)
        if any(change_set.name == ChangeSetName for change_set in self._change_sets(stack)):
            raise aws_error("CreateChangeSet", "AlreadyExistsException", f"ChangeSet [{ChangeSetName}] already exists")
        template = self._template(params)
        parameters = self._parameters(
            template, {p["ParameterKey"]: p["ParameterValue"] for p in params.get("Parameters", [])}
        )
        tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
        change_set = FakeChangeSet(
            f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:changeSet/{ChangeSetName}/{next(self._ids)}",
            ChangeSetName,
            stack,
            ChangeSetType,
            template,
            parameters,
            tags,
            self._changes(stack, template, parameters),
            self.cloud.clock.now(),
        )
        self._all_change_sets.append(change_set)
        unchanged = (template, parameters, tags) == (stack.template, stack.parameters, stack.tags)
        self._later(STEP, lambda: setattr(change_set, "status", "CREATE_IN_PROGRESS"))
        self._later(2 * STEP, lambda: self._change_set_made(change_set, unchanged))
        return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    def describe_change_set(self, ChangeSetName: str, **_: Any) -> dict[str, Any]:
        change_set = self._change_set("DescribeChangeSet", ChangeSetName)
        described = {
            "ChangeSetId": change_set.change_set_id,
            "ChangeSetName": change_set.name,
            "StackId": change_set.stack.stack_id,
            "StackName": change_set.stack.name,
            "Status": change_set.status,
            "ExecutionStatus": change_set.execution,
            "Changes": change_set.changes if change_set.status == "CREATE_COMPLETE" else [],
        }
        return described | ({"StatusReason": change_set.reason} if change_set.reason else {})

    def list_change_sets(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("ListChangeSets", StackName)
        return {
            "Summaries": [
                {
                    "ChangeSetId": change_set.change_set_id,
                    "ChangeSetName": change_set.name,
                    "StackId": stack.stack_id,
                    "StackName": stack.name,
                    "Status": change_set.status,
                    "ExecutionStatus": change_set.execution,
                    "CreationTime": change_set.created,
                }
                for change_set in self._change_sets(stack)
            ]
        }

    def delete_change_set(self, ChangeSetName: str, **_: Any) -> dict[str, Any]:
        change_set = self._change_set("DeleteChangeSet", ChangeSetName)
        if change_set.execution == "EXECUTE_IN_PROGRESS":
            raise aws_error("DeleteChangeSet", "InvalidChangeSetStatus", "Cannot delete a change set being executed")
        self._all_change_sets.remove(change_set)
        return {}

    def execute_change_set(self, ChangeSetName: str, **_: Any) -> dict[str, Any]:
        change_set = self._change_set("ExecuteChangeSet", ChangeSetName)
        if change_set.status != "CREATE_COMPLETE" or change_set.execution != "AVAILABLE":
            raise aws_error(
                "ExecuteChangeSet",
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]",
            )
        stack = change_set.stack
        # Executing a change set deletes the stack's other change sets.
        self._all_change_sets = [other for other in self._all_change_sets if other.stack is not stack]
        self._run(stack, change_set.kind, change_set.template, change_set.parameters, change_set.tags)
        return {}

    def delete_stack(self, StackName: str, **_: Any) -> dict[str, Any]:
        try:
            stack = self._find("DeleteStack", StackName)
        except ClientError:
            return {}  # deleting a stack that does not exist succeeds
        if stack.deleted:
            return {}
        if stack.termination_protection:
            raise aws_error(
                "DeleteStack",
                "ValidationError",
                f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled",
            )
        if stack.status == "REVIEW_IN_PROGRESS":
            self._end(stack, "DELETE_COMPLETE", None)
            return {}
        in_use = self._imported_from_outside(stack)
        if in_use:  # refused: the stack keeps its status, with the reason (aws/aws-cdk#604)
            export, importers = in_use
            stack.reason = f"Export {export} cannot be deleted as it is in use by {' and '.join(importers)}"
            self._event(stack, stack.name, NESTED, stack.status, stack.reason, stack.stack_id)
            return {}
        self._remove(stack)
        return {}

    def continue_update_rollback(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("ContinueUpdateRollback", StackName)
        if stack.status != "UPDATE_ROLLBACK_FAILED":
            raise aws_error(
                "ContinueUpdateRollback",
                "ValidationError",
                f"Stack {stack.stack_id} is in {stack.status} state and can not continue rollback",
            )
        self._begin(stack, "UPDATE_ROLLBACK_IN_PROGRESS", None)
        if self.cloud.faults.rollback_keeps_failing:
            logical, (kind, physical) = next(iter(stack.resources.items()))
            reason = "Resource handler returned message: the resource was changed outside CloudFormation"
            self._later(STEP, lambda: self._event(stack, logical, kind, "UPDATE_FAILED", reason, physical))
            self._later(
                2 * STEP,
                lambda: self._end(
                    stack, "UPDATE_ROLLBACK_FAILED", f"The following resource(s) failed to update: [{logical}]."
                ),
            )
        else:
            self._later(2 * STEP, lambda: self._end(stack, "UPDATE_ROLLBACK_COMPLETE", None))
        return {}

    def update_termination_protection(
        self, StackName: str, EnableTerminationProtection: bool, **_: Any
    ) -> dict[str, Any]:
        self._find("UpdateTerminationProtection", StackName).termination_protection = EnableTerminationProtection
        return {}

    def list_imports(self, ExportName: str, **_: Any) -> dict[str, Any]:
        importers = [] if self.cloud.faults.imports_unlisted else self._importers(ExportName)
        if not importers:
            raise aws_error("ListImports", "ValidationError", f"Export '{ExportName}' is not imported by any stack.")
        return {"Imports": importers}

    def list_exports(self, **_: Any) -> dict[str, Any]:
        return {
            "Exports": [
                {"ExportingStackId": stack.stack_id, "Name": export, "Value": stack.outputs.get(output, "")}
                for stack in self._live()
                for export, output in self._exports_of(stack).items()
            ]
        }

    # --- how operations play out ------------------------------------------------------------------

    def _change_sets(self, stack: FakeStack) -> list[FakeChangeSet]:
        return [change_set for change_set in self._all_change_sets if change_set.stack is stack]

    def _change_set_made(self, change_set: FakeChangeSet, unchanged: bool) -> None:
        if unchanged and change_set.stack.status != "REVIEW_IN_PROGRESS":
            change_set.status, change_set.reason = "FAILED", NO_CHANGES
        else:
            change_set.status, change_set.execution = "CREATE_COMPLETE", "AVAILABLE"

    def _run(
        self,
        stack: FakeStack,
        kind: str,
        template: dict[str, Any],
        parameters: dict[str, str],
        tags: dict[str, str],
        offset: float = 0.0,
    ) -> float:
        """Create or update `stack` (its nested stacks too), starting `offset` seconds from now (a nested
        stack runs inside its parent's step); returns the virtual seconds it takes."""
        verb = (
            "CREATE" if kind == "CREATE" or stack.status in ("REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS") else "UPDATE"
        )
        self._at(offset, lambda: self._begin(stack, f"{verb}_IN_PROGRESS", "User Initiated"))
        final = self._final(stack, template, parameters, tags)
        elapsed = offset
        for logical, spec in template.get("Resources", {}).items():
            if logical not in final.resources or not self._differs(stack, logical, spec, parameters):
                continue
            elapsed += STEP
            kind_, physical = final.resources[logical]
            self._at(
                elapsed,
                lambda lid=logical, k=kind_, p=physical: self._event(stack, lid, k, f"{verb}_IN_PROGRESS", None, p),
            )
            failure = self._failure(stack, logical)
            if kind_ == NESTED:
                child_seconds, failure = self._run_nested(self._find("", physical), spec, elapsed)
                elapsed += child_seconds
            elapsed += STEP + self.cloud.faults.waits.get(logical, 0.0)
            if failure:
                self._at(
                    elapsed,
                    lambda lid=logical, k=kind_, p=physical, r=failure: self._event(
                        stack, lid, k, f"{verb}_FAILED", r, p
                    ),
                )
                return elapsed - offset + self._roll_back(stack, verb, logical, elapsed, template)
            self._at(
                elapsed,
                lambda lid=logical, k=kind_, p=physical: self._event(stack, lid, k, f"{verb}_COMPLETE", None, p),
            )
        elapsed += STEP
        self._at(
            elapsed, lambda: (self._apply(stack, final, f"{verb}_COMPLETE"), self._end(stack, f"{verb}_COMPLETE", None))
        )
        return elapsed - offset

    def _run_nested(self, child: FakeStack, spec: dict[str, Any], offset: float) -> tuple[float, str | None]:
        template = self._template({"TemplateURL": spec["Properties"]["TemplateURL"]})
        parameters = {key: str(value) for key, value in spec["Properties"].get("Parameters", {}).items()}
        failing = next((logical for logical in template.get("Resources", {}) if self._failure(child, logical)), None)
        kind = "CREATE" if child.status == "CREATE_IN_PROGRESS" else "UPDATE"
        seconds = self._run(child, kind, template, parameters, {}, offset)
        if failing:
            return seconds, (
                f"Embedded stack {child.stack_id} was not successfully created: The following resource(s) failed to "
                f"create: [{failing}]. "
            )
        return seconds, None

    def _roll_back(self, stack: FakeStack, verb: str, logical: str, at: float, template: dict[str, Any]) -> float:
        failed = "create" if verb == "CREATE" else "update"
        reason = f"The following resource(s) failed to {failed}: [{logical}]. "
        if verb == "CREATE":  # the failed create's template stays; its resources go
            self._at(at, lambda: setattr(stack, "template", template))
            self._at(
                at + STEP, lambda: self._set(stack, "ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            )
            self._at(
                at + 2 * STEP,
                lambda: (setattr(stack, "resources", {}), self._end(stack, "ROLLBACK_COMPLETE", stack.reason)),
            )
        else:
            self._at(at + STEP, lambda: self._set(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason))
            self._at(at + 2 * STEP, lambda: self._end(stack, "UPDATE_ROLLBACK_COMPLETE", stack.reason))
        return 2 * STEP

    def _remove(self, stack: FakeStack, offset: float = 0.0) -> float:
        """Delete `stack` (nested stacks first, buckets must be empty); returns the seconds it takes."""
        self._at(offset, lambda: self._begin(stack, "DELETE_IN_PROGRESS", "User Initiated"))
        elapsed = offset
        for bucket, count in self.cloud.faults.objects_reappear.items():
            if bucket in self.cloud.s3.buckets:
                self.cloud.s3.fill(bucket, count, "late/")
        for logical, (kind, physical) in reversed(list(stack.resources.items())):
            policy = stack.template.get("Resources", {}).get(logical, {}).get("DeletionPolicy", "Delete")
            elapsed += STEP
            self._at(
                elapsed,
                lambda lid=logical, k=kind, p=physical: self._event(stack, lid, k, "DELETE_IN_PROGRESS", None, p),
            )
            if kind == NESTED and policy == "Delete":
                elapsed = self._remove(self._find("", physical), elapsed)
            if kind == "AWS::S3::Bucket" and policy == "Delete" and self.cloud.s3.count(physical):
                reason = "The bucket you tried to delete is not empty (Service: S3, Status Code: 409)"
                elapsed += STEP
                self._at(
                    elapsed,
                    lambda lid=logical, p=physical, r=reason: self._event(
                        stack, lid, "AWS::S3::Bucket", "DELETE_FAILED", r, p
                    ),
                )
                self._at(
                    elapsed + STEP,
                    lambda lid=logical: self._end(
                        stack, "DELETE_FAILED", f"The following resource(s) failed to delete: [{lid}]. "
                    ),
                )
                return elapsed + STEP
            if kind == "AWS::S3::Bucket" and policy == "Delete":
                self._at(elapsed, lambda p=physical: self.cloud.s3.buckets.pop(p, None))
            self._at(
                elapsed, lambda lid=logical, k=kind, p=physical: self._event(stack, lid, k, "DELETE_COMPLETE", None, p)
            )
        elapsed += STEP
        self._at(elapsed, lambda: (setattr(stack, "resources", {}), self._end(stack, "DELETE_COMPLETE", None)))
        return elapsed

    def _final(
        self, stack: FakeStack, template: dict[str, Any], parameters: dict[str, str], tags: dict[str, str]
    ) -> _Final:
        resources: dict[str, tuple[str, str]] = {}
        for logical, spec in template.get("Resources", {}).items():
            if not _holds(template, spec.get("Condition"), parameters):
                continue
            kind = spec["Type"]
            physical = stack.resources.get(logical, (kind, ""))[1] or self._physical(stack, logical, spec, parameters)
            resources[logical] = (kind, physical)
        return _Final(template, parameters, tags, resources)

    def _physical(self, stack: FakeStack, logical: str, spec: dict[str, Any], parameters: dict[str, str]) -> str:
        kind, properties = spec["Type"], spec.get("Properties", {})
        context = {"parameters": parameters, "resources": {}, "stack": stack}
        if kind == "AWS::S3::Bucket":  # the bucket itself appears when the operation completes
            return str(
                self._resolve(
                    properties.get("BucketName", f"{stack.name}-{logical.lower()}-{next(self._ids)}"), context
                )
            )
        if kind == "AWS::CertificateManager::Certificate":
            arn = f"arn:aws:acm:{self.region}:{ACCOUNT}:certificate/{next(self._ids):08x}-fake"
            wait = self.cloud.faults.waits.get(logical, 0.0)
            self.cloud.acm.request(arn, properties["DomainName"], properties.get("SubjectAlternativeNames", []), wait)
            return arn
        if kind == "AWS::CertificateManager::Certificate":
            arn = f"arn:aws:acm:{self.region}:{ACCOUNT}:certificate/{next(self._ids):08x}-fake"
            wait = self.cloud.faults.waits.get(logical, 0.0)
            self.cloud.acm.request(arn, properties["DomainName"], properties.get("SubjectAlternativeNames", []), wait)
            return arn
        if kind == "AWS::ECR::Repository":
            return str(self._resolve(properties.get("RepositoryName", f"{stack.name}-{logical.lower()}"), context))
        if kind == NESTED:
            child = self._new_stack(f"{stack.name}-{logical}-{next(self._ids):04X}", "CREATE_IN_PROGRESS")
            return child.stack_id
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{stack.name}-{logical}-{next(self._ids)}"
        return f"{logical.lower()}-{next(self._ids):08x}"

    def _resolve(self, value: Any, context: dict[str, Any]) -> Any:
        stack: FakeStack = context["stack"]
        pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": self.region, "AWS::StackName": stack.name}
        if isinstance(value, list):
            return [self._resolve(item, context) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            name = value["Ref"]
            if name in pseudo:
                return pseudo[name]
            return context["parameters"][name] if name in context["parameters"] else context["resources"][name][1]
        if "Fn::GetAtt" in value:
            logical, attribute = (
                value["Fn::GetAtt"] if isinstance(value["Fn::GetAtt"], list) else value["Fn::GetAtt"].split(".", 1)
            )
            kind, physical = context["resources"][logical]
            if kind == NESTED and attribute.startswith("Outputs."):
                return self._find("", physical).outputs.get(attribute.split(".", 1)[1], f"pending:{attribute}")
            return f"arn:aws:fake:{self.region}:{ACCOUNT}:{physical}/{attribute}"
        if "Fn::Sub" in value:
            text, names = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            known = pseudo | context["parameters"] | {k: self._resolve(v, context) for k, v in names.items()}
            return re.sub(
                r"\$\{([^}!]+)\}",
                lambda m: str(known.get(m.group(1), context["resources"].get(m.group(1), ("", m.group(0)))[1])),
                text,
            )
        if "Fn::ImportValue" in value:
            return self._export_value(str(self._resolve(value["Fn::ImportValue"], context)))
        if "Fn::Join" in value:
            separator, items = value["Fn::Join"]
            return separator.join(str(item) for item in self._resolve(items, context))
        return value

    # --- bookkeeping ------------------------------------------------------------------------------

    def _new_stack(self, name: str, status: str) -> FakeStack:
        stack = FakeStack(
            name,
            f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{name}/{next(self._ids):08x}",
            status,
            self.cloud.clock.now(),
        )
        self.stacks.append(stack)
        return stack

    def _apply(self, stack: FakeStack, final: _Final, status: str) -> None:
        stack.template, stack.parameters, stack.tags = final.template, final.parameters, final.tags
        stack.resources = final.resources
        for logical, (kind, physical) in final.resources.items():
            if kind == "AWS::S3::Bucket":
                properties = final.template["Resources"][logical].get("Properties", {})
                self.cloud.s3.make_bucket(physical, object_lock=bool(properties.get("ObjectLockEnabled")))
            if kind == "AWS::ECR::Repository":
                self.cloud.ecr(self.region).make_repository(physical)
        context = {"parameters": final.parameters, "resources": final.resources, "stack": stack}
        stack.outputs = {
            name: str(self._resolve(out["Value"], context)) for name, out in final.template.get("Outputs", {}).items()
        }
        stack.status = status

    def _begin(self, stack: FakeStack, status: str, reason: str | None) -> None:
        self._set(stack, status, reason)

    def _set(self, stack: FakeStack, status: str, reason: str | None) -> None:
        stack.status, stack.reason = status, reason
        self._event(stack, stack.name, NESTED, status, reason, stack.stack_id)

    def _end(self, stack: FakeStack, status: str, reason: str | None) -> None:
        self._set(stack, status, reason)
        if status == "DELETE_COMPLETE":
            stack.deleted = True

    def _event(self, stack: FakeStack, logical: str, kind: str, status: str, reason: str | None, physical: str) -> None:
        # Each event a microsecond after the last at least, so the order is the order they happened.
        self._last_event = max(self._step_time or self.cloud.clock.now(), self._last_event + timedelta(microseconds=1))
        event = {
            "StackId": stack.stack_id,
            "EventId": f"{stack.name}-{next(self._ids)}",
            "StackName": stack.name,
            "LogicalResourceId": logical,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "Timestamp": self._last_event,
            "ResourceStatus": status,
        }
        stack.events.append(event | ({"ResourceStatusReason": reason} if reason else {}))

    def _at(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` `seconds` from now (at once when 0), as the clock passes."""
        self._later(seconds, action)

    def _later(self, seconds: float, action: Callable[[], None]) -> None:
        if seconds <= 0 and self._step_time is None:
            action()
            return
        when = (self._step_time or self.cloud.clock.now()) + timedelta(seconds=max(seconds, 0))
        heapq.heappush(self._steps, (when, next(self._ids), action))

    def _failure(self, stack: FakeStack, logical: str) -> str | None:
        failing = self.cloud.faults.failing
        return failing.get(f"{stack.name}/{logical}") or failing.get(logical)

    def _active(self, name: str) -> FakeStack | None:
        return next((stack for stack in self.stacks if stack.name == name and not stack.deleted), None)

    def _live(self) -> list[FakeStack]:
        return [stack for stack in self.stacks if not stack.deleted and stack.status != "REVIEW_IN_PROGRESS"]

    def _find(self, operation: str, name_or_id: str) -> FakeStack:
        if name_or_id.startswith("arn:"):
            found = next((stack for stack in self.stacks if stack.stack_id == name_or_id), None)
        else:
            found = self._active(name_or_id)
        if found is None:
            raise aws_error(operation, "ValidationError", f"Stack with id {name_or_id} does not exist")
        return found

    def _target_of_change_set(self, name: str, kind: str) -> FakeStack:
        stack = self._active(name)
        if kind == "CREATE":
            if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
                raise aws_error("CreateChangeSet", "AlreadyExistsException", f"Stack [{name}] already exists")
            return stack or self._new_stack(name, "REVIEW_IN_PROGRESS")
        if stack is None:
            raise aws_error("CreateChangeSet", "ValidationError", f"Stack [{name}] does not exist")
        if stack.status.endswith("_IN_PROGRESS") or stack.status in (
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "DELETE_FAILED",
        ):
            raise aws_error(
                "CreateChangeSet",
                "ValidationError",
                f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
            )
        return stack

    def _change_set(self, operation: str, name: str) -> FakeChangeSet:
        found = next((cs for cs in self._all_change_sets if name in (cs.change_set_id, cs.name)), None)
        if found is None:
            raise aws_error(operation, "ChangeSetNotFound", f"ChangeSet [{name}] does not exist")
        return found

    def _template(self, params: dict[str, Any]) -> dict[str, Any]:
        if "TemplateBody" in params:
            return dict(json.loads(params["TemplateBody"]))
        match = re.fullmatch(r"https://([^.]+(?:\.[^.]+)*?)\.s3\.[^/]+\.amazonaws\.com/(.+)", params["TemplateURL"])
        assert match, params["TemplateURL"]
        body = self.cloud.s3.body(match.group(1), match.group(2))
        assert body is not None, f"no template at {params['TemplateURL']}"
        return dict(json.loads(body))

    @staticmethod
    def _parameters(template: dict[str, Any], passed: dict[str, str]) -> dict[str, str]:
        defaults = {k: str(v["Default"]) for k, v in template.get("Parameters", {}).items() if "Default" in v}
        return defaults | passed

    def _differs(self, stack: FakeStack, logical: str, spec: dict[str, Any], parameters: dict[str, str]) -> bool:
        """Whether the resource changes: its definition, or a parameter it refers to."""
        if stack.template.get("Resources", {}).get(logical) != spec or logical not in stack.resources:
            return True
        changed = {name for name, value in parameters.items() if stack.parameters.get(name) != value}
        return any(f'{{"Ref": "{name}"}}' in json.dumps(spec) for name in changed)

    def _changes(self, stack: FakeStack, template: dict[str, Any], parameters: dict[str, str]) -> list[dict[str, Any]]:
        old = {
            logical: spec for logical, spec in stack.template.get("Resources", {}).items() if logical in stack.resources
        }
        new = {
            logical: spec
            for logical, spec in template.get("Resources", {}).items()
            if _holds(template, spec.get("Condition"), parameters)
        }
        found = []
        for logical, spec in new.items():
            if logical not in old:
                found.append(self._change("Add", logical, spec["Type"], ""))
            elif self._differs(stack, logical, spec, parameters):
                found.append(
                    self._change("Modify", logical, spec["Type"], self.cloud.faults.replacements.get(logical, "False"))
                )
        found += [
            self._change("Remove", logical, spec["Type"], "") for logical, spec in old.items() if logical not in new
        ]
        return found

    @staticmethod
    def _change(action: str, logical: str, kind: str, replacement: str) -> dict[str, Any]:
        change = {"Action": action, "LogicalResourceId": logical, "ResourceType": kind}
        return {"Type": "Resource", "ResourceChange": change | ({"Replacement": replacement} if replacement else {})}

    @staticmethod
    def _exports_of(stack: FakeStack) -> dict[str, str]:
        return {
            output["Export"]["Name"]: name
            for name, output in stack.template.get("Outputs", {}).items()
            if isinstance(output.get("Export", {}).get("Name"), str)
        }

    def _export_value(self, export: str) -> str:
        for stack in self._live():
            if export in self._exports_of(stack):
                return stack.outputs.get(self._exports_of(stack)[export], "")
        raise aws_error("ExecuteChangeSet", "ValidationError", f"No export named {export} found")

    def _importers(self, export: str) -> list[str]:
        return sorted(
            stack.name
            for stack in self._live()
            if export in json.dumps(stack.template) and _imports(stack.template, export)
        )

    def _imported_from_outside(self, stack: FakeStack) -> tuple[str, list[str]] | None:
        for export in self._exports_of(stack):
            importers = [name for name in self._importers(export) if name != stack.name]
            if importers:
                return export, importers
        return None


def _imports(value: Any, export: str) -> bool:
    if isinstance(value, dict):
        return value.get("Fn::ImportValue") == export or any(_imports(inner, export) for inner in value.values())
    if isinstance(value, list):
        return any(_imports(inner, export) for inner in value)
    return False


def _holds(template: dict[str, Any], condition: str | None, parameters: dict[str, str]) -> bool:
    """A resource's Condition, for the one shape the fault matrix uses: Fn::Equals of a parameter and a value."""
    if condition is None:
        return True
    left, right = template["Conditions"][condition]["Fn::Equals"]
    return str(parameters.get(left["Ref"]) if isinstance(left, dict) else left) == str(right)
