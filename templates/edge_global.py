"""Global edge stack, pinned to us-east-1 (seed 000 §1.8): what CloudFront only takes from there.

A CLOUDFRONT-scope WAF web ACL and CloudFront's certificate must live in us-east-1. Exports do
not cross regions, so the regional edge stack receives these outputs as parameters. Each part is
optional (edge.waf, edge.domain); an environment needing neither leaves this stack out.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref
from troposphere.wafv2 import WebACL

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.cloudfront import CLOUDFRONT_REGION, site_certificate
from templates.parts.common import StackTemplates, new_template, tag_resources
from templates.parts.waf import log_requests, web_acl

NAME = names.EDGE_GLOBAL


def build(config: EnvironmentConfig) -> StackTemplates:
    edge = config.edge
    # Without WAF the stack exists only for a domain's certificate (params refuse it empty).
    holds = "WAF and certificate" if edge.waf else "certificate"
    template = new_template(config, f"edge, us-east-1 part (CloudFront {holds})", region=CLOUDFRONT_REGION)
    if edge.waf:
        web_acl = template.add_resource(_web_acl(config))
        log_requests(template, config, web_acl, "cloudfront")  # a CLOUDFRONT-scope ACL logs in us-east-1
        template.add_output(
            Output(names.WEB_ACL_ARN, Description="CLOUDFRONT-scope web ACL", Value=GetAtt(web_acl, "Arn"))
        )
    if edge.domain:
        certificate = template.add_resource(site_certificate("CloudFrontCertificate", config, edge.domain))
        template.add_output(
            Output(
                names.CERTIFICATE_ARN, Description=f"CloudFront certificate for {edge.domain}", Value=Ref(certificate)
            )
        )
    return StackTemplates(NAME, tag_resources(template, config), region=CLOUDFRONT_REGION)


def _web_acl(config: EnvironmentConfig) -> WebACL:
    return web_acl(
        "WebAcl",
        config,
        names.web_acl_name(config),
        "CLOUDFRONT",
        f"{config.app} {config.environment}: AWS managed rules and a per-IP rate limit",
    )
