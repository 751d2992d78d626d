"""Pure unit: rule E9014 (lint_rules/request_logging.py, "Distributions, web ACLs and load balancers log their requests; log groups expire") on its table of snippets.

Each failing snippet yields exactly E9014, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import (
    alb,
    alb_alarms,
    assert_case_holds,
    case_ids,
    distribution,
    fails,
    logged_web_acl,
    passes,
    res,
    template,
)


def unlogged_distribution() -> dict[str, Any]:
    document = distribution("redirect-to-https", "https-only", "TLSv1.2_2021")
    del document["Properties"]["DistributionConfig"]["Logging"]
    return document


def logging_to(destination: Any) -> dict[str, Any]:
    """The helper's web ACL, logging to `destination` instead."""
    resources = logged_web_acl()
    resources["ApiWebAclLogging"]["Properties"]["LogDestinationConfigs"] = [destination]
    return resources


CASES = [
    passes(
        "E9014",
        "distribution-web-acl-balancer-and-log-groups-logged",
        template(
            {
                "Distribution": distribution("redirect-to-https", "https-only", "TLSv1.2_2021"),
                **logged_web_acl(),
                "Alb": alb(),
                **alb_alarms(),
            },
            Parameters={"CertificateArn": {"Type": "String"}},
        ),
    ),
    passes(
        "E9014",
        "a-literal-waf-log-bucket-arn",
        template(logging_to("arn:aws:s3:::aws-waf-logs-shop-test-api")),
    ),
    fails(
        "E9014",
        "distribution-without-logging",
        "Resource Distribution",
        template({"Distribution": unlogged_distribution()}, Parameters={"CertificateArn": {"Type": "String"}}),
    ),
    fails(
        "E9014",
        "web-acl-without-a-logging-configuration",
        "Resource ApiWebAcl",
        template({"ApiWebAcl": logged_web_acl()["ApiWebAcl"]}),
    ),
    fails(
        "E9014",
        "web-acl-logging-to-a-name-waf-refuses",
        "Resource ApiWebAcl",
        template(logging_to("arn:aws:logs:us-east-1:123456789012:log-group:/shop/test/waf")),
    ),
    fails(
        "E9014",
        "balancer-without-access-logs",
        "Resource Alb",
        template(
            {
                "Alb": {**alb(), "Properties": {**alb()["Properties"], "LoadBalancerAttributes": []}},
                **alb_alarms(),
            }
        ),
    ),
    fails(
        "E9014",
        "log-group-kept-forever",
        "Resource AppLogs",
        template({"AppLogs": res("AWS::Logs::LogGroup", LogGroupName="/shop/test/app")}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
