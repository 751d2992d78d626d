"""Carrying out an adoption (Recovery.ADOPT, decided by stackyard/deploy/planner.py from
stackyard/deploy/adoption.py): an IMPORT change set adopts what an earlier delete kept, is executed
and watched by stack id to IMPORT_COMPLETE; the deploy then assesses the stack again and its next
change set gives the adopted resources their full properties and creates the rest. A deploy only:
a plan reports the adoption and changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from stackyard.aws import AwsError, ChangeSet, ChangeSetOptions, StackWriter
from stackyard.aws.errors import stack_missing
from stackyard.deploy.adoption import import_template, resources_to_import
from stackyard.deploy.change_sets import change_set_name, withdraw
from stackyard.deploy.environment import request_token
from stackyard.deploy.interrupt import Interrupted
from stackyard.deploy.stack_plan import StackPlan
from stackyard.deploy.watch import Watcher
from stackyard.errors import StackyardError

IMPORTED = "IMPORT_COMPLETE"


class ImportUnsupported(StackyardError):
    """The endpoint refuses an IMPORT change set for a stack that does not exist yet (LocalStack core)."""


def adopt(
    writer: StackWriter, watcher: Watcher, plan: StackPlan, run_id: str, started: datetime, role: str | None = None
) -> None:
    """`role`: the CloudFormation service role the import runs as (docs/deploy.md, "Guards")."""
    assert plan.desired is not None and plan.adoptions
    adoptions = list(plan.adoptions)
    options = ChangeSetOptions(resources_to_import=tuple(resources_to_import(adoptions)))
    body = json.dumps(import_template(plan.desired.template, adoptions), sort_keys=True, separators=(",", ":"))
    watcher.progress.state(plan.stack, f"adopting {', '.join(str(adoption) for adoption in adoptions)}")
    try:
        change_set_id = writer.create_change_set(
            plan.name,
            f"{change_set_name(run_id, plan_only=False)}-adopt",
            "IMPORT",
            {"TemplateBody": body},
            {},
            plan.desired.tags,
            f"stackyard run {run_id}: adopt what an earlier delete kept",
            options,
            **({"RoleARN": role} if role else {}),
        )
    except AwsError as error:
        if plan.deployed is not None or not stack_missing(error):
            raise
        raise ImportUnsupported(
            f"this CloudFormation cannot import into a stack that does not exist yet ({error.code}: "
            f"{error.aws_message}; LocalStack core cannot, AWS can): creating {plan.name} without adopting, so a "
            f"kept resource with a fixed name may make the create fail 'already exists'"
        ) from error
    made = dataclasses.replace(
        plan,
        change_set=ChangeSet(change_set_id, "CREATE_PENDING", None, ""),
        created_stack=plan.deployed is None or plan.deployed.status == "REVIEW_IN_PROGRESS",
    )
    token = request_token(run_id, plan.stack, "adopt")
    change_set = _made(writer, watcher, made, change_set_id, token)
    watcher.interrupt.check(f"the import change set of stack {plan.name} was not executed")
    writer.execute_change_set(change_set_id, token)
    final = watcher.watch(plan.stack, change_set.stack_id or plan.name, writer, started)
    if final is None or final.status != IMPORTED:
        raise StackyardError(watcher.failure(plan.name, final, writer, started))


def _made(writer: StackWriter, watcher: Watcher, made: StackPlan, change_set_id: str, token: str) -> ChangeSet:
    try:
        change_set = watcher.poll(
            lambda: writer.change_set(change_set_id),
            lambda found: found.status in ("CREATE_COMPLETE", "FAILED"),
            f"creating the import change set of {made.name}; it was deleted",
        )
    except Interrupted:
        withdraw(writer, made, token)
        raise
    if change_set.status == "FAILED" or watcher.interrupt.requested:
        withdraw(writer, dataclasses.replace(made, change_set=change_set), token)
    if change_set.status == "FAILED":
        raise StackyardError(
            f"stack {made.name}: CloudFormation refused to adopt {', '.join(map(str, made.adoptions))}: "
            f"{change_set.reason}. Fix: delete or rename what is kept (or restore a secret scheduled for deletion), "
            f"then deploy again"
        )
    return change_set
