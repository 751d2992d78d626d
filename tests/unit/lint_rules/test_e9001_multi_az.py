"""Pure unit: rule E9001 (lint_rules/multi_az.py, "Subnets, subnet groups and load balancers span two Availability Zones") on its table of snippets.

Each failing snippet yields exactly E9001, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    APP,
    ENV,
    assert_case_holds,
    case_ids,
    fails,
    passes,
    ref,
    res,
    split_import,
    subnets,
    template,
)

CASES = [
    passes(
        "E9001",
        "subnets-in-two-zones-and-lists-of-two",
        template(
            {
                **subnets(0, 1),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet1")]
                ),
            }
        ),
    ),
    passes(
        "E9001",
        "imported-subnet-list",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PrivateSubnetIds"),
                ),
            }
        ),
    ),
    fails("E9001", "subnets-in-one-zone", "Resource Subnet0", template(subnets(0, 0))),
    fails(
        "E9001",
        "subnet-group-of-one",
        "Resource DatabaseSubnetGroup",
        template(
            {
                **subnets(0, 1),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet0")]
                ),
            }
        ),
    ),
    fails(
        "E9001",
        "load-balancer-in-one-subnet",
        "Resource Alb",
        template(
            {
                "Alb": res(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer", Type="network", Subnets=["subnet-0123456789abcdef0"]
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
