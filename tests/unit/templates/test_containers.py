"""Pure unit: the containers stack (ECS Fargate behind the load balancer) as a component: its repository,
cluster and service (scaling, alarm, exports), the edge stack's target group for it, and the service held
back while its image is not pushed.

Built from seed 001's system (examples/infrastructure-package, tests/helpers/seed001.py) and variants of
it in a tmp folder. The task definition and its roles are in test_containers_task.py, the params the
stack refuses in tests/unit/config/test_containers_params.py.
"""

from __future__ import annotations

import json

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.manifest import ContainerImage, ParameterSource
from tests.helpers import ROOT, picked, properties, resources, template
from tests.helpers.seed001 import APP, ENVS, PORT_9000_GROUPS, containers, imported, system_builds, variant


@pytest.fixture(scope="module")
def builds():
    return system_builds()


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
