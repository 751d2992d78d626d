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

This module answers the API; how operations play out is in fake_operations.py, the bookkeeping
(stacks, events, steps, change-set contents, exports) in fake_bookkeeping.py, the records in
fake_records.py.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from tests.faults.answers import ACCOUNT, aws_error
from tests.faults.fake_bookkeeping import StackBookkeeping
from tests.faults.fake_import import ImportPlay
from tests.faults.fake_operations import StackOperations
from tests.faults.fake_records import NESTED, STEP, FakeChangeSet, FakeStack
from tests.faults.fake_rollback import RollbackPlay

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud


class FakeCloudFormation(ImportPlay, RollbackPlay, StackOperations, StackBookkeeping):
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
        if status == "UPDATE_IN_PROGRESS":
            stack.updated = self.cloud.clock.now()
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
                | ({"ResolvedValue": stack.resolved[key]} if key in stack.resolved else {})
                for key, value in sorted(stack.parameters.items())
            ],
            "Tags": [{"Key": key, "Value": value} for key, value in stack.tags.items()],
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in stack.outputs.items()],
            "EnableTerminationProtection": stack.termination_protection,
        }
        described |= {"LastUpdatedTime": stack.updated} if stack.updated else {}
        return {"Stacks": [described | ({"StackStatusReason": stack.reason} if stack.reason else {})]}

    def get_template(self, StackName: str, **_: Any) -> dict[str, Any]:
        return {"TemplateBody": json.dumps(self._find("GetTemplate", StackName).template)}

    def describe_stack_events(self, StackName: str, **_: Any) -> dict[str, Any]:
        now = self.cloud.clock.now()
        shown = [event for event in self._find("DescribeStackEvents", StackName).events if event["Timestamp"] <= now]
        return {"StackEvents": sorted(shown, key=lambda event: event["Timestamp"], reverse=True)}

    def list_stack_resources(self, StackName: str, **_: Any) -> dict[str, Any]:
        stack = self._find("ListStackResources", StackName)
        listed = {
            logical: (kind, physical, *stack.resource_status.get(logical, ("CREATE_COMPLETE", None)))
            for logical, (kind, physical) in stack.resources.items()
        }
        if stack.status.endswith("_IN_PROGRESS"):  # resources of the running operation, as their events show them
            now = self.cloud.clock.now()
            for event in stack.events:
                if event["Timestamp"] <= now and event["PhysicalResourceId"] not in ("", stack.stack_id):
                    listed[event["LogicalResourceId"]] = (
                        event["ResourceType"],
                        event["PhysicalResourceId"],
                        event["ResourceStatus"],
                        None,
                    )
        summaries = []
        for logical, (kind, physical, status, reason) in listed.items():
            summary = {
                "LogicalResourceId": logical,
                "PhysicalResourceId": physical,
                "ResourceType": kind,
                "ResourceStatus": status,
                "LastUpdatedTimestamp": stack.created,
            }
            summaries.append(summary | ({"ResourceStatusReason": reason} if reason else {}))
        return {"StackResourceSummaries": summaries}

    def create_change_set(
        self, StackName: str, ChangeSetName: str, ChangeSetType: str = "UPDATE", **params: Any
    ) -> dict[str, Any]:
        template = self._template(params)
        imports = {}
        if ChangeSetType == "IMPORT" and self.cloud.faults.no_import_into_new_stacks and not self._active(StackName):
            raise aws_error("CreateChangeSet", "ValidationError", f"Stack '{StackName}' does not exist.")
        if ChangeSetType == "IMPORT":  # checked before the (new) stack is made
            imports = self._imported(self._active(StackName), template, params.get("ResourcesToImport", []))
        stack = self._target_of_change_set(StackName, ChangeSetType)
        if any(change_set.name == ChangeSetName for change_set in self._change_sets(stack)):
            raise aws_error("CreateChangeSet", "AlreadyExistsException", f"ChangeSet [{ChangeSetName}] already exists")
        parameters = self._parameters(
            template, {p["ParameterKey"]: p["ParameterValue"] for p in params.get("Parameters", [])}
        )
        tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
        resolved = self._resolved_parameters(template, parameters)
        change_set = FakeChangeSet(
            f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:changeSet/{ChangeSetName}/{next(self._ids)}",
            ChangeSetName,
            stack,
            ChangeSetType,
            template,
            parameters,
            tags,
            self._import_changes(template, imports)
            if imports
            else self._changes(stack, template, parameters | resolved),
            self.cloud.clock.now(),
            resolved=resolved,
            imports=imports,
            on_failure=params.get("OnStackFailure", "ROLLBACK"),
        )
        self._all_change_sets.append(change_set)
        if params.get("ImportExistingResources"):
            self._auto_imports(change_set, parameters | resolved)
        if params.get("IncludeNestedStacks"):
            self._nested_change_sets(change_set, parameters | resolved)
        unchanged = (template, parameters, tags, resolved) == (
            stack.template,
            stack.parameters,
            stack.tags,
            stack.resolved,
        )
        self._later(STEP, lambda: setattr(change_set, "status", "CREATE_IN_PROGRESS"))
        self._later(2 * STEP, lambda: self._change_set_made(change_set, unchanged))
        return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    def _nested_change_sets(self, parent: FakeChangeSet, values: dict[str, str]) -> None:
        """IncludeNestedStacks: each nested stack the update modifies gets its own change set, named by the
        ChangeSetId of its resource change in the parent's (DescribeChangeSet API reference)."""
        stack = parent.stack
        context = {"parameters": values, "resources": stack.resources, "stack": stack}
        for entry in parent.changes:
            change = entry["ResourceChange"]
            if change["ResourceType"] != NESTED or change["Action"] != "Modify":
                continue
            spec = parent.template["Resources"][change["LogicalResourceId"]]
            child = self._find("", stack.resources[change["LogicalResourceId"]][1])
            template = self._template({"TemplateURL": spec["Properties"]["TemplateURL"]})
            parameters = self._parameters(template, self._nested_parameters(spec, context))
            nested = FakeChangeSet(
                f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:changeSet/{parent.name}-{child.name}/{next(self._ids)}",
                f"{parent.name}-{child.name}",
                child,
                "UPDATE",
                template,
                parameters,
                {},
                self._changes(child, template, parameters, change["LogicalResourceId"]),
                self.cloud.clock.now(),
                status="CREATE_COMPLETE",
            )
            change["ChangeSetId"] = nested.change_set_id
            parent.nested.append(nested)
            self._all_change_sets.append(nested)

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
        self._all_change_sets = [
            other for other in self._all_change_sets if other is not change_set and other not in change_set.nested
        ]
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
        self._all_change_sets = [
            other for other in self._all_change_sets if other.stack is not stack and other not in change_set.nested
        ]
        self._run(
            stack,
            change_set.kind,
            change_set.template,
            change_set.parameters,
            change_set.tags,
            change_set.resolved,
            imports=change_set.imports,
            on_failure=change_set.on_failure,
        )
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
