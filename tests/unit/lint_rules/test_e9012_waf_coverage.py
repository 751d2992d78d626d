"""Pure unit: rule E9012 (lint_rules/waf_coverage.py, "Nothing reaches an application load balancer around a web ACL") on its table of snippets.

Each failing snippet yields exactly E9012, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import (
    APP,
    CLOUDFRONT_LOGGING,
    ENV,
    alb,
    alb_alarms,
    assert_case_holds,
    case_ids,
    fails,
    getatt,
    logged_web_acl,
    passes,
    public_alb,
    ref,
    res,
    template,
)


def without_scheme(balancer: dict[str, Any]) -> dict[str, Any]:
    """ELBv2's default Scheme is internet-facing."""
    return {**balancer, "Properties": {key: value for key, value in balancer["Properties"].items() if key != "Scheme"}}


def vpc_origin(target: str = "Alb") -> dict[str, Any]:
    return res(
        "AWS::CloudFront::VpcOrigin",
        VpcOriginEndpointConfig={"Name": f"{APP}-{ENV}-api", "Arn": ref(target), "OriginProtocolPolicy": "http-only"},
    )


def api_distribution(origin: dict[str, Any]) -> dict[str, Any]:
    return res(
        "AWS::CloudFront::Distribution",
        DistributionConfig={
            "Enabled": True,
            "Origins": [origin],
            "Logging": CLOUDFRONT_LOGGING,
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "https-only",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            },
        },
    )


VPC_ORIGIN = {
    "Id": "api",
    "DomainName": getatt("Alb", "DNSName"),
    "VpcOriginConfig": {"VpcOriginId": getatt("ApiVpcOrigin", "Id")},
}
CUSTOM_ORIGIN = {
    "Id": "api",
    "DomainName": getatt("Alb", "DNSName"),
    "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"},
}

CASES = [
    passes(
        "E9012",
        "internal-balancer-through-a-vpc-origin",
        template(
            {
                "Alb": alb(),
                **alb_alarms(),
                "ApiVpcOrigin": vpc_origin(),
                "Distribution": api_distribution(VPC_ORIGIN),
            }
        ),
    ),
    passes(
        "E9012",
        "internet-facing-balancer-with-a-regional-web-acl",
        template(
            {
                "Alb": public_alb(),
                **alb_alarms(),
                **logged_web_acl(),
                "ApiWebAclAssociation": res(
                    "AWS::WAFv2::WebACLAssociation", ResourceArn=ref("Alb"), WebACLArn=getatt("ApiWebAcl", "Arn")
                ),
            }
        ),
    ),
    fails(
        "E9012",
        "internet-facing-balancer-without-a-web-acl",
        "Resource Alb",
        template({"Alb": public_alb(), **alb_alarms()}),
    ),
    fails(
        "E9012",
        "scheme-left-out-is-internet-facing",
        "Resource Alb",
        template({"Alb": without_scheme(public_alb()), **alb_alarms()}),
    ),
    fails(
        "E9012",
        "vpc-origin-to-an-internet-facing-balancer",
        "Resource ApiVpcOrigin",
        template(
            {
                "Alb": public_alb(),
                **alb_alarms(),
                **logged_web_acl(),
                "ApiWebAclAssociation": res(
                    "AWS::WAFv2::WebACLAssociation", ResourceArn=ref("Alb"), WebACLArn=getatt("ApiWebAcl", "Arn")
                ),
                "ApiVpcOrigin": vpc_origin(),
                "Distribution": api_distribution(VPC_ORIGIN),
            }
        ),
    ),
    fails(
        "E9012",
        "cloudfront-reaches-the-balancer-across-the-internet",
        "Resource Distribution",
        template({"Alb": alb(), **alb_alarms(), "Distribution": api_distribution(CUSTOM_ORIGIN)}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
