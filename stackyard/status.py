"""CloudFormation stack and change-set statuses, classified by pure functions.

An unknown status is an error, never a success (aws-cdk-cli classifies the same way): a new
status from AWS should stop a deploy, not slip through as done.
"""

from __future__ import annotations

from enum import Enum

from stackyard.errors import StackyardError

NO_CHANGES_REASONS = ("didn't contain changes", "No updates are to be performed")


class StackState(Enum):
    MISSING = "missing"  # never created, or deleted
    READY = "ready"  # stable: can be updated
    BUSY = "busy"  # an operation is running: wait for it
    FIRST_CREATE_FAILED = "first create failed"  # only a delete can follow
    UPDATE_ROLLBACK_FAILED = "update rollback failed"  # needs ContinueUpdateRollback
    REVIEW = "review"  # created by a change set never executed: holds no resources
    DELETE_FAILED = "delete failed"  # something kept it from being deleted


class Recovery(Enum):
    NONE = "none"
    WAIT = "wait for the running operation"
    DELETE_AND_CREATE = "delete the failed first create, then create again"
    CONTINUE_ROLLBACK = "continue the failed update rollback"
    CREATE = "create it"


class UnknownStatusError(StackyardError):
    def __init__(self, stack: str, status: str):
        super().__init__(
            f"stack {stack}: status {status} is unknown to stackyard, so it cannot tell whether the "
            f"stack is safe to change. Fix: look at the stack in the console, or upgrade stackyard"
        )


_READY = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
}
_FIRST_CREATE_FAILED = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}


def classify(stack: str, status: str | None) -> StackState:
    if status is None or status == "DELETE_COMPLETE":
        return StackState.MISSING
    if status in _READY:
        return StackState.READY
    if status == "REVIEW_IN_PROGRESS":
        return StackState.REVIEW
    if status.endswith("_IN_PROGRESS"):
        return StackState.BUSY
    if status in _FIRST_CREATE_FAILED:
        return StackState.FIRST_CREATE_FAILED
    if status == "UPDATE_ROLLBACK_FAILED":
        return StackState.UPDATE_ROLLBACK_FAILED
    if status == "DELETE_FAILED":
        return StackState.DELETE_FAILED
    raise UnknownStatusError(stack, status)


def recovery_before_deploy(stack: str, state: StackState) -> Recovery:
    """What a deploy does first about a stack in `state`."""
    if state is StackState.DELETE_FAILED:
        raise StackyardError(
            f"stack {stack} failed to delete earlier and is stuck; stackyard will not update it. "
            f"Fix: see its events for the resource that could not be deleted, remove or retain "
            f"it, and run deploy.py --delete for the stack"
        )
    return {
        StackState.MISSING: Recovery.CREATE,
        StackState.REVIEW: Recovery.CREATE,
        StackState.READY: Recovery.NONE,
        StackState.BUSY: Recovery.WAIT,
        StackState.FIRST_CREATE_FAILED: Recovery.DELETE_AND_CREATE,
        StackState.UPDATE_ROLLBACK_FAILED: Recovery.CONTINUE_ROLLBACK,
    }[state]


def is_terminal(status: str) -> bool:
    """An operation on the stack has finished, one way or the other."""
    return not status.endswith("_IN_PROGRESS")


def succeeded(status: str) -> bool:
    """The operation that just ended did what was asked (a rollback is a failure)."""
    return status in {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}


def change_set_has_no_changes(status: str, reason: str | None) -> bool:
    return status == "FAILED" and any(text in (reason or "") for text in NO_CHANGES_REASONS)


def is_failure_event(status: str) -> bool:
    return status.endswith("_FAILED") or status in {"UPDATE_ROLLBACK_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"}
