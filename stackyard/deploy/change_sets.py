"""Change sets a run makes, and the ones earlier runs left behind.

A deploy names its change sets `stackyard-<run id>`, a plan `stackyard-plan-<run id>`. A run only
ever deletes change sets it made, plus, in a deploy (which holds the environment's lock), the
stale `stackyard-*` change sets of runs that were killed before cleaning up; a plan's change set
is left alone while that plan may still be running. A CREATE change set makes a
REVIEW_IN_PROGRESS stack; when the run withdraws it, that stack goes too, but only if this run
made it and no other change set is waiting on it. A plan whose identity may not delete stacks (the
pull-request plan role, docs/security.md) leaves that stack: it holds nothing, the next deploy creates
into it and a delete removes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from stackyard.aws import AwsError, ChangeSetProposer, ChangeSetSummary
from stackyard.aws.errors import ACCESS_DENIED
from stackyard.deploy.stack_plan import StackPlan

PREFIX = "stackyard-"
PLAN_PREFIX = "stackyard-plan-"
PLAN_MAY_RUN_FOR = timedelta(hours=1)  # a plan's change set younger than this may be in use


def change_set_name(run_id: str, plan_only: bool) -> str:
    return f"{PLAN_PREFIX if plan_only else PREFIX}{run_id}"


def is_stale(summary: ChangeSetSummary, own_name: str, now: datetime) -> bool:
    """A change set an earlier, killed run left behind (pure)."""
    if not summary.name.startswith(PREFIX) or summary.name == own_name:
        return False
    if summary.execution_status in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE"):
        return False  # running or done: CloudFormation manages it
    if summary.name.startswith(PLAN_PREFIX):
        return now - summary.created > PLAN_MAY_RUN_FOR
    return True


def withdraw(proposer: ChangeSetProposer, plan: StackPlan, token: str, plan_only: bool = False) -> str:
    """Delete the plan's change set (made by this run), and the empty stack it made, if it did; what was left
    and why, if a plan may not delete that stack."""
    if plan.change_set is None:
        return ""
    proposer.delete_change_set(plan.change_set.change_set_id)
    if not plan.created_stack:
        return ""
    try:
        remove_review_stack(proposer, plan.change_set.stack_id or plan.name, token)
    except AwsError as error:
        if not plan_only or error.code not in ACCESS_DENIED:
            raise
        return (
            f"left the empty REVIEW_IN_PROGRESS stack {plan.name} this plan's change set made: this identity may "
            f"not delete stacks; it holds nothing, the next deploy creates into it"
        )
    return ""


def remove_review_stack(proposer: ChangeSetProposer, stack_id: str, token: str) -> None:
    """Delete a REVIEW_IN_PROGRESS stack this run's change set made, unless another change set waits on it."""
    current = proposer.describe(stack_id)
    if current and current.status == "REVIEW_IN_PROGRESS" and not proposer.change_sets(stack_id):
        proposer.delete_review_stack(stack_id, token)
