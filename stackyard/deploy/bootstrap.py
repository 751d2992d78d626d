"""The artifact bucket stack, one per account and region, that deploy creates on first use.

Nested templates (and later Lambda code) are uploaded here under content-hashed keys. The bucket
is versioned, encrypted, private, TLS-only; old versions and aborted uploads expire.

The template is versioned: its Version output says which stackyard template the stack runs, and a
deploy updates a stack whose version is older than VERSION (stackyard/deploy/deployment.py). Bump
VERSION with every change to build(); tests/unit/deploy/test_bootstrap.py holds the two together.

troposphere is imported by build() alone: a deploy whose buckets exist reads only the names and the
version here, and a fresh process should not pay for troposphere (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackyard.cfn import MANAGED_BY, TEMPLATE_VERSION

if TYPE_CHECKING:
    from troposphere import Template

STACK_NAME = "stackyard-bootstrap"
VERSION = 2  # 1: before versions (no Version output)
OLD_VERSIONS_EXPIRE_AFTER_DAYS = 30


def build() -> Template:
    from troposphere import Output, Ref, Sub, Tags, Template
    from troposphere.s3 import (
        AbortIncompleteMultipartUpload,
        Bucket,
        LifecycleConfiguration,
        LifecycleRule,
        NoncurrentVersionExpiration,
        VersioningConfiguration,
    )

    from stackyard.bucket_security import private_encrypted, tls_only_policy

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
    template.add_resource(tls_only_policy(bucket))
    template.add_output(Output("BucketName", Description="Artifact bucket", Value=Ref(bucket)))
    template.add_output(
        Output("Version", Description="The stackyard bootstrap template this stack runs", Value=str(VERSION))
    )
    return template


def deployed_version(outputs: dict[str, str]) -> int:
    """The version a deployed bootstrap stack runs (1: made before versions)."""
    value = outputs.get("Version", "1")
    return int(value) if value.isdigit() else 1
