"""Pure unit: `database.engine: postgres` builds seed 002 §2.4's RDS PostgreSQL instance (and §2.10's alarm).

A small seed-002-shaped params set (network, alerts, database; tests/helpers/rds_instance.py) is written
to a temporary project with two environments: dev (defaults, nothing kept) and prod (Multi-AZ, storage
autoscaling, Performance Insights, statement logging, data kept). Its templates are built in memory; one
test (slow) lints them with cfn-lint and the project's rules. The params it refuses are in
tests/unit/config/test_database_instance_params.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard import lint as stackyard_lint
from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.generate import generate
from templates import dashboard
from templates.parts.database_instance import instance_parameters
from tests.helpers import ROOT, picked, properties, resources
from tests.helpers.rds_instance import BASE, DEV, PROD, write_project

GIB = 1024**3


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("tap"), base=BASE, dev=DEV, prod=PROD)


@pytest.fixture(scope="module")
def configs(project):
    return load_configs(project)


@pytest.fixture(scope="module")
def builds(configs):
    return {env: build_environment(config) for env, config in configs.items()}


def db(builds, env) -> dict:
    return builds[env].stacks["database"].template.document


def instance(builds, env) -> dict:
    return properties(db(builds, env), "DatabaseInstance")


# --- seed 002 §2.4 ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_2_4_one_db_t4g_micro_postgresql_16_with_20_gb_of_gp3_and_no_aurora(builds, env):
    document = db(builds, env)
    assert picked(
        instance(builds, env), "Engine", "DBInstanceClass", "AllocatedStorage", "StorageType", "DBName", "Port"
    ) == {
        "Engine": "postgres",
        "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": 20,
        "StorageType": "gp3",
        "DBName": "tap",
        "Port": 5432,
    }
    assert instance(builds, env)["EngineVersion"].split(".")[0] == "16"
    assert list(resources(document, "AWS::RDS::DBInstance")) == ["DatabaseInstance"]
    assert not resources(document, "AWS::RDS::DBCluster")
    assert document["Description"] == "tap {}: RDS PostgreSQL 16.10 on db.t4g.micro (20 GB gp3{})".format(
        env,
        ", Multi-AZ" if env == "prod" else "",
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_2_4_in_the_private_subnets_behind_rds_sg_and_not_public(builds, env):
    document = db(builds, env)
    assert properties(document, "DatabaseSubnetGroup")["SubnetIds"] == {
        "Fn::Split": [",", {"Fn::ImportValue": f"tap-{env}-PrivateSubnetIds"}]
    }
    assert picked(instance(builds, env), "DBSubnetGroupName", "VPCSecurityGroups", "PubliclyAccessible") == {
        "DBSubnetGroupName": {"Ref": "DatabaseSubnetGroup"},
        "VPCSecurityGroups": [{"Fn::ImportValue": f"tap-{env}-DatabaseSecurityGroupId"}],
        "PubliclyAccessible": False,
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_2_4_encrypted_at_rest_and_backed_up_for_7_days(builds, env):
    assert picked(
        instance(builds, env), "StorageEncrypted", "KmsKeyId", "BackupRetentionPeriod", "CopyTagsToSnapshot"
    ) == {
        "StorageEncrypted": True,
        "KmsKeyId": {"Fn::GetAtt": ["DatabaseKey", "Arn"]},
        "BackupRetentionPeriod": 7,
        "CopyTagsToSnapshot": True,
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_2_4_rds_generates_the_password_into_a_secret_under_the_database_key_and_rotates_it(builds, env):
    document = db(builds, env)
    assert picked(
        instance(builds, env), "MasterUsername", "ManageMasterUserPassword", "MasterUserSecret", "MasterUserPassword"
    ) == {
        "MasterUsername": "tap_admin",
        "ManageMasterUserPassword": True,
        "MasterUserSecret": {"KmsKeyId": {"Fn::GetAtt": ["DatabaseKey", "Arn"]}},
        "MasterUserPassword": None,
    }
    # no secret, attachment or rotation Lambda of our own: RDS keeps and rotates the secret
    assert not [
        name for name, resource in document["Resources"].items() if resource["Type"].startswith("AWS::SecretsManager::")
    ]
    assert "Transform" not in document and "RotationSecurityGroup" not in document["Resources"]


def test_2_4_the_default_postgresql_16_parameters_unless_logging_needs_a_group(builds):
    assert "DBParameterGroupName" not in instance(builds, "dev")  # no audit log, no slow-statement log
    assert not resources(db(builds, "dev"), "AWS::RDS::DBParameterGroup")
    group = properties(db(builds, "prod"), "DatabaseParameters")
    # DDL audited by pgaudit; log_statement keeps the default none, as RDS rotates the password it manages
    assert (group["Family"], group["Parameters"]) == (
        "postgres16",
        {"shared_preload_libraries": "pg_stat_statements,pgaudit", "pgaudit.log": "ddl"},
    )
    assert instance(builds, "prod")["DBParameterGroupName"] == {"Ref": "DatabaseParameters"}


def test_a_postgresql_14_instance_gets_tls_forced_which_15_and_later_have_by_default(configs):
    config = configs["dev"]
    older = config.model_copy(update={"database": config.database.model_copy(update={"engine_version": "14.17"})})
    assert instance_parameters(older.database) == {"rds.force_ssl": "1"}
    assert instance_parameters(config.database) == {}


@pytest.mark.parametrize(("env", "kept"), [("dev", False), ("prod", True)])
def test_snapshot_on_delete_and_replacement_where_data_is_kept_and_deletion_protection_per_params(builds, env, kept):
    resource = db(builds, env)["Resources"]["DatabaseInstance"]
    policy = "Snapshot" if kept else "Delete"
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, policy)
    assert resource["Properties"]["DeletionProtection"] is kept
    key = db(builds, env)["Resources"]["DatabaseKey"]
    assert key["DeletionPolicy"] == ("Retain" if kept else "Delete")


@pytest.mark.parametrize(("env", "multi_az", "ceiling"), [("dev", False, None), ("prod", True, 100)])
def test_multi_az_and_storage_autoscaling_per_params(builds, env, multi_az, ceiling):
    assert picked(instance(builds, env), "MultiAZ", "MaxAllocatedStorage") == {
        "MultiAZ": multi_az,
        "MaxAllocatedStorage": ceiling,
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_performance_insights_per_params_db_t4g_micro_included(builds, env):
    # RDS for PostgreSQL offers Performance Insights on every class; only MySQL/MariaDB lack it on micro/small.
    on = env == "prod"
    props = instance(builds, env)
    assert props["EnablePerformanceInsights"] is on
    assert picked(props, "PerformanceInsightsKMSKeyId", "PerformanceInsightsRetentionPeriod") == (
        {"PerformanceInsightsKMSKeyId": {"Fn::GetAtt": ["DatabaseKey", "Arn"]}, "PerformanceInsightsRetentionPeriod": 7}
        if on
        else {"PerformanceInsightsKMSKeyId": None, "PerformanceInsightsRetentionPeriod": None}
    )


@pytest.mark.parametrize(("env", "days"), [("dev", 30), ("prod", 365)])
def test_the_postgresql_log_goes_to_a_log_group_made_first_with_its_retention(builds, env, days):
    document = db(builds, env)
    assert instance(builds, env)["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert document["Resources"]["DatabaseInstance"]["DependsOn"] == "DatabaseLogGroup"
    assert picked(properties(document, "DatabaseLogGroup"), "LogGroupName", "RetentionInDays") == {
        "LogGroupName": f"/aws/rds/instance/tap-{env}/postgresql",
        "RetentionInDays": days,
    }


# --- seed 002 §2.10 and the alarms beside the database ------------------------------------------


def alarm(builds, env, name) -> dict:
    return properties(db(builds, env), name)


@pytest.mark.parametrize(("env", "percent"), [("dev", 80), ("prod", 75)])
def test_2_10_cpu_above_80_percent_for_10_minutes_pages_the_critical_topic(builds, env, percent):
    cpu = alarm(builds, env, "DatabaseCpuAlarm")
    assert picked(
        cpu,
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "ComparisonOperator",
        "Threshold",
    ) == {
        "Namespace": "AWS/RDS",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": {"Ref": "DatabaseInstance"}}],
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": 2,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": percent,
    }
    assert cpu["AlarmActions"] == cpu["OKActions"] == [{"Fn::ImportValue": f"tap-{env}-CriticalTopicArn"}]


@pytest.mark.parametrize(("env", "percent"), [("dev", 10), ("prod", 20)])
def test_low_free_storage_alarms_at_a_share_of_the_allocated_storage(builds, env, percent):
    storage = alarm(builds, env, "DatabaseFreeStorageAlarm")
    assert picked(storage, "MetricName", "Statistic", "ComparisonOperator", "Threshold") == {
        "MetricName": "FreeStorageSpace",
        "Statistic": "Minimum",
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 20 * GIB * percent // 100,
    }


def test_connection_failures_are_counted_from_the_instances_log_as_for_aurora(builds):
    document = db(builds, "prod")
    assert properties(document, "DatabaseConnectionFailureFilter")["LogGroupName"] == {"Ref": "DatabaseLogGroup"}
    assert picked(alarm(builds, "prod", "DatabaseConnectionFailureAlarm"), "Namespace", "MetricName", "Threshold") == {
        "Namespace": "tap/prod",
        "MetricName": "DatabaseConnectionFailures",
        "Threshold": 10,
    }


# --- the schema migrator and the exports --------------------------------------------------------


def test_the_migrator_reads_the_rds_secret_and_takes_the_host_from_the_instance(builds):
    document = db(builds, "prod")
    migration = document["Resources"]["SchemaMigration"]
    secret = {"Fn::GetAtt": ["DatabaseInstance", "MasterUserSecret.SecretArn"]}
    assert picked(migration["Properties"], "SecretArn", "Host", "Port", "DatabaseName") == {
        "SecretArn": secret,
        "Host": {"Fn::GetAtt": ["DatabaseInstance", "Endpoint.Address"]},
        "Port": {"Fn::GetAtt": ["DatabaseInstance", "Endpoint.Port"]},
        "DatabaseName": "tap",
    }
    # the GetAtts order it after the instance; the invoke config must be there before the first run
    assert migration["DependsOn"] == ["DatabaseFromMigrator", "MigratorInvokeOnce"]
    [policy] = properties(document, "MigratorRole")["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert statements["DatabaseCredentials"]["Resource"] == [secret]
    assert statements["DecryptDatabaseCredentials"]["Resource"] == [{"Fn::GetAtt": ["DatabaseKey", "Arn"]}]


def exports(document) -> dict:
    return {output["Export"]["Name"]: output["Value"] for output in document["Outputs"].values() if "Export" in output}


def test_the_exports_are_auroras_so_importers_need_no_change(builds, configs):
    from tests.helpers import PARAMS_DIR

    aurora = build_environment(load_configs(PARAMS_DIR, ["test"])["test"]).stacks["database"].template.document
    aurora_names = {name.removeprefix("one-system-test-") for name in exports(aurora)}
    instance_exports = {name.removeprefix("tap-prod-"): value for name, value in exports(db(builds, "prod")).items()}
    assert aurora_names - {"DatabaseClusterId"} <= set(instance_exports)
    assert picked(
        instance_exports,
        "DatabaseEndpoint",
        "DatabasePort",
        "DatabaseSecretArn",
        "DatabaseKeyArn",
        "DatabaseInstanceId",
    ) == {
        "DatabaseEndpoint": {"Fn::GetAtt": ["DatabaseInstance", "Endpoint.Address"]},
        "DatabasePort": {"Fn::GetAtt": ["DatabaseInstance", "Endpoint.Port"]},
        "DatabaseSecretArn": {"Fn::GetAtt": ["DatabaseInstance", "MasterUserSecret.SecretArn"]},
        "DatabaseKeyArn": {"Fn::GetAtt": ["DatabaseKey", "Arn"]},
        "DatabaseInstanceId": {"Ref": "DatabaseInstance"},
    }


def test_the_dashboards_database_row_graphs_the_instance(configs):
    from tests.helpers import PARAMS_DIR

    default = load_configs(PARAMS_DIR, ["test"])["test"]
    config = default.model_copy(update={"database": configs["prod"].database})
    body = dashboard.build(config).template.to_dict()["Resources"]["DatabaseDashboard"]["Properties"]["DashboardBody"]
    text = body if isinstance(body, str) else body["Fn::Sub"][0]
    assert '"DBInstanceIdentifier", "one-system-test"' in text and "FreeStorageSpace" in text
    assert "DBClusterIdentifier" not in text and "ACUUtilization" not in text


@pytest.mark.slow
def test_cfn_lint_and_the_project_rules_find_the_environments_clean(project, tmp_path):
    result = generate(project, tmp_path / "build")
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)
    assert {stack for build in result.builds for stack in build.stacks} == {"network", "alerts", "database"}


def broken(document: dict, change) -> dict:
    copy = json.loads(json.dumps(document))
    change(copy["Resources"])
    return copy


# Each project rule that guards a database, shown to read the instance without a cluster.
BREAKS = {
    "E9003": lambda resources: resources["DatabaseInstance"]["Properties"].update(PubliclyAccessible=True),
    "E9004": lambda resources: resources["DatabaseInstance"]["Properties"].pop("MasterUserSecret"),
    "E9005": lambda resources: resources["DatabaseInstance"]["Properties"].update(BackupRetentionPeriod=1),
    "E9007": lambda resources: resources.pop("DatabaseFreeStorageAlarm"),
}


@pytest.mark.slow
@pytest.mark.parametrize("rule", BREAKS)
def test_the_project_rules_guard_the_instance_on_its_own(builds, tmp_path, rule):
    path = tmp_path / "database.json"
    path.write_text(json.dumps(broken(db(builds, "prod"), BREAKS[rule])))
    job = stackyard_lint.LintJob(path, stackyard_lint.digest(path.read_bytes()))
    report = stackyard_lint.lint([job], tmp_path / "cache.json", rules_dirs=[ROOT / "lint_rules"])
    assert [(finding.rule, finding.message.split(":")[0]) for finding in report.findings] == [
        (rule, "Resource DatabaseInstance")
    ]
