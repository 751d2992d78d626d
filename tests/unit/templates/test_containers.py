"""Pure unit: the containers stack (ECS Fargate behind the load balancer) as a component: its template
from params, the edge stack's target group for it, and the params it refuses (file:line, key, fix).

Built from seed 001's system (examples/infrastructure-package) and variants of it in a tmp folder;
one test lints task definitions with cfn-lint's own rules to hold the Fargate CPU/memory table to AWS's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cfnlint.api import lint as cfn_lint

import generate
from stackyard.build import build_environment
from stackyard.config import FARGATE_MEMORY, load_configs
from stackyard.errors import EXIT_BAD_INPUT
from stackyard.manifest import ContainerImage, ParameterSource
from tests.helpers import ROOT, picked, properties, resources, template

SYSTEM = ROOT / "examples" / "infrastructure-package"
APP = "infra-package"
ENVS = ("dev", "staging", "production")
FARGATE_CPU_MEMORY_RULE = "E3047"  # cfn-lint's check of a Fargate task's Cpu and Memory


@pytest.fixture(scope="module")
def builds():
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def variant(tmp_path: Path, dev_yaml: str, base_edits: dict[str, str] | None = None):
    """Seed 001's system with params/dev.yaml replaced (and base.yaml text replaced): dev's build.
    Mappings merge key by key, so removing a base key takes a base edit."""
    params = tmp_path / "params"
    shutil.copytree(SYSTEM / "params", params)
    (params / "dev.yaml").write_text(dev_yaml)
    base = (params / "base.yaml").read_text()
    for old, new in (base_edits or {}).items():
        assert old in base, old
        base = base.replace(old, new)
    (params / "base.yaml").write_text(base)
    return {"dev": build_environment(load_configs(params, ["dev"])["dev"])}


# The load balancer's path to the app on port 9000 instead of 8000.
PORT_9000_GROUPS = (
    "network:\n  security_groups:\n    alb:\n      egress: [{port: 9000, group: app, description: API}]\n"
    "    app:\n      ingress: [{port: 9000, group: alb, description: API}]\n"
)
NO_SECRETS = {"    DATABASE_CREDENTIALS: {database_secret: true}\n": "", "  secrets:  ": "  secrets: {}"}


def containers(builds, env="dev"):
    return template(builds, env, "containers.json")


def imported(env, name):
    return {"Fn::ImportValue": f"{APP}-{env}-{name}"}


def the_container(builds, env="dev"):
    [container] = properties(containers(builds, env), "TaskDefinition")["ContainerDefinitions"]
    return container


def statements(builds, role, env="dev"):
    """The role's statements by Sid (those from params grants have none)."""
    return {statement["Sid"]: statement for statement in all_statements(builds, role, env) if "Sid" in statement}


def all_statements(builds, role, env="dev"):
    policies = properties(containers(builds, env), role).get("Policies", [])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def secret_arn(name):
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}"}


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


# --- the repository and the cluster --------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "mutability", "keep", "policy"),
    [("dev", "MUTABLE", 20, "Delete"), ("staging", "MUTABLE", 20, "Retain"), ("production", "IMMUTABLE", 50, "Retain")],
)
def test_the_repository_scans_on_push_keeps_the_last_images_and_is_kept_as_data(builds, env, mutability, keep, policy):
    repository = containers(builds, env)["Resources"]["Repository"]
    props = repository["Properties"]
    assert picked(props, "RepositoryName", "ImageTagMutability", "ImageScanningConfiguration") == {
        "RepositoryName": f"{APP}-{env}-app",
        "ImageTagMutability": mutability,
        "ImageScanningConfiguration": {"ScanOnPush": True},
    }
    rules = json.loads(props["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    deployed = "1.0.0" if env == "production" else "latest"
    # The deployed image is matched first, so no later rule can expire it; then untagged leftovers,
    # then anything beyond the newest `keep`.
    assert [(rule["rulePriority"], rule["selection"]) for rule in rules] == [
        (1, {"tagStatus": "tagged", "tagPatternList": [deployed], "countType": "imageCountMoreThan", "countNumber": 1}),
        (2, {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}),
        (3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}),
    ]
    assert {rule["action"]["type"] for rule in rules} == {"expire"}
    assert (repository["DeletionPolicy"], repository["UpdateReplacePolicy"]) == (policy, policy)
    # A repository deleted with its stack must be emptied first, or the delete fails.
    assert props.get("EmptyOnDelete") is (True if policy == "Delete" else None)


@pytest.mark.parametrize("env", ENVS)
def test_the_cluster_has_container_insights(builds, env):
    assert properties(containers(builds, env), "Cluster") == {
        "ClusterName": f"{APP}-{env}",
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        "Tags": properties(containers(builds, env), "Cluster")["Tags"],
    }


# --- the service ----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_the_service_runs_in_the_private_subnets_behind_the_app_group_without_public_ips(builds, env):
    service = properties(containers(builds, env), "Service")
    assert service["NetworkConfiguration"] == {
        "AwsvpcConfiguration": {
            "Subnets": {"Fn::Split": [",", imported(env, "PrivateSubnetIds")]},
            "SecurityGroups": [imported(env, "AppSecurityGroupId")],
            "AssignPublicIp": "DISABLED",
        }
    }
    assert picked(service, "LaunchType", "ServiceName", "Cluster", "TaskDefinition") == {
        "LaunchType": "FARGATE",
        "ServiceName": f"{APP}-{env}-app",
        "Cluster": {"Ref": "Cluster"},
        "TaskDefinition": {"Ref": "TaskDefinition"},
    }


@pytest.mark.parametrize("env", ENVS)
def test_a_failing_deployment_rolls_back_and_new_tasks_start_before_old_ones_stop(builds, env):
    service = properties(containers(builds, env), "Service")
    assert service["DeploymentConfiguration"] == {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
    }
    assert service["HealthCheckGracePeriodSeconds"] == 60


@pytest.mark.parametrize("env", ENVS)
def test_the_service_registers_its_tasks_with_the_edge_stacks_target_group(builds, env):
    service = properties(containers(builds, env), "Service")
    assert service["LoadBalancers"] == [
        {"ContainerName": "app", "ContainerPort": 8000, "TargetGroupArn": {"Ref": "AppTargetGroupArn"}}
    ]
    # An ECS service attaches only to a target group a load balancer already forwards to.
    assert "edge" in builds[env].manifest().stacks["containers"].depends_on


@pytest.mark.parametrize("env", ENVS)
def test_the_task_count_is_left_to_autoscaling(builds, env):
    # A DesiredCount would be set again by every update of the service (each release), scaling it in.
    assert "DesiredCount" not in properties(containers(builds, env), "Service")


@pytest.mark.parametrize(("env", "low", "high"), [("dev", 1, 2), ("staging", 1, 4), ("production", 2, 10)])
def test_autoscaling_keeps_between_min_and_max_tasks_tracking_cpu_and_memory(builds, env, low, high):
    document = containers(builds, env)
    assert properties(document, "ScalableTarget") == {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {"Fn::Join": ["/", ["service", {"Ref": "Cluster"}, {"Fn::GetAtt": ["Service", "Name"]}]]},
        "MinCapacity": low,
        "MaxCapacity": high,
        "Tags": properties(document, "ScalableTarget")["Tags"],
    }
    policies = {
        props["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]: props
        for props in (
            item["Properties"] for item in resources(document, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        )
    }
    assert {
        metric: props["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for metric, props in policies.items()
    } == {"ECSServiceAverageCPUUtilization": 70, "ECSServiceAverageMemoryUtilization": 80}
    assert all(props["ScalingTargetId"] == {"Ref": "ScalableTarget"} for props in policies.values())


@pytest.mark.parametrize(("env", "low"), [("dev", 1), ("staging", 1), ("production", 2)])
def test_7_2_fewer_running_tasks_than_the_minimum_pages(builds, env, low):
    alarm = properties(containers(builds, env), "RunningTasksAlarm")
    assert picked(
        alarm,
        "Namespace",
        "MetricName",
        "Dimensions",
        "ComparisonOperator",
        "Threshold",
        "TreatMissingData",
        "AlarmActions",
        "OKActions",
    ) == {
        "Namespace": "ECS/ContainerInsights",
        "MetricName": "RunningTaskCount",
        "Dimensions": [
            {"Name": "ClusterName", "Value": {"Ref": "Cluster"}},
            {"Name": "ServiceName", "Value": {"Fn::GetAtt": ["Service", "Name"]}},
        ],
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": low,
        "TreatMissingData": "breaching",
        "AlarmActions": [imported(env, "CriticalTopicArn")],
        "OKActions": [imported(env, "CriticalTopicArn")],
    }


@pytest.mark.parametrize("env", ENVS)
def test_cluster_service_and_repository_are_exported(builds, env):
    exports = {output["Export"]["Name"]: output["Value"] for output in containers(builds, env)["Outputs"].values()}
    assert exports == {
        f"{APP}-{env}-EcsClusterName": {"Ref": "Cluster"},
        f"{APP}-{env}-EcsServiceName": {"Fn::GetAtt": ["Service", "Name"]},
        f"{APP}-{env}-AppRepositoryName": {"Ref": "Repository"},
        f"{APP}-{env}-AppRepositoryArn": {"Fn::GetAtt": ["Repository", "Arn"]},
        f"{APP}-{env}-AppRepositoryUri": {"Fn::GetAtt": ["Repository", "RepositoryUri"]},
        f"{APP}-{env}-AppLogGroupName": {"Ref": "AppLogGroup"},
        f"{APP}-{env}-AppTaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
        f"{APP}-{env}-AppExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
    }


# --- the edge stack's target group ----------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_the_target_group_takes_task_ips_on_the_containers_port_with_no_instance(builds, env):
    edge = template(builds, env, "edge.json")
    group = properties(edge, "AppTargetGroup")
    assert picked(group, "TargetType", "Port", "Protocol", "HealthCheckPath") == {
        "TargetType": "ip",
        "Port": 8000,
        "Protocol": "HTTP",
        "HealthCheckPath": "/health",
    }
    assert "Targets" not in group  # ECS registers each task's IP itself
    assert "AppInstanceId" not in edge.get("Parameters", {})
    assert "AppInstanceId" not in builds[env].manifest().stacks["edge"].parameters
    # An output the containers stack takes as a parameter, not an export: a replaced group must be able
    # to change it.
    assert edge["Outputs"]["AppTargetGroupArn"] == {
        "Description": "Target group of the app's tasks",
        "Value": {"Ref": "AppTargetGroup"},
    }
    assert builds[env].manifest().stacks["containers"].parameters["AppTargetGroupArn"] == ParameterSource(
        "edge", "AppTargetGroupArn"
    )


def test_the_target_group_follows_the_containers_port(tmp_path):
    build = variant(tmp_path, PORT_9000_GROUPS + "containers:\n  port: 9000\n")
    assert properties(template(build, "dev", "edge.json"), "AppTargetGroup")["Port"] == 9000
    assert properties(containers(build), "Service")["LoadBalancers"][0]["ContainerPort"] == 9000


def test_the_default_system_keeps_its_instance_target_and_no_target_group_export(builds_default):
    edge = template(builds_default, "dev", "edge.json")
    assert properties(edge, "AppTargetGroup")["TargetType"] == "instance"
    assert "AppTargetGroupArn" not in edge["Outputs"]


@pytest.fixture(scope="module")
def builds_default():
    return {"dev": build_environment(load_configs(ROOT / "params", ["dev"])["dev"])}


# --- Fargate's CPU and memory --------------------------------------------------------------------


def test_every_cpu_and_memory_pair_accepted_is_one_cfn_lint_accepts_and_neighbours_are_refused():
    """The table in stackyard/config/containers.py against cfn-lint's own Fargate rule (E3047): every pair
    the table lets through passes it, and a memory size just outside each cpu's range fails both."""
    accepted = [(cpu, memory) for cpu, sizes in FARGATE_MEMORY.items() for memory in sizes]
    refused = [(cpu, sizes[0] - 512) for cpu, sizes in FARGATE_MEMORY.items()] + [
        (cpu, sizes[-1] + sizes[1] - sizes[0]) for cpu, sizes in FARGATE_MEMORY.items()
    ]

    def task(cpu, memory):
        return {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": str(cpu),
                "Memory": str(memory),
                "ContainerDefinitions": [{"Name": "app", "Image": "app:1"}],
            },
        }

    def findings(pairs):
        resources_ = {f"Task{cpu}x{memory}": task(cpu, memory) for cpu, memory in pairs}
        document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources_}
        return {
            match.path[1]
            for match in cfn_lint(json.dumps(document), regions=["us-east-1"])
            if match.rule.id == FARGATE_CPU_MEMORY_RULE
        }

    assert len(accepted) > 60 and findings(accepted) == set()
    assert findings(refused) == {f"Task{cpu}x{memory}" for cpu, memory in refused}


# --- params it refuses ------------------------------------------------------------------------------

CASES = {
    "a cpu Fargate does not run": (
        "containers:\n  cpu: 300\n",
        ["params/dev.yaml:2: containers.cpu: got 300; expected 256, 512, 1024, 2048, 4096, 8192 or 16384"],
    ),
    "memory outside the cpu's few sizes": (
        "containers:\n  cpu: 256\n  memory_mb: 4096\n",
        [
            "params/dev.yaml:3: containers.memory_mb: got 4096 with cpu 256; Fargate runs cpu 256 with memory_mb 512, "
            "1024 or 2048; expected one of those, or another cpu"
        ],
    ),
    "memory off the cpu's steps": (
        "containers:\n  cpu: 1024\n  memory_mb: 2500\n",
        [
            "params/dev.yaml:3: containers.memory_mb: got 2500 with cpu 1024; Fargate runs cpu 1024 with memory_mb 2048 "
            "to 8192 in steps of 1024; expected one of those, or another cpu"
        ],
    ),
    "more tasks at least than at most": (
        "containers:\n  min_tasks: 3\n  max_tasks: 2\n",
        ["params/dev.yaml:3: containers.max_tasks: got 2, below min_tasks (3); expected max_tasks >= min_tasks"],
    ),
    "no task at all": (
        "containers:\n  min_tasks: 0\n",
        ["params/dev.yaml:2: containers.min_tasks: got 0; expected greater than or equal to 1"],
    ),
    "latest in an immutable repository": (
        "containers:\n  repository:\n    tag_mutability: IMMUTABLE\n",
        [
            "params/dev.yaml:2: containers.repository: an IMMUTABLE repository takes 'latest' once, so image_tag: "
            "latest could never move to a new image; expected tag_mutability: MUTABLE, or image_tag: a release tag"
        ],
    ),
    "a secret from two places": (
        "containers:\n  secrets:\n    API_KEY: {secret: app/api, parameter: /app/api}\n",
        [
            "params/dev.yaml:3: containers.secrets.API_KEY: got secret, parameter; expected exactly one of secret, "
            "parameter, database_secret, auth_client_secret or auth_parameter"
        ],
    ),
    "a JSON key of a parameter": (
        "containers:\n  secrets:\n    API_KEY: {parameter: /app/api, key: value}\n",
        [
            "params/dev.yaml:3: containers.secrets.API_KEY: key picks a JSON key of a secret; an SSM parameter is "
            "one value. Expected no key here"
        ],
    ),
    "a variable both plain and secret": (
        "containers:\n  environment:\n    DATABASE_CREDENTIALS: none\n",
        [
            "params/base.yaml:{line DATABASE_CREDENTIALS}: containers.secrets.DATABASE_CREDENTIALS: "
            "DATABASE_CREDENTIALS is also in containers.environment; expected each variable in one of environment or "
            "secrets"
        ],
    ),
    "the database secret's variable taken": (
        "containers:\n  environment:\n    DATABASE_SECRET_ARN: arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:mine\n",
        [
            "params/dev.yaml:3: containers.environment.DATABASE_SECRET_ARN: the container gets DATABASE_SECRET_ARN "
            "from reads_database_secret; expected another name here"
        ],
    ),
    "a value that is not text": (
        "containers:\n  environment:\n    COOKIE_SECURE: true\n",
        [
            "params/dev.yaml:3: containers.environment.COOKIE_SECURE: got True; expected text (quoted, since YAML reads "
            "true, 1 and the like as other types), or {bucket: key} or {table: key}"
        ],
    ),
    "a grant on a bucket nobody defines": (
        "containers:\n  grants: [{bucket: files, access: read}]\n",
        ["params/dev.yaml:2: containers.grants[0].bucket: no bucket 'files'; expected one of: none"],
    ),
    "a statement granting everything": (
        "containers:\n  statements: [{actions: ['s3:*'], resources: ['*']}]\n",
        [
            "params/dev.yaml:2: containers.statements[0].resources: s3:* on every resource ('*') is more than any "
            "role needs (wildcards and actions that reach other roles' permissions); expected the actions it calls, "
            "or the ARNs they act on"
        ],
    ),
    "a misspelt key": (
        "containers:\n  min_task: 1\n",
        [
            "params/dev.yaml:2: containers.min_task: unknown key (did you mean 'min_tasks'?); allowed keys here: "
            "architecture, cpu, environment, grants, health_check, health_check_grace_seconds, image_tag, "
            "log_retention_days, max_tasks, memory_mb, min_tasks, port, read_only_root_filesystem, "
            "reads_database_secret, repository, scaling, scratch_paths, secrets, statements, user"
        ],
    ),
    "root as the container's user": (
        'containers:\n  user: "0:0"\n',
        [
            "params/dev.yaml:2: containers.user: got '0:0'; expected a user other than root such as 1000, 1000:1000 or app"
        ],
    ),
    "a scratch path that is not absolute": (
        "containers:\n  scratch_paths: [tmp]\n",
        [
            "params/dev.yaml:2: containers.scratch_paths[0]: got 'tmp'; expected an absolute path in the container "
            "such as /tmp"
        ],
    ),
    "containers and the EC2 app server both": (
        "stacks: [network, storage, alerts, messaging, database, compute, containers, edge-global, edge]\n"
        "compute:\n  instance_type: t3.small\n  image_parameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-"
        "default-x86_64\n  root_volume_gb: 30\n  app_port: 8000\n  log_level: INFO\n  log_retention_days: 30\n"
        "  docker_compose_version: v2.29.7\n"
        "messaging:\n  max_receive_count: 3\n  retention_days: 4\n  dead_letter_retention_days: 14\n"
        "  queues: {jobs: {purpose: Jobs, visibility_timeout_seconds: 60}}\n",
        [
            "params/dev.yaml:1: stacks: compute (an EC2 app server) and containers (ECS Fargate) both run the app "
            "behind the load balancer; expected one of them in stacks"
        ],
    ),
    "containers without the load balancer": (
        "stacks: [network, storage, alerts, database, containers]\n",
        [
            "params/dev.yaml:1: stacks: containers registers its tasks with the load balancer of the edge stack; "
            "expected edge in stacks"
        ],
    ),
    "the database secret without a database": (
        "stacks: [network, storage, alerts, containers, edge-global, edge]\n",
        [
            "params/base.yaml:{line DATABASE_CREDENTIALS}: containers.secrets.DATABASE_CREDENTIALS.database_secret: "
            "this environment has no database stack, whose secret this names; expected database in stacks, or "
            "another secret",
            "params/base.yaml:{line reads_database_secret}: containers.reads_database_secret: this environment has no "
            "database stack, whose secret this reads; expected database in stacks, or false",
        ],
    ),
    "private subnets without a NAT": (
        "network:\n  nat: none\n  vpc_endpoints: true\n",
        [
            "params/dev.yaml:2: network.nat: the app's tasks run in the private subnets and pull their image from ECR "
            "and send their logs through a NAT; expected single or per_az"
        ],
    ),
    "a port the security groups do not open": (
        "network:\n  security_groups:\n    alb:\n      egress: [{port: 8000, group: app, description: API}]\n"
        "    app:\n      ingress: [{port: 8000, group: alb, description: API}]\ncontainers:\n  port: 9000\n",
        [
            "params/dev.yaml:4: network.security_groups.alb.egress: the load balancer reaches the app on port 9000, and "
            "no egress rule of group alb sends it to group app; expected {port: 9000, group: app, description: ...}",
            "params/dev.yaml:6: network.security_groups.app.ingress: the load balancer reaches the app on port 9000, and "
            "no ingress rule of group app admits it from group alb; expected {port: 9000, group: alb, description: ...}",
        ],
    ),
}


def base_line(text: str) -> int:
    lines = (SYSTEM / "params" / "base.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.lstrip().startswith(text))


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_file_line_key_and_fix(tmp_path, monkeypatch, capsys, override, expected):
    shutil.copytree(SYSTEM / "params", tmp_path / "params")
    (tmp_path / "params" / "dev.yaml").write_text(override)
    monkeypatch.chdir(tmp_path)
    code = generate.main(["--params", "params", "--build-dir", "build", "--env", "dev"])
    errors = capsys.readouterr().err.splitlines()
    expected = [
        line.replace("{line DATABASE_CREDENTIALS}", str(base_line("DATABASE_CREDENTIALS:"))).replace(
            "{line reads_database_secret}", str(base_line("reads_database_secret:"))
        )
        for line in expected
    ]
    assert code == EXIT_BAD_INPUT
    assert errors[:-1] == [f"error: {line}" for line in expected]
    assert not Path("build").exists()


def test_without_an_image_tag_the_repository_and_cluster_come_first_and_no_service(tmp_path):
    """A new environment's repository is empty: a service would fail its first deployment."""
    build = variant(tmp_path, "containers:\n  image_tag: null\n")
    document = containers(build)
    assert sorted(resource["Type"] for resource in document["Resources"].values()) == [
        "AWS::ECR::Repository",
        "AWS::ECS::Cluster",
        "AWS::Logs::LogGroup",
    ]
    assert sorted(document["Outputs"]) == [
        "AppLogGroupName",
        "AppRepositoryArn",
        "AppRepositoryName",
        "AppRepositoryUri",
        "EcsClusterName",
    ]
    assert "edge" not in build["dev"].manifest().stacks["containers"].depends_on


@pytest.mark.parametrize(("env", "tag"), [("dev", "latest"), ("production", "1.0.0")])
def test_the_service_waits_behind_a_parameter_deploy_sets_while_its_image_is_not_pushed(builds, env, tag):
    """Issue 14, an empty repository: with ServiceEnabled "false" the stack deploys without the service,
    and the manifest tells deploy which image decides it."""
    document = containers(builds, env)
    assert document["Parameters"]["ServiceEnabled"] == {
        "Type": "String",
        "AllowedValues": ["true", "false"],
        "Default": "true",
        "Description": document["Parameters"]["ServiceEnabled"]["Description"],
    }
    assert document["Conditions"] == {"RunsService": {"Fn::Equals": [{"Ref": "ServiceEnabled"}, "true"]}}
    gated = sorted(name for name, resource in document["Resources"].items() if resource.get("Condition"))
    assert gated == ["CpuScalingPolicy", "MemoryScalingPolicy", "RunningTasksAlarm", "ScalableTarget", "Service"]
    assert {resource["Condition"] for name, resource in document["Resources"].items() if name in gated} == {
        "RunsService"
    }
    assert document["Outputs"]["EcsServiceName"]["Condition"] == "RunsService"
    # What the first deploy still builds: the repository CI pushes to, the cluster, the task definition.
    assert {"Repository", "Cluster", "TaskDefinition", "ExecutionRole", "TaskRole"} <= set(document["Resources"])
    assert build_images(builds, env) == {"ServiceEnabled": ContainerImage(f"{APP}-{env}-app", tag)}


def build_images(builds, env):
    return builds[env].manifest().stacks["containers"].images


def test_without_an_image_tag_there_is_no_image_to_wait_for(tmp_path):
    build = variant(tmp_path, "containers:\n  image_tag: null\n")
    assert "Parameters" not in containers(build) and build_images(build, "dev") == {}


def test_as_many_tasks_at_least_as_at_most_is_a_fixed_size_service(tmp_path):
    build = variant(tmp_path, "containers:\n  min_tasks: 3\n  max_tasks: 3\n")
    target = properties(containers(build), "ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, 3)
