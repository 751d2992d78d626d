"""Fault matrix rows: the artifact bucket and its bootstrap stack (issue 11 item 12): a versioned bootstrap
stack updated when stackyard's is newer, a bucket deleted outside CloudFormation, a bucket name another
account holds (ExpectedBucketOwner), and conditional uploads that find the object there (412)."""

from __future__ import annotations

import json

from stackyard.deploy import bootstrap
from tests.faults.answers import ACCOUNT
from tests.faults.scenarios.common import (
    ARTIFACTS,
    CONDITIONAL_PUT,
    NO_WRITES,
    Expect,
    Scenario,
    app_with_retention,
    both,
    checks,
    every_s3_call_names_the_owner,
)
from tests.faults.world import ENV, VPC_TEMPLATE, Result, World

OLD_BOOTSTRAP = (
    "UpdateStack/CreateChangeSet UPDATE changes a stack to a new template; CloudFormation never updates a stack by "
    "itself (CreateChangeSet API reference)"
)
BUCKET_GONE = (
    "A resource deleted outside CloudFormation stays in its stack: CloudFormation does not recreate it on update "
    "(User Guide, 'Detect unmanaged configuration changes'; drift status DELETED); HeadBucket answers 404"
)
OWNER = (
    "ExpectedBucketOwner: a request naming another account than the bucket's owner fails 403 Access Denied (S3 "
    "User Guide, 'Verifying bucket ownership with bucket owner condition'); bucket names are global and reusable "
    "once deleted"
)
OTHER_ACCOUNT = "999999999999"


def bootstrap_of_version_1(world: World) -> None:
    """A bootstrap stack made by a stackyard before versions: its template has no Version output."""
    stack = world.cloudformation.stack(bootstrap.STACK_NAME)
    template = json.loads(json.dumps(stack.template))
    del template["Outputs"]["Version"]
    stack.template = template
    del stack.outputs["Version"]


def artifact_bucket_deleted(world: World) -> None:
    del world.fake.s3.buckets[ARTIFACTS]


def artifact_bucket_taken(world: World) -> None:
    """Deleted, and its name taken by a bucket of another account."""
    artifact_bucket_deleted(world)
    world.fake.s3.make_bucket(ARTIFACTS).owner = OTHER_ACCOUNT


def vpc_child_changed(world: World) -> None:
    """A new nested template whose key another run uploads between this run's HeadObject and PutObject."""
    template = json.loads(json.dumps(VPC_TEMPLATE))
    template["Resources"]["Vpc"]["Properties"]["EnableDnsSupport"] = True
    world.change("network/vpc", template)

    def racing_upload() -> None:  # the same content under the same content-addressed key
        [call] = world.fake.called("HeadObject~templates/")[-1:]
        body = (world.root / "build" / ENV / "network" / "vpc.json").read_bytes()
        world.fake.s3.put_object(Bucket=ARTIFACTS, Key=call.params["Key"], Body=body)

    world.fake.on("HeadObject~templates/", racing_upload)


def bootstrap_current(world: World, result: Result) -> None:
    stack = world.cloudformation.stack(bootstrap.STACK_NAME)
    assert stack.outputs["Version"] == str(bootstrap.VERSION)
    assert ARTIFACTS in world.fake.s3.buckets


def every_upload_is_conditional(world: World, result: Result) -> None:
    uploads = world.fake.called("PutObject~templates/")
    assert uploads and all(call.params.get("IfNoneMatch") == "*" for call in uploads)


def racing_upload_kept(world: World, result: Result) -> None:
    """One version of the key: the other run's; this run's conditional PUT wrote nothing."""
    [call] = [call for call in result.calls if call.matches("PutObject~templates/")]
    versions = [v for v in world.fake.s3.buckets[ARTIFACTS].versions if v.key == call.params["Key"]]
    assert len(versions) == 1, versions


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-bootstrap-stack-of-an-older-version-is-updated",
        OLD_BOOTSTRAP,
        ("deploy",),
        Expect(
            0,
            says=(f"updating stackyard-bootstrap in ap-southeast-1 from version 1 to {bootstrap.VERSION}",),
            must=("CreateChangeSet~stackyard-bootstrap", "ExecuteChangeSet~-bootstrap-execute"),
            must_not=("DeleteStack",),
            before=(("ExecuteChangeSet~-bootstrap-execute", "PutObject~locks/"),),
            check=checks(bootstrap_current, every_s3_call_names_the_owner),
        ),
        setup=bootstrap_of_version_1,
        nested=True,
    ),
    Scenario(
        "a-plan-says-an-older-bootstrap-stack-would-be-updated",
        OLD_BOOTSTRAP,
        ("plan",),
        Expect(
            3,
            says=(
                f"a deploy would start updating stackyard-bootstrap in ap-southeast-1 from version 1 to {bootstrap.VERSION}",
            ),
            must_not=("CreateChangeSet~stackyard-bootstrap", *NO_WRITES),
        ),
        setup=bootstrap_of_version_1,
        nested=True,
    ),
    Scenario(
        "a-plan-after-the-artifact-bucket-was-deleted-says-so",
        BUCKET_GONE,
        ("plan",),
        Expect(
            3,
            says=(
                f"the artifact bucket {ARTIFACTS} (stackyard-bootstrap in ap-southeast-1) was deleted outside "
                "CloudFormation; a deploy makes it again",
            ),
            must=("HeadBucket",),
            must_not=("CreateChangeSet~stackyard-bootstrap", "HeadObject", *NO_WRITES),
        ),
        setup=artifact_bucket_deleted,
        nested=True,
    ),
    Scenario(
        "a-deploy-after-the-artifact-bucket-was-deleted-makes-it-again",
        BUCKET_GONE,
        ("deploy",),
        Expect(
            0,
            says=("was deleted outside CloudFormation; a deploy makes it again: deleting stackyard-bootstrap",),
            must=("DeleteStack~stackyard-bootstrap", "PutObject~locks/app-test.json"),
            before=(
                ("DeleteStack~stackyard-bootstrap", "CreateChangeSet~stackyard-bootstrap"),
                ("ExecuteChangeSet~-bootstrap-execute", "PutObject~locks/"),
            ),
            check=bootstrap_current,
        ),
        setup=artifact_bucket_deleted,
        nested=True,
    ),
    Scenario(
        "an-artifact-bucket-name-another-account-took-is-refused",
        OWNER,
        ("deploy",),
        Expect(
            1,
            says=(
                f"Bucket {ARTIFACTS} is not account {ACCOUNT}'s (ExpectedBucketOwner)",
                "delete the stack that named it (for the artifact bucket: stackyard-bootstrap in that region)",
            ),
            must=("HeadBucket",),
            must_not=NO_WRITES,
            check=every_s3_call_names_the_owner,
        ),
        setup=both(artifact_bucket_taken, app_with_retention(5)),  # a change: a no-op uploads nothing (noop.py)
        nested=True,
    ),
    Scenario(
        "an-upload-another-run-made-first-is-already-there",
        CONDITIONAL_PUT + "; the CI plan role may only write with If-None-Match (templates/ci.py)",
        ("deploy",),
        Expect(
            0,
            says=("network  updated",),
            must=("PutObject~templates/",),
            counts=(("PutObject~templates/", 1),),
            check=checks(every_upload_is_conditional, racing_upload_kept, every_s3_call_names_the_owner),
        ),
        setup=vpc_child_changed,
        nested=True,
    ),
)
