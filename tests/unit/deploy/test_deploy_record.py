"""Pure unit: when the deploy record (stackyard/deploy/record.py) stands for GetTemplate, what it keeps of
an earlier record, and that anything but a record of its own format reads as no record."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from stackyard.aws import DeployedStack
from stackyard.deploy.record import FORMAT, DeployRecord, parsed, settled, template_digest

TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
STACK = DeployedStack(
    name="app-test-app",
    stack_id="arn:aws:cloudformation:ap-southeast-1:123456789012:stack/app-test-app/1",
    status="UPDATE_COMPLETE",
    status_reason=None,
    parameters={},
    tags={},
    outputs={},
    termination_protection=False,
    updated_at="2026-03-01T09:00:00.123000+00:00",
)


class MemoryS3:
    """The two S3 calls the record makes, on a dict (the fault matrix plays the real answers)."""

    def __init__(self, body: bytes | None = None):
        self.objects = {} if body is None else {("bucket", "state/app/test/deployed.json"): body}

    def read(self, bucket: str, key: str) -> bytes | None:
        return self.objects.get((bucket, key))

    def write(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = body


def written(stacks: dict[str, DeployedStack], selected: list[str], before: bytes | None = None) -> DeployRecord:
    """A record as a run that completed `stacks` writes it, read back as the next run does."""
    s3 = MemoryS3(before)
    record = DeployRecord("app", "test")
    record.load(s3, "bucket")  # type: ignore[arg-type]
    for name, deployed in stacks.items():
        record.completed(name, deployed, TEMPLATE)
    record.write(s3, "bucket", selected)  # type: ignore[arg-type]
    again = DeployRecord("app", "test")
    again.load(s3, "bucket")  # type: ignore[arg-type]
    return again


def test_a_record_proves_the_template_while_the_stack_id_and_last_updated_time_hold() -> None:
    record = written({"app": STACK}, ["app"])
    assert record.proves("app", STACK, TEMPLATE)
    assert not record.proves("app", STACK, {"Resources": {}})  # another template wanted: GetTemplate says what
    assert not record.proves("app", replace(STACK, updated_at="2026-03-01T09:05:00+00:00"), TEMPLATE)
    assert not record.proves("app", replace(STACK, stack_id=STACK.stack_id[:-1] + "2"), TEMPLATE)
    assert not record.proves("app", replace(STACK, status="UPDATE_ROLLBACK_COMPLETE"), TEMPLATE)
    assert not record.proves("app", replace(STACK, status="UPDATE_IN_PROGRESS"), TEMPLATE)
    assert not record.proves("network", STACK, TEMPLATE)


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE", "UPDATE_FAILED"])
def test_a_stack_left_by_a_failure_is_not_recorded(status: str) -> None:
    assert not written({"app": replace(STACK, status=status)}, ["app"]).proves("app", STACK, TEMPLATE)


def test_a_run_keeps_the_entries_of_stacks_it_did_not_select_and_drops_those_it_did_not_finish() -> None:
    first = written({"app": STACK, "network": replace(STACK, stack_id="network-id")}, ["app", "network"])
    s3 = MemoryS3()
    s3.objects[("bucket", first.key)] = first.body([])
    second = DeployRecord("app", "test")
    second.load(s3, "bucket")  # type: ignore[arg-type]
    kept = json.loads(second.body(["network"]))["stacks"]  # --only network, which did not finish
    assert list(kept) == ["app"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"format": "stackyard-deploy-record/2", "stacks": {}}).encode(),
        json.dumps({"format": FORMAT, "stacks": {"app": {"stack_id": "x"}}}).encode(),
        json.dumps({"format": FORMAT, "stacks": []}).encode(),
        b"\xff\xfe",
    ],
)
def test_anything_but_a_record_of_this_format_reads_as_no_record(body: bytes) -> None:
    assert parsed(body) == {}


def test_settled_statuses_are_complete_and_not_rollbacks() -> None:
    assert [s for s in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE") if settled(s)] == [
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "IMPORT_COMPLETE",
    ]
    assert not any(
        settled(s) for s in ("UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE", "DELETE_COMPLETE", "REVIEW_IN_PROGRESS")
    )


def test_the_digest_is_of_the_canonical_json_whatever_the_key_order() -> None:
    assert template_digest({"b": 1, "a": [1, 2]}) == template_digest({"a": [1, 2], "b": 1})
    assert template_digest({"a": 1}) != template_digest({"a": True})


def test_an_updated_stack_whose_last_updated_time_is_its_creation_time_proves_nothing() -> None:
    """LocalStack's provider shows LastUpdatedTime = CreationTime whatever ran since; CloudFormation never does."""
    frozen = replace(STACK, created_at=STACK.updated_at)
    assert not written({"app": frozen}, ["app"]).proves("app", frozen, TEMPLATE)
    created = replace(frozen, status="CREATE_COMPLETE")  # never updated: the creation time is the time
    assert written({"app": created}, ["app"]).proves("app", created, TEMPLATE)
    assert not written({"app": created}, ["app"]).proves("app", frozen, TEMPLATE)  # updated since, same time
