"""ACM calls: the DNS records that validate a certificate whose domain's DNS is not in Route 53."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackyard.aws.errors import translated


@dataclass(frozen=True)
class ValidationRecord:
    """A DNS record ACM looks for before it issues (and later renews) a certificate."""

    name: str  # such as _3c1e….tap.example.com.
    type: str  # CNAME
    value: str  # such as _9f2a….acm-validations.aws.

    def __str__(self) -> str:
        return f"{self.name} {self.type} {self.value}"


@dataclass(frozen=True)
class CertificateValidation:
    domain: str
    status: str  # the certificate's: PENDING_VALIDATION, ISSUED, FAILED, ...
    records: tuple[ValidationRecord, ...]  # one per distinct record; empty until ACM has made them


class Acm:
    def __init__(self, client: Any):
        self.client = client

    def validation(self, certificate_arn: str) -> CertificateValidation:
        """The certificate's status and the DNS records that validate it (ACM adds them a few seconds after
        the request, so a new certificate may have none yet)."""
        with translated(f"reading the certificate {certificate_arn}"):
            found = self.client.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        records: list[ValidationRecord] = []
        for option in found.get("DomainValidationOptions", []):
            record = option.get("ResourceRecord")
            if record:
                each = ValidationRecord(record["Name"], record["Type"], record["Value"])
                if each not in records:  # <domain> and *.<domain> share one record
                    records.append(each)
        return CertificateValidation(found.get("DomainName", ""), found.get("Status", ""), tuple(records))
