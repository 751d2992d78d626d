"""CloudFormation stack and change-set statuses, classified by pure functions.

An unknown status is an error, never a success (aws-cdk-cli classifies the same way): a new
status from AWS should stop a deploy, not slip through as done.
"""

from __future__ import annotations

from enum import Enum

from stackyard.deploy.guards.no_rollback import KEPT_FAILED
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
    KEPT_FAILED = "kept failed"  # an update failed with rollback disabled (--no-rollback): roll back or retry


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
    if status in KEPT_FAILED:
        return StackState.KEPT_FAILED
    raise UnknownStatusError(stack, status)


def is_terminal(status: str) -> bool:
    """An operation on the stack has finished, one way or the other."""
    return not status.endswith("_IN_PROGRESS")


def succeeded(status: str) -> bool:
    """A create, update or import that just ended did what was asked (a rollback is a failure)."""
    return status in {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


def deleted(status: str | None) -> bool:
    """A delete did what was asked: the stack is DELETE_COMPLETE or gone. A refused delete leaves
    the stack in its previous status with a StackStatusReason, which is not a deleted stack."""
    return status is None or status == "DELETE_COMPLETE"


def change_set_has_no_changes(status: str, reason: str | None) -> bool:
    return status == "FAILED" and any(text in (reason or "") for text in NO_CHANGES_REASONS)


def is_failure_event(status: str) -> bool:
    return status.endswith("_FAILED") or status in {"UPDATE_ROLLBACK_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"}
