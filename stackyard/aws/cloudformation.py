"""CloudFormation calls, in three capabilities, so code that must not change stacks cannot.

- StackReader reads: stacks, templates, change sets, events, resources, exports and imports.
- ChangeSetProposer also creates change sets and deletes its own proposals: what a plan may do.
- StackWriter also executes change sets, deletes stacks and continues rollbacks: only the
  appliers of a deploy or delete hold one (docs/deploy.md, "What a plan shows").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stackyard.aws.errors import AwsError, stack_missing, translated
from stackyard.aws.records import (
    ChangeSet,
    ChangeSetSummary,
    DeployedStack,
    Export,
    ResourceChange,
    StackEvent,
    StackResource,
)

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass(frozen=True)
class ChangeSetOptions:
    """How a change set is made besides its template, parameters and tags."""

    import_existing: bool = False  # ImportExistingResources: adopt existing resources the template names
    delete_on_failure: bool = False  # a CREATE whose stack fails is deleted (OnStackFailure DELETE)
    resources_to_import: tuple[dict[str, Any], ...] = ()  # an IMPORT change set's resources

    def arguments(self, kind: str) -> dict[str, Any]:
        if kind == "IMPORT":  # imports only what it names; nested stacks are not imported this way
            return {"ResourcesToImport": list(self.resources_to_import)}
        found: dict[str, Any] = {"IncludeNestedStacks": True}
        if self.import_existing:
            found["ImportExistingResources"] = True
        if self.delete_on_failure and kind == "CREATE":
            found["OnStackFailure"] = "DELETE"
        return found


class StackReader:
    def __init__(self, client: Any):
        self.client = client

    def describe(self, stack: str) -> DeployedStack | None:
        """The stack by name or id; None when it does not exist (a deleted stack's name no longer resolves)."""
        try:
            with translated(f"describing stack {stack}"):
                found = self.client.describe_stacks(StackName=stack)["Stacks"][0]
        except AwsError as error:
            if stack_missing(error):
                return None
            raise
        return DeployedStack(
            name=found["StackName"],
            stack_id=found["StackId"],
            status=found["StackStatus"],
            status_reason=found.get("StackStatusReason"),
            # ParameterValue as given (an SSM parameter's path, not its ResolvedValue), to compare with ours
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])},
            tags={tag["Key"]: tag["Value"] for tag in found.get("Tags", [])},
            outputs={output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs", [])},
            termination_protection=bool(found.get("EnableTerminationProtection")),
            resolved={
                p["ParameterKey"]: p["ResolvedValue"] for p in found.get("Parameters", []) if "ResolvedValue" in p
            },
            updated_at=_time(found.get("LastUpdatedTime") or found.get("CreationTime")),
            created_at=_time(found.get("CreationTime")),
        )

    def template(self, stack: str) -> dict[str, Any]:
        with translated(f"reading the template of stack {stack}"):
            body = self.client.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        return json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))

    def change_set(self, change_set_id: str, nested_in: str = "") -> ChangeSet:
        """The change set with every change, including those inside its nested stacks' change sets."""
        with translated("reading a change set"):
            pages = list(self.client.get_paginator("describe_change_set").paginate(ChangeSetName=change_set_id))
        first = pages[0]
        changes = []
        for page in pages:
            for change in page.get("Changes", []):
                resource = change.get("ResourceChange", {})
                changes.append(_resource_change(resource, nested_in))
                if resource.get("ChangeSetId") and first["Status"] == "CREATE_COMPLETE":
                    changes += self.change_set(resource["ChangeSetId"], resource["LogicalResourceId"]).changes
        return ChangeSet(
            first["ChangeSetId"],
            first["Status"],
            first.get("StatusReason"),
            first.get("ExecutionStatus", ""),
            changes,
            first.get("StackId", ""),
        )

    def change_sets(self, stack: str) -> list[ChangeSetSummary]:
        """Every change set of the stack (none when the stack does not exist)."""
        try:
            with translated(f"listing the change sets of stack {stack}"):
                pages = list(self.client.get_paginator("list_change_sets").paginate(StackName=stack))
        except AwsError as error:
            if stack_missing(error):
                return []
            raise
        return [
            ChangeSetSummary(
                item["ChangeSetId"],
                item["ChangeSetName"],
                item.get("Status", ""),
                item.get("ExecutionStatus", ""),
                item["CreationTime"],
            )
            for page in pages
            for item in page.get("Summaries", [])
        ]

    def events(self, stack: str, after: datetime) -> list[StackEvent]:
        """The stack's events since `after`, oldest first (reads back only as far as needed)."""
        return self.events_since(stack, after, None)[0]

    def events_since(self, stack: str, after: datetime, last_seen: str | None) -> tuple[list[StackEvent], str | None]:
        """The stack's events newer than the event `last_seen` (by id), or, before any was seen, newer
        than `after`; oldest first, with the id to pass as `last_seen` next time.

        CloudFormation answers newest first, a page at a time, so this reads only the pages holding new
        events (one, between two polls), however many the operation has made. Once an id is known,
        timestamps no longer decide, so a local clock ahead of AWS's hides no event after the first read.
        """
        found: list[StackEvent] = []
        newest: str | None = None
        with translated(f"reading the events of stack {stack}"):
            for page in self.client.get_paginator("describe_stack_events").paginate(StackName=stack):
                for event in page["StackEvents"]:
                    newest = newest or event["EventId"]
                    if event["EventId"] == last_seen or (last_seen is None and event["Timestamp"] <= after):
                        return found[::-1], newest
                    found.append(_event(event))
        return found[::-1], newest or last_seen

    def resources(self, stack: str) -> list[StackResource]:
        with translated(f"listing the resources of stack {stack}"):
            pages = self.client.get_paginator("list_stack_resources").paginate(StackName=stack)
            return [
                StackResource(
                    item["LogicalResourceId"],
                    item["ResourceType"],
                    item.get("PhysicalResourceId", ""),
                    item.get("ResourceStatus", ""),
                    item.get("ResourceStatusReason"),
                )
                for page in pages
                for item in page["StackResourceSummaries"]
            ]

    def importers(self, export: str) -> list[str]:
        """Names of the stacks importing `export` (none when nobody does)."""
        try:
            with translated(f"listing the importers of export {export}"):
                pages = self.client.get_paginator("list_imports").paginate(ExportName=export)
                return sorted({name for page in pages for name in page.get("Imports", [])})
        except AwsError as error:
            if "is not imported by any stack" in error.aws_message:
                return []
            raise

    def exports(self) -> list[Export]:
        """Every export of the region, with the stack that exports it."""
        with translated("listing the exports"):
            pages = self.client.get_paginator("list_exports").paginate()
            return [
                Export(item["Name"], item.get("Value", ""), item.get("ExportingStackId", ""))
                for page in pages
                for item in page.get("Exports", [])
            ]


class ChangeSetProposer(StackReader):
    """Proposes changes and withdraws its own proposals; executes nothing."""

    def create_change_set(
        self,
        stack: str,
        name: str,
        kind: str,
        template: dict[str, str],
        parameters: dict[str, str],
        tags: dict[str, str],
        description: str,
        options: ChangeSetOptions | None = None,
        **guards: Any,
    ) -> str:
        """`template` is {"TemplateBody": ...} or {"TemplateURL": ...}; returns the change set id. `guards`: RoleARN,
        RollbackConfiguration, OnStackFailure (stackyard/deploy/guards/hooks.py); a --no-rollback create's
        OnStackFailure DO_NOTHING wins over the DELETE a first create otherwise gets."""
        extra = {**(options or ChangeSetOptions()).arguments(kind), **guards}
        with translated(f"creating a change set for stack {stack}"):
            return str(
                self.client.create_change_set(
                    StackName=stack,
                    ChangeSetName=name,
                    ChangeSetType=kind,
                    Description=description,
                    Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
                    Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
                    Capabilities=CAPABILITIES,
                    **extra,
                    **template,
                )["Id"]
            )

    def delete_change_set(self, change_set_id: str) -> None:
        with translated("deleting a change set"):
            self.client.delete_change_set(ChangeSetName=change_set_id)

    def delete_review_stack(self, stack_id: str, token: str) -> None:
        """Delete a REVIEW_IN_PROGRESS stack this run's CREATE change set made: it holds no resources."""
        with translated(f"deleting the empty stack {stack_id} a change set created"):
            self.client.delete_stack(StackName=stack_id, ClientRequestToken=token)


class StackWriter(ChangeSetProposer):
    """Changes stacks: only a deploy's or a delete's applier holds one."""

    def execute_change_set(self, change_set_id: str, token: str, **guards: Any) -> None:
        """`guards`: DisableRollback, for --no-rollback (stackyard/deploy/guards/no_rollback.py)."""
        with translated("executing a change set"):
            self.client.execute_change_set(ChangeSetName=change_set_id, ClientRequestToken=token, **guards)

    def delete_stack(
        self, stack: str, token: str, retain: list[str] | None = None, role_arn: str | None = None
    ) -> None:
        with translated(f"deleting stack {stack}"):
            self.client.delete_stack(
                StackName=stack,
                ClientRequestToken=token,
                **({"RetainResources": retain} if retain else {}),
                **({"RoleARN": role_arn} if role_arn else {}),
            )

    def continue_update_rollback(
        self, stack: str, token: str, skip: list[str] | None = None, role_arn: str | None = None
    ) -> None:
        """`skip`: ResourcesToSkip, as `LogicalId` or `<nested stack name>.LogicalId`."""
        with translated(f"continuing the update rollback of stack {stack}"):
            self.client.continue_update_rollback(
                StackName=stack,
                ClientRequestToken=token,
                **({"ResourcesToSkip": skip} if skip else {}),
                **({"RoleARN": role_arn} if role_arn else {}),
            )

    def set_termination_protection(self, stack: str, enabled: bool) -> None:
        with translated(f"setting termination protection on stack {stack}"):
            self.client.update_termination_protection(StackName=stack, EnableTerminationProtection=enabled)


def _time(value: Any) -> str:
    """A DescribeStacks time as ISO 8601 (botocore parses it into a datetime)."""
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def _resource_change(resource: dict[str, Any], nested_in: str) -> ResourceChange:
    return ResourceChange(
        action=resource.get("Action", ""),
        logical_id=resource.get("LogicalResourceId", ""),
        resource_type=resource.get("ResourceType", ""),
        replacement=resource.get("Replacement", ""),
        nested_in=nested_in,
        policy_action=resource.get("PolicyAction", ""),
    )


def _event(event: dict[str, Any]) -> StackEvent:
    return StackEvent(
        event["EventId"],
        event["Timestamp"],
        event["LogicalResourceId"],
        event["ResourceType"],
        event["ResourceStatus"],
        event.get("ResourceStatusReason"),
        event.get("PhysicalResourceId", ""),
    )
