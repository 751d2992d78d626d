"""Fault matrix rows: recoveries from what an earlier run (or someone else) left: failed first creates,
review-only stacks, another run's operation, failed deletes (failed rollbacks: rollback.py)."""

from __future__ import annotations

from tests.faults.scenarios.common import (
    DELETE_FAILED,
    NO_WRITES,
    ONE_OPERATION,
    REVIEW,
    ROLLBACK_COMPLETE,
    STALE,
    Expect,
    Scenario,
    both,
    fault,
    own_review_stack_removed,
    review_stack_left_by_killed_run,
    status,
)
from tests.faults.world import APP_STACK

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "rollback-complete-is-deleted-then-created",
        ROLLBACK_COMPLETE,
        ("deploy",),
        Expect(
            0,
            says=("ROLLBACK_COMPLETE: delete the failed first create, then create again", "app      created"),
            must=("DeleteStack~app-test-app", "DescribeStacks~stack/app-test-app/"),
            before=(("DeleteStack~app-test-app", "CreateChangeSet~app-test-app"),),
        ),
        setup=status(APP_STACK, "ROLLBACK_COMPLETE", "The following resource(s) failed to create: [Queue]. "),
    ),
    Scenario(
        "rollback-complete-plan-deletes-nothing",
        ROLLBACK_COMPLETE,
        ("plan",),
        Expect(
            3, says=("would delete the failed first create",), must_not=("CreateChangeSet~app-test-app", *NO_WRITES)
        ),
        setup=status(APP_STACK, "ROLLBACK_COMPLETE"),
    ),
    Scenario(
        "review-in-progress-stack-is-created",
        REVIEW,
        ("deploy",),
        Expect(
            0,
            says=(f"deleting change set {STALE}, left by an earlier run", "app      created"),
            must=(f"DeleteChangeSet~{STALE}", "ExecuteChangeSet"),
            before=((f"DeleteChangeSet~{STALE}", "CreateChangeSet~app-test-app"),),
            must_not=("DeleteStack",),
        ),
        setup=review_stack_left_by_killed_run,
    ),
    Scenario(
        "plan-leaves-a-review-stack-it-did-not-make",
        REVIEW,
        ("plan",),
        Expect(3, must=("DeleteChangeSet~stackyard-plan-",), must_not=(f"DeleteChangeSet~{STALE}", *NO_WRITES)),
        setup=review_stack_left_by_killed_run,
    ),
    Scenario(
        "plan-removes-the-review-stack-it-made",
        REVIEW,
        ("plan",),
        Expect(
            3,
            says=("app      planned  would create: 2 changes",),
            must=("DeleteChangeSet~stackyard-plan-", "DeleteStack~app-test-app"),
            must_not=("ExecuteChangeSet", "DeleteObjects", "PutObject"),
            check=own_review_stack_removed,
        ),
        setup=lambda world: world.cloudformation.drop(APP_STACK),
    ),
    Scenario(
        "plan-that-may-not-delete-stacks-leaves-its-review-stack",
        REVIEW + "; the pull-request plan role may not DeleteStack (docs/security.md), which AWS refuses AccessDenied",
        ("plan",),
        Expect(
            3,
            says=(
                "app      planned  would create: 2 changes",
                "left the empty REVIEW_IN_PROGRESS stack app-test-app this plan's change set made",
            ),
            must=("DeleteChangeSet~stackyard-plan-",),
            must_not=("ExecuteChangeSet", "DeleteObjects", "PutObject"),
        ),
        setup=both(lambda world: world.cloudformation.drop(APP_STACK), fault(denied=("DeleteStack",))),
        then=((("deploy",), Expect(0, says=("app      created",), must=("CreateChangeSet~app-test-app",))),),
    ),
    Scenario(
        "another-runs-update-is-waited-for-by-id",
        ONE_OPERATION,
        ("deploy",),
        Expect(
            0,
            says=("UPDATE_IN_PROGRESS: wait for the running operation", "app      unchanged"),
            must=("DescribeStacks~stack/app-test-app/",),
            must_not=("CreateChangeSet~app-test-app",),
        ),
        setup=lambda world: world.cloudformation.run_for_another_process(
            APP_STACK, "UPDATE_IN_PROGRESS", 60, "UPDATE_COMPLETE"
        ),
    ),
    Scenario(
        "another-runs-delete-is-waited-for-by-id",
        ONE_OPERATION,
        ("deploy",),
        Expect(
            0,
            says=("DELETE_IN_PROGRESS: wait for the running operation", "app      created"),
            must=("DescribeStacks~stack/app-test-app/", "CreateChangeSet~app-test-app"),
        ),
        setup=lambda world: world.cloudformation.run_for_another_process(
            APP_STACK, "DELETE_IN_PROGRESS", 30, "DELETE_COMPLETE"
        ),
    ),
    Scenario(
        "delete-failed-stack-is-not-updated",
        DELETE_FAILED,
        ("deploy",),
        Expect(
            1,
            says=("failed to delete earlier and is stuck (Queue could not be deleted)",),
            must_not=("CreateChangeSet~app-test-app", "DeleteStack"),
        ),
        setup=status(APP_STACK, "DELETE_FAILED", "Queue could not be deleted"),
    ),
)
