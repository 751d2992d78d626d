"""Fault matrix rows: a deploy that changes nothing (issue 15), which looks before it locks
(stackyard/deploy/precheck.py), and the deploy record that stands for GetTemplate (stackyard/deploy/record.py).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import UnauthorizedSSOTokenError

from stackyard.deploy.precheck import NO_LOCK
from stackyard.deploy.record import FORMAT, template_digest
from tests.faults.scenarios.artifacts import bootstrap_of_version_1
from tests.faults.scenarios.common import (
    ARTIFACTS,
    CDK_SKIP,
    CONDITIONAL_PUT,
    LOCK_KEY,
    NO_WRITES,
    OTHER_RUN,
    Expect,
    Scenario,
    app_with_retention,
    assert_equal,
    both,
    checks,
    fault,
    interrupt_after,
    lock_held,
    lock_released,
    network_changed,
)
from tests.faults.world import APP_STACK, APP_TEMPLATE, NETWORK, STORAGE, TAGS, Result, World

RECORD_KEY = "state/app/test/deployed.json"
READS_NOTHING_BUT = ("GetCallerIdentity", "DescribeStacks", "GetObject")
LAST_UPDATED = (
    "DescribeStacks' Stack.LastUpdatedTime is 'the time the stack was last updated': UpdateStack and "
    "ExecuteChangeSet set it, whoever calls them (DescribeStacks API reference); a create makes a new StackId"
)
NO_LOCK_NEEDED = (
    CDK_SKIP + "; a run that writes nothing (no change set, no upload, no policy) has nothing for the lock to guard"
)
GET_OBJECT = (
    "GetObject answers 404 NoSuchKey for a key never written and 403 AccessDenied when the identity may not read "
    "it (S3 API reference, GetObject)"
)
SSO = (
    "An IAM Identity Center (SSO) session that expired: botocore raises UnauthorizedSSOTokenError before any "
    "request (AWS CLI User Guide, 'Configuring IAM Identity Center')"
)
OLD_BOOTSTRAP = "CloudFormation never updates a stack by itself: an older bootstrap stack stays so until updated"


def only_reads(world: World, result: Result) -> None:
    assert {call.operation for call in result.calls} <= set(READS_NOTHING_BUT), result.calls


def record(world: World) -> dict[str, Any]:
    body = world.fake.s3.body(ARTIFACTS, RECORD_KEY)
    assert body is not None, "no deploy record"
    return dict(json.loads(body))


def recorded_stacks(*stacks: str) -> Any:
    def check(world: World, result: Result) -> None:
        assert_equal(sorted(record(world)["stacks"]), sorted(stacks))

    return check


def record_matches_the_stacks(world: World, result: Result) -> None:
    """Each entry names the stack's id, LastUpdatedTime and status, and the template it runs."""
    for stack, name in (("network", NETWORK), ("storage", STORAGE), ("app", APP_STACK)):
        entry = record(world)["stacks"][stack]
        deployed = world.cloudformation.stack(name)
        assert entry["stack_id"] == deployed.stack_id
        assert entry["template_sha256"] == template_digest(deployed.template), stack
        assert entry["status"] == deployed.status


def other_run_still_holds_the_lock(world: World, result: Result) -> None:
    body = world.fake.s3.body(ARTIFACTS, LOCK_KEY)
    assert body is not None and OTHER_RUN in body.decode()


def assessed_again_under_the_lock(world: World, result: Result) -> None:
    """The app stack is described by name once before the lock and once more after it is taken."""
    operations = [(call.operation, call.params.get("StackName"), call.params.get("Key")) for call in result.calls]
    described = [index for index, call in enumerate(operations) if call[:2] == ("DescribeStacks", APP_STACK)]
    locked = operations.index(("PutObject", None, LOCK_KEY))
    assert len(described) == 2 and described[0] < locked < described[1], operations


def no_word_of_no_lock(world: World, result: Result) -> None:
    assert NO_LOCK not in result.out


def updated_out_of_band(world: World) -> None:
    """Someone updates the app stack with another template (the console, another tool): LastUpdatedTime moves."""
    world.fake.clock.advance(60)
    stack = world.cloudformation.stack(APP_STACK)
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    stack.template, stack.status, stack.updated = template, "UPDATE_COMPLETE", world.fake.clock.now()


def recreated_with_the_recorded_time(world: World) -> None:
    """The app stack deleted and created again (another template), its CreationTime the very one the record holds:
    only the StackId tells it apart."""
    old = world.cloudformation.stack(APP_STACK)
    world.cloudformation.drop(APP_STACK)
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    new = world.cloudformation.seed(APP_STACK, template, dict(old.parameters), dict(TAGS))
    new.created, new.updated, new.outputs = old.created, old.updated, dict(old.outputs)


def record_body(body: bytes) -> Any:
    return lambda world: world.fake.s3.put_object(Bucket=ARTIFACTS, Key=RECORD_KEY, Body=body)


def record_deleted(world: World) -> None:
    world.fake.s3.delete_object(Bucket=ARTIFACTS, Key=RECORD_KEY)


def protection_changed(world: World) -> None:
    world.cloudformation.stack(APP_STACK).termination_protection = True


GET_TEMPLATE_EACH = (("GetTemplate", 3),)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-no-op-takes-no-lock-and-uploads-nothing",
        NO_LOCK_NEEDED,
        ("deploy",),
        Expect(
            0,
            says=(NO_LOCK, "network  unchanged", "app      unchanged", "network.VpcId"),
            must_not=("CreateChangeSet", "HeadBucket", "HeadObject", "GetTemplate", *NO_WRITES),
            counts=(("GetObject~" + RECORD_KEY, 1), ("DescribeStacks", 4)),
            before=(("GetCallerIdentity", "DescribeStacks"),),
            check=only_reads,
        ),
        nested=True,
    ),
    Scenario(
        "a-no-op-while-another-run-holds-the-lock-still-reports-unchanged",
        NO_LOCK_NEEDED + "; " + CONDITIONAL_PUT,
        ("deploy",),
        Expect(
            0,
            says=(NO_LOCK, "app      unchanged"),
            must_not=(f"PutObject~{LOCK_KEY}", f"GetObject~{LOCK_KEY}", *NO_WRITES),
            check=other_run_still_holds_the_lock,
        ),
        setup=lock_held(),
    ),
    Scenario(
        "one-stack-changed-takes-the-lock-and-is-assessed-again-under-it",
        CDK_SKIP + "; " + CONDITIONAL_PUT,
        ("deploy",),
        Expect(
            0,
            says=("holding the deploy lock", "app      updated", "network  unchanged"),
            must=(f"PutObject~{LOCK_KEY}", "CreateChangeSet~app-test-app", "ExecuteChangeSet"),
            check=checks(assessed_again_under_the_lock, lock_released, no_word_of_no_lock),
        ),
        setup=app_with_retention(5),
    ),
    Scenario(
        "a-no-op-with-the-bootstrap-stack-outdated-takes-the-normal-path",
        OLD_BOOTSTRAP,
        ("deploy",),
        Expect(
            0,
            says=("updating stackyard-bootstrap", "holding the deploy lock", "app      unchanged"),
            must=("CreateChangeSet~stackyard-bootstrap", f"PutObject~{LOCK_KEY}"),
            must_not=("CreateChangeSet~app-test",),
        ),
        setup=bootstrap_of_version_1,
    ),
    Scenario(
        "a-no-op-with-termination-protection-changed-takes-the-normal-path",
        "UpdateTerminationProtection changes a stack's EnableTerminationProtection outside any update (API reference)",
        ("deploy",),
        Expect(
            0,
            says=("holding the deploy lock", "app      unchanged"),
            must=("UpdateTerminationProtection~app-test-app", f"PutObject~{LOCK_KEY}"),
        ),
        setup=protection_changed,
    ),
    Scenario(
        "a-record-that-matches-stands-for-get-template",
        LAST_UPDATED,
        ("deploy",),
        Expect(0, says=("app      unchanged",), must_not=("GetTemplate", *NO_WRITES), check=record_matches_the_stacks),
    ),
    Scenario(
        "a-record-made-stale-by-an-out-of-band-update-is-not-trusted",
        LAST_UPDATED,
        ("deploy",),
        Expect(
            0,
            says=("template Resources: changed Queue", "app      updated"),
            must=("GetTemplate~app-test-app", "CreateChangeSet~app-test-app", "ExecuteChangeSet"),
            must_not=("GetTemplate~app-test-network", "GetTemplate~app-test-storage"),  # the record holds for them
            check=checks(record_matches_the_stacks, recorded_stacks("network", "storage", "app")),
        ),
        setup=updated_out_of_band,
        then=((("deploy",), Expect(0, says=(NO_LOCK,), must_not=("GetTemplate", *NO_WRITES))),),  # recorded anew
    ),
    Scenario(
        "a-record-of-another-stack-id-is-not-trusted",
        LAST_UPDATED + "; a stack deleted and created again has a new StackId (DescribeStacks: StackId)",
        ("deploy",),
        Expect(
            0,
            says=("template Resources: changed Queue", "app      updated"),
            must=("GetTemplate~app-test-app",),
            must_not=("GetTemplate~app-test-network", "GetTemplate~app-test-storage"),
            check=record_matches_the_stacks,
        ),
        setup=recreated_with_the_recorded_time,
    ),
    Scenario(
        "a-missing-record-means-get-template-and-no-error",
        GET_OBJECT,
        ("deploy",),
        Expect(0, says=(NO_LOCK, "app      unchanged"), counts=GET_TEMPLATE_EACH, must_not=NO_WRITES),
        setup=record_deleted,
    ),
    Scenario(
        "a-record-denied-means-get-template-and-no-error",
        GET_OBJECT,
        ("deploy",),
        Expect(0, says=(NO_LOCK, "app      unchanged"), counts=GET_TEMPLATE_EACH, must_not=NO_WRITES),
        setup=fault(denied=(f"GetObject~{RECORD_KEY}",)),
    ),
    Scenario(
        "a-corrupt-or-foreign-record-means-get-template-and-no-error",
        GET_OBJECT + "; the record is whatever the key holds: bad JSON, another format",
        ("deploy",),
        Expect(0, says=(NO_LOCK, "app      unchanged"), counts=GET_TEMPLATE_EACH, must_not=NO_WRITES),
        setup=record_body(b'{"format": "' + FORMAT.encode() + b'", "stacks": {"app": {"stack_id": 1}'),
    ),
    Scenario(
        "a-failed-run-records-only-what-completed",
        LAST_UPDATED + "; a failed update rolls back (UPDATE_ROLLBACK_COMPLETE)",
        ("deploy",),
        Expect(
            1,
            says=("network  updated", "UPDATE_ROLLBACK_COMPLETE"),
            check=recorded_stacks("network", "storage"),
        ),
        setup=both(
            network_changed,
            app_with_retention(5),
            fault(failing={"app-test-app/Queue": "Value 5 for MessageRetentionPeriod is invalid"}),
        ),
    ),
    Scenario(
        "an-interrupted-run-records-only-what-completed",
        LAST_UPDATED + "; Ctrl-C: the run executes no further change set",
        ("deploy",),
        Expect(130, says=("network  updated",), check=recorded_stacks("network", "storage")),
        setup=both(network_changed, app_with_retention(5), interrupt_after("CreateChangeSet~app-test-app")),
    ),
    Scenario(
        "expired-credentials-on-a-no-op-are-bad-input-from-the-first-call",
        SSO,
        ("deploy",),
        Expect(
            2,
            says=("checking the AWS credentials: the AWS SSO session is expired or missing",),
            check=lambda world, result: assert_equal([call.operation for call in result.calls], ["GetCallerIdentity"]),
        ),
        setup=fault(credentials_error=UnauthorizedSSOTokenError()),
    ),
)
