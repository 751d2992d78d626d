"""Pure unit: the storage stack's template holds the facts of seed 000 §1.4."""

from __future__ import annotations

import pytest

from tests.helpers import ENVS, properties, resources, template

DATA_BUCKETS = ("RawLandingBucket", "ProcessedZoneBucket", "AttachmentsBucket", "ExportsBucket", "AuditLogsBucket")
ALL_BUCKETS = (*DATA_BUCKETS, "AccessLogsBucket")


def storage(builds, env):
    return template(builds, env, "storage.json")


def rules(document, bucket):
    return {rule["Id"]: rule for rule in properties(document, bucket)["LifecycleConfiguration"]["Rules"]}


@pytest.mark.parametrize("env", ENVS)
def test_the_five_seed_buckets_and_an_access_log_bucket(builds, env):
    buckets = resources(storage(builds, env), "AWS::S3::Bucket")
    assert sorted(buckets) == sorted(ALL_BUCKETS)
    assert properties(storage(builds, env), "RawLandingBucket")["BucketName"] == {
        "Fn::Sub": f"one-system-{env}-raw-landing-${{AWS::AccountId}}-${{AWS::Region}}"
    }


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("bucket", ["RawLandingBucket", "ProcessedZoneBucket", "AttachmentsBucket"])
def test_three_year_buckets_expire_after_1095_days_and_keep_versions(builds, env, bucket):
    document = storage(builds, env)
    assert rules(document, bucket)["expire-after-1095-days"]["ExpirationInDays"] == 1095
    assert properties(document, bucket)["VersioningConfiguration"] == {"Status": "Enabled"}
    assert rules(document, bucket)["expire-old-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


@pytest.mark.parametrize("env", ENVS)
def test_exports_expire_after_7_days_unversioned(builds, env):
    document = storage(builds, env)
    assert rules(document, "ExportsBucket")["expire-after-7-days"]["ExpirationInDays"] == 7
    assert "VersioningConfiguration" not in properties(document, "ExportsBucket")


@pytest.mark.parametrize(
    ("env", "mode", "days"),
    [
        ("dev", "GOVERNANCE", 1),
        ("test", "COMPLIANCE", 1095),
        ("prod", "COMPLIANCE", 1095),
    ],
)
def test_audit_logs_are_immutable_under_object_lock_and_always_retained(builds, env, mode, days):
    document = storage(builds, env)
    audit = properties(document, "AuditLogsBucket")
    assert audit["ObjectLockEnabled"] is True
    assert audit["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
    }
    resource = document["Resources"]["AuditLogsBucket"]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_every_bucket_is_encrypted_private_owner_only_and_cleans_up_uploads(builds, env, bucket):
    props = properties(storage(builds, env), bucket)
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    abort = rules(storage(builds, env), bucket)["abort-incomplete-multipart-uploads"]
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_every_bucket_refuses_requests_without_tls(builds, env, bucket):
    document = storage(builds, env)
    [policy] = [
        p["Properties"]
        for p in resources(document, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    deny = next(s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny")
    arn = {"Fn::GetAtt": [bucket, "Arn"]}
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize("env", ENVS)
def test_data_buckets_log_requests_to_the_access_log_bucket_which_accepts_them(builds, env):
    document = storage(builds, env)
    for bucket, prefix in zip(
        DATA_BUCKETS, ("raw-landing", "processed-zone", "attachments", "exports", "audit-logs"), strict=False
    ):
        assert properties(document, bucket)["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": "AccessLogsBucket"},
            "LogFilePrefix": f"{prefix}/",
        }
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in resources(document, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "AccessLogsBucket"}
    ]
    delivery = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == ["s3:PutObject"]
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


@pytest.mark.parametrize(("env", "policy"), [("dev", "Delete"), ("test", "Retain"), ("prod", "Retain")])
def test_buckets_without_object_lock_are_kept_outside_dev(builds, env, policy):
    document = storage(builds, env)
    for bucket in ALL_BUCKETS:
        if bucket == "AuditLogsBucket":
            continue
        resource = document["Resources"][bucket]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, policy), bucket


@pytest.mark.parametrize("env", ENVS)
def test_every_bucket_name_arn_and_regional_domain_name_is_exported(builds, env):
    exported = {output["Export"]["Name"] for output in storage(builds, env)["Outputs"].values()}
    names = ("RawLanding", "ProcessedZone", "Attachments", "Exports", "AuditLogs", "AccessLogs")
    kinds = ("Name", "Arn", "RegionalDomainName")
    assert exported == {f"one-system-{env}-{name}Bucket{kind}" for name in names for kind in kinds}
