"""Pure unit: the containers stack's task (seed 001 task 5, seed 002 §2.3): its Fargate task definition, the
app's container (image, logs, health check, hardening, environment, secrets) and its two roles.

Built from seed 001's system (examples/infrastructure-package, tests/helpers/seed001.py) and variants of
it in a tmp folder. The repository, cluster and service are in test_containers.py.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import picked, properties
from tests.helpers.seed001 import (
    APP,
    ENVS,
    NO_SECRETS,
    all_statements,
    containers,
    imported,
    secret_arn,
    statements,
    system_builds,
    the_container,
    variant,
)


@pytest.fixture(scope="module")
def builds():
    return system_builds()


# --- the task -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "cpu", "memory", "architecture"),
    [("dev", "256", "512", "X86_64"), ("staging", "512", "1024", "X86_64"), ("production", "1024", "2048", "X86_64")],
)
def test_a_fargate_task_sized_per_environment(builds, env, cpu, memory, architecture):
    task = properties(containers(builds, env), "TaskDefinition")
    assert picked(task, "RequiresCompatibilities", "NetworkMode", "Cpu", "Memory", "RuntimePlatform", "Family") == {
        "RequiresCompatibilities": ["FARGATE"],
        "NetworkMode": "awsvpc",
        "Cpu": cpu,
        "Memory": memory,
        "RuntimePlatform": {"CpuArchitecture": architecture, "OperatingSystemFamily": "LINUX"},
        "Family": f"{APP}-{env}-app",
    }
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}


@pytest.mark.parametrize(("env", "tag"), [("dev", "latest"), ("staging", "latest"), ("production", "1.0.0")])
def test_the_image_is_the_repositorys_at_the_tag_params_give(builds, env, tag):
    container = the_container(builds, env)
    assert container["Image"] == {"Fn::Join": ["", [{"Fn::GetAtt": ["Repository", "RepositoryUri"]}, f":{tag}"]]}
    assert picked(container, "Name", "Essential", "PortMappings") == {
        "Name": "app",
        "Essential": True,
        "PortMappings": [{"ContainerPort": 8000, "Protocol": "tcp"}],
    }


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("staging", 30), ("production", 365)])
def test_logs_go_to_the_apps_log_group_with_the_environments_retention(builds, env, days):
    assert the_container(builds, env)["LogConfiguration"] == {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": {"Ref": "AppLogGroup"},
            "awslogs-region": {"Ref": "AWS::Region"},
            "awslogs-stream-prefix": "app",
        },
    }
    assert picked(properties(containers(builds, env), "AppLogGroup"), "LogGroupName", "RetentionInDays") == {
        "LogGroupName": f"/{APP}/{env}/app",
        "RetentionInDays": days,
    }


def test_the_container_health_check_is_optional(builds, tmp_path):
    assert the_container(builds)["HealthCheck"] == {
        "Command": ["CMD-SHELL", "curl -f http://localhost:8000/health || exit 1"],
        "Interval": 30,
        "Timeout": 5,
        "Retries": 3,
        "StartPeriod": 30,
    }
    assert "HealthCheck" not in the_container(variant(tmp_path, "containers:\n  health_check: null\n"))


@pytest.mark.parametrize("env", ENVS)
def test_the_image_is_read_only_and_the_app_writes_to_scratch_at_tmp(builds, env):
    """Issue 13 §5: by default; the image's own user (params name none here)."""
    container = the_container(builds, env)
    assert container["ReadonlyRootFilesystem"] is True
    assert container["MountPoints"] == [{"SourceVolume": "scratch-1", "ContainerPath": "/tmp", "ReadOnly": False}]
    assert properties(containers(builds, env), "TaskDefinition")["Volumes"] == [{"Name": "scratch-1"}]
    assert "User" not in container
    assert "Metadata" not in containers(builds, env)["Resources"]["TaskDefinition"]  # nothing waived


def test_params_name_the_user_and_the_scratch_paths_or_ask_for_a_writable_image_which_the_template_says(
    tmp_path,
):
    container = the_container(
        variant(tmp_path / "user", 'containers:\n  user: "1000:1000"\n  scratch_paths: [/tmp, /app/cache]\n')
    )
    assert container["User"] == "1000:1000"
    assert [mount["ContainerPath"] for mount in container["MountPoints"]] == ["/tmp", "/app/cache"]
    writable = variant(tmp_path / "writable", "containers:\n  read_only_root_filesystem: false\n  scratch_paths: []\n")
    definition = writable["dev"].stacks["containers"].template.document["Resources"]["TaskDefinition"]
    assert definition["Properties"]["ContainerDefinitions"][0]["ReadonlyRootFilesystem"] is False
    assert "Volumes" not in definition["Properties"]
    assert definition["Metadata"] == {
        "cfn-lint": {"config": {"ignore_checks": ["E9016"]}},
        "Stackyard": {"Waiver": "containers.read_only_root_filesystem: false in params"},
    }


def test_plain_environment_variables_from_params_and_where_the_database_is(builds):
    assert the_container(builds)["Environment"] == [
        {"Name": "DATABASE_HOST", "Value": imported("dev", "DatabaseEndpoint")},
        {"Name": "DATABASE_NAME", "Value": "app"},
        {"Name": "DATABASE_PORT", "Value": imported("dev", "DatabasePort")},
        {"Name": "DATABASE_SECRET_ARN", "Value": imported("dev", "DatabaseSecretArn")},
        {"Name": "ENVIRONMENT", "Value": "dev"},
        {"Name": "LOG_LEVEL", "Value": "DEBUG"},
    ]


SECRETS = """containers:
  reads_database_secret: false
  secrets:
    DATABASE_CREDENTIALS: {database_secret: true}
    DATABASE_PASSWORD: {database_secret: true, key: password}
    JWT_SECRET_KEY: {secret: tap/jwt, key: value}
    OAUTH_CLIENT_SECRET: {secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:tap/oauth-AbCdEf"}
    COGNITO_CLIENT_ID: {parameter: /tap/cognito/client-id}
"""


def test_secrets_come_from_secrets_manager_ssm_and_the_database_secret(tmp_path):
    build = variant(tmp_path, SECRETS)
    database_secret = imported("dev", "DatabaseSecretArn")
    assert {secret["Name"]: secret["ValueFrom"] for secret in the_container(build)["Secrets"]} == {
        "COGNITO_CLIENT_ID": {
            "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tap/cognito/client-id"
        },
        "DATABASE_CREDENTIALS": database_secret,
        "DATABASE_PASSWORD": {"Fn::Join": ["", [database_secret, ":password::"]]},
        "JWT_SECRET_KEY": {"Fn::Sub": secret_arn("tap/jwt")["Fn::Sub"] + ":value::"},
        "OAUTH_CLIENT_SECRET": "arn:aws:secretsmanager:us-east-1:123456789012:secret:tap/oauth-AbCdEf",
    }
    assert "DATABASE_SECRET_ARN" not in {variable["Name"] for variable in the_container(build)["Environment"]}


def test_the_execution_role_reads_exactly_the_secrets_and_parameters_named(tmp_path):
    granted = statements(variant(tmp_path, SECRETS), "ExecutionRole")
    assert granted["ReadSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    # A secret named without its ARN matches its six random characters, and nothing else.
    assert granted["ReadSecrets"]["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tap/oauth-AbCdEf",
        {"Fn::Sub": secret_arn("tap/jwt")["Fn::Sub"] + "-??????"},
        imported("dev", "DatabaseSecretArn"),
    ]
    assert granted["ReadParameters"] == {
        "Sid": "ReadParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameters"],
        "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tap/cognito/client-id"}
        ],
    }
    # The database secret is under the database's own key: decrypt it through Secrets Manager only.
    assert granted["DecryptDatabaseSecret"] == {
        "Sid": "DecryptDatabaseSecret",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [imported("dev", "DatabaseKeyArn")],
        "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}},
    }


def test_without_secrets_the_execution_role_pulls_the_image_and_writes_logs_only(tmp_path):
    build = variant(tmp_path, "containers:\n  reads_database_secret: false\n", NO_SECRETS)
    granted = statements(build, "ExecutionRole")
    assert sorted(granted) == ["PullImage", "RegistryLogin", "WriteLogs"]
    assert granted["PullImage"]["Resource"] == [{"Fn::GetAtt": ["Repository", "Arn"]}]
    assert granted["PullImage"]["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
    ]
    assert granted["WriteLogs"]["Resource"] == [{"Fn::GetAtt": ["AppLogGroup", "Arn"]}]
    assert "Policies" not in properties(containers(build), "TaskRole")  # the app itself may do nothing


def test_the_task_role_holds_the_params_grants_and_statements(tmp_path):
    build = variant(
        tmp_path,
        """storage:
  buckets:
    files: {purpose: CVs and transcripts, versioned: true}
containers:
  reads_database_secret: false
  grants: [{bucket: files, access: read_write}]
  statements:
    - actions: [bedrock:InvokeModel]
      resources: ["arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"]
""",
    )
    granted = [
        (action, json.dumps(resource))
        for statement in all_statements(build, "TaskRole")
        for action in statement["Action"]
        for resource in statement["Resource"]
    ]
    files = "arn:${AWS::Partition}:s3:::infra-package-dev-files-${AWS::AccountId}-${AWS::Region}"
    assert ("s3:PutObject", json.dumps({"Fn::Join": ["", [{"Fn::Sub": files}, "/*"]]})) in granted
    assert ("s3:ListBucket", json.dumps({"Fn::Sub": files})) in granted
    assert (
        "bedrock:InvokeModel",
        json.dumps({"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"}),
    ) in granted
    assert not [action for action, _ in granted if action.startswith(("secretsmanager:", "kms:"))]


def test_an_app_that_reads_the_database_secret_itself_gets_its_arn_and_may_read_and_decrypt_it(builds):
    granted = statements(builds, "TaskRole")
    assert granted["ReadDatabaseSecret"]["Resource"] == [imported("dev", "DatabaseSecretArn")]
    assert granted["DecryptDatabaseSecret"]["Resource"] == [imported("dev", "DatabaseKeyArn")]
    assert {"Name": "DATABASE_SECRET_ARN", "Value": imported("dev", "DatabaseSecretArn")} in (
        the_container(builds)["Environment"]
    )


@pytest.mark.parametrize("env", ENVS)
def test_both_roles_are_for_ecs_tasks_of_this_account_only(builds, env):
    for role in ("ExecutionRole", "TaskRole"):
        assert properties(containers(builds, env), role)["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": ["sts:AssumeRole"],
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }
        ]
