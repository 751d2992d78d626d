"""Pure unit: rule E9001 (lint_rules/multi_az.py, "Subnets, subnet groups and load balancers span two Availability Zones") on its table of snippets.

In a production-grade environment (Metadata.Stackyard.ProductionGrade, from params `production_grade`)
the rule also wants the database in two zones: an Aurora writer and reader pinned to different
zones, or a Multi-AZ RDS instance.

Each failing snippet yields exactly E9001, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import (
    APP,
    ENV,
    assert_case_holds,
    case_ids,
    fails,
    instance_alarms,
    monitored_cluster,
    passes,
    rds_instance,
    ref,
    res,
    split_import,
    subnets,
    template,
    zone,
)


def production_grade(resources: dict[str, Any]) -> dict[str, Any]:
    document = template(resources)
    document["Metadata"]["Stackyard"]["ProductionGrade"] = True
    return document


def member(*az: int) -> dict[str, Any]:
    """An Aurora instance of Cluster, pinned to zone `az` when one is given."""
    pinned = {"AvailabilityZone": zone(az[0])} if az else {}
    return res(
        "AWS::RDS::DBInstance",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
        DBClusterIdentifier=ref("Cluster"),
        **pinned,
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
    passes(
        "E9001",
        "production-grade-writer-and-reader-in-two-zones",
        production_grade({**monitored_cluster(), "Writer": member(0), "Reader1": member(1)}),
    ),
    passes(
        "E9001",
        "production-grade-multi-az-instance",
        production_grade({"Database": rds_instance(MultiAZ=True), **instance_alarms()}),
    ),
    passes("E9001", "writer-only-outside-production", template({**monitored_cluster(), "Writer": member()})),
    fails(
        "E9001",
        "production-grade-writer-only",
        "Resource Cluster",
        production_grade({**monitored_cluster(), "Writer": member(0)}),
    ),
    fails(
        "E9001",
        "production-grade-reader-placed-at-random",
        "Resource Cluster",
        production_grade({**monitored_cluster(), "Writer": member(0), "Reader1": member()}),
    ),
    fails(
        "E9001",
        "production-grade-writer-and-reader-in-one-zone",
        "Resource Cluster",
        production_grade({**monitored_cluster(), "Writer": member(1), "Reader1": member(1)}),
    ),
    fails(
        "E9001",
        "production-grade-single-az-instance",
        "Resource Database",
        production_grade({"Database": rds_instance(MultiAZ=False), **instance_alarms()}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
