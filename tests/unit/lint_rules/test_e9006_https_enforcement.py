"""Pure unit: rule E9006 (lint_rules/https_enforcement.py, "HTTP only redirects to HTTPS, and HTTPS uses TLS 1.2 or newer") on its table of snippets.

Each failing snippet yields exactly E9006, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    FORWARD,
    LISTENER_PARAMETERS,
    REDIRECT_TO_HTTPS,
    alb,
    alb_alarms,
    assert_case_holds,
    bucket_policy,
    case_ids,
    distribution,
    fails,
    listener,
    named,
    passes,
    ref,
    res,
    template,
)


def http_origin_distribution() -> dict:
    """The helper's distribution with its custom origin reached over plain HTTP."""
    document = distribution("redirect-to-https", "https-only", "TLSv1.2_2021")
    document["Properties"]["DistributionConfig"]["Origins"][0]["CustomOriginConfig"]["OriginProtocolPolicy"] = (
        "http-only"
    )
    return document


CASES = [
    passes(
        "E9006",
        "redirect-tls12-https-cloudfront-and-bucket-policy",
        template(
            {
                "HttpListener": listener("HTTP", REDIRECT_TO_HTTPS),
                "HttpsListener": listener(
                    "HTTPS",
                    FORWARD,
                    SslPolicy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                    Certificates=[{"CertificateArn": ref("CertificateArn")}],
                ),
                "Distribution": distribution("redirect-to-https", "https-only", "TLSv1.2_2021"),
                "SiteBucket": res("AWS::S3::Bucket"),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    passes(
        "E9006",
        "internal-balancer-http-listener-forwards",
        template(
            {
                "Alb": alb(),
                **alb_alarms(),
                "HttpListener": named(listener("HTTP", FORWARD), LoadBalancerArn=ref("Alb")),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "custom-origin-over-plain-http",
        "Resource Distribution",
        template({"Distribution": http_origin_distribution()}, Parameters=LISTENER_PARAMETERS),
    ),
    fails(
        "E9006",
        "http-listener-forwards",
        "Resource HttpListener",
        template(
            {
                "HttpListener": listener("HTTP", FORWARD),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "http-listener-rule-forwards",
        "Resource ApiRule",
        template(
            {
                "HttpListener": listener("HTTP", REDIRECT_TO_HTTPS),
                "ApiRule": res(
                    "AWS::ElasticLoadBalancingV2::ListenerRule",
                    ListenerArn=ref("HttpListener"),
                    Priority=1,
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
                    Actions=FORWARD,
                ),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "https-listener-with-default-policy",
        "Resource HttpsListener",
        template(
            {
                "HttpsListener": listener("HTTPS", FORWARD, Certificates=[{"CertificateArn": ref("CertificateArn")}]),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "https-listener-accepting-tls10",
        "Resource HttpsListener",
        template(
            {
                "HttpsListener": listener(
                    "HTTPS",
                    FORWARD,
                    SslPolicy="ELBSecurityPolicy-TLS13-1-0-2021-06",
                    Certificates=[{"CertificateArn": ref("CertificateArn")}],
                ),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "cloudfront-behavior-allows-http",
        "Resource Distribution",
        template(
            {
                "Distribution": distribution("redirect-to-https", "allow-all", "TLSv1.2_2021"),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "cloudfront-certificate-default-minimum",
        "Resource Distribution",
        template(
            {
                "Distribution": distribution("https-only", "https-only", None),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "bucket-without-policy",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket"),
            }
        ),
    ),
    fails(
        "E9006",
        "bucket-policy-allows-instead-of-denying",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket"),
                "SiteBucketPolicy": bucket_policy("SiteBucket", effect="Allow"),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
