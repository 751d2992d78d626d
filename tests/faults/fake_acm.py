"""The fault matrix's ACM: certificates the fake CloudFormation requests, DNS-validated by hand.

Answers as ACM does (DescribeCertificate API reference; User Guide, 'DNS validation'): a new
certificate is PENDING_VALIDATION, its DomainValidationOptions carry the CNAME to create a few seconds
after the request (before that, no ResourceRecord), one record serves <domain> and *.<domain>, and
once the record is found the certificate is ISSUED and keeps the record (renewals use it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.faults.answers import aws_error

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud

RECORDS_AFTER = timedelta(seconds=2)  # ACM adds the validation records a few seconds after the request


@dataclass
class FakeCertificate:
    arn: str
    domain: str
    names: list[str]  # the domain and its subject alternative names
    requested: datetime
    validated: datetime  # when the record is created by hand (and ACM finds it)


class FakeAcm:
    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud
        self.certificates: dict[str, FakeCertificate] = {}

    def request(self, arn: str, domain: str, alternatives: list[str], validated_after: float) -> None:
        now = self.cloud.clock.now()
        names = [domain, *alternatives]
        self.certificates[arn] = FakeCertificate(arn, domain, names, now, now + timedelta(seconds=validated_after))

    @staticmethod
    def record(domain: str) -> dict[str, str]:
        """The CNAME ACM asks for: derived from the domain, the same for <domain> and *.<domain>."""
        base = domain.removeprefix("*.")
        token = hashlib.sha256(base.encode()).hexdigest()
        return {"Name": f"_{token[:32]}.{base}.", "Type": "CNAME", "Value": f"_{token[32:]}.acm-validations.aws."}

    def describe_certificate(self, CertificateArn: str, **_: Any) -> dict[str, Any]:
        certificate = self.certificates.get(CertificateArn)
        if certificate is None:
            raise aws_error(
                "DescribeCertificate", "ResourceNotFoundException", f"Could not find certificate {CertificateArn}."
            )
        now = self.cloud.clock.now()
        issued = now >= certificate.validated
        options = []
        for name in certificate.names:
            option: dict[str, Any] = {
                "DomainName": name,
                "ValidationDomain": name,
                "ValidationMethod": "DNS",
                "ValidationStatus": "SUCCESS" if issued else "PENDING_VALIDATION",
            }
            if now >= certificate.requested + RECORDS_AFTER:
                option["ResourceRecord"] = self.record(name)
            options.append(option)
        return {
            "Certificate": {
                "CertificateArn": certificate.arn,
                "DomainName": certificate.domain,
                "SubjectAlternativeNames": certificate.names,
                "Status": "ISSUED" if issued else "PENDING_VALIDATION",
                "Type": "AMAZON_ISSUED",
                "DomainValidationOptions": options,
            }
        }
