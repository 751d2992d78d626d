"""Pure unit: rule E9020 (lint_rules/password_logging.py, "No statement logging that writes the rotated password to the PostgreSQL log") on its table of snippets.

Each failing snippet yields exactly E9020, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import (
    assert_case_holds,
    case_ids,
    fails,
    getatt,
    instance_alarms,
    monitored_cluster,
    passes,
    rds_instance,
    ref,
    res,
    template,
)

PGAUDIT_DDL = {
    "rds.force_ssl": "1",
    "log_statement": "none",
    "log_min_duration_statement": "1000",
    "shared_preload_libraries": "pg_stat_statements,pgaudit",
    "pgaudit.log": "ddl",
}


def cluster_group(**parameters: str) -> dict[str, Any]:
    return res(
        "AWS::RDS::DBClusterParameterGroup",
        Description="snippet",
        Family="aurora-postgresql15",
        Parameters=parameters,
    )


def rotated_cluster(parameters: dict[str, str]) -> dict[str, Any]:
    """An Aurora cluster with its own secret, rotated by the hosted single-user Lambda, and a parameter group."""
    resources = monitored_cluster(DBClusterParameterGroupName=ref("ClusterParameters"))
    resources["Cluster"]["Properties"].pop("ManageMasterUserPassword")
    resources["Cluster"]["Properties"].pop("MasterUserSecret")
    return {
        **resources,
        "ClusterParameters": cluster_group(**parameters),
        "Secret": res("AWS::SecretsManager::Secret", KmsKeyId=ref("Key")),
        "SecretAttachment": res(
            "AWS::SecretsManager::SecretTargetAttachment",
            SecretId=ref("Secret"),
            TargetId=ref("Cluster"),
            TargetType="AWS::RDS::DBCluster",
        ),
        "SecretRotation": res(
            "AWS::SecretsManager::RotationSchedule",
            SecretId=ref("SecretAttachment"),
            HostedRotationLambda={"RotationType": "PostgreSQLSingleUser", "KmsKeyArn": getatt("Key", "Arn")},
            RotationRules={"AutomaticallyAfterDays": 30},
        ),
    }


def managed_instance(**parameters: str) -> dict[str, Any]:
    """An RDS instance whose master password RDS manages and rotates, with a DB parameter group."""
    return {
        "Database": rds_instance(
            ManageMasterUserPassword=True,
            MasterUserSecret={"KmsKeyId": ref("Key")},
            DBParameterGroupName=ref("DatabaseParameters"),
        ),
        "Key": res("AWS::KMS::Key", KeyPolicy={"Version": "2012-10-17", "Statement": []}),
        "DatabaseParameters": res(
            "AWS::RDS::DBParameterGroup", Description="snippet", Family="postgres16", Parameters=parameters
        ),
        **instance_alarms(),
    }


CASES = [
    passes("E9020", "rotated-cluster-audits-ddl-with-pgaudit", template(rotated_cluster(PGAUDIT_DDL))),
    passes(
        "E9020",
        "managed-instance-with-a-slow-statement-threshold",
        template(managed_instance(log_min_duration_statement="500", **{"pgaudit.log": "ddl,write"})),
    ),
    passes(
        "E9020",
        "ddl-logging-where-no-password-rotates",
        template(
            {
                **monitored_cluster(ManageMasterUserPassword=False),
                "ClusterParameters": cluster_group(log_statement="ddl"),
            }
        ),
    ),
    fails(
        "E9020",
        "rotated-cluster-logs-ddl-statements",
        "Resource ClusterParameters",
        template(rotated_cluster({**PGAUDIT_DDL, "log_statement": "ddl"})),
    ),
    fails(
        "E9020",
        "rotated-cluster-logs-every-statement",
        "Resource ClusterParameters",
        template(rotated_cluster({"log_statement": "all", "log_min_duration_statement": "0"})),
    ),
    fails(
        "E9020",
        "managed-instance-logs-modifying-statements",
        "Resource DatabaseParameters",
        template(managed_instance(log_statement="mod")),
    ),
    fails(
        "E9020",
        "instance-group-of-a-rotated-cluster",
        "Resource WriterParameters",
        template(
            {
                **rotated_cluster(PGAUDIT_DDL),
                "WriterParameters": res(
                    "AWS::RDS::DBParameterGroup",
                    Description="snippet",
                    Family="aurora-postgresql15",
                    Parameters={"log_min_duration_statement": 0},
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)


def test_the_message_names_what_rotates_and_each_setting(lint):
    findings = lint(template(rotated_cluster({"log_statement": "all", "log_min_duration_statement": "0"})))
    assert [message.split(",")[0] for _, message in findings] == [
        "Resource ClusterParameters: log_statement all logs the text of every DDL statement",
        "Resource ClusterParameters: log_min_duration_statement 0 logs every statement's text",
    ]
    assert all("(RotationSchedule SecretRotation)" in message for _, message in findings)
