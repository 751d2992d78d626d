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
    IMPORT_ROLLBACK_FAILED = "import rollback failed"  # a resource import could not be undone
    KEPT_FAILED = "kept failed"  # an update failed with rollback disabled (--no-rollback): roll back or retry


class UnknownStatusError(StackyardError):
    def __init__(self, stack: str, status: str):
        super().__init__(
            f"stack {stack}: status {status} is unknown to stackyard, so it cannot tell whether the "
            f"stack is safe to change. Fix: look at the stack in the console, or upgrade stackyard"
        )


# Every StackStatus CloudFormation documents (User Guide, "Stack status codes"; botocore's service model,
# which tests/unit/deploy/test_statuses.py holds this table to, so a new status fails a test, not a deploy).
STATES: dict[str, StackState] = {
    "CREATE_IN_PROGRESS": StackState.BUSY,
    "CREATE_FAILED": StackState.FIRST_CREATE_FAILED,
    "CREATE_COMPLETE": StackState.READY,
    "ROLLBACK_IN_PROGRESS": StackState.BUSY,
    "ROLLBACK_FAILED": StackState.FIRST_CREATE_FAILED,
    "ROLLBACK_COMPLETE": StackState.FIRST_CREATE_FAILED,
    "DELETE_IN_PROGRESS": StackState.BUSY,
    "DELETE_FAILED": StackState.DELETE_FAILED,
    "DELETE_COMPLETE": StackState.MISSING,
    "UPDATE_IN_PROGRESS": StackState.BUSY,
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": StackState.BUSY,
    "UPDATE_COMPLETE": StackState.READY,
    # An update that failed with rollback disabled (--no-rollback): CloudFormation takes only a retry with
    # rollback disabled again, or RollbackStack (stackyard/deploy/guards/no_rollback.py).
    **dict.fromkeys(KEPT_FAILED, StackState.KEPT_FAILED),
    "UPDATE_ROLLBACK_IN_PROGRESS": StackState.BUSY,
    "UPDATE_ROLLBACK_FAILED": StackState.UPDATE_ROLLBACK_FAILED,
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": StackState.BUSY,
    "UPDATE_ROLLBACK_COMPLETE": StackState.READY,
    "REVIEW_IN_PROGRESS": StackState.REVIEW,
    "IMPORT_IN_PROGRESS": StackState.BUSY,
    "IMPORT_COMPLETE": StackState.READY,
    "IMPORT_ROLLBACK_IN_PROGRESS": StackState.BUSY,
    "IMPORT_ROLLBACK_FAILED": StackState.IMPORT_ROLLBACK_FAILED,
    "IMPORT_ROLLBACK_COMPLETE": StackState.READY,
}


def classify(stack: str, status: str | None) -> StackState:
    if status is None:
        return StackState.MISSING
    if status not in STATES:
        raise UnknownStatusError(stack, status)
    return STATES[status]


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
