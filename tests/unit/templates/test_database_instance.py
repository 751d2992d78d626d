"""Pure unit: `database.engine: postgres` builds seed 002 §2.4's RDS PostgreSQL instance (and §2.10's alarm).

A small seed-002-shaped params set (network, alerts, database) is written to a temporary project with
two environments: dev (defaults, nothing kept) and prod (Multi-AZ, storage autoscaling, Performance
Insights, statement logging, data kept). Its templates are built in memory; one test (slow) lints
them with cfn-lint and the project's rules. Bad params are refused with file:line, key and fix.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from stackyard import lint as stackyard_lint
from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.errors import ParamsError
from stackyard.generate import generate
from templates import dashboard, database
from tests.helpers import ROOT, picked, properties, resources

GIB = 1024**3
BASE = """\
app: tap
region: us-east-1
stacks: [network, alerts, database]
termination_protection: false
retain_data: true
tags:
  cost_center: tap
  owner: platform@example.com
network:
  vpc_cidr: 10.0.0.0/16
  availability_zones: 2
  subnet_prefix_length: 24
  nat: single
  vpc_endpoints: false
  flow_logs:
    retention_days: 30
  security_groups:
    database:
      description: "rds-sg: PostgreSQL from the ECS tasks only"
      egress: []
compute:
  instance_type: t3.small
  image_parameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  root_volume_gb: 30
  app_port: 8000
  log_level: INFO
  log_retention_days: 30
  docker_compose_version: v2.29.7
database:
  engine: postgres
  name: tap
  engine_version: "16.10"
  master_username: tap_admin
  instance:
    instance_class: db.t4g.micro
    allocated_storage_gb: 20
    storage_type: gp3
    multi_az: false
  backup_retention_days: 7
  secret_rotation_days: 7
  deletion_protection: true
  performance_insights: false
  log_retention_days: 30
  audit_log: []
  log_min_duration_ms: -1
  migrations: sql
monitoring:
  critical_emails: [oncall@example.com]
  warning_emails: []
  thresholds:
    alb_p95_latency_seconds: 5
    alb_5xx_percent: 5
    database_connection_failures_per_5_minutes: 10
"""
DEV = """\
retain_data: false
database:
  deletion_protection: false
"""
PROD = """\
database:
  instance:
    max_allocated_storage_gb: 100
    multi_az: true
  performance_insights: true
  log_retention_days: 365
  audit_log: [ddl]
monitoring:
  thresholds:
    database_cpu_percent: 75
    database_free_storage_percent: 20
"""


def write_project(folder: Path, **files: str) -> Path:
    """A project holding params/<name>.yaml for each file given, and the default system's sql/."""
    (folder / "params").mkdir()
    for name, text in files.items():
        (folder / "params" / f"{name}.yaml").write_text(text)
    shutil.copytree(ROOT / "sql", folder / "sql")
    return folder / "params"


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
    assert database.instance_parameters(older.database) == {"rds.force_ssl": "1"}
    assert database.instance_parameters(config.database) == {}


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


# --- bad params ---------------------------------------------------------------------------------


def base_line(text: str) -> int:
    return next(number for number, line in enumerate(BASE.splitlines(), 1) if line.lstrip().startswith(text))


BAD = {
    "Aurora capacity on an instance": (
        "database:\n  min_acu: 0.5\n  reader_instances: 1\n",
        [
            "params/test.yaml:2: database.min_acu: a key of engine aurora-postgresql (Serverless v2 capacity); engine "
            "postgres is sized by its instance section. Fix: remove it (null in an environment's file when base.yaml "
            "sets it)",
            "params/test.yaml:3: database.reader_instances: a key of engine aurora-postgresql (Serverless v2 capacity); "
            "engine postgres is sized by its instance section. Fix: remove it (null in an environment's file when "
            "base.yaml sets it)",
        ],
    ),
    "an instance section on Aurora": (
        "database:\n  engine: aurora-postgresql\n  min_acu: 0.5\n  max_acu: 2\n  reader_instances: 0\n"
        "  secret_rotation_days: 30\n",
        [
            f"params/base.yaml:{base_line('instance:')}: database.instance: a section of engine postgres (one RDS "
            f"instance); engine aurora-postgresql is sized by min_acu, max_acu and reader_instances. Fix: remove it, "
            f"or set engine: postgres"
        ],
    ),
    "Aurora without its capacity": (
        "database:\n  engine: aurora-postgresql\n  instance: null\n  secret_rotation_days: 30\n",
        # located at the database section, last written by test.yaml
        [
            f"params/test.yaml:1: database.{key}: required with engine aurora-postgresql (the default); expected a "
            f"value, or engine: postgres with an instance section"
            for key in ("max_acu", "min_acu", "reader_instances")
        ],
    ),
    "an instance without its section": (
        "database:\n  instance: null\n",
        [
            "params/test.yaml:2: database.instance: required with engine postgres; expected a section with "
            "instance_class, allocated_storage_gb, storage_type and multi_az (max_allocated_storage_gb optional)"
        ],
    ),
    "a rotation schedule RDS does not keep": (
        "database:\n  secret_rotation_days: 30\n",
        [
            "params/test.yaml:2: database.secret_rotation_days: got 30; with engine postgres RDS manages the master "
            "password in Secrets Manager and rotates it itself every 7 days, a schedule CloudFormation cannot change; "
            "expected 7"
        ],
    ),
    "no rotation, which RDS cannot be told": (
        "database:\n  secret_rotation_days: null\n",
        [
            "params/test.yaml:2: database.secret_rotation_days: got an empty value; with engine postgres RDS manages "
            "the master password in Secrets Manager and rotates it itself every 7 days, a schedule CloudFormation "
            "cannot change; expected 7"
        ],
    ),
    "an autoscaling ceiling RDS refuses": (
        "database:\n  instance:\n    max_allocated_storage_gb: 21\n",
        [
            "params/test.yaml:3: database.instance.max_allocated_storage_gb: got 21; RDS needs the autoscaling "
            "ceiling at least 10% above allocated_storage_gb (20); expected 22 or more, or null for no autoscaling"
        ],
    ),
    "less storage than gp3 allows": (
        "database:\n  instance:\n    allocated_storage_gb: 10\n",
        ["params/test.yaml:3: database.instance.allocated_storage_gb: got 10; expected greater than or equal to 20"],
    ),
    "a storage type needing provisioned IOPS": (
        "database:\n  instance:\n    storage_type: io1\n",
        ["params/test.yaml:3: database.instance.storage_type: got 'io1'; expected 'gp3' or 'gp2'"],
    ),
    "an EC2 instance type": (
        "database:\n  instance:\n    instance_class: t4g.micro\n",
        [
            "params/test.yaml:3: database.instance.instance_class: got 't4g.micro'; expected an RDS instance class "
            "such as db.t4g.micro"
        ],
    ),
    "an unknown instance key": (
        "database:\n  instance:\n    iops: 3000\n",
        [
            "params/test.yaml:3: database.instance.iops: unknown key; allowed keys here: allocated_storage_gb, "
            "instance_class, max_allocated_storage_gb, multi_az, storage_type"
        ],
    ),
    "a production-grade environment with a single-AZ instance": (
        "production_grade: true\n",
        [
            "params/base.yaml:38: database.instance.multi_az: got false in an environment with production_grade: "
            "true, so the database would go down with its Availability Zone; expected true (a standby in a second "
            "zone), or production_grade: false"
        ],
    ),
    "an engine Stackyard does not build": (
        "database:\n  engine: mysql\n",
        ["params/test.yaml:2: database.engine: got 'mysql'; expected 'aurora-postgresql' or 'postgres'"],
    ),
}


@pytest.mark.parametrize("override, expected", BAD.values(), ids=BAD.keys())
def test_bad_params_are_refused_with_file_line_key_and_fix(tmp_path, monkeypatch, override, expected):
    monkeypatch.chdir(tmp_path)
    params = write_project(tmp_path, base=BASE, test=override)
    with pytest.raises(ParamsError) as raised:
        load_configs(params.relative_to(tmp_path), ["test"])
    assert [str(problem) for problem in raised.value.problems] == expected


def test_without_a_rotation_lambda_the_instance_needs_no_nat_to_reach_secrets_manager(tmp_path):
    # Aurora's rotation Lambda needs a NAT or endpoints; RDS rotates its own secret from outside the VPC.
    params = write_project(
        tmp_path,
        base=BASE,
        test=textwrap.dedent("""\
        network:
          nat: none
        database:
          migrations: null
        """),
    )
    config = load_configs(params, ["test"])["test"]
    assert (config.network.nat, config.database.secret_rotation_days) == ("none", 7)
