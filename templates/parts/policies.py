"""IAM policy documents shared by template modules, typed with awacs."""

from __future__ import annotations

import awacs.kms
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import AccountId, Join, Partition, Sub

from stackyard.iam import POLICY_VERSION


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


def account_administers_key() -> Statement:
    """A key policy's first statement: the account administers the key through IAM, as for any other
    resource (without it, only the key policy could ever grant access, and a mistake there locks the key)."""
    return Statement(
        Sid="AccountAdministersKeyThroughIam",
        Effect=Allow,
        Principal=Principal("AWS", Join("", ["arn:", Partition, ":iam::", AccountId, ":root"])),
        Action=[awacs.kms.Action("*")],
        Resource=["*"],
    )


def via_service(service: str) -> Condition:
    """Only when `service` (secretsmanager, ssm ...) uses the key on the caller's behalf."""
    return Condition(StringEquals({"kms:ViaService": Sub(f"{service}.${{AWS::Region}}.amazonaws.com")}))
