"""Pure unit: the artifact bucket's bootstrap stack (not an environment's, so cfn-lint's own rules only)."""

from __future__ import annotations

import hashlib
import json

from cfnlint.api import lint

from stackyard.deploy import bootstrap


def test_the_artifact_bucket_is_versioned_encrypted_private_tls_only_and_forgets_old_versions():
    document = bootstrap.build().to_dict()
    bucket = document["Resources"]["ArtifactBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "stackyard-artifacts-${AWS::AccountId}-${AWS::Region}"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-old-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    [deny] = document["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert document["Outputs"]["BucketName"]["Value"] == {"Ref": "ArtifactBucket"}


def test_the_bootstrap_template_is_clean_by_cfn_lints_own_rules():
    # The project's E90xx rules are about environments (tags, names carrying the env); this stack is the
    # tool's own, one per account and region, so they do not apply to it.
    matches = lint(json.dumps(bootstrap.build().to_dict()), regions=["ap-southeast-1", "us-east-1"])
    assert [str(match) for match in matches if not match.rule.id.startswith("E90")] == []


# The template's digest for each version: a change to build() fails here until VERSION is bumped and
# the new digest pinned (a deploy updates only stacks whose Version output is older than VERSION).
DIGESTS = {2: "478dd5574afb8adf1179acdbb65f320ddc73190eee95a9fe476bc4b8201e3476"}


def test_a_change_to_the_bootstrap_template_comes_with_a_new_version():
    document = bootstrap.build().to_dict()
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    assert bootstrap.VERSION in DIGESTS, f"pin VERSION {bootstrap.VERSION}'s digest: {digest}"
    assert digest == DIGESTS[bootstrap.VERSION], f"the template changed: bump bootstrap.VERSION, pin {digest}"
    assert document["Outputs"]["Version"]["Value"] == str(bootstrap.VERSION)


def test_a_stack_without_a_version_output_runs_version_1():
    assert bootstrap.deployed_version({"BucketName": "b"}) == 1
    assert bootstrap.deployed_version({"BucketName": "b", "Version": "2"}) == 2
    assert bootstrap.deployed_version({"Version": "garbled"}) == 1
