"""How the fault matrix's CloudFormation plays an operation out: creates and updates (nested stacks
inside their parent's steps), rollbacks, deletes, and the values a template's outputs resolve to.
Mixed into FakeCloudFormation (tests/faults/fake_cloudformation.py), whose state it reads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.faults.answers import ACCOUNT
from tests.faults.fake_account import NAME_PROPERTIES, queue_url, secret_arn
from tests.faults.fake_records import NESTED, NO_CHANGES, STEP, FakeChangeSet, FakeStack, FinalState, holds

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud


class StackOperations:
    cloud: FakeCloud
    region: str
    stacks: list[FakeStack]
    _all_change_sets: list[FakeChangeSet]

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
        resolved: dict[str, str] | None = None,
        offset: float = 0.0,
        imports: dict[str, str] | None = None,
        on_failure: str = "ROLLBACK",
    ) -> float:
        """Create, update or import into `stack` (its nested stacks too), starting `offset` seconds from now
        (a nested stack runs inside its parent's step); `imports`: logical id -> the existing resource it
        adopts. Returns the virtual seconds it takes."""
        verb = (
            "CREATE" if kind == "CREATE" or stack.status in ("REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS") else "UPDATE"
        )
        verb = "IMPORT" if kind == "IMPORT" else verb
        imports = imports or {}
        self._at(offset, lambda: self._begin(stack, f"{verb}_IN_PROGRESS", "User Initiated"))
        final = self._final(stack, template, parameters, tags, resolved or {}, imports)
        elapsed = offset
        for logical, spec in template.get("Resources", {}).items():
            if logical not in final.resources or not self._differs(stack, logical, spec, final.values):
                continue
            elapsed += STEP
            kind_, physical = final.resources[logical]
            self._at(
                elapsed,
                lambda lid=logical, k=kind_, p=physical: self._event(stack, lid, k, f"{verb}_IN_PROGRESS", None, p),
            )
            failure = self._failure(stack, logical)
            if logical not in stack.resources and logical not in imports:
                failure = failure or self._already_exists(stack, spec, final)
            if kind_ == NESTED:
                context = {"parameters": final.values, "resources": final.resources, "stack": stack}
                child_seconds, failure = self._run_nested(self._find("", physical), spec, elapsed, context)
                elapsed += child_seconds
            elapsed += STEP + self.cloud.faults.waits.get(logical, 0.0)
            if failure:
                self._at(
                    elapsed,
                    lambda lid=logical, k=kind_, p=physical, r=failure: self._event(
                        stack, lid, k, f"{verb}_FAILED", r, p
                    ),
                )
                return elapsed - offset + self._roll_back(stack, verb, logical, elapsed, template, on_failure)
            self._at(
                elapsed,
                lambda lid=logical, k=kind_, p=physical: self._event(stack, lid, k, f"{verb}_COMPLETE", None, p),
            )
        elapsed += STEP
        self._at(
            elapsed, lambda: (self._apply(stack, final, f"{verb}_COMPLETE"), self._end(stack, f"{verb}_COMPLETE", None))
        )
        return elapsed - offset

    def _run_nested(
        self, child: FakeStack, spec: dict[str, Any], offset: float, context: dict[str, Any]
    ) -> tuple[float, str | None]:
        template = self._template({"TemplateURL": spec["Properties"]["TemplateURL"]})
        parameters = self._nested_parameters(spec, context)
        failing = next((logical for logical in template.get("Resources", {}) if self._failure(child, logical)), None)
        kind = "CREATE" if child.status == "CREATE_IN_PROGRESS" else "UPDATE"
        seconds = self._run(child, kind, template, parameters, {}, None, offset)
        if failing:
            return seconds, (
                f"Embedded stack {child.stack_id} was not successfully created: The following resource(s) failed to "
                f"create: [{failing}]. "
            )
        return seconds, None

    def _already_exists(self, stack: FakeStack, spec: dict[str, Any], final: FinalState) -> str | None:
        """A resource's create fails when its name is taken: by another stack's, or one a delete kept."""
        name = self._name_of(stack, spec, final.values)
        if name and self.cloud.named.lookup(spec["Type"], name):
            return f"Resource of type '{spec['Type']}' with identifier '{name}' already exists."
        return None

    def _name_of(self, stack: FakeStack, spec: dict[str, Any], values: dict[str, str]) -> str | None:
        name_property = NAME_PROPERTIES.get(spec["Type"])
        value = spec.get("Properties", {}).get(name_property) if name_property else None
        context = {"parameters": values, "resources": {}, "stack": stack}
        return str(self._resolve(value, context)) if value is not None else None

    def _roll_back(
        self, stack: FakeStack, verb: str, logical: str, at: float, template: dict[str, Any], on_failure: str
    ) -> float:
        failed = {"CREATE": "create", "IMPORT": "import"}.get(verb, "update")
        reason = f"The following resource(s) failed to {failed}: [{logical}]. "
        if verb == "CREATE" and on_failure == "DELETE":  # OnStackFailure DELETE: the failed create goes whole
            self._at(
                at + STEP, lambda: self._set(stack, "ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            )
            self._at(at + 2 * STEP, lambda: self._set(stack, "DELETE_IN_PROGRESS", None))
            self._at(
                at + 3 * STEP,
                lambda: (setattr(stack, "resources", {}), self._end(stack, "DELETE_COMPLETE", None)),
            )
            return 3 * STEP
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
            spec = stack.template.get("Resources", {}).get(logical, {"Type": kind})
            name = self._name_of(stack, spec, stack.values)
            if name:
                kept = policy in ("Retain", "RetainExceptOnCreate")
                self._at(elapsed, lambda k=kind, n=name, r=kept: self.cloud.named.release(k, n, r))
            done = "DELETE_SKIPPED" if policy in ("Retain", "RetainExceptOnCreate") else "DELETE_COMPLETE"
            self._at(elapsed, lambda lid=logical, k=kind, p=physical, s=done: self._event(stack, lid, k, s, None, p))
        elapsed += STEP
        self._at(elapsed, lambda: (setattr(stack, "resources", {}), self._end(stack, "DELETE_COMPLETE", None)))
        return elapsed

    def _final(
        self,
        stack: FakeStack,
        template: dict[str, Any],
        parameters: dict[str, str],
        tags: dict[str, str],
        resolved: dict[str, str] | None = None,
        imports: dict[str, str] | None = None,
    ) -> FinalState:
        resources: dict[str, tuple[str, str]] = {}
        values = parameters | (resolved or {})
        for logical, spec in template.get("Resources", {}).items():
            if not holds(template, spec.get("Condition"), values):
                continue
            kind = spec["Type"]
            physical = (
                stack.resources.get(logical, (kind, ""))[1]
                or (imports or {}).get(logical)
                or self._physical(stack, logical, spec, values)
            )
            resources[logical] = (kind, physical)
        return FinalState(template, parameters, tags, resources, resolved or {})

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
        if kind == "AWS::ECR::Repository":
            return str(self._resolve(properties.get("RepositoryName", f"{stack.name}-{logical.lower()}"), context))
        if kind == NESTED:
            child = self._new_stack(f"{stack.name}-{logical}-{next(self._ids):04X}", "CREATE_IN_PROGRESS")
            return child.stack_id
        if kind == "AWS::SecretsManager::Secret":
            return secret_arn(
                self.region, str(self._resolve(properties.get("Name", f"{stack.name}-{logical}"), context))
            )
        if kind == "AWS::SQS::Queue":
            name = self._resolve(properties.get("QueueName", f"{stack.name}-{logical}-{next(self._ids)}"), context)
            return queue_url(self.region, str(name))
        name = self._name_of(stack, spec, parameters)
        return name or f"{logical.lower()}-{next(self._ids):08x}"

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
