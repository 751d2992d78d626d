"""The fault matrix's CloudFormation bookkeeping: stacks by name or id, events, the clock's queue
of steps, change-set contents, exports and their importers. Mixed into FakeCloudFormation
(tests/faults/fake_cloudformation.py), whose state it reads."""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.faults.answers import ACCOUNT, aws_error
from tests.faults.fake_records import NESTED, FakeChangeSet, FakeStack, FinalState, holds, imports_export

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud


class StackBookkeeping:
    cloud: FakeCloud
    region: str
    stacks: list[FakeStack]
    _all_change_sets: list[FakeChangeSet]
    _steps: list[tuple[datetime, int, Callable[[], None]]]
    _step_time: datetime | None
    _last_event: datetime

    def _new_stack(self, name: str, status: str) -> FakeStack:
        stack = FakeStack(
            name,
            f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{name}/{next(self._ids):08x}",
            status,
            self.cloud.clock.now(),
        )
        self.stacks.append(stack)
        return stack

    def _apply(self, stack: FakeStack, final: FinalState, status: str) -> None:
        stack.template, stack.parameters, stack.tags = final.template, final.parameters, final.tags
        stack.resolved = final.resolved
        stack.resources = final.resources
        for logical, (kind, physical) in final.resources.items():
            if kind == "AWS::S3::Bucket":
                properties = final.template["Resources"][logical].get("Properties", {})
                self.cloud.s3.make_bucket(physical, object_lock=bool(properties.get("ObjectLockEnabled")))
            if kind == "AWS::ECR::Repository":
                self.cloud.ecr(self.region).make_repository(physical)
            name = self._name_of(stack, final.template["Resources"][logical], final.values)
            if name:
                self.cloud.named.claim(kind, name, physical, stack.stack_id)
        context = {"parameters": final.values, "resources": final.resources, "stack": stack}
        stack.outputs = {
            name: str(self._resolve(out["Value"], context)) for name, out in final.template.get("Outputs", {}).items()
        }
        stack.status = status

    def _begin(self, stack: FakeStack, status: str, reason: str | None) -> None:
        self._set(stack, status, reason)

    def _set(self, stack: FakeStack, status: str, reason: str | None) -> None:
        stack.status, stack.reason = status, reason
        if status == "UPDATE_IN_PROGRESS":  # DescribeStacks' LastUpdatedTime: set by every update, whoever runs it
            stack.updated = self._step_time or self.cloud.clock.now()
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
        if kind in ("CREATE", "IMPORT") and (stack is None or stack.status == "REVIEW_IN_PROGRESS"):
            return stack or self._new_stack(name, "REVIEW_IN_PROGRESS")
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
        match = re.fullmatch(
            r"https://([^.]+(?:\.[^.]+)*?)\.s3\.[^/]+\.amazonaws\.com(?:\.cn)?/(.+)", params["TemplateURL"]
        )
        assert match, params["TemplateURL"]
        body = self.cloud.s3.body(match.group(1), match.group(2))
        assert body is not None, f"no template at {params['TemplateURL']}"
        return dict(json.loads(body))

    @staticmethod
    def _parameters(template: dict[str, Any], passed: dict[str, str]) -> dict[str, str]:
        defaults = {k: str(v["Default"]) for k, v in template.get("Parameters", {}).items() if "Default" in v}
        return defaults | passed

    def _resolved_parameters(self, template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
        """SSM parameter types resolved from Parameter Store now (a `name:version` to that version)."""
        resolved = {}
        for name, spec in template.get("Parameters", {}).items():
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<") and name in parameters:
                value = self.cloud.ssm.resolve(parameters[name])
                if value is None:
                    raise aws_error(
                        "CreateChangeSet",
                        "ValidationError",
                        f"Unable to fetch parameters [{parameters[name]}] from parameter store for this account.",
                    )
                resolved[name] = value
        return resolved

    def _differs(self, stack: FakeStack, logical: str, spec: dict[str, Any], values: dict[str, str]) -> bool:
        """Whether the resource changes: its definition, or the value of a parameter it refers to."""
        if stack.template.get("Resources", {}).get(logical) != spec or logical not in stack.resources:
            return True
        changed = {name for name, value in values.items() if stack.values.get(name) != value}
        return any(f'{{"Ref": "{name}"}}' in json.dumps(spec) for name in changed)

    def _nested_parameters(self, spec: dict[str, Any], context: dict[str, Any]) -> dict[str, str]:
        """A nested stack resource's Parameters, resolved in its parent's context."""
        passed = spec["Properties"].get("Parameters", {})
        return {key: str(self._resolve(value, context)) for key, value in passed.items()}

    def _changes(
        self, stack: FakeStack, template: dict[str, Any], values: dict[str, str], nested: str = ""
    ) -> list[dict[str, Any]]:
        """The ResourceChanges of an update of `stack` (`nested`: its logical id in its parent, for a nested
        stack, whose replacements the faults key as `Nested/Logical`)."""
        old = {
            logical: spec for logical, spec in stack.template.get("Resources", {}).items() if logical in stack.resources
        }
        new = {
            logical: spec
            for logical, spec in template.get("Resources", {}).items()
            if holds(template, spec.get("Condition"), values)
        }
        replacements = self.cloud.faults.replacements
        found = []
        for logical, spec in new.items():
            if logical not in old:
                found.append(self._change("Add", logical, spec, ""))
            elif self._differs(stack, logical, spec, values):
                replacement = replacements.get(f"{nested}/{logical}" if nested else logical, "False")
                found.append(self._change("Modify", logical, spec, replacement))
        found += [self._change("Remove", logical, spec, "") for logical, spec in old.items() if logical not in new]
        return found

    def _change(self, action: str, logical: str, spec: dict[str, Any], replacement: str) -> dict[str, Any]:
        """A ResourceChange; PolicyAction from the template's DeletionPolicy (a removal) or UpdateReplacePolicy
        (a replacement), Delete by default (DescribeChangeSet API reference, ResourceChange)."""
        action = self.cloud.faults.actions.get(logical, action)
        change = {"Action": action, "LogicalResourceId": logical, "ResourceType": spec["Type"]}
        if replacement:
            change["Replacement"] = replacement
        if action == "Remove":
            change["PolicyAction"] = spec.get("DeletionPolicy", "Delete")
        elif replacement in ("True", "Conditional"):
            change["PolicyAction"] = "ReplaceAnd" + spec.get("UpdateReplacePolicy", "Delete")
        return {"Type": "Resource", "ResourceChange": change}

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
            if export in json.dumps(stack.template) and imports_export(stack.template, export)
        )

    def _imported_from_outside(self, stack: FakeStack) -> tuple[str, list[str]] | None:
        for export in self._exports_of(stack):
            importers = [name for name in self._importers(export) if name != stack.name]
            if importers:
                return export, importers
        return None
