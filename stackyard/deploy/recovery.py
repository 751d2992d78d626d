"""What a deploy does first about a stack an earlier run (or someone else) left in a given state.

Pure: decided from the deployed stack alone. Waiting is done while planning (it only reads);
deleting a failed first create and continuing a failed rollback are writes, so a plan only
reports them and the deploy's applier does them, once each per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from stackyard.aws.records import DeployedStack
from stackyard.deploy.guards.no_rollback import kept_failure_reason
from stackyard.deploy.status import StackState, classify
from stackyard.errors import StackyardError


class Recovery(Enum):
    NONE = "none"
    WAIT = "wait for the running operation"
    DELETE_AND_CREATE = "delete the failed first create, then create again"
    CONTINUE_ROLLBACK = "continue the failed update rollback"
    ADOPT = "adopt what an earlier delete kept, then create the rest"  # stackyard/deploy/adoption.py
    CREATE = "create it"
    ROLLBACK_KEPT_FAILURE = "roll back the update kept failed by --no-rollback"
    RETRY_KEPT_FAILURE = "retry the update kept failed by --no-rollback"

    @property
    def writes(self) -> bool:
        """Whether the recovery changes the stack (so only a deploy does it, never a plan)."""
        return self in (
            Recovery.DELETE_AND_CREATE,
            Recovery.CONTINUE_ROLLBACK,
            Recovery.ADOPT,
            Recovery.ROLLBACK_KEPT_FAILURE,
        )


@dataclass(frozen=True)
class RecoveryDecision:
    recovery: Recovery
    reason: str


def decide_recovery(name: str, deployed: DeployedStack | None, no_rollback: bool = False) -> RecoveryDecision:
    """The recovery a deploy starts with, and why; `no_rollback`: the run was given --no-rollback."""
    state = classify(name, deployed.status if deployed else None)
    if deployed is None or state is StackState.MISSING:
        return RecoveryDecision(Recovery.CREATE, "not deployed yet")
    if state is StackState.KEPT_FAILED:
        return decide_kept_failure(deployed, no_rollback)
    if state is StackState.DELETE_FAILED:
        raise StackyardError(
            f"stack {name} failed to delete earlier and is stuck"
            f"{_because(deployed)}; stackyard will not update it. Fix: see its events for the resource "
            f"that could not be deleted, remove or retain it, and run deploy.py delete for the stack"
        )
    if state is StackState.IMPORT_ROLLBACK_FAILED:
        raise StackyardError(
            f"stack {name}: a resource import failed and could not be rolled back (IMPORT_ROLLBACK_FAILED"
            f"{': ' + deployed.status_reason if deployed.status_reason else ''}); stackyard will not update it. Fix: "
            f"see its events for the resources whose import rollback failed and fix them by hand; then deploy "
            f"again, or delete the stack (what a DeletionPolicy keeps stays) and deploy to adopt what is kept"
        )
    reasons = {
        StackState.READY: f"{deployed.status}: ready",
        StackState.REVIEW: ("REVIEW_IN_PROGRESS: a change set made it but was never executed; it holds no resources"),
        StackState.BUSY: f"{deployed.status}: another operation is running",
        StackState.FIRST_CREATE_FAILED: f"{deployed.status}: its first create failed; only a delete can follow",
        StackState.UPDATE_ROLLBACK_FAILED: f"UPDATE_ROLLBACK_FAILED{_because(deployed)}",
    }
    return RecoveryDecision(_RECOVERY[state], reasons[state])


_RECOVERY = {
    StackState.REVIEW: Recovery.CREATE,
    StackState.READY: Recovery.NONE,
    StackState.BUSY: Recovery.WAIT,
    StackState.FIRST_CREATE_FAILED: Recovery.DELETE_AND_CREATE,
    StackState.UPDATE_ROLLBACK_FAILED: Recovery.CONTINUE_ROLLBACK,
}


def _because(deployed: DeployedStack) -> str:
    return f" ({deployed.status_reason})" if deployed.status_reason else ""


def decide_kept_failure(deployed: DeployedStack, no_rollback: bool) -> RecoveryDecision:
    """An update --no-rollback kept failed: retried by a run with --no-rollback, else rolled back first
    (the rules are stackyard/deploy/guards/no_rollback.py's)."""
    recovery = Recovery.RETRY_KEPT_FAILURE if no_rollback else Recovery.ROLLBACK_KEPT_FAILURE
    return RecoveryDecision(recovery, kept_failure_reason(deployed, retry=no_rollback))
