"""Pure unit: what refuses a delete before anything is emptied, which change sets are stale, and what
a run refused by the deploy lock says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stackyard.aws import ChangeSetSummary, DeployedStack
from stackyard.deploy.change_sets import change_set_name, is_stale
from stackyard.deploy.delete_plan import BucketToEmpty, DeletePlan, StackDeletion, blockers, stack_name_of
from stackyard.deploy.lock import LockHolder, locked_message
from stackyard.deploy.stack_plan import Target

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REGION = "ap-southeast-1"
NESTED_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/a-test-network-Vpc-1X2Y/abc"


def deletion(name: str, exports=(), protected=False, buckets=(), nested=()) -> StackDeletion:
    deployed = DeployedStack(
        name, f"arn:aws:cloudformation:{REGION}:1:stack/{name}/1", "UPDATE_COMPLETE", None, {}, {}, {}, protected
    )
    return StackDeletion(Target(name, name, REGION), deployed, tuple(buckets), (), tuple(nested), tuple(exports))


def test_a_stack_id_names_its_stack():
    assert stack_name_of(NESTED_ID) == "a-test-network-Vpc-1X2Y"
    assert stack_name_of("a-test-app") == "a-test-app"


def test_importers_inside_the_delete_or_its_nested_stacks_do_not_refuse_it():
    network = deletion("a-test-network", exports=["a-test-VpcId", "a-test-SubnetIds"], nested=[NESTED_ID])
    app = deletion("a-test-app")
    importers = {"a-test-VpcId": ["a-test-app"], "a-test-SubnetIds": ["a-test-network-Vpc-1X2Y"]}
    assert blockers([app, network], importers) == ()


def test_an_importer_outside_the_delete_refuses_it_naming_the_importer_and_the_fix():
    [found] = blockers([deletion("a-test-network", exports=["a-test-VpcId"])], {"a-test-VpcId": ["other-stack"]})
    assert found == (
        "stack a-test-network: export a-test-VpcId is imported by other-stack, which this delete does not include, "
        "so CloudFormation would refuse it. Fix: delete other-stack first (or remove its import and deploy it), "
        "then delete again"
    )


def test_termination_protection_object_lock_and_other_runs_locks_refuse_it():
    locked = BucketToEmpty("a-test-audit", 10, True, object_lock=True)
    found = blockers(
        [deletion("a-test-storage", protected=True, buckets=[locked])], {}, other_locks=["locks/a-prod.json"]
    )
    assert [text.split(".")[0] for text in found] == [
        "stack a-test-storage has termination protection",
        "bucket a-test-audit of stack a-test-storage has Object Lock, so its locked versions cannot be deleted and neither can the stack",
        "the artifact bucket holds the deploy lock locks/a-prod",
    ]


def test_a_stack_already_gone_refuses_nothing_and_is_nothing_to_delete():
    gone = StackDeletion(Target("app", "a-test-app", REGION), None)
    assert blockers([gone], {}) == ()
    assert not DeletePlan((gone,)).anything_to_delete
    assert gone.summary() == "already gone"


def test_bucket_counts_say_when_there_are_more():
    assert str(BucketToEmpty("b", 10_000, all_counted=False, object_lock=False)) == (
        "b: 10,000+ object versions and delete markers"
    )


def summary(name: str, age: timedelta, execution: str = "AVAILABLE") -> ChangeSetSummary:
    return ChangeSetSummary(f"arn:{name}", name, "CREATE_COMPLETE", execution, NOW - age)


@pytest.mark.parametrize(
    ("name", "age", "execution", "stale"),
    [
        ("stackyard-20260101000000-dead01", timedelta(minutes=1), "AVAILABLE", True),  # a killed deploy's
        ("stackyard-plan-20260301085500-abc", timedelta(minutes=5), "AVAILABLE", False),  # a plan may be running
        ("stackyard-plan-20260301000000-abc", timedelta(hours=2), "AVAILABLE", True),
        ("stackyard-20260301090000-mine00", timedelta(0), "AVAILABLE", False),  # this run's own
        ("stackyard-20260101000000-dead01", timedelta(days=1), "EXECUTE_IN_PROGRESS", False),
        ("someone-elses-review", timedelta(days=9), "AVAILABLE", False),
    ],
)
def test_only_stackyard_change_sets_killed_runs_left_are_stale(name, age, execution, stale):
    own = change_set_name("20260301090000-mine00", plan_only=False)
    assert is_stale(summary(name, age, execution), own, NOW) is stale


def holder(started: datetime) -> LockHolder:
    return LockHolder(
        "20260301085500-abc123",
        "prod",
        "alice",
        "laptop",
        4242,
        "python deploy.py deploy --env prod",
        started.isoformat(),
        (started + timedelta(hours=6)).isoformat(),
    )


def test_a_lock_names_its_holder_and_how_to_break_it():
    message = locked_message(
        "prod", holder(NOW - timedelta(minutes=5)), "s3://b/k", "python deploy.py deploy --env prod", NOW
    )
    assert message == (
        "environment prod is locked by run 20260301085500-abc123 (alice@laptop, pid 4242: python deploy.py deploy "
        "--env prod) since 2026-03-01T08:55:00+00:00. Fix: wait for that run to end; if it is no longer running "
        "(killed, or its machine gone), break the lock: python deploy.py deploy --env prod --force-unlock "
        "20260301085500-abc123"
    )


def test_an_expired_lock_is_called_stale_and_an_unreadable_one_is_named():
    assert "so that run is most likely dead" in locked_message(
        "prod", holder(NOW - timedelta(hours=7)), "s3://b/k", "x", NOW
    )
    assert LockHolder.from_json(b"not json") is None
    assert "s3://b/k exists but is not a lock stackyard can read" in locked_message("prod", None, "s3://b/k", "x", NOW)
    assert LockHolder.from_json(holder(NOW).to_json()) == holder(NOW)
