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
from stackyard.deletion import Deleter
from stackyard.errors import BadInputError, StackyardError
from stackyard.executor import DeployOptions, Environment
from stackyard.generate import generate
from stackyard.manifest import MANIFEST_FILE, load
from stackyard.package import package
from stackyard.progress import Progress
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
    packaged = package("network", entry, env_dir, ARTIFACTS, aws.s3(REGION), REGION)
    assert (packaged.uploaded, packaged.reused) == (2, 0)
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
    package("network", built.entry("network"), env_dir, ARTIFACTS, aws.s3(REGION), REGION)
    again = package("network", built.entry("network"), env_dir, ARTIFACTS, aws.s3(REGION), REGION)
    assert (again.uploaded, again.reused) == (0, 2)


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
        package("network", built.entry("network"), copy, ARTIFACTS, aws.s3(REGION), REGION)


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


def deleter(aws, tmp_path, out):
    environment = manifest("test", REGION, {"storage": stack_entry("app-test-storage", REGION)})
    progress = Progress("test", ["storage"], tmp_path / "delete.log", out=out, live=False)
    return Deleter(
        aws, Environment(environment, tmp_path), progress, DeployOptions(), sleep=lambda seconds: None
    ), progress


def test_a_delete_empties_the_buckets_it_removes_and_leaves_and_lists_the_kept_ones(aws, tmp_path):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="app-test-storage", TemplateBody=json.dumps(BUCKETS_TEMPLATE))
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("kept-bucket", "scratch-bucket"):
        s3.put_object(Bucket=bucket, Key="data.csv", Body=b"1,2,3")
    out = io.StringIO()
    runner, progress = deleter(aws, tmp_path, out)
    with progress:
        outcomes = runner.delete(["storage"])
    assert outcomes["storage"].result == "deleted", outcomes["storage"].detail
    assert "emptied bucket scratch-bucket: 1 object versions and delete markers" in out.getvalue()
    assert "leaving bucket kept-bucket: its template keeps it" in out.getvalue()
    assert s3.list_objects_v2(Bucket="kept-bucket")["KeyCount"] == 1
    assert [str(kept) for kept in runner.kept] == ["AWS::S3::Bucket kept-bucket (app-test-storage/Kept)"]


def test_a_stack_already_gone_is_fine_to_delete(aws, tmp_path):
    runner, progress = deleter(aws, tmp_path, io.StringIO())
    with progress:
        assert runner.delete(["storage"])["storage"].result == "gone"


def test_termination_protection_is_refused_with_the_fix(aws, tmp_path):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="app-test-storage", TemplateBody=json.dumps(BUCKETS_TEMPLATE), EnableTerminationProtection=True
    )
    runner, progress = deleter(aws, tmp_path, io.StringIO())
    with progress:
        outcome = runner.delete(["storage"])["storage"]
    assert outcome.result == "failed"
    assert "has termination protection. Fix: set termination_protection: false" in outcome.detail
    assert cloudformation.describe_stacks(StackName="app-test-storage")["Stacks"]


def test_object_lock_buckets_a_template_would_delete_are_refused_with_the_fix(aws, tmp_path):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(
        Bucket="locked", CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True
    )
    runner, progress = deleter(aws, tmp_path, io.StringIO())
    with (
        progress,
        pytest.raises(
            StackyardError, match="bucket locked has Object Lock.*Fix: give the bucket DeletionPolicy Retain"
        ),
    ):
        runner._empty("storage", aws.s3(REGION), "locked")
