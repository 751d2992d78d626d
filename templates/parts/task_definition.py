"""The containers stack's task definition (templates/containers.py): the app's one container (its image at
the params' tag, environment, secrets, logs, health check), hardened (a read-only image, scratch volumes,
the user params name), sized per environment, with its two roles.
"""

from __future__ import annotations

from troposphere import GetAtt, Join, Ref, Region, Template
from troposphere.ecr import Repository
from troposphere.ecs import (
    ContainerDefinition,
    Environment,
    HealthCheck,
    LogConfiguration,
    MountPoint,
    PortMapping,
    RuntimePlatform,
    Secret,
    TaskDefinition,
    Volume,
)
from troposphere.logs import LogGroup

from stackyard.config import (
    DATABASE_ADDRESS_VARIABLES,
    DATABASE_NAME_VARIABLE,
    DATABASE_SECRET_VARIABLE,
    Containers,
    EnvironmentConfig,
)
from templates import names
from templates.parts.common import import_value
from templates.parts.container_secrets import value_from
from templates.parts.task_roles import execution_role, task_role
from templates.parts.variables import environment_value

CONTAINER = "app"  # the task's one container, as the load balancer and the logs name it


def app_task_definition(
    template: Template, config: EnvironmentConfig, repository: Repository, log_group: LogGroup
) -> TaskDefinition:
    containers = config.containers
    environment = {name: environment_value(config, value) for name, value in containers.environment.items()}
    if containers.reads_database_secret:
        environment[DATABASE_SECRET_VARIABLE] = import_value(config, names.DATABASE_SECRET_ARN)
    if uses_database_secret(config):
        environment.update(
            {name: import_value(config, export_name) for name, export_name in DATABASE_ADDRESS_VARIABLES.items()}
        )
        environment[DATABASE_NAME_VARIABLE] = config.database.name
    container = ContainerDefinition(
        Name=CONTAINER,
        Image=Join("", [GetAtt(repository, "RepositoryUri"), f":{containers.image_tag}"]),
        Essential=True,
        PortMappings=[PortMapping(ContainerPort=containers.port, Protocol="tcp")],
        Environment=[Environment(Name=name, Value=value) for name, value in sorted(environment.items())],
        Secrets=[
            Secret(Name=name, ValueFrom=value_from(config, secret))
            for name, secret in sorted(containers.secrets.items())
        ],
        LogConfiguration=LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(log_group),
                "awslogs-region": Region,
                "awslogs-stream-prefix": CONTAINER,
            },
        ),
    )
    _harden(container, containers)
    if containers.health_check:
        check = containers.health_check
        container.HealthCheck = HealthCheck(
            Command=["CMD-SHELL", check.command],
            Interval=check.interval_seconds,
            Timeout=check.timeout_seconds,
            Retries=check.retries,
            StartPeriod=check.start_period_seconds,
        )
    definition = template.add_resource(
        TaskDefinition(
            "TaskDefinition",
            Family=names.task_family(config),
            RequiresCompatibilities=["FARGATE"],
            NetworkMode="awsvpc",
            Cpu=str(containers.cpu),
            Memory=str(containers.memory_mb),
            RuntimePlatform=RuntimePlatform(CpuArchitecture=containers.architecture, OperatingSystemFamily="LINUX"),
            ExecutionRoleArn=GetAtt(execution_role(template, config, repository, log_group), "Arn"),
            TaskRoleArn=GetAtt(task_role(template, config), "Arn"),
            ContainerDefinitions=[container],
        )
    )
    if containers.scratch_paths:
        definition.Volumes = [Volume(Name=_scratch_volume(index)) for index in range(len(containers.scratch_paths))]
    if not containers.read_only_root_filesystem:
        # Params chose a writable image filesystem; the template says so where the rule would refuse it.
        definition.Metadata = {
            "cfn-lint": {"config": {"ignore_checks": ["E9016"]}},
            "Stackyard": {"Waiver": "containers.read_only_root_filesystem: false in params"},
        }
    return definition


def _harden(container: ContainerDefinition, containers: Containers) -> None:
    """A read-only image, scratch volumes where the app writes (Fargate task storage, emptied with the
    task), and the user params name instead of the image's."""
    container.ReadonlyRootFilesystem = containers.read_only_root_filesystem
    if containers.scratch_paths:
        container.MountPoints = [
            MountPoint(SourceVolume=_scratch_volume(index), ContainerPath=path, ReadOnly=False)
            for index, path in enumerate(containers.scratch_paths)
        ]
    if containers.user is not None:
        container.User = containers.user


def _scratch_volume(index: int) -> str:
    return f"scratch-{index + 1}"


def uses_database_secret(config: EnvironmentConfig) -> bool:
    containers = config.containers
    return containers.reads_database_secret or any(secret.database_secret for secret in containers.secrets.values())
