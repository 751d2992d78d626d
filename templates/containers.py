"""Containers stack (seed 001 task 5, seed 002 §2.3 and §2.7): the app as an ECS Fargate service behind
the load balancer, the alternative to the EC2 `compute` stack.

An ECR repository (scanned on push, older images expired), a cluster with Container Insights, one
task definition (CPU and memory per environment, logs to a log group of their own, secrets injected
from Secrets Manager or SSM when a task starts), and a service in the private subnets behind the
app security group, registered with the edge stack's target group, rolled back by the deployment
circuit breaker, scaled on CPU and memory between min and max tasks.

Two roles: the execution role is ECS's (pull the image, write the logs, read exactly the secrets
named in params), the task role is the app's (params `grants:` and `statements:`).

The container's root filesystem is read-only unless params say otherwise (then the task definition
says so, waiving rule E9016 in its metadata); the app writes to scratch volumes at
`containers.scratch_paths` (/tmp by default), and runs as `containers.user` when params name one.

A new environment's repository is empty, and a service whose image does not exist fails its first
deployment (the circuit breaker stops it, and CloudFormation rolls the stack back). Two ways round:
the stack parameter `ServiceEnabled` (default "true") creates the service, its scaling and its alarm
only when "true", and the manifest names the image it waits for, so deploy passes "false" while the
tag is not in the repository: the first deploy builds the repository, cluster and task definition,
CI pushes, the next deploy creates the service. And `image_tag: null` builds neither task definition
nor service, for an environment that has no image to name yet.

The image tag comes from params. Why a deploy-time tag matters: CloudFormation changes the service
only when the task definition changes. Pushing a new image under the same tag (`latest`) changes no
template, so a deploy is a no-op and the running tasks keep the old image, while tasks started later
(scaling, replacements) pull the new one: two versions serve at once and nothing can roll back. A
new tag per release (the git commit, a version) makes each release a new task definition revision,
a rolling deployment the circuit breaker can roll back, and a record of what runs.

The task definition is built in templates/parts/task_definition.py, its two roles in
templates/parts/task_roles.py, and where its secrets live in templates/parts/container_secrets.py; this
module adds the repository, the cluster, the service, its scaling and its alarm.
"""

from __future__ import annotations

import json

from troposphere import Equals, GetAtt, Join, Parameter, Ref, Template
from troposphere.applicationautoscaling import (
    PredefinedMetricSpecification,
    ScalableTarget,
    ScalingPolicy,
    TargetTrackingScalingPolicyConfiguration,
)
from troposphere.ecr import ImageScanningConfiguration, LifecyclePolicy, Repository
from troposphere.ecs import (
    AwsvpcConfiguration,
    Cluster,
    ClusterSetting,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    LoadBalancer,
    NetworkConfiguration,
    Service,
    TaskDefinition,
)
from troposphere.logs import LogGroup

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.alarms import add_alarm, dimensions
from templates.parts.common import (
    ContainerImage,
    StackTemplates,
    export,
    import_list,
    import_value,
    keep_on_delete,
    kept_log_group,
    new_template,
    output_parameter,
    tag_resources,
)
from templates.parts.task_definition import CONTAINER, app_task_definition

NAME = names.CONTAINERS

SERVICE_ENABLED = "ServiceEnabled"  # the parameter deploy sets to "false" while the image is not pushed yet

RUNS_SERVICE = "RunsService"  # its condition

UNTAGGED_IMAGE_DAYS = 14


def build(config: EnvironmentConfig) -> StackTemplates:
    containers = config.containers
    size = (
        f"{containers.cpu} CPU units, {containers.memory_mb} MiB, {containers.min_tasks}-{containers.max_tasks} tasks"
        if containers.image_tag is not None
        else "no image_tag yet: repository and cluster only"
    )
    template = new_template(config, f"containers (ECS Fargate, {size})")
    repository = _repository(template, config)
    cluster = template.add_resource(
        Cluster(
            "Cluster",
            ClusterName=names.ecs_cluster_name(config),
            ClusterSettings=[
                ClusterSetting(Name="containerInsights", Value="enabled")
            ],  # RunningTaskCount, per task metrics
        )
    )
    log_group = kept_log_group(
        template, config, "AppLogGroup", names.app_log_group_name(config), containers.log_retention_days
    )
    parameters, images = {}, {}
    if containers.image_tag is not None:
        parameters = dict(
            [
                output_parameter(
                    template,
                    names.APP_TARGET_GROUP_ARN,
                    names.EDGE,
                    "The load balancer's target group the tasks register with",
                )
            ]
        )
        images[_service_switch(template)] = ContainerImage(names.ecr_repository_name(config), containers.image_tag)
        _app_service(template, config, repository, cluster, log_group)
    export(template, config, "EcsClusterName", Ref(cluster), "ECS cluster of the app")
    export(template, config, "AppRepositoryName", Ref(repository), "ECR repository CI pushes the app's image to")
    export(template, config, "AppRepositoryArn", GetAtt(repository, "Arn"), "ECR repository ARN")
    export(template, config, "AppRepositoryUri", GetAtt(repository, "RepositoryUri"), "Image URI without a tag")
    export(template, config, names.APP_LOG_GROUP_NAME, Ref(log_group), "Log group of the app's containers")
    return StackTemplates(NAME, tag_resources(template, config), parameters=parameters, images=images)


def _service_switch(template: Template) -> str:
    """The parameter and condition that leave the service out while its image is not pushed yet."""
    template.add_parameter(
        Parameter(
            SERVICE_ENABLED,
            Type="String",
            AllowedValues=["true", "false"],
            Default="true",
            Description="false while the image tag is not in the repository yet (deploy checks): everything "
            "but the service, its scaling and its alarm",
        )
    )
    template.add_condition(RUNS_SERVICE, Equals(Ref(SERVICE_ENABLED), "true"))
    return SERVICE_ENABLED


def _app_service(
    template: Template, config: EnvironmentConfig, repository: Repository, cluster: Cluster, log_group: LogGroup
) -> None:
    """The task definition, the service running it, its scaling and its alarm."""
    containers = config.containers
    task_definition = app_task_definition(template, config, repository, log_group)
    service = _service(template, config, cluster, task_definition)
    _scaling(template, config, cluster, service)
    alarm = add_alarm(
        template,
        config,
        "RunningTasksAlarm",
        f"fewer app tasks running than the minimum ({containers.min_tasks})",
        "critical",
        Namespace="ECS/ContainerInsights",
        MetricName="RunningTaskCount",
        Dimensions=dimensions(ClusterName=Ref(cluster), ServiceName=GetAtt(service, "Name")),
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=3,
        ComparisonOperator="LessThanThreshold",
        Threshold=containers.min_tasks,
        TreatMissingData="breaching",  # no data: no tasks reporting
    )
    alarm.Condition = RUNS_SERVICE
    # What CI passes to ECS when it runs a one-off task of the app's definition (seed 002 §3: migrations).
    export(template, config, names.APP_TASK_ROLE_ARN, GetAtt("TaskRole", "Arn"), "Role of the app's tasks")
    export(template, config, names.APP_EXECUTION_ROLE_ARN, GetAtt("ExecutionRole", "Arn"), "ECS's role starting them")
    service_name = export(template, config, "EcsServiceName", GetAtt(service, "Name"), "ECS service of the app")
    service_name.Condition = RUNS_SERVICE


def _repository(template: Template, config: EnvironmentConfig) -> Repository:
    settings = config.containers.repository
    lifecycle = {"rules": _image_lifecycle(config.containers.image_tag, settings.keep_images)}
    repository = Repository(
        "Repository",
        RepositoryName=names.ecr_repository_name(config),
        ImageTagMutability=settings.tag_mutability,
        ImageScanningConfiguration=ImageScanningConfiguration(ScanOnPush=True),
        LifecyclePolicy=LifecyclePolicy(LifecyclePolicyText=json.dumps(lifecycle, sort_keys=True)),
    )
    if not config.retain_data:
        repository.EmptyOnDelete = True  # images are data: deleted with the stack only where the environment says
    return template.add_resource(keep_on_delete(repository, config))


def _image_lifecycle(deployed_tag: str | None, keep: int) -> list[dict]:
    """The deployed image first: an image a rule matches is never expired by a later rule, so the tag
    the service runs survives however many images CI pushes. Untagged images (what a moved tag leaves)
    go after UNTAGGED_IMAGE_DAYS, when no task of an older deployment can still need them; then any
    image beyond the newest `keep`."""
    rules = []
    if deployed_tag is not None:
        rules.append(
            {
                "description": f"Never expire the deployed image ({deployed_tag})",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": [deployed_tag],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
            }
        )
    rules.append(
        {
            "description": f"Untagged images after {UNTAGGED_IMAGE_DAYS} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_IMAGE_DAYS,
            },
        }
    )
    rules.append(
        {
            "description": f"Keep the last {keep} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        }
    )
    return [{"rulePriority": priority, **rule, "action": {"type": "expire"}} for priority, rule in enumerate(rules, 1)]


def _service(
    template: Template, config: EnvironmentConfig, cluster: Cluster, task_definition: TaskDefinition
) -> Service:
    containers = config.containers
    return template.add_resource(
        Service(
            "Service",
            Condition=RUNS_SERVICE,
            ServiceName=names.ecs_service_name(config),
            Cluster=Ref(cluster),
            TaskDefinition=Ref(task_definition),
            LaunchType="FARGATE",
            # No DesiredCount: the scalable target keeps the count at min_tasks or above. With one here, every
            # update of the service (each release) would set the count back to it, scaling in under load.
            DeploymentConfiguration=DeploymentConfiguration(
                DeploymentCircuitBreaker=DeploymentCircuitBreaker(Enable=True, Rollback=True),
                MinimumHealthyPercent=100,
                MaximumPercent=200,  # new tasks start before old ones stop
            ),
            HealthCheckGracePeriodSeconds=containers.health_check_grace_seconds,
            LoadBalancers=[
                LoadBalancer(
                    ContainerName=CONTAINER,
                    ContainerPort=containers.port,
                    TargetGroupArn=Ref(names.APP_TARGET_GROUP_ARN),
                )
            ],
            NetworkConfiguration=NetworkConfiguration(
                AwsvpcConfiguration=AwsvpcConfiguration(
                    Subnets=import_list(config, names.PRIVATE_SUBNET_IDS),
                    SecurityGroups=[import_value(config, names.security_group_export(NAME))],
                    AssignPublicIp="DISABLED",  # private subnets: images and logs go through the NAT
                )
            ),
            PropagateTags="SERVICE",
            EnableECSManagedTags=True,
        )
    )


def _scaling(template: Template, config: EnvironmentConfig, cluster: Cluster, service: Service) -> None:
    """Target tracking on CPU and on memory; the service scales out when either is above its target."""
    containers = config.containers
    target = template.add_resource(
        ScalableTarget(
            "ScalableTarget",
            Condition=RUNS_SERVICE,
            ServiceNamespace="ecs",
            ScalableDimension="ecs:service:DesiredCount",
            ResourceId=Join("/", ["service", Ref(cluster), GetAtt(service, "Name")]),
            MinCapacity=containers.min_tasks,
            MaxCapacity=containers.max_tasks,
            # No RoleARN: Application Auto Scaling uses its service-linked role for ECS.
        )
    )
    scaling = containers.scaling
    for resource, metric, value in (
        ("Cpu", "ECSServiceAverageCPUUtilization", scaling.cpu_percent),
        ("Memory", "ECSServiceAverageMemoryUtilization", scaling.memory_percent),
    ):
        template.add_resource(
            ScalingPolicy(
                f"{resource}ScalingPolicy",
                Condition=RUNS_SERVICE,
                PolicyName=names.scaling_policy_name(config, resource.lower()),
                PolicyType="TargetTrackingScaling",
                ScalingTargetId=Ref(target),
                TargetTrackingScalingPolicyConfiguration=TargetTrackingScalingPolicyConfiguration(
                    PredefinedMetricSpecification=PredefinedMetricSpecification(PredefinedMetricType=metric),
                    TargetValue=value,
                    ScaleInCooldown=scaling.scale_in_cooldown_seconds,
                    ScaleOutCooldown=scaling.scale_out_cooldown_seconds,
                ),
            )
        )
