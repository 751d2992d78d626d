"""End-to-end on LocalStack core: a new environment of a system that retains data deploys again after a delete
(issue 14; docs/deploy.md, "Delete safety").

Seed 004 (goldsport-scheduler) keeps its buckets (`retain_data: true`, DeletionPolicy Retain): a delete
leaves them, with their objects, under their names. The next deploy of the environment must deploy again:
the stack manages the same buckets, the outputs name them, and the data in them is still there.

What this proves and what it cannot: LocalStack core does not refuse a bucket name that exists (measured,
docs/testing.md "Emulators"), so the second create succeeds here with or without adoption; on AWS it stops
on "already exists" unless deploy adopts what the delete kept (issue 11 item 10), which its fault-matrix
rows play. Here: the round trip through deploy.py, and that whatever deploy does on a create after a delete
(adoption included) works against the emulator.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
import yaml

import deploy
from tests.helpers import ROOT
from tests.helpers.emulator import LocalStack

pytestmark = pytest.mark.e2e
SYSTEM = "goldsport-scheduler"
ACTIVE = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE", "ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]
KEPT_OBJECT = "schedules/kept-by-the-delete.json"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with LocalStack(tmp_path_factory.mktemp("localstack")) as running:
        yield running


@pytest.fixture
def system(tmp_path: Path, emulator: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Seed 004's folder, its local environment keeping its data as production does."""
    folder = tmp_path / SYSTEM
    shutil.copytree(ROOT / "examples" / SYSTEM, folder, ignore=shutil.ignore_patterns("build", "outputs", "logs"))
    local = folder / "params" / "local.yaml"
    local.write_text(yaml.safe_dump({**yaml.safe_load(local.read_text()), "retain_data": True}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("STACKYARD_ENV", raising=False)
    return folder


def run(system: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = deploy.main([*args, "--system", str(system), "--env", "local"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def bucket_outputs(system: Path) -> dict[str, str]:
    storage = json.loads((system / "outputs" / "local.json").read_text())["storage"]
    return {name: value for name, value in storage.items() if name.endswith("BucketName")}


def test_a_retained_data_environment_deploys_again_after_a_delete_with_its_data(system, emulator, capsys):
    region = yaml.safe_load((system / "params" / "base.yaml").read_text())["region"]
    s3 = boto3.client("s3", region_name=region, endpoint_url=emulator.endpoint)
    cloudformation = boto3.client("cloudformation", region_name=region, endpoint_url=emulator.endpoint)
    code, out = run(system, capsys, "deploy")
    assert code == 0, out
    buckets = bucket_outputs(system)
    assert buckets, out
    input_bucket = buckets["InputBucketName"]
    s3.put_object(Bucket=input_bucket, Key=KEPT_OBJECT, Body=b'{"kept": true}')
    try:
        code, out = run(system, capsys, "delete", "--yes")
        assert code == 0, out
        assert [
            stack["StackName"]
            for stack in cloudformation.list_stacks(StackStatusFilter=ACTIVE)["StackSummaries"]
            if stack["StackName"].startswith(f"{SYSTEM}-local-")
        ] == []  # the artifact bucket's stack stays: it is shared and kept without --delete-artifacts
        kept = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
        assert set(buckets.values()) <= kept, out  # DeletionPolicy Retain: the delete left them, with their data

        code, out = run(system, capsys, "deploy")
        assert code == 0, out
        assert bucket_outputs(system) == buckets
        stack = f"{SYSTEM}-local-storage"
        managed = {
            resource["PhysicalResourceId"]
            for resource in cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
            if resource["ResourceType"] == "AWS::S3::Bucket"
        }
        assert set(buckets.values()) <= managed  # the stack manages the kept buckets again, not copies
        assert s3.get_object(Bucket=input_bucket, Key=KEPT_OBJECT)["Body"].read() == b'{"kept": true}'
    finally:
        run(system, capsys, "delete", "--yes", "--delete-artifacts")
        for name in buckets.values():
            _remove_bucket(s3, name)


def _remove_bucket(s3, name: str) -> None:
    """What the test kept: every version, then the bucket (the delete keeps retained buckets by design)."""
    try:
        versions = s3.list_object_versions(Bucket=name)
    except s3.exceptions.NoSuchBucket:
        return
    for version in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=name)
