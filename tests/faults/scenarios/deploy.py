"""Fault matrix rows: deploying and planning: unchanged stacks, change sets, throttling, exports in use, data loss, failure messages, bad input."""

from __future__ import annotations

from stackyard.deploy.precheck import NO_LOCK
from tests.faults.scenarios.common import (
    BAD_INPUT,
    CDK_SKIP,
    EXPORT_IN_USE,
    FAILURE_REASONS,
    LOCK_KEY,
    NESTED_CAUSE,
    NO_CHANGES,
    NO_WRITES,
    REPLACEMENT,
    REVIEW,
    THROTTLING,
    Expect,
    Scenario,
    app_with_retention,
    assert_equal,
    both,
    fault,
    lock_released,
    nested_events_shown,
    network_without_export,
    no_change_sets_left,
    nothing_called,
    queue_replaced,
    status,
)
from tests.faults.world import APP_STACK

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "first-deploy-bootstraps-then-locks",
        "The artifact bucket's stack is created on first use; the lock lives in it",
        ("deploy",),
        Expect(
            0,
            says=("creating the artifact bucket stack stackyard-bootstrap",),
            must=("CreateChangeSet~stackyard-bootstrap", f"PutObject~{LOCK_KEY}", f"DeleteObject~{LOCK_KEY}"),
            before=(("ExecuteChangeSet", f"PutObject~{LOCK_KEY}"),),
            check=lock_released,
        ),
        start="empty",
    ),
    Scenario(
        "plan-of-a-new-environment-creates-nothing",
        REVIEW + "; a plan withdraws its own change sets and the empty stacks they made",
        ("plan",),
        Expect(
            3,
            says=(
                "app      planned  would create (its parameters take outputs of storage, which this plan would create first)",
            ),
            must=("CreateChangeSet~app-test-network", "DeleteStack~app-test-network"),
            must_not=(
                "ExecuteChangeSet",
                "PutObject",
                "CreateChangeSet~stackyard-bootstrap",
                "CreateChangeSet~app-test-app",
            ),
            check=lambda world, result: assert_equal(
                [s.name for s in world.cloudformation.stacks if not s.deleted], []
            ),
        ),
        start="empty",
    ),
    Scenario(
        "no-op-deploy-makes-no-change-set",
        CDK_SKIP,
        ("deploy",),
        Expect(0, says=("app      unchanged", NO_LOCK), must_not=("CreateChangeSet", *NO_WRITES, "HeadBucket")),
    ),
    Scenario(
        "plan-of-nothing-exits-0-without-lock",
        CDK_SKIP + "; the app stack's Retention parameter is deployed at its template default, which is compared",
        ("plan",),
        Expect(0, says=("app      unchanged",), must_not=("CreateChangeSet", *NO_WRITES)),
    ),
    Scenario(
        "plan-says-why-and-changes-nothing",
        CDK_SKIP,
        ("plan",),
        Expect(
            3,
            says=("parameter Retention differs: deployed '4', now '5'", "template Parameters: changed Retention"),
            must=("CreateChangeSet~app-test-app", "DeleteChangeSet~stackyard-plan-"),
            must_not=NO_WRITES,
            check=no_change_sets_left,
        ),
        setup=app_with_retention(5),
    ),
    Scenario(
        "no-op-change-set-is-deleted",
        NO_CHANGES,
        ("deploy",),
        Expect(
            0,
            says=("app      unchanged",),
            must=("CreateChangeSet~app-test-app", "DeleteChangeSet"),
            must_not=("ExecuteChangeSet",),
        ),
        setup=status(APP_STACK, "UPDATE_ROLLBACK_COMPLETE"),
    ),
    Scenario(
        "throttled-polls-back-off-and-carry-on",
        THROTTLING,
        ("deploy",),
        Expect(
            0,
            says=("app      updated",),
            must=("ExecuteChangeSet",),
            check=lambda world, result: assert_equal(world.fake.faults.throttled["DescribeStackEvents"], 0),
        ),
        setup=both(app_with_retention(5), fault(throttled={"DescribeStackEvents": 3})),
    ),
    Scenario(
        "throttled-past-retries-fails-the-stack",
        THROTTLING,
        ("deploy",),
        Expect(
            1,
            says=("AWS kept throttling after retries (Rate exceeded). Fix: deploy with a lower --concurrency",),
            must_not=("ExecuteChangeSet",),
            check=lock_released,
        ),
        setup=both(app_with_retention(5), fault(throttled={"CreateChangeSet~app-test-app": 99})),
    ),
    Scenario(
        "export-in-use-stops-the-update-before-execution",
        EXPORT_IN_USE,
        ("deploy",),
        Expect(
            1,
            says=("export app-test-VpcId (removed) is imported by app-test-app", "Fix, in two steps"),
            must=("ListImports~app-test-VpcId", "DeleteChangeSet"),
            must_not=("ExecuteChangeSet",),
            check=no_change_sets_left,
        ),
        setup=network_without_export,
    ),
    Scenario(
        "export-in-use-plan-reports-the-refusal",
        EXPORT_IN_USE,
        ("plan",),
        Expect(
            1,
            says=("network  blocked", "REFUSED: export app-test-VpcId (removed) is imported by app-test-app"),
            must_not=NO_WRITES,
        ),
        setup=network_without_export,
    ),
    Scenario(
        "data-loss-is-refused-without-allow-replace",
        REPLACEMENT,
        ("deploy",),
        Expect(
            1,
            says=(
                "the change would lose data: Queue (AWS::SQS::Queue) replaced. Fix: if that is intended, rerun with --allow-replace",
            ),
            must=("DeleteChangeSet",),
            must_not=("ExecuteChangeSet",),
        ),
        setup=queue_replaced,
    ),
    Scenario(
        "data-loss-allowed-with-allow-replace",
        REPLACEMENT,
        ("deploy", "--allow-replace", "--yes"),
        Expect(0, says=("app      updated",), must=("ExecuteChangeSet",)),
        setup=queue_replaced,
    ),
    Scenario(
        "failure-names-the-stack-reason-and-the-resource",
        FAILURE_REASONS,
        ("deploy",),
        Expect(
            1,
            says=(
                "stack app-test-app: UPDATE_ROLLBACK_COMPLETE (The following resource(s) failed to update: [Queue]. ): "
                "Queue (AWS::SQS::Queue): Value 5 for MessageRetentionPeriod is invalid",
            ),
            must=("ExecuteChangeSet", f"DeleteObject~{LOCK_KEY}"),
            check=lock_released,
        ),
        setup=both(
            app_with_retention(5),
            fault(failing={"app-test-app/Queue": "Value 5 for MessageRetentionPeriod is invalid"}),
        ),
    ),
    Scenario(
        "nested-failure-names-the-real-cause-and-shows-its-events",
        NESTED_CAUSE,
        ("deploy",),
        Expect(
            1,
            says=(
                "stack app-test-network: DELETE_COMPLETE: Vpc/Subnet (AWS::EC2::Subnet): The CIDR '10.0.0.0/20' "
                "conflicts with another subnet. The failed create was deleted (OnStackFailure DELETE)",
                "app      skipped",
            ),
            check=nested_events_shown,
        ),
        setup=fault(failing={"Subnet": "The CIDR '10.0.0.0/20' conflicts with another subnet"}),
        start="empty",
        nested=True,
    ),
    Scenario(
        "bad-input-reaches-no-aws",
        BAD_INPUT,
        ("deploy", "--concurrency", "0"),
        Expect(2, says=("error: --concurrency 0: expected 1 to 16",), check=nothing_called),
    ),
)
