"""Edge stack (seed 000 §1.8): the load balancer in front of the app, and CloudFront in front of both.

CloudFront serves the SPA from its private bucket (Origin Access Control) and sends `/api/*`
to the load balancer uncached, with every header, cookie and query string. Its web ACL and,
with a domain, its certificate come from the us-east-1 edge stack as parameters.

The load balancer is never reachable around CloudFront and its web ACL (templates/parts/api_entry.py):
behind `/api/*` it is internal, CloudFront's VPC origin, admitting only CloudFront's origin-facing
prefix list. CloudFront reaches it over HTTPS with a domain (its certificate names
`<api_subdomain>.<domain>`), over HTTP without one (no certificate is possible; the request stays on
AWS's network, docs/security.md). Route 53 holds the site's name.

Params change the shape (seed 002 §2.6, seed 004 §1.3): without an app (compute or containers)
there is no load balancer, only CloudFront and the site; `api_via_cloudfront: false` leaves
CloudFront the site alone while the API is `<api_subdomain>.<domain>` on an internet-facing load
balancer (HTTPS only, HTTP redirects) behind a REGIONAL web ACL; `waf: false` drops the web ACLs;
`site_bucket` serves a storage bucket instead of the edge's own.

The load balancer is built in templates/parts/load_balancer.py and the distribution in
templates/parts/distribution.py; this module wires them, and adds the site's bucket, DNS and the exports.
"""

from __future__ import annotations

from awacs.aws import PolicyDocument
from troposphere import GetAtt, Join, Output, Parameter, Ref, Sub, Template
from troposphere.cloudfront import Distribution, Logging
from troposphere.elasticloadbalancingv2 import LoadBalancer, TargetGroup
from troposphere.route53 import AliasTarget, RecordSetType
from troposphere.s3 import Bucket, BucketPolicy

from stackyard.bucket_security import deny_insecure_transport
from stackyard.config import (
    ACCESS_LOGS_BUCKET,
    FRONTEND_BUCKET,
    EnvironmentConfig,
    app_behind_load_balancer,
)
from stackyard.config import (
    Bucket as BucketConfig,
)
from stackyard.iam import POLICY_VERSION
from templates import names
from templates.parts.api_entry import (
    CLOUDFRONT_ORIGIN_FACING,
    ORIGIN_FACING_PARAMETER,
    behind_cloudfront,
    regional_web_acl,
    vpc_origin,
)
from templates.parts.buckets import add_bucket_policy, cloudfront_log_bucket, private_bucket
from templates.parts.cloudfront import cloudfront_reads, site_writers_invalidate
from templates.parts.common import (
    FromOutput,
    StackTemplates,
    export,
    import_value,
    new_template,
    output_parameter,
    tag_resources,
)
from templates.parts.distribution import API_PATH, CLOUDFRONT_CERTIFICATE, site_distribution, vpc_api_origin
from templates.parts.load_balancer import app_load_balancer, load_balancer_alarms

NAME = names.EDGE
CLOUDFRONT_HOSTED_ZONE = "Z2FDTNDATAQYW2"  # the alias zone of every CloudFront distribution
FRONTEND = BucketConfig(purpose="SPA static assets", versioned=True)  # versions allow rolling back a release


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, _description(config))
    parameters = _edge_global_parameters(template, config)
    load_balancer = target_group = api_origin = None
    if app_behind_load_balancer(config):
        if names.COMPUTE in config.stacks:
            parameters.update(
                [
                    output_parameter(
                        template, names.APP_INSTANCE_ID, names.COMPUTE, "The app server behind the load balancer"
                    ),
                ]
            )
        load_balancer, target_group = app_load_balancer(template, config)
        load_balancer_alarms(template, config, load_balancer, target_group)
        if behind_cloudfront(config):
            api_origin = vpc_api_origin(config, load_balancer, vpc_origin(template, config, load_balancer))
        elif config.edge.waf:
            regional_web_acl(template, config, load_balancer)
    origin_domain, own_bucket = _site_origin(template, config)
    distribution = site_distribution(template, config, api_origin, origin_domain)
    access_logs = import_value(config, names.bucket_name_export(ACCESS_LOGS_BUCKET))
    distribution.DistributionConfig.Logging = Logging(
        Bucket=GetAtt(cloudfront_log_bucket(template, config, access_logs), "DomainName"),
        Prefix=names.CDN_LOG_PREFIX,
        IncludeCookies=False,  # session cookies stay out of the log
    )
    site_writers_invalidate(template, config, distribution)
    api_load_balancer = None if api_origin else load_balancer  # behind CloudFront's VPC origin: no name of its own
    if config.edge.hosted_zone_id:
        _dns_records(template, config, api_load_balancer, distribution)
    elif config.edge.domain:
        _dns_targets(template, config, api_load_balancer, distribution)
    _exports(template, config, load_balancer, target_group, distribution, own_bucket)
    prefix_lists = {ORIGIN_FACING_PARAMETER: CLOUDFRONT_ORIGIN_FACING} if api_origin else {}
    return StackTemplates(NAME, tag_resources(template, config), parameters=parameters, prefix_lists=prefix_lists)


def _description(config: EnvironmentConfig) -> str:
    site = f"serving bucket {config.edge.site_bucket}" if config.edge.site_bucket else "frontend bucket"
    if app_behind_load_balancer(config):
        return f"edge (load balancer, CloudFront, {site})"
    return f"edge (CloudFront, {site})"


def _edge_global_parameters(template: Template, config: EnvironmentConfig) -> dict[str, FromOutput]:
    """What edge-global (us-east-1) passes in: the web ACL, and with a domain CloudFront's certificate."""
    parameters = {}
    if config.edge.waf:
        parameters.update(
            [output_parameter(template, names.WEB_ACL_ARN, names.EDGE_GLOBAL, "CLOUDFRONT-scope web ACL (us-east-1)")]
        )
    if config.edge.domain:
        parameters[CLOUDFRONT_CERTIFICATE] = FromOutput(names.EDGE_GLOBAL, names.CERTIFICATE_ARN)
        template.add_parameter(
            Parameter(
                CLOUDFRONT_CERTIFICATE,
                Type="String",
                Description=f"CloudFront certificate for {config.edge.domain} (us-east-1)",
            )
        )
    return parameters


def _site_origin(template: Template, config: EnvironmentConfig) -> tuple:
    """The regional domain name of the bucket CloudFront reads the site from, and the edge's own
    bucket (None when it serves a storage bucket, whose name storage exports already).

    Either bucket admits exactly this distribution. A storage bucket (edge.site_bucket) gets its
    policy here rather than in the storage stack, which deploys before the distribution exists.
    """
    key = config.edge.site_bucket
    if key:
        name = import_value(config, names.bucket_name_export(key))
        arn = Sub("arn:${AWS::Partition}:s3:::${Bucket}", Bucket=name)
        template.add_resource(
            BucketPolicy(
                "SiteBucketPolicy",
                Bucket=name,
                PolicyDocument=PolicyDocument(
                    Version=POLICY_VERSION,
                    Statement=[deny_insecure_transport(arn), cloudfront_reads(Join("", [arn, "/*"]), "TheSite")],
                ),
            )
        )
        return Sub("${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}", Bucket=name), None
    bucket = template.add_resource(
        private_bucket(
            config, FRONTEND_BUCKET, FRONTEND, import_value(config, names.bucket_name_export(ACCESS_LOGS_BUCKET))
        )
    )
    add_bucket_policy(template, bucket, cloudfront_reads(Join("", [GetAtt(bucket, "Arn"), "/*"]), "Assets"))
    return GetAtt(bucket, "RegionalDomainName"), bucket


def _dns_records(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer | None, distribution: Distribution
) -> None:
    zone = config.edge.hosted_zone_id
    for record_type in ("A", "AAAA"):
        template.add_resource(
            RecordSetType(
                f"Site{record_type}Record",
                HostedZoneId=zone,
                Name=config.edge.domain,
                Type=record_type,
                AliasTarget=AliasTarget(
                    HostedZoneId=CLOUDFRONT_HOSTED_ZONE, DNSName=GetAtt(distribution, "DomainName")
                ),
            )
        )
    if load_balancer is None:
        return
    template.add_resource(
        RecordSetType(
            "ApiARecord",
            HostedZoneId=zone,
            Name=config.edge.api_domain,
            Type="A",
            AliasTarget=AliasTarget(
                HostedZoneId=GetAtt(load_balancer, "CanonicalHostedZoneID"),
                DNSName=GetAtt(load_balancer, "DNSName"),
                EvaluateTargetHealth=True,
            ),
        )
    )


def _dns_targets(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer | None, distribution: Distribution
) -> None:
    """Without a Route 53 zone, what the domain's own DNS must point its names at (ALIAS, or CNAME below
    the zone apex): outputs deploy writes to the outputs file."""
    edge = config.edge
    template.add_output(
        Output(
            names.SITE_DNS_TARGET,
            Description=f"Point {edge.domain} here (ALIAS/ANAME, or CNAME for a subdomain)",
            Value=GetAtt(distribution, "DomainName"),
        )
    )
    if load_balancer is not None:
        template.add_output(
            Output(
                names.API_DNS_TARGET,
                Description=f"Point {edge.api_domain} here (CNAME)",
                Value=GetAtt(load_balancer, "DNSName"),
            )
        )


def _exports(
    template: Template,
    config: EnvironmentConfig,
    load_balancer: LoadBalancer | None,
    target_group: TargetGroup | None,
    distribution: Distribution,
    own_bucket: Bucket | None,
) -> None:
    site = config.edge.domain or GetAtt(distribution, "DomainName")
    export(template, config, "SiteUrl", Join("", ["https://", site]), "Where users open the app")
    export(
        template, config, names.DISTRIBUTION_ID, Ref(distribution), "CloudFront distribution id (cache invalidations)"
    )
    if own_bucket is not None:
        export(
            template,
            config,
            names.bucket_name_export(FRONTEND_BUCKET),
            Ref(own_bucket),
            "Bucket the SPA build is synced to",
        )
    if load_balancer is None:
        return
    if config.edge.api_via_cloudfront:
        export(
            template,
            config,
            "ApiUrl",
            Join("", ["https://", site, API_PATH.removesuffix("/*")]),
            "Where the SPA calls the API: under the site's own origin, through CloudFront",
        )
    else:
        export(
            template,
            config,
            "ApiUrl",
            f"https://{config.edge.api_domain}",
            "Where the SPA calls the API: its load balancer, another origin than the site's",
        )
    export(
        template,
        config,
        names.LOAD_BALANCER_FULL_NAME,
        GetAtt(load_balancer, "LoadBalancerFullName"),
        "Load balancer name as CloudWatch dimensions want it",
    )
    export(
        template,
        config,
        names.TARGET_GROUP_FULL_NAME,
        GetAtt(target_group, "TargetGroupFullName"),
        "Target group name as CloudWatch dimensions want it",
    )
