"""Pure unit: rule E9005 (lint_rules/backup_configuration.py, "Databases keep 7 days of encrypted backups; DynamoDB tables have point-in-time recovery") on its table of snippets.

Each failing snippet yields exactly E9005, its messages naming the resource and the fix; each passing
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
    instance_alarms,
    monitored_cluster,
    passes,
    rds_instance,
    ref,
    res,
    template,
)

CASES = [
    passes(
        "E9005",
        "week-of-encrypted-backups-and-recovery",
        template(
            {
                **monitored_cluster(),
                "Writer": res(
                    "AWS::RDS::DBInstance",
                    Engine="aurora-postgresql",
                    DBInstanceClass="db.serverless",
                    DBClusterIdentifier=ref("Cluster"),
                ),
                "Database": rds_instance(BackupRetentionPeriod="35"),
                **instance_alarms(),
                "Table": res(
                    "AWS::DynamoDB::Table",
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                ),
            }
        ),
    ),
    fails("E9005", "cluster-with-three-days", "Resource Cluster", template(monitored_cluster(BackupRetentionPeriod=3))),
    fails(
        "E9005",
        "instance-without-retention-or-encryption",
        "Resource Database",
        template(
            {
                "Database": res(
                    "AWS::RDS::DBInstance",
                    Engine="postgres",
                    DBInstanceClass="db.t4g.micro",
                    AllocatedStorage="20",
                    DBInstanceIdentifier=f"{APP}-{ENV}",
                    MasterUsername="admin",
                ),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9005",
        "table-without-recovery",
        "Resource Table",
        template(
            {
                "Table": res(
                    "AWS::DynamoDB::Table",
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
