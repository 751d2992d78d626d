"""`--no-rollback`: a failed update kept as it failed, for inspection (docs/deploy.md, "Failed updates kept").

A create runs with OnStackFailure DO_NOTHING (it ends CREATE_FAILED, which the next deploy deletes and
creates again, as any failed first create); an update is executed with DisableRollback (it ends
UPDATE_FAILED). CloudFormation then accepts only two ways on (the error it answers to anything else:
"To update the stack from this state, please use the disable-rollback parameter with update-stack API. To
rollback to the last known good state, use the rollback-stack API", aws/aws-cdk#30546):

- a deploy with --no-rollback retries: a new change set, executed with DisableRollback again;
- any other deploy rolls the update back first (RollbackStack), then updates as usual.

CloudFormation refuses replacements while rollback is disabled ("Replacement type updates not supported
on stack with disable-rollback"), so a change set that replaces anything is refused under --no-rollback
before it runs. Never allowed where params' `guards.allow_no_rollback` is false, which a production-grade
environment cannot set. These rules are kept apart from stackyard/deploy/recovery.py's, which call them. Pure.
"""

from __future__ import annotations

from typing import Any

from stackyard.aws.records import DeployedStack, ResourceChange

KEPT_FAILED = frozenset({"UPDATE_FAILED"})  # an update that failed with rollback disabled
REPLACED = ("True", "Conditional")


def kept_failure_reason(deployed: DeployedStack, retry: bool) -> str:
    because = f" ({deployed.status_reason})" if deployed.status_reason else ""
    if retry:
        return f"{deployed.status}{because}: kept by --no-rollback; retrying the update, with rollback disabled again"
    return (
        f"{deployed.status}{because}: kept by --no-rollback; rolling it back first (RollbackStack). To retry it "
        f"instead, deploy with --no-rollback"
    )


def create_arguments(no_rollback: bool, kind: str) -> dict[str, Any]:
    """CreateChangeSet's: a create kept as it failed (OnStackFailure and DisableRollback exclude each other)."""
    return {"OnStackFailure": "DO_NOTHING"} if no_rollback and kind == "CREATE" else {}


def execute_arguments(no_rollback: bool, kind: str) -> dict[str, Any]:
    """ExecuteChangeSet's: an update kept as it failed."""
    return {"DisableRollback": True} if no_rollback and kind == "UPDATE" else {}


def replacements(changes: list[ResourceChange]) -> tuple[ResourceChange, ...]:
    return tuple(change for change in changes if change.replacement in REPLACED)


def refusal(name: str, changes: list[ResourceChange]) -> str:
    """Why a change set may not run under --no-rollback ("" when it may)."""
    replaced = replacements(changes)
    if not replaced:
        return ""
    where = ", ".join(f"{c.nested_in + '/' if c.nested_in else ''}{c.logical_id}" for c in replaced)
    return (
        f"stack {name}: the change set replaces {where}, and CloudFormation refuses replacements while rollback "
        f"is disabled. Fix: deploy without --no-rollback"
    )


def kept_note(status: str) -> str:
    """What a failure message adds when --no-rollback kept the stack as it failed."""
    if status not in KEPT_FAILED | {"CREATE_FAILED"}:
        return ""
    then = "deletes it and creates it again" if status == "CREATE_FAILED" else "rolls it back first (RollbackStack)"
    return (
        f". Kept as it failed (--no-rollback) for inspection; the next deploy {then}, or, with --no-rollback, "
        f"{'creates it again' if status == 'CREATE_FAILED' else 'retries the update'}"
    )
