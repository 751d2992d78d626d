"""What every S3 bucket stackyard creates gets, an environment's (templates/parts/buckets.py) and the
artifact bucket of its bootstrap stack (stackyard/deploy/bootstrap.py) alike: SSE-S3 encryption, every public
access blocked, ACLs disabled, and a bucket policy refusing plain HTTP."""

from __future__ import annotations

from awacs.aws import Bool, Condition, Deny, PolicyDocument, Principal, Statement
from awacs.s3 import Action as S3Action
from troposphere import AWSHelperFn, GetAtt, Join, Ref
from troposphere.s3 import (
    Bucket,
    BucketEncryption,
    BucketPolicy,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
)

from stackyard.iam import POLICY_VERSION


def private_encrypted() -> dict[str, object]:
    """SSE-S3 encryption, every public access blocked, ACLs disabled: Bucket properties."""
    return {
        "BucketEncryption": BucketEncryption(
            ServerSideEncryptionConfiguration=[
                ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
                )
            ]
        ),
        "PublicAccessBlockConfiguration": PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        "OwnershipControls": OwnershipControls(Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
    }


def tls_only_policy(bucket: Bucket, *extra: Statement) -> BucketPolicy:
    """The bucket's policy: refuse plain HTTP, then allow whatever `extra` allows."""
    return BucketPolicy(
        f"{bucket.title}Policy",
        Bucket=Ref(bucket),
        PolicyDocument=PolicyDocument(
            Version=POLICY_VERSION, Statement=[deny_insecure_transport(GetAtt(bucket, "Arn")), *extra]
        ),
    )


def deny_insecure_transport(bucket_arn: AWSHelperFn) -> Statement:
    """Refuse every request to the bucket and its objects that does not use TLS."""
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=[S3Action("*")],
        Resource=[bucket_arn, Join("", [bucket_arn, "/*"])],
        Condition=Condition(Bool({"aws:SecureTransport": "false"})),
    )
