"""What CloudFront fixes for the stacks that serve the site or graph it: the one region it takes web
ACLs and certificates from (and reports its metrics to), the site's certificates, who reads the
site's bucket (the distribution `Distribution` of the same template) and who may invalidate it."""

from __future__ import annotations

import awacs.cloudfront
import awacs.s3
import awacs.ssm
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals
from troposphere import AWSHelperFn, Ref, Sub, Template
from troposphere.certificatemanager import Certificate, DomainValidationOption
from troposphere.cloudfront import Distribution
from troposphere.iam import PolicyType
from troposphere.ssm import Parameter

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import import_value
from templates.parts.grants import site_writers
from templates.parts.policies import document

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


def cloudfront_reads(objects: AWSHelperFn, what: str) -> Statement:
    """This distribution (Origin Access Control), and no other, reads the objects; never the listing."""
    return Statement(
        Sid=f"AllowCloudFrontToRead{what}",
        Effect=Allow,
        Principal=Principal("Service", "cloudfront.amazonaws.com"),
        Action=[awacs.s3.GetObject],
        Resource=[objects],
        Condition=Condition(
            StringEquals(
                {
                    "AWS:SourceArn": Sub(
                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                    )
                }
            )
        ),
    )


def site_writers_invalidate(template: Template, config: EnvironmentConfig, distribution: Distribution) -> None:
    """Functions writing the served bucket may invalidate this distribution, so CloudFront does not keep
    serving what they replaced; its id goes to an SSM parameter they read (they deploy before it exists)."""
    writers = site_writers(config)
    if not writers:
        return
    parameter = template.add_resource(
        Parameter(
            "DistributionIdParameter",
            Name=names.site_distribution_parameter_name(config),
            Type="String",
            Value=Ref(distribution),
            Description="The id of the CloudFront distribution serving the site, for the functions writing it",
        )
    )
    template.add_resource(
        PolicyType(
            "SiteWritersInvalidate",
            PolicyName="invalidate-site",
            Roles=[import_value(config, names.function_role_name_export(key)) for key in writers],
            PolicyDocument=document(
                Statement(
                    Sid="InvalidateTheSite",
                    Effect=Allow,
                    Action=[awacs.cloudfront.CreateInvalidation, awacs.cloudfront.GetInvalidation],
                    Resource=[Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}")],
                ),
                Statement(
                    Sid="ReadTheDistributionId",
                    Effect=Allow,
                    Action=[awacs.ssm.GetParameter],
                    Resource=[
                        Sub(
                            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}",
                            Name=Ref(parameter),
                        )
                    ],
                ),
            ),
        )
    )
