"""Pure unit: the artifact bucket's bootstrap stack (not an environment's, so cfn-lint's own rules only)."""

from __future__ import annotations

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
