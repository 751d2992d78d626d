"""The artifact bucket stack, one per account and region, that deploy creates on first use.

Nested templates (and later Lambda code) are uploaded here under content-hashed keys. The bucket
is versioned, encrypted, private, TLS-only; old versions and aborted uploads expire.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Sub, Tags, Template
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
    BucketPolicy,
    LifecycleConfiguration,
    LifecycleRule,
    NoncurrentVersionExpiration,
    VersioningConfiguration,
)

from templates.parts.buckets import private_encrypted
from templates.parts.common import MANAGED_BY, TEMPLATE_VERSION
from templates.parts.policies import deny_insecure_transport, document

STACK_NAME = "stackyard-bootstrap"
OLD_VERSIONS_EXPIRE_AFTER_DAYS = 30


def build() -> Template:
    template = Template(Description="stackyard: artifact bucket for nested templates and Lambda code")
    template.set_version(TEMPLATE_VERSION)
    bucket = template.add_resource(
        Bucket(
            "ArtifactBucket",
            BucketName=Sub("stackyard-artifacts-${AWS::AccountId}-${AWS::Region}"),
            VersioningConfiguration=VersioningConfiguration(Status="Enabled"),
            LifecycleConfiguration=LifecycleConfiguration(
                Rules=[
                    LifecycleRule(
                        Id="expire-old-versions",
                        Status="Enabled",
                        NoncurrentVersionExpiration=(
                            NoncurrentVersionExpiration(NoncurrentDays=OLD_VERSIONS_EXPIRE_AFTER_DAYS)
                        ),
                    ),
                    LifecycleRule(
                        Id="abort-incomplete-multipart-uploads",
                        Status="Enabled",
                        AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
                    ),
                ]
            ),
            Tags=Tags(ManagedBy=MANAGED_BY),
            **private_encrypted(),
        )
    )
    template.add_resource(
        BucketPolicy(
            "ArtifactBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=document(deny_insecure_transport(GetAtt(bucket, "Arn"))),
        )
    )
    template.add_output(Output("BucketName", Description="Artifact bucket", Value=Ref(bucket)))
    return template
