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
"""

from __future__ import annotations

from awacs.aws import PolicyDocument
from troposphere import AWSHelperFn, GetAtt, Join, Output, Parameter, Ref, Sub, Template
from troposphere.cloudfront import (
    CacheBehavior,
    ContentTypeOptions,
    CustomErrorResponse,
    DefaultCacheBehavior,
    Distribution,
    DistributionConfig,
    FrameOptions,
    Function,
    FunctionAssociation,
    FunctionConfig,
    Logging,
    Origin,
    OriginAccessControl,
    OriginAccessControlConfig,
    ReferrerPolicy,
    ResponseHeadersPolicy,
    ResponseHeadersPolicyConfig,
    S3OriginConfig,
    SecurityHeadersConfig,
    StrictTransportSecurity,
    ViewerCertificate,
    VpcOrigin,
    VpcOriginConfig,
    XSSProtection,
)
from troposphere.cloudwatch import Metric, MetricDataQuery, MetricStat
from troposphere.elasticloadbalancingv2 import (
    Action,
    Listener,
    LoadBalancer,
    LoadBalancerAttributes,
    Matcher,
    RedirectConfig,
    TargetDescription,
    TargetGroup,
    TargetGroupAttribute,
)
from troposphere.elasticloadbalancingv2 import (
    Certificate as ListenerCertificate,
)
from troposphere.route53 import AliasTarget, RecordSetType
from troposphere.s3 import Bucket, BucketPolicy

from stackyard.bucket_security import deny_insecure_transport
from stackyard.config import (
    ACCESS_LOGS_BUCKET,
    FRONTEND_BUCKET,
    EnvironmentConfig,
    app_behind_load_balancer,
    app_port,
)
from stackyard.config import (
    Bucket as BucketConfig,
)
from stackyard.iam import POLICY_VERSION
from templates import names
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.api_entry import (
    CLOUDFRONT_ORIGIN_FACING,
    ORIGIN_FACING_PARAMETER,
    behind_cloudfront,
    regional_web_acl,
    vpc_origin,
)
from templates.parts.buckets import add_bucket_policy, cloudfront_log_bucket, private_bucket
from templates.parts.cloudfront import CLOUDFRONT_REGION, cloudfront_reads, site_certificate, site_writers_invalidate
from templates.parts.common import (
    FromOutput,
    StackTemplates,
    export,
    import_list,
    import_value,
    new_template,
    output_parameter,
    tag_resources,
)

NAME = names.EDGE
CLOUDFRONT_CERTIFICATE = "CloudFrontCertificateArn"  # the parameter taking edge-global's certificate
API_PATH = "/api/*"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
VIEWER_TLS = "TLSv1.2_2021"
# AWS managed CloudFront policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CLOUDFRONT_HOSTED_ZONE = "Z2FDTNDATAQYW2"  # the alias zone of every CloudFront distribution
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
HSTS_SECONDS = 31_536_000
FRONTEND = BucketConfig(purpose="SPA static assets", versioned=True)  # versions allow rolling back a release
# SPA routing (edge.spa_routing: function, the default): a path whose last segment has no file
# extension is one of the app's routes, so the viewer gets the app shell. Done here rather than with
# 403/404 error pages, which would also turn the API's own 403/404 answers into index.html and answer
# a missing asset with the shell; error_responses is offered where CloudFront does not carry the API.
SPA_ROUTING = """function handler(event) {
  var request = event.request;
  if (!/\\.[A-Za-z0-9]+$/.test(request.uri)) {
    request.uri = '/index.html';
  }
  return request;
}
"""


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
        load_balancer, target_group = _load_balancer(template, config)
        _load_balancer_alarms(template, config, load_balancer, target_group)
        if behind_cloudfront(config):
            api_origin = _api_origin(config, load_balancer, vpc_origin(template, config, load_balancer))
        elif config.edge.waf:
            regional_web_acl(template, config, load_balancer)
    origin_domain, own_bucket = _site_origin(template, config)
    distribution = _distribution(template, config, api_origin, origin_domain)
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


def _load_balancer(template: Template, config: EnvironmentConfig) -> tuple[LoadBalancer, TargetGroup]:
    port = app_port(config)
    internal = behind_cloudfront(config)
    load_balancer = template.add_resource(
        LoadBalancer(
            "LoadBalancer",
            Type="application",
            Scheme="internal" if internal else "internet-facing",
            Subnets=import_list(config, names.PRIVATE_SUBNET_IDS if internal else names.PUBLIC_SUBNET_IDS),
            SecurityGroups=[import_value(config, names.security_group_export(NAME))],
            LoadBalancerAttributes=[
                LoadBalancerAttributes(Key="access_logs.s3.enabled", Value="true"),
                LoadBalancerAttributes(
                    Key="access_logs.s3.bucket",
                    Value=import_value(config, names.bucket_name_export(ACCESS_LOGS_BUCKET)),
                ),
                LoadBalancerAttributes(Key="access_logs.s3.prefix", Value=names.LOAD_BALANCER_LOG_PREFIX),
                LoadBalancerAttributes(Key="deletion_protection.enabled", Value=str(config.retain_data).lower()),
                LoadBalancerAttributes(Key="routing.http.drop_invalid_header_fields.enabled", Value="true"),
            ],
        )
    )
    target_group = template.add_resource(
        TargetGroup(
            "AppTargetGroup",
            VpcId=import_value(config, names.VPC_ID),
            Protocol="HTTP",
            Port=port,
            **_app_targets(config, port),
            HealthCheckProtocol="HTTP",
            HealthCheckPath=config.edge.health_check_path,
            Matcher=Matcher(HttpCode="200"),
            HealthCheckIntervalSeconds=15,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=3,
            TargetGroupAttributes=[TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")],
        )
    )
    if names.CONTAINERS in config.stacks:
        # The containers stack registers its tasks here, so it deploys after this stack: an ECS service
        # can attach only to a target group that a load balancer's listener already forwards to. An
        # output, not an export: a new port or target type replaces the group, and an export in use
        # could not change.
        template.add_output(
            Output(names.APP_TARGET_GROUP_ARN, Description="Target group of the app's tasks", Value=Ref(target_group))
        )
    forward = [Action(Type="forward", TargetGroupArn=Ref(target_group))]
    if config.edge.domain:
        _https_listeners(template, config, load_balancer, forward, redirect=not internal)
    else:
        # No domain, no certificate: the internal load balancer speaks HTTP to CloudFront's VPC origin
        # alone, over AWS's network (params refuse an internet-facing one without a domain).
        template.add_resource(
            Listener(
                "HttpListener", LoadBalancerArn=Ref(load_balancer), Protocol="HTTP", Port=80, DefaultActions=forward
            )
        )
    return load_balancer, target_group


def _app_targets(config: EnvironmentConfig, port: int) -> dict:
    """The app server's instance as the target, or, for containers, the tasks' IPs ECS registers itself."""
    if names.CONTAINERS in config.stacks:
        return {"TargetType": "ip"}
    return {"TargetType": "instance", "Targets": [TargetDescription(Id=Ref(names.APP_INSTANCE_ID), Port=port)]}


def _https_listeners(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer, forward: list, redirect: bool
) -> None:
    """HTTPS on 443; facing the internet, also port 80 redirecting to it (CloudFront's VPC origin uses 443 only)."""
    if config.edge.wildcard_certificate and config.region == CLOUDFRONT_REGION:
        certificate = Ref(CLOUDFRONT_CERTIFICATE)  # in this region already: one certificate for both
    else:
        certificate = Ref(template.add_resource(site_certificate("ApiCertificate", config, config.edge.api_domain)))
        template.add_output(
            Output(
                names.API_CERTIFICATE_ARN, Description=f"Certificate for {config.edge.api_domain}", Value=certificate
            )
        )
    template.add_resource(
        Listener(
            "HttpsListener",
            LoadBalancerArn=Ref(load_balancer),
            Protocol="HTTPS",
            Port=443,
            SslPolicy=TLS_POLICY,
            Certificates=[ListenerCertificate(CertificateArn=certificate)],
            DefaultActions=forward,
        )
    )
    if not redirect:
        return
    template.add_resource(
        Listener(
            "HttpRedirectListener",
            LoadBalancerArn=Ref(load_balancer),
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                Action(
                    Type="redirect", RedirectConfig=RedirectConfig(Protocol="HTTPS", Port="443", StatusCode="HTTP_301")
                )
            ],
        )
    )


def _load_balancer_alarms(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer, target_group: TargetGroup
) -> None:
    thresholds = config.monitoring.thresholds
    balancer = {"LoadBalancer": GetAtt(load_balancer, "LoadBalancerFullName")}
    add_alarm(
        template,
        config,
        "LatencyAlarm",
        f"API p95 latency above {thresholds.alb_p95_latency_seconds:g} s",
        "warning",
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        Dimensions=dimensions(**balancer),
        ExtendedStatistic="p95",
        **_for_minutes(thresholds.alb_latency_minutes),
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.alb_p95_latency_seconds,
    )
    add_alarm(
        template,
        config,
        "ServerErrorRateAlarm",
        f"API 5xx rate above {thresholds.alb_5xx_percent:g}%",
        "critical",
        Metrics=[
            _sum("app_errors", "HTTPCode_Target_5XX_Count", balancer),
            _sum("balancer_errors", "HTTPCode_ELB_5XX_Count", balancer),
            _sum("requests", "RequestCount", balancer),
            MetricDataQuery(
                Id="error_rate",
                Label="5xx responses, % of requests",
                ReturnData=True,
                Expression="100 * (FILL(app_errors, 0) + FILL(balancer_errors, 0)) / requests",
            ),
        ],
        EvaluationPeriods=3,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.alb_5xx_percent,
    )
    add_alarm(
        template,
        config,
        "UnhealthyHostAlarm",
        "app server failing the load balancer's health check",
        "critical",
        Namespace="AWS/ApplicationELB",
        MetricName="UnHealthyHostCount",
        Dimensions=dimensions(TargetGroup=GetAtt(target_group, "TargetGroupFullName"), **balancer),
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=thresholds.unhealthy_host_minutes,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=1,
    )


def _for_minutes(minutes: int) -> dict[str, int]:
    """Period and evaluation periods spanning `minutes`: 5-minute periods where they divide it."""
    if minutes % 5 == 0:
        return {"Period": FIVE_MINUTES, "EvaluationPeriods": minutes // 5}
    return {"Period": 60, "EvaluationPeriods": minutes}


def _sum(query_id: str, metric: str, balancer: dict) -> MetricDataQuery:
    return MetricDataQuery(
        Id=query_id,
        ReturnData=False,
        MetricStat=MetricStat(
            Metric=Metric(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dimensions(**balancer)),
            Period=FIVE_MINUTES,
            Stat="Sum",
        ),
    )


def _distribution(
    template: Template, config: EnvironmentConfig, api_origin: Origin | None, origin_domain: AWSHelperFn
) -> Distribution:
    """CloudFront in front of the site, and of the API when `api_origin` is given."""
    edge = config.edge
    readers = f"the {edge.site_bucket} bucket" if edge.site_bucket else "the frontend bucket, nobody else"
    access = template.add_resource(
        OriginAccessControl(
            "FrontendOriginAccess",
            OriginAccessControlConfig=(
                OriginAccessControlConfig(
                    Name=names.origin_access_control_name(config),
                    OriginAccessControlOriginType="s3",
                    SigningBehavior="always",
                    SigningProtocol="sigv4",
                    Description=f"CloudFront reads {readers}",
                )
            ),
        )
    )
    headers = template.add_resource(_security_headers(config))
    frontend_origin = Origin(
        Id="frontend",
        DomainName=origin_domain,
        OriginAccessControlId=GetAtt(access, "Id"),
        S3OriginConfig=S3OriginConfig(OriginAccessIdentity=""),  # empty: Origin Access Control signs instead
    )
    site_behavior = DefaultCacheBehavior(
        TargetOriginId="frontend",
        ViewerProtocolPolicy="redirect-to-https",
        Compress=True,
        CachePolicyId=CACHING_OPTIMIZED,
        ResponseHeadersPolicyId=Ref(headers),
        AllowedMethods=["GET", "HEAD", "OPTIONS"],
        CachedMethods=["GET", "HEAD"],
    )
    distribution_config = DistributionConfig(
        Enabled=True,
        Comment=f"{config.app} {config.environment}",
        DefaultRootObject="index.html",
        HttpVersion="http2and3",
        IPV6Enabled=True,
        PriceClass=edge.price_class,
        Origins=[frontend_origin],
        DefaultCacheBehavior=site_behavior,
        ViewerCertificate=(
            ViewerCertificate(
                AcmCertificateArn=Ref(CLOUDFRONT_CERTIFICATE),
                SslSupportMethod="sni-only",
                MinimumProtocolVersion=VIEWER_TLS,
            )
            if edge.domain
            else ViewerCertificate(CloudFrontDefaultCertificate=True)
        ),
    )
    if edge.waf:
        distribution_config.WebACLId = Ref(names.WEB_ACL_ARN)
    if edge.spa_routing == "function":
        routing = template.add_resource(
            Function(
                "SpaRouting",
                Name=names.spa_routing_function_name(config),
                AutoPublish=True,
                FunctionCode=SPA_ROUTING,
                FunctionConfig=FunctionConfig(
                    Comment="Serve the SPA shell for the app's own routes", Runtime="cloudfront-js-2.0"
                ),
            )
        )
        site_behavior.FunctionAssociations = [
            FunctionAssociation(EventType="viewer-request", FunctionARN=GetAtt(routing, "FunctionARN"))
        ]
    elif edge.spa_routing == "error_responses":
        # The bucket answers 403 for a missing key (CloudFront may not list it), 404 where it may.
        distribution_config.CustomErrorResponses = [
            CustomErrorResponse(ErrorCode=code, ResponseCode=200, ResponsePagePath="/index.html") for code in (403, 404)
        ]
    if api_origin is not None:
        distribution_config.Origins.append(api_origin)
        distribution_config.CacheBehaviors = [
            CacheBehavior(
                PathPattern=API_PATH,
                TargetOriginId="api",
                ViewerProtocolPolicy="https-only",  # an API client's POST must not be redirected
                Compress=True,
                CachePolicyId=CACHING_DISABLED,
                OriginRequestPolicyId=ALL_VIEWER_EXCEPT_HOST_HEADER,
                ResponseHeadersPolicyId=Ref(headers),
                AllowedMethods=ALL_METHODS,
                CachedMethods=["GET", "HEAD"],
            )
        ]
    if edge.domain:
        distribution_config.Aliases = [edge.domain]
    return template.add_resource(Distribution("Distribution", DistributionConfig=distribution_config))


def _api_origin(config: EnvironmentConfig, load_balancer: LoadBalancer, origin: VpcOrigin) -> Origin:
    """The internal load balancer through the VPC origin, which routes by its ARN: the domain name only
    names the certificate CloudFront expects over HTTPS (the load balancer's own DNS name over HTTP)."""
    return Origin(
        Id="api",
        DomainName=config.edge.api_domain or GetAtt(load_balancer, "DNSName"),
        VpcOriginConfig=VpcOriginConfig(VpcOriginId=GetAtt(origin, "Id")),
    )


def _security_headers(config: EnvironmentConfig) -> ResponseHeadersPolicy:
    return ResponseHeadersPolicy(
        "SecurityHeaders",
        ResponseHeadersPolicyConfig=ResponseHeadersPolicyConfig(
            Name=names.security_headers_policy_name(config),
            Comment="HSTS, no sniffing, no framing, strict referrer",
            SecurityHeadersConfig=SecurityHeadersConfig(
                StrictTransportSecurity=StrictTransportSecurity(
                    AccessControlMaxAgeSec=HSTS_SECONDS, IncludeSubdomains=True, Override=True
                ),
                ContentTypeOptions=ContentTypeOptions(Override=True),
                FrameOptions=FrameOptions(FrameOption="DENY", Override=True),
                ReferrerPolicy=ReferrerPolicy(ReferrerPolicy="strict-origin-when-cross-origin", Override=True),
                XSSProtection=XSSProtection(Protection=True, ModeBlock=True, Override=True),
            ),
        ),
    )


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
