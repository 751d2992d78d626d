"""IAM policy documents shared by template modules, typed with awacs."""

from __future__ import annotations

from awacs.aws import (
    Allow,
    Bool,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
)
from awacs.s3 import Action as S3Action
from awacs.sts import AssumeRole
from troposphere import AccountId, Join

POLICY_VERSION = "2012-10-17"


def document(*statements: Statement) -> PolicyDocument:
    return PolicyDocument(Version=POLICY_VERSION, Statement=list(statements))


def service_role_trust(service: str) -> PolicyDocument:
    """Trust `service` to assume the role, but only on behalf of this account (confused deputy)."""
    return document(
        Statement(
            Effect=Allow,
            Principal=Principal("Service", service),
            Action=[AssumeRole],
            Condition=Condition(StringEquals({"aws:SourceAccount": AccountId})),
        )
    )


def deny_insecure_transport(bucket_arn) -> Statement:
    """Refuse every request to the bucket and its objects that does not use TLS."""
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=[S3Action("*")],
        Resource=[bucket_arn, Join("", [bucket_arn, "/*"])],
        Condition=Condition(Bool({"aws:SecureTransport": "false"})),
    )
