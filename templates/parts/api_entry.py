"""How the internet reaches the API, and only that way (issue 13, docs/security.md).

Through CloudFront (`/api/*`): the load balancer is internal, in the private subnets, and CloudFront
reaches it through a VPC origin over AWS's network; its security group admits only CloudFront's
origin-facing managed prefix list, so nothing reaches the API around CloudFront and its web ACL.

At its own name (`edge.api_via_cloudfront: false`): the load balancer faces the internet and a REGIONAL
web ACL with CloudFront's rule groups and rate limit guards it.
"""

from __future__ import annotations

from troposphere import GetAtt, Parameter, Ref, Template
from troposphere.cloudfront import VpcOrigin, VpcOriginEndpointConfig
from troposphere.ec2 import SecurityGroupIngress
from troposphere.elasticloadbalancingv2 import LoadBalancer
from troposphere.wafv2 import WebACLAssociation

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import FromManagedPrefixList, import_value
from templates.parts.waf import log_requests, web_acl

CLOUDFRONT_ORIGIN_FACING = FromManagedPrefixList("com.amazonaws.global.cloudfront.origin-facing")
ORIGIN_FACING_PARAMETER = "CloudFrontOriginFacingPrefixListId"
HTTP_PORT, HTTPS_PORT = 80, 443


def behind_cloudfront(config: EnvironmentConfig) -> bool:
    """The load balancer is internal, CloudFront's VPC origin; otherwise it faces the internet itself."""
    return config.edge.api_via_cloudfront


def origin_uses_https(config: EnvironmentConfig) -> bool:
    """HTTPS from CloudFront to the VPC origin takes a certificate the origin's name matches, so a domain.

    Without one the VPC origin speaks HTTP: the request stays on AWS's network and inside the VPC,
    never on the internet (docs/security.md, "No plaintext on the internet").
    """
    return config.edge.domain is not None


def vpc_origin(template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer) -> VpcOrigin:
    """CloudFront's way into the VPC, and the load balancer's group admitting it on the one port it uses."""
    https = origin_uses_https(config)
    prefix_list = template.add_parameter(
        Parameter(
            ORIGIN_FACING_PARAMETER,
            Type="String",
            AllowedPattern="pl-[0-9a-f]+",
            Description=f"{CLOUDFRONT_ORIGIN_FACING.name} in this region (deploy looks its id up by name)",
        )
    )
    port = HTTPS_PORT if https else HTTP_PORT
    template.add_resource(
        SecurityGroupIngress(
            "LoadBalancerFromCloudFront",
            GroupId=import_value(config, names.security_group_export(names.EDGE)),
            IpProtocol="tcp",
            FromPort=port,
            ToPort=port,
            SourcePrefixListId=Ref(prefix_list),
            Description=f"{'HTTPS' if https else 'HTTP'} from the CloudFront VPC origin only",
        )
    )
    return template.add_resource(
        VpcOrigin(
            "ApiVpcOrigin",
            VpcOriginEndpointConfig=VpcOriginEndpointConfig(
                Name=names.vpc_origin_name(config),
                Arn=Ref(load_balancer),
                HTTPPort=HTTP_PORT,
                HTTPSPort=HTTPS_PORT,
                OriginProtocolPolicy="https-only" if https else "http-only",
                OriginSSLProtocols=["TLSv1.2"],
            ),
        )
    )


def regional_web_acl(template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer) -> None:
    """The web ACL of a load balancer that faces the internet: CloudFront's managed rules and rate limit."""
    acl = template.add_resource(
        web_acl(
            "ApiWebAcl",
            config,
            names.api_web_acl_name(config),
            "REGIONAL",
            f"{config.app} {config.environment} API at {config.edge.api_domain}: AWS managed rules and a per-IP "
            f"rate limit",
        )
    )
    template.add_resource(
        WebACLAssociation("ApiWebAclAssociation", ResourceArn=Ref(load_balancer), WebACLArn=GetAtt(acl, "Arn"))
    )
    log_requests(template, config, acl, "api")
