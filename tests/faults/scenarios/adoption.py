"""Fault matrix rows: a redeploy after a delete adopts what the delete kept (issue 11 item 10), and a
failed first create leaves nothing to clean (OnStackFailure DELETE)."""

from __future__ import annotations

import json
from typing import Any

from tests.faults.fake_account import secret_arn
from tests.faults.scenarios.common import Expect, Scenario, checks, every_s3_call_names_the_owner, fault
from tests.faults.world import APP_STACK, REGION, STORAGE, STORAGE_TEMPLATE, Result, World

ARCHIVE = "app-test-archive-123456789012-ap-southeast-1"
SECRET = "/app/test/secret"
IMPORT = (
    "A delete keeps resources with DeletionPolicy Retain under their names, so a new create fails 'already exists'. "
    "An IMPORT change set adopts them (ResourcesToImport), ImportExistingResources adopts one with a static name (User "
    "Guide, 'Import AWS resources into a CloudFormation stack' and '... automatically')"
)
ON_FAILURE = (
    "CreateChangeSet OnStackFailure DELETE: a stack whose creation fails is deleted (CreateChangeSet API reference)"
)


def keeps_data(world: World) -> None:
    """storage keeps a bucket named from the account and region, a secret, a key and a log group."""
    template: dict[str, Any] = json.loads(json.dumps(STORAGE_TEMPLATE))
    template["Resources"] |= {
        "ArchiveBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "Properties": {"BucketName": {"Fn::Sub": "app-test-archive-${AWS::AccountId}-${AWS::Region}"}},
        },
        "Secret": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "Properties": {"Name": SECRET}},
        "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "Properties": {}},
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "Properties": {"LogGroupName": "/app/test/storage"},
        },
    }
    world.change("storage", template)


def kept_resources_adopted(world: World, result: Result) -> None:
    resources = world.cloudformation.stack(STORAGE).resources
    assert resources["ArchiveBucket"][1] == ARCHIVE
    assert resources["Secret"][1] == secret_arn(REGION, SECRET)
    assert resources["KeptBucket"][1] == "app-test-kept"
    assert "already exists" not in result.out


def cause_fixed(world: World, result: Result) -> None:
    """The failed create was deleted, nothing of it left; then the cause is fixed for the next run."""
    assert world.cloudformation._active(APP_STACK) is None
    created = world.fake.called("CreateChangeSet~app-test-app")
    assert created and created[-1].params.get("OnStackFailure") == "DELETE"
    world.fake.faults.failing.clear()


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-redeploy-after-a-delete-adopts-what-the-delete-kept",
        IMPORT,
        ("delete", "--yes"),
        Expect(0, says=("storage  deleted",)),
        prepare=keeps_data,
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=(
                        "not deployed: adopt what an earlier delete kept, then create the rest",
                        f"adopting ArchiveBucket (AWS::S3::Bucket) {ARCHIVE}, Secret (AWS::SecretsManager::Secret) {SECRET}",
                        "Import  KeptBucket",
                        "storage  updated",
                    ),
                    must=(
                        "CreateChangeSet~IMPORT",
                        "ExecuteChangeSet~-adopt",
                        f"DescribeSecret~{SECRET}",
                        f"HeadBucket~{ARCHIVE}",
                    ),
                    before=(("ExecuteChangeSet~-adopt", "CreateChangeSet~UPDATE"),),
                    check=checks(kept_resources_adopted, every_s3_call_names_the_owner),
                ),
            ),
        ),
    ),
    Scenario(
        "a-plan-after-a-delete-says-what-it-would-adopt",
        IMPORT,
        ("delete", "--yes"),
        Expect(0),
        prepare=keeps_data,
        then=(
            (
                ("plan",),
                Expect(
                    3,
                    says=(
                        "storage  planned  would adopt what an earlier delete kept, then create the rest (ArchiveBucket "
                        f"(AWS::S3::Bucket) {ARCHIVE}, Secret (AWS::SecretsManager::Secret) {SECRET} exist, kept by "
                        "an earlier delete)",
                    ),
                    must_not=("CreateChangeSet~IMPORT", "CreateChangeSet~app-test-storage", "ExecuteChangeSet"),
                ),
            ),
        ),
    ),
    Scenario(
        "an-endpoint-that-cannot-import-into-a-new-stack-creates-it-without-adopting",
        IMPORT + "; LocalStack core answers CreateChangeSet IMPORT for a new stack 'Stack … does not exist'",
        ("delete", "--yes"),
        Expect(0),
        prepare=keeps_data,
        setup=fault(no_import_into_new_stacks=True),
        then=(
            (
                ("deploy",),
                Expect(
                    1,
                    says=(
                        "this CloudFormation cannot import into a stack that does not exist yet (ValidationError",
                        "creating app-test-storage without adopting",
                        "already exists",
                    ),
                    counts=(("CreateChangeSet~IMPORT", 1),),
                    must=("CreateChangeSet~CREATE",),
                    must_not=("ExecuteChangeSet~-adopt",),
                ),
            ),
        ),
    ),
    Scenario(
        "a-failed-first-create-leaves-nothing-to-clean",
        ON_FAILURE,
        ("deploy",),
        Expect(
            1,
            says=("The failed create was deleted (OnStackFailure DELETE), so nothing is left to clean up",),
            check=cause_fixed,
        ),
        setup=fault(failing={"app-test-app/Queue": "Value 0 for MessageRetentionPeriod is invalid"}),
        start="empty",
        then=((("deploy",), Expect(0, says=("app      created",), must_not=("DeleteStack",))),),
    ),
)
