"""Pure unit: the database stack's template holds the facts of seed 000 §1.3 and seed 001 task 3."""

from __future__ import annotations

import pytest

from stackyard.manifest import LambdaPackage
from templates import database
from tests.helpers import ENVS, picked, properties, resources, template


def db(builds, env):
    return template(builds, env, "database.json")


@pytest.mark.parametrize(("env", "min_acu", "max_acu"), [("dev", 0.5, 1), ("test", 0.5, 2), ("prod", 0.5, 4)])
def test_aurora_postgresql_15_serverless_v2_sized_per_environment(builds, env, min_acu, max_acu):
    cluster = properties(db(builds, env), "DatabaseCluster")
    assert picked(cluster, "Engine", "DatabaseName", "Port") == {
        "Engine": "aurora-postgresql",
        "DatabaseName": "one_system",
        "Port": 5432,
    }
    assert cluster["EngineVersion"].split(".")[0] == "15"
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": min_acu, "MaxCapacity": max_acu}


@pytest.mark.parametrize("env", ENVS)
def test_one_serverless_writer_and_no_public_access(builds, env):
    instances = resources(db(builds, env), "AWS::RDS::DBInstance")
    assert list(instances) == ["DatabaseWriter"]  # writer only: no DR this phase
    assert picked(instances["DatabaseWriter"]["Properties"], "DBInstanceClass", "PubliclyAccessible") == {
        "DBInstanceClass": "db.serverless",
        "PubliclyAccessible": False,
    }


@pytest.mark.parametrize("env", ENVS)
def test_database_lives_in_the_private_subnets_behind_the_db_group(builds, env):
    document = db(builds, env)
    assert properties(document, "DatabaseSubnetGroup")["SubnetIds"] == {
        "Fn::Split": [",", {"Fn::ImportValue": f"one-system-{env}-PrivateSubnetIds"}]
    }
    assert properties(document, "DatabaseCluster")["VpcSecurityGroupIds"] == [
        {"Fn::ImportValue": f"one-system-{env}-DatabaseSecurityGroupId"}
    ]


@pytest.mark.parametrize("env", ENVS)
def test_encrypted_with_a_rotating_customer_key_and_backed_up_for_7_days(builds, env):
    document = db(builds, env)
    cluster = properties(document, "DatabaseCluster")
    assert picked(cluster, "StorageEncrypted", "KmsKeyId", "BackupRetentionPeriod", "CopyTagsToSnapshot") == {
        "StorageEncrypted": True,
        "KmsKeyId": {"Fn::GetAtt": ["DatabaseKey", "Arn"]},
        "BackupRetentionPeriod": 7,
        "CopyTagsToSnapshot": True,
    }
    assert properties(document, "DatabaseKey")["EnableKeyRotation"] is True


@pytest.mark.parametrize("env", ENVS)
def test_credentials_are_generated_into_the_seeds_secret_encrypted_and_used_by_reference(builds, env):
    document = db(builds, env)
    secret = properties(document, "DatabaseSecret")
    assert secret["Name"] == f"/one-system/{env}/db/credentials"
    assert secret["KmsKeyId"] == {"Ref": "DatabaseKey"}
    assert secret["GenerateSecretString"]["GenerateStringKey"] == "password"
    cluster = properties(document, "DatabaseCluster")
    assert cluster["MasterUserPassword"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
    }
    assert properties(document, "DatabaseSecretAttachment")["TargetId"] == {"Ref": "DatabaseCluster"}


@pytest.mark.parametrize("env", ENVS)
def test_secret_rotates_every_30_days_inside_the_vpc(builds, env):
    document = db(builds, env)
    assert document["Transform"] == "AWS::SecretsManager-2020-07-23"
    rotation = properties(document, "DatabaseSecretRotation")
    assert rotation["RotationRules"] == {"AutomaticallyAfterDays": 30}
    hosted = rotation["HostedRotationLambda"]
    assert picked(hosted, "RotationType", "VpcSecurityGroupIds", "VpcSubnetIds") == {
        "RotationType": "PostgreSQLSingleUser",
        "VpcSecurityGroupIds": {"Ref": "RotationSecurityGroup"},
        "VpcSubnetIds": {"Fn::ImportValue": f"one-system-{env}-PrivateSubnetIds"},
    }
    admitted = properties(document, "DatabaseFromRotation")
    assert picked(admitted, "GroupId", "SourceSecurityGroupId", "FromPort", "ToPort") == {
        "GroupId": {"Fn::ImportValue": f"one-system-{env}-DatabaseSecurityGroupId"},
        "SourceSecurityGroupId": {"Ref": "RotationSecurityGroup"},
        "FromPort": 5432,
        "ToPort": 5432,
    }


def test_without_rotation_there_is_no_transform_and_no_rotation_lambda(configs):
    config = configs["test"].model_copy(
        update={"database": configs["test"].database.model_copy(update={"secret_rotation_days": None})}
    )
    document = database.build(config).template.to_dict()
    assert "Transform" not in document
    assert not resources(document, "AWS::SecretsManager::RotationSchedule")
    assert "DatabaseFromRotation" not in document["Resources"]


@pytest.mark.parametrize(("env", "protected"), [("dev", False), ("test", True), ("prod", True)])
def test_data_survives_deletion_and_replacement_outside_dev(builds, env, protected):
    document = db(builds, env)
    policies = {
        name: (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        for name, resource in document["Resources"].items()
        if name in ("DatabaseCluster", "DatabaseKey", "DatabaseSecret")
    }
    if protected:
        assert policies == {
            "DatabaseCluster": ("Snapshot", "Snapshot"),
            "DatabaseKey": ("Retain", "Retain"),
            "DatabaseSecret": ("Retain", "Retain"),
        }
    else:
        assert set(policies.values()) == {("Delete", "Delete")}
    assert properties(document, "DatabaseCluster")["DeletionProtection"] is protected


@pytest.mark.parametrize(
    ("env", "audited", "slower_than_ms", "log_days"),
    [
        ("dev", "ddl,read,write", 100, 7),
        ("test", "ddl", 500, 30),
        ("prod", "ddl", 1000, 365),
    ],
)
def test_tls_is_required_and_ddl_is_audited_by_pgaudit_never_by_log_statement(
    builds, env, audited, slower_than_ms, log_days
):
    # the rotation's ALTER USER ... WITH PASSWORD must not reach the log: pgaudit leaves role statements out
    document = db(builds, env)
    parameters = properties(document, "DatabaseClusterParameters")
    assert parameters["Family"] == "aurora-postgresql15"
    assert parameters["Parameters"] == {
        "rds.force_ssl": "1",
        "log_statement": "none",
        "log_min_duration_statement": str(slower_than_ms),
        "shared_preload_libraries": "pg_stat_statements,pgaudit",
        "pgaudit.log": audited,
    }
    assert properties(document, "DatabaseCluster")["EnableCloudwatchLogsExports"] == ["postgresql"]
    log_group = properties(document, "DatabaseLogGroup")
    assert log_group == {
        "LogGroupName": f"/aws/rds/cluster/one-system-{env}/postgresql",
        "RetentionInDays": log_days,
        "Tags": log_group["Tags"],
    }


@pytest.mark.parametrize(("env", "insights"), [("dev", False), ("test", True), ("prod", True)])
def test_performance_insights_where_the_environment_wants_it(builds, env, insights):
    writer = properties(db(builds, env), "DatabaseWriter")
    assert writer["EnablePerformanceInsights"] is insights
    assert ("PerformanceInsightsKMSKeyId" in writer) is insights


@pytest.mark.parametrize("env", ENVS)
def test_endpoint_port_and_secret_are_exported(builds, env):
    exports = {
        output["Export"]["Name"]: output["Value"]
        for output in db(builds, env)["Outputs"].values()
        if "Export" in output
    }
    assert exports[f"one-system-{env}-DatabaseEndpoint"] == {"Fn::GetAtt": ["DatabaseCluster", "Endpoint.Address"]}
    assert exports[f"one-system-{env}-DatabasePort"] == {"Fn::GetAtt": ["DatabaseCluster", "Endpoint.Port"]}
    assert exports[f"one-system-{env}-DatabaseSecretArn"] == {"Ref": "DatabaseSecret"}


# --- the schema migrator (issue: sql/ applied through a custom resource) ------------------------


@pytest.mark.parametrize("env", ENVS)
def test_the_migrator_runs_in_the_private_subnets_behind_its_own_group_which_the_database_admits(builds, env):
    document = db(builds, env)
    function = properties(document, "MigratorFunction")
    assert picked(function, "FunctionName", "Runtime", "Handler", "Timeout") == {
        "FunctionName": f"one-system-{env}-schema-migrator",
        "Runtime": "python3.12",
        "Handler": "handler.handler",
        "Timeout": 900,
    }
    assert function["VpcConfig"] == {
        "SubnetIds": {"Fn::Split": [",", {"Fn::ImportValue": f"one-system-{env}-PrivateSubnetIds"}]},
        "SecurityGroupIds": [{"Ref": "MigratorSecurityGroup"}],
    }
    assert function["Code"] == {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "SchemaMigratorCode"}}
    egress = properties(document, "MigratorSecurityGroup")["SecurityGroupEgress"]
    assert [(rule["FromPort"], rule.get("CidrIp") or rule["DestinationSecurityGroupId"]) for rule in egress] == [
        (443, "0.0.0.0/0"),
        (5432, {"Fn::ImportValue": f"one-system-{env}-DatabaseSecurityGroupId"}),
    ]
    admitted = properties(document, "DatabaseFromMigrator")
    assert picked(admitted, "GroupId", "SourceSecurityGroupId", "FromPort") == {
        "GroupId": {"Fn::ImportValue": f"one-system-{env}-DatabaseSecurityGroupId"},
        "SourceSecurityGroupId": {"Ref": "MigratorSecurityGroup"},
        "FromPort": 5432,
    }


def test_the_migrators_role_reads_only_the_database_secret_and_writes_only_its_logs(builds):
    [policy] = properties(db(builds, "test"), "MigratorRole")["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert statements["DatabaseCredentials"]["Resource"] == [{"Ref": "DatabaseSecret"}]
    assert statements["DatabaseCredentials"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["DecryptDatabaseCredentials"]["Resource"] == [{"Fn::GetAtt": ["DatabaseKey", "Arn"]}]
    assert statements["OwnLogs"]["Resource"] == [{"Fn::GetAtt": ["MigratorLogGroup", "Arn"]}]
    assert set(statements) == {"DatabaseCredentials", "DecryptDatabaseCredentials", "OwnLogs", "VpcNetworkInterfaces"}
    assert set(statements["VpcNetworkInterfaces"]["Action"]) == {
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_migration_runs_once_the_database_answers_and_changes_with_the_sql_files(builds, env):
    from stackyard.digests import folder_digest
    from tests.helpers import ROOT

    resource = db(builds, env)["Resources"]["SchemaMigration"]
    assert resource["Type"] == "Custom::SchemaMigration"
    assert resource["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["MigratorFunction", "Arn"]},
        "ServiceTimeout": 1020,  # the migrator's 900 s and 120 s in Lambda's queue: not CloudFormation's hour
        "SecretArn": {"Ref": "DatabaseSecret"},
        "DatabaseName": "one_system",
        "SqlSha256": folder_digest(ROOT / "sql", "*.sql"),
    }
    assert set(resource["DependsOn"]) == {
        "DatabaseWriter",
        "DatabaseSecretAttachment",
        "DatabaseFromMigrator",
        "MigratorInvokeOnce",
    }
    assert db(builds, env)["Outputs"]["SchemaVersion"]["Value"] == {"Fn::GetAtt": ["SchemaMigration", "Version"]}
    assert builds[env].manifest().stacks["database"].packages == {
        "SchemaMigratorCode": LambdaPackage("lambdas/schema_migrator", {"sql": "sql"}, "python3.12", "x86_64")
    }


@pytest.mark.parametrize("env", ENVS)
def test_lambda_never_retries_a_migration_and_drops_one_cloudformation_stopped_waiting_for(builds, env):
    # CloudFormation invokes the migrator asynchronously; Lambda would retry a failed run twice after FAILED
    assert properties(db(builds, env), "MigratorInvokeOnce") == {
        "FunctionName": {"Ref": "MigratorFunction"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 120,
    }


def test_without_migrations_there_is_no_migrator(configs):
    config = configs["test"].model_copy(
        update={"database": configs["test"].database.model_copy(update={"migrations": None})}
    )
    built = database.build(config)
    document = built.template.to_dict()
    assert not [name for name in document["Resources"] if "Migrat" in name]
    assert built.packages == {} and "ArtifactBucket" not in document.get("Parameters", {})
