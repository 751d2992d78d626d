"""The edge stack's CloudFront distribution (templates/edge.py): the SPA from its private bucket through Origin
Access Control, `/api/*` to the load balancer's VPC origin uncached, the security headers, SPA routing,
and the certificate and web ACL edge-global passes in.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, GetAtt, Ref, Template
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
from troposphere.elasticloadbalancingv2 import LoadBalancer

from stackyard.config import EnvironmentConfig
from templates import names

CLOUDFRONT_CERTIFICATE = "CloudFrontCertificateArn"  # the parameter taking edge-global's certificate
API_PATH = "/api/*"
VIEWER_TLS = "TLSv1.2_2021"
# AWS managed CloudFront policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
HSTS_SECONDS = 31_536_000
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


def site_distribution(
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


def vpc_api_origin(config: EnvironmentConfig, load_balancer: LoadBalancer, origin: VpcOrigin) -> Origin:
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
