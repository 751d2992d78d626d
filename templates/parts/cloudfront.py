"""What CloudFront fixes for the stacks that serve the site or graph it: the one region it takes web
ACLs and certificates from (and reports its metrics to), and the site's certificates."""

from __future__ import annotations

from troposphere.certificatemanager import Certificate, DomainValidationOption

from stackyard.config import EnvironmentConfig

CLOUDFRONT_REGION = "us-east-1"


def site_certificate(title: str, config: EnvironmentConfig, name: str) -> Certificate:
    """A DNS-validated certificate for `name`, or with edge.wildcard_certificate for the domain and
    every name under it.

    *.<domain> is validated by the same DNS record as <domain>, so only the domain is listed for
    validation; listing both makes CloudFormation write that record twice, which Route 53 refuses.

    Without edge.hosted_zone_id (DNS elsewhere, seed 002 §2.6) nothing writes the record: CloudFormation
    reports it in the certificate's stack event and waits until someone creates it.
    """
    edge = config.edge
    name = edge.domain if edge.wildcard_certificate else name
    certificate = Certificate(title, DomainName=name, ValidationMethod="DNS")
    if edge.hosted_zone_id:
        certificate.DomainValidationOptions = [
            DomainValidationOption(DomainName=name, HostedZoneId=edge.hosted_zone_id)
        ]
    if edge.wildcard_certificate:
        certificate.SubjectAlternativeNames = [f"*.{edge.domain}"]
    return certificate
