"""How the fault matrix's CloudFormation plays a failed update rollback and ContinueUpdateRollback.

As the CloudFormation User Guide ("Continue rolling back an update") and the ContinueUpdateRollback
API reference describe it: a stack whose rollback failed is UPDATE_ROLLBACK_FAILED, each resource
whose rollback failed UPDATE_FAILED with its reason (inside a nested stack: the nested stack's
resource in the parent UPDATE_FAILED, the nested stack UPDATE_ROLLBACK_FAILED, its resource
UPDATE_FAILED). ContinueUpdateRollback fails again while a resource keeps failing, unless
ResourcesToSkip names it (`LogicalId`, or `<nested stack name>.LogicalId`); a skipped resource
becomes UPDATE_COMPLETE. Naming a resource whose rollback did not fail is a ValidationError.
Mixed into FakeCloudFormation (tests/faults/fake_cloudformation.py).
"""

from __future__ import annotations

from typing import Any

from tests.faults.answers import aws_error
from tests.faults.fake_records import NESTED, STEP, FakeStack

CHANGED_OUTSIDE = "Resource handler returned message: the resource was changed outside CloudFormation"


class RollbackPlay:
    def fail_rollback(self, name: str, failing: dict[str, str], keeps_failing: bool = True) -> None:
        """Leave stack `name` UPDATE_ROLLBACK_FAILED: `failing` maps `Logical` or `Nested/Logical` to the
        reason its rollback failed; `keeps_failing`: ContinueUpdateRollback fails on them again."""
        stack = self.stack(name)
        top = sorted({key.split("/")[0] for key in failing})
        for key, reason in failing.items():
            self._mark_failed(stack, key, reason)
        stack.status, stack.reason = "UPDATE_ROLLBACK_FAILED", f"The following resource(s) failed to update: {top}."
        stack.rollback_blocked_by = {self._skip_name(stack, key) for key in failing} if keeps_failing else set()

    def continue_update_rollback(self, StackName: str, ResourcesToSkip: list[str] | None = None, **_: Any) -> Any:
        stack: FakeStack = self._find("ContinueUpdateRollback", StackName)
        if stack.status != "UPDATE_ROLLBACK_FAILED":
            raise aws_error(
                "ContinueUpdateRollback",
                "ValidationError",
                f"Stack {stack.stack_id} is in {stack.status} state and can not continue rollback",
            )
        skip = set(ResourcesToSkip or [])
        unknown = sorted(skip - self._failed_names(stack))
        if unknown:
            raise aws_error(
                "ContinueUpdateRollback",
                "ValidationError",
                f"Resources {unknown} can not be skipped: they are not in UPDATE_FAILED state after a failed rollback",
            )
        self._begin(stack, "UPDATE_ROLLBACK_IN_PROGRESS", None)
        left = sorted(stack.rollback_blocked_by - skip)
        if left:
            self._later(STEP, lambda: self._fail_again(stack, left))
        else:
            self._later(2 * STEP, lambda: self._rolled_back(stack))
        return {}

    def _mark_failed(self, stack: FakeStack, key: str, reason: str) -> None:
        nested, _, logical = key.rpartition("/")
        if not nested:
            stack.resource_status[logical] = ("UPDATE_FAILED", reason)
            return
        child = self._find("", stack.resources[nested][1])
        embedded = f"Embedded stack {child.stack_id} was not successfully updated. Currently in UPDATE_ROLLBACK_FAILED"
        stack.resource_status[nested] = ("UPDATE_FAILED", embedded)
        child.status = "UPDATE_ROLLBACK_FAILED"
        child.resource_status[logical] = ("UPDATE_FAILED", reason)

    def _skip_name(self, stack: FakeStack, key: str) -> str:
        nested, _, logical = key.rpartition("/")
        return f"{self._find('', stack.resources[nested][1]).name}.{logical}" if nested else logical

    def _failed_names(self, stack: FakeStack) -> set[str]:
        names = set()
        for logical, (status, _) in stack.resource_status.items():
            kind, physical = stack.resources[logical]
            if status != "UPDATE_FAILED":
                continue
            if kind != NESTED:
                names.add(logical)
                continue
            child = self._find("", physical)
            names |= {
                f"{child.name}.{inner}" for inner, (s, _) in child.resource_status.items() if s == "UPDATE_FAILED"
            }
        return names

    def _fail_again(self, stack: FakeStack, left: list[str]) -> None:
        for name in left:
            holder, _, logical = name.rpartition(".")
            target = self._active(holder) if holder else stack
            kind, physical = target.resources[logical]
            self._event(target, logical, kind, "UPDATE_FAILED", CHANGED_OUTSIDE, physical)
        failed = sorted({name.split(".")[-1] for name in left})
        self._later(
            STEP,
            lambda: self._end(
                stack, "UPDATE_ROLLBACK_FAILED", f"The following resource(s) failed to update: {failed}."
            ),
        )

    def _rolled_back(self, stack: FakeStack) -> None:
        for target in (
            stack,
            *(self._find("", physical) for kind, physical in stack.resources.values() if kind == NESTED),
        ):
            for logical, (status, _) in list(target.resource_status.items()):
                if status == "UPDATE_FAILED":
                    target.resource_status[logical] = ("UPDATE_COMPLETE", None)
            if target is not stack and target.status == "UPDATE_ROLLBACK_FAILED":
                target.status = "UPDATE_ROLLBACK_COMPLETE"
        stack.rollback_blocked_by = set()
        self._end(stack, "UPDATE_ROLLBACK_COMPLETE", None)
