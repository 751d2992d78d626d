"""Pure unit: rule E9003 (lint_rules/database_isolation.py, "Databases are not public and are reached only from security groups") on its table of snippets.

Each failing snippet yields exactly E9003, its messages naming the resource and the fix; each passing
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
    group,
    instance_alarms,
    passes,
    rds_instance,
    ref,
    res,
    split_import,
    subnets,
    tcp,
    template,
)

CASES = [
    passes(
        "E9003",
        "private-database-from-a-group",
        template(
            {
                "Database": rds_instance(PubliclyAccessible=False, DBSubnetGroupName=ref("DatabaseSubnetGroup")),
                **instance_alarms(),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PrivateSubnetIds"),
                ),
                "DatabaseFromApp": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId="sg-0123456789abcdef0",
                    **tcp(5432, SourceSecurityGroupId="sg-0fedcba9876543210"),
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "publicly-accessible",
        "Resource Database",
        template(
            {
                "Database": rds_instance(PubliclyAccessible=True),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9003",
        "imported-public-subnets",
        "Resource DatabaseSubnetGroup",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PublicSubnetIds"),
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "subnet-named-public",
        "Resource DatabaseSubnetGroup",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=[ref("PublicSubnetA"), ref("PrivateSubnetB")],
                ),
            },
            Parameters={
                "PublicSubnetA": {"Type": "AWS::EC2::Subnet::Id"},
                "PrivateSubnetB": {"Type": "AWS::EC2::Subnet::Id"},
            },
        ),
    ),
    fails(
        "E9003",
        "subnet-mapping-public-addresses",
        "Resource DatabaseSubnetGroup",
        template(
            {
                **subnets(0, 1, public=True),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet1")]
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "postgres-from-a-cidr",
        "Resource DatabaseSecurityGroup",
        template(
            {
                "DatabaseSecurityGroup": group(SecurityGroupIngress=[tcp(5432, CidrIp="10.0.0.0/16")]),
            }
        ),
    ),
    fails(
        "E9003",
        "mysql-from-a-prefix-list",
        "Resource MysqlFromOffice (ingress to DatabaseSecurityGroup)",
        template(
            {
                "DatabaseSecurityGroup": group(),
                "MysqlFromOffice": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("DatabaseSecurityGroup"),
                    **tcp(3306, SourcePrefixListId="pl-0123456789abcdef0"),
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
