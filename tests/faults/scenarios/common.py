"""What the fault matrix's rows are made of: the row itself (Scenario, Expect), the setups that script
AWS, the checks run after a row, and the documented behaviours the rows cite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from stackyard.deploy.lock import LockHolder
from tests.faults.answers import ACCOUNT
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
    prepare: Callable[[World], None] = lambda world: None  # before the environment is deployed first
    start: str = "deployed"  # deployed: the three stacks exist, as built; empty: nothing does
    nested: bool = False
    prefix_lists: bool = False  # the app stack takes a managed prefix list's id (World.prefix_lists)
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


def every_s3_call_names_the_owner(world: World, result: Result) -> None:
    s3_calls = [call for call in result.calls if call.service == "s3"]
    assert s3_calls
    for call in s3_calls:
        assert call.params.get("ExpectedBucketOwner") == ACCOUNT, call


def checks(*each: Callable[[World, Result], None]) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        for one in each:
            one(world, result)

    return check


# --- what the rows cite --------------------------------------------------------------------------

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


def assert_equal(found: object, expected: object) -> None:
    assert found == expected, f"{found!r} != {expected!r}"
