"""Integration (moto, in-process): packaging into a real-behaving S3, emptying versioned buckets, and
what a delete does with a stack's buckets. moto's CloudFormation creates stacks and buckets for
real here, which is all these need (docs/testing.md, "Emulators": its change sets are not trusted)."""

from __future__ import annotations

import hashlib
import io
import json

import boto3
import pytest
from moto import mock_aws

from stackyard.aws import Aws
from stackyard.deploy.clock import SystemClock
from stackyard.deploy.delete_planner import DeletePlanner
from stackyard.deploy.deletion import Deleter
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.interrupt import Interrupt
from stackyard.deploy.package import Uploaded, package, upload
from stackyard.deploy.progress import Progress
from stackyard.deploy.watch import Watcher
from stackyard.errors import BadInputError
from stackyard.generate import generate
from stackyard.manifest import MANIFEST_FILE, load
from tests.helpers import PARAMS_DIR
from tests.helpers.manifests import manifest, stack_entry

REGION = "ap-southeast-1"
ARTIFACTS = "stackyard-artifacts-123456789012-ap-southeast-1"


@pytest.fixture
def aws(monkeypatch):
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield Aws(region=REGION)


@pytest.fixture(scope="module")
def local_build(tmp_path_factory):
    build_dir = tmp_path_factory.mktemp("build")
    generate(PARAMS_DIR, build_dir, ["local"], run_lint=False)
    env_dir = build_dir / "local"
    return env_dir, load(env_dir / MANIFEST_FILE)


def make_bucket(name: str, versioned: bool = False) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def test_nested_templates_are_uploaded_under_their_content_hash_and_the_urls_rewritten(aws, local_build):
    env_dir, built = local_build
    make_bucket(ARTIFACTS)
    entry = built.entry("network")
    packaged = package("network", entry, env_dir, ARTIFACTS, REGION)
    assert upload(aws.s3(REGION), packaged.uploads) == Uploaded(2, 0)
    s3 = boto3.client("s3", region_name=REGION)
    for logical_id, child in entry.nested.items():
        key = f"templates/{child.sha256}.json"
        body = s3.get_object(Bucket=ARTIFACTS, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == child.sha256
        assert body == (env_dir / child.template).read_bytes()
        assert packaged.template["Resources"][logical_id]["Properties"]["TemplateURL"] == (
            f"https://{ARTIFACTS}.s3.{REGION}.amazonaws.com/{key}"
        )
    assert json.loads(packaged.source["TemplateBody"]) == packaged.template


def test_packaging_again_uploads_nothing(aws, local_build):
    env_dir, built = local_build
    make_bucket(ARTIFACTS)
    packaged = package("network", built.entry("network"), env_dir, ARTIFACTS, REGION)
    upload(aws.s3(REGION), packaged.uploads)
    again = package("network", built.entry("network"), env_dir, ARTIFACTS, REGION)
    assert again == packaged
    assert upload(aws.s3(REGION), again.uploads) == Uploaded(0, 2)


def test_a_template_edited_after_generate_never_deploys(aws, local_build, tmp_path):
    env_dir, built = local_build
    copy = tmp_path / "local"
    copy.mkdir()
    for path in env_dir.rglob("*.json"):
        target = copy / path.relative_to(env_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (copy / "network/vpc.json").write_text("{}")
    make_bucket(ARTIFACTS)
    with pytest.raises(
        BadInputError,
        match="network/vpc.json: does not match .*manifest.json \\(changed after "
        "generate\\). Fix: run python generate.py --env local",
    ):
        package("network", built.entry("network"), copy, ARTIFACTS, REGION)


def test_emptying_removes_every_version_and_delete_marker_in_batches(aws):
    make_bucket("versioned", versioned=True)
    s3 = boto3.client("s3", region_name=REGION)
    for index in range(1001):  # more than one DeleteObjects batch
        s3.put_object(Bucket="versioned", Key=f"k{index % 3}", Body=b"x")
    s3.delete_object(Bucket="versioned", Key="k0")  # a delete marker
    deleted = aws.s3(REGION).empty("versioned")
    assert deleted == 1002
    listing = s3.list_object_versions(Bucket="versioned")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")


BUCKETS_TEMPLATE = {
    "Resources": {
        "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": "kept-bucket"}},
        "Scratch": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "scratch-bucket"}},
    },
}


class NoSleep(SystemClock):
    def sleep(self, seconds, wake=None) -> None:
        pass


def delete(aws, tmp_path, out=None):
    """Plan, then delete, the environment's one stack as a delete run does; the plan, the outcomes, the deleter."""
    environment = Environment(manifest("test", REGION, {"storage": stack_entry("app-test-storage", REGION)}), tmp_path)
    with Progress("test", ["storage"], tmp_path / "delete.log", out=out or io.StringIO(), live=False) as progress:
        watcher = Watcher(progress, NoSleep(), Interrupt(), "python deploy.py delete --env test")
        plan = DeletePlanner(aws, environment, DeployOptions(), watcher).plan(["storage"], with_artifacts=False)
        if plan.blockers:
            return plan, {}, None
        deleter = Deleter(aws, environment, DeployOptions(), watcher, "run")
        return plan, deleter.delete(plan), deleter


def test_a_delete_empties_the_buckets_it_removes_and_leaves_and_lists_the_kept_ones(aws, tmp_path):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="app-test-storage", TemplateBody=json.dumps(BUCKETS_TEMPLATE))
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("kept-bucket", "scratch-bucket"):
        s3.put_object(Bucket=bucket, Key="data.csv", Body=b"1,2,3")
    out = io.StringIO()
    plan, outcomes, deleter = delete(aws, tmp_path, out)
    assert [str(bucket) for bucket in plan.stacks[0].buckets] == [
        "scratch-bucket: 1 object versions and delete markers"
    ]
    assert outcomes["storage"].result == "deleted", outcomes["storage"].detail
    assert "emptied bucket scratch-bucket: 1 object versions and delete markers" in out.getvalue()
    assert "leaving bucket kept-bucket: its template keeps it" in out.getvalue()
    assert s3.list_objects_v2(Bucket="kept-bucket")["KeyCount"] == 1
    assert [str(kept) for kept in deleter.kept] == ["AWS::S3::Bucket kept-bucket (app-test-storage/Kept)"]


def test_a_stack_already_gone_is_fine_to_delete(aws, tmp_path):
    plan, outcomes, _ = delete(aws, tmp_path)
    assert not plan.anything_to_delete
    assert outcomes["storage"].result == "gone"


def test_termination_protection_refuses_the_whole_delete_with_the_fix(aws, tmp_path):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="app-test-storage", TemplateBody=json.dumps(BUCKETS_TEMPLATE), EnableTerminationProtection=True
    )
    boto3.client("s3", region_name=REGION).put_object(Bucket="scratch-bucket", Key="data.csv", Body=b"1")
    plan, outcomes, _ = delete(aws, tmp_path)
    assert outcomes == {}
    assert "app-test-storage has termination protection. Fix: set termination_protection: false" in plan.blockers[0]
    assert cloudformation.describe_stacks(StackName="app-test-storage")["Stacks"]
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="scratch-bucket")["KeyCount"] == 1


def test_a_delete_plan_counts_versions_and_sees_object_lock(aws, tmp_path):
    template = {"Resources": {"Scratch": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "scratch-bucket"}}}}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="app-test-storage", TemplateBody=json.dumps(template)
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket="scratch-bucket", VersioningConfiguration={"Status": "Enabled"})
    for _ in range(3):
        s3.put_object(Bucket="scratch-bucket", Key="k", Body=b"x")
    s3.create_bucket(
        Bucket="locked", CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True
    )
    plan, _, _ = delete(aws, tmp_path)
    [bucket] = plan.stacks[0].buckets
    assert (bucket.bucket, bucket.versions, bucket.all_counted, bucket.object_lock) == (
        "scratch-bucket",
        3,
        True,
        False,
    )
    assert aws.s3(REGION).object_lock_enabled("locked") is True
