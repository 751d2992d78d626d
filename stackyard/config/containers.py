"""params `containers`: the app as an ECS Fargate service behind the load balancer, its image
repository, scaling, variables and secrets.

The check: what the service needs from the other stacks is there, and each variable is given once.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackyard.config.access import Grant, PolicyStatement, TextOrReference
from stackyard.config.fields import EnvironmentVariable, LogRetentionDays, Model, NonEmpty, matching
from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.params import KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

# Fargate's CPU units and the memory sizes (MiB) each runs with (Amazon ECS developer guide, "Task CPU and memory").
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
DATABASE_SECRET_VARIABLE = "DATABASE_SECRET_ARN"  # what a container that reads_database_secret finds it in
# Where a container that uses the database secret finds the host and port: an RDS-managed secret holds
# only the username and password.
DATABASE_ADDRESS_VARIABLES = {"DATABASE_HOST": "DatabaseEndpoint", "DATABASE_PORT": "DatabasePort"}
DATABASE_NAME_VARIABLE = "DATABASE_NAME"  # beside them: database.name, the database the app connects to
AuthParameter = Literal["user-pool-id", "client-id", "domain"]  # the SSM parameters the auth stack publishes
AUTH_PARAMETERS = typing.get_args(AuthParameter)
KmsKeyArn = Annotated[
    str,
    matching(
        r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+",
        "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-...",
    ),
]
SecretNameOrArn = Annotated[
    str,
    matching(
        r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
        r"-[A-Za-z0-9]{6}|[A-Za-z0-9/_+=.@-]{1,512}",
        "a secret's name, or its full ARN (ending in the six characters Secrets Manager appends)",
    ),
]
ParameterPathOrArn = Annotated[
    str,
    matching(
        r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+"
        r"|[A-Za-z0-9_./-]{1,2048}",
        "an SSM parameter path such as /app/api-key, or its ARN",
    ),
]
ImageTag = Annotated[str, matching(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "an image tag such as 1.4.2 or a git commit")]
ContainerPath = Annotated[str, matching(r"(/[A-Za-z0-9_.-]+)+", "an absolute path in the container such as /tmp")]
# uid, uid:gid, user or user:group (Docker's --user); root, by name or id, is what this key exists to avoid
ContainerUser = Annotated[
    str,
    matching(
        r"(?!(root|0+)(:|$))[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?",
        "a user other than root such as 1000, 1000:1000 or app",
    ),
]


class ContainerSecret(Model):
    """A variable the container gets when a task starts, from one of: a Secrets Manager secret (name or
    full ARN), an SSM parameter (path or ARN), this environment's database secret (`database_secret:
    true`), the Cognito client secret or one of the parameters the auth stack publishes; `key` picks one
    JSON key of a secret instead of the whole JSON; `kms_key` is the customer managed key an outside
    secret or SecureString parameter is encrypted with (the stacks' own keys are known)."""

    secret: SecretNameOrArn | None = None
    parameter: ParameterPathOrArn | None = None
    database_secret: Literal[True] | None = None
    auth_client_secret: Literal[True] | None = None  # the Cognito app client's secret the auth stack stores
    auth_parameter: AuthParameter | None = None  # /<app>/<env>/<auth.parameters.path>/<name>
    key: Annotated[str, matching(r"[^:\s]{1,256}", "a JSON key of the secret, such as password")] | None = None
    kms_key: KmsKeyArn | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ContainerSecret:
        sources = ("secret", "parameter", "database_secret", "auth_client_secret", "auth_parameter")
        given = [name for name in sources if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"got {', '.join(given) or 'none'}; expected exactly one of secret, parameter, "
                f"database_secret, auth_client_secret or auth_parameter"
            )
        if self.key is not None and (self.parameter is not None or self.auth_parameter is not None):
            raise ValueError("key picks a JSON key of a secret; an SSM parameter is one value. Expected no key here")
        if self.kms_key is not None and self.secret is None and self.parameter is None:
            raise ValueError(
                f"the {given[0]} source's key is known already; expected kms_key only beside secret or parameter"
            )
        return self


class ContainerHealthCheck(Model):
    """Docker's health check inside the container; ECS replaces a task whose container turns unhealthy."""

    command: NonEmpty  # run by the container's shell; exit status 0 is healthy
    interval_seconds: int = Field(default=30, ge=5, le=300)
    timeout_seconds: int = Field(default=5, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period_seconds: int = Field(default=0, ge=0, le=300)


class ImageRepository(Model):
    tag_mutability: Literal["MUTABLE", "IMMUTABLE"]
    keep_images: int = Field(ge=1, le=10000)  # the lifecycle policy expires older images


class TaskScaling(Model):
    """Target tracking: tasks are added or removed to keep the service's average near these."""

    cpu_percent: float = Field(ge=10, le=90)
    memory_percent: float = Field(ge=10, le=90)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)


class Containers(Model):
    """The app as an ECS Fargate service behind the load balancer (the alternative to `compute`)."""

    port: int = Field(ge=1024, le=65535)
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384]  # Fargate CPU units: 1024 is one vCPU
    memory_mb: int
    architecture: Literal["X86_64", "ARM64"]
    # The tag deployed. Changing it is what rolls the service to a new image (see templates/containers.py).
    # null: no image yet, so no service either (a new environment's first deploy creates the repository).
    image_tag: ImageTag | None
    repository: ImageRepository
    min_tasks: int = Field(ge=1, le=1000)
    max_tasks: int = Field(ge=1, le=1000)
    scaling: TaskScaling
    health_check_grace_seconds: int = Field(ge=0, le=7200)  # load balancer checks ignored while a task starts
    health_check: ContainerHealthCheck | None = None
    log_retention_days: LogRetentionDays
    # Plain values, or the names of this environment's buckets and tables ({bucket: key}, {table: key}).
    environment: dict[EnvironmentVariable, TextOrReference] = Field(default_factory=dict)
    secrets: dict[EnvironmentVariable, ContainerSecret] = Field(default_factory=dict)
    # The task role may read the database secret at run time, and the container gets its ARN in
    # DATABASE_SECRET_ARN. Secrets injected through `secrets` are read once, when a task starts: after a
    # rotation, only an app that reads the secret again keeps connecting.
    reads_database_secret: bool = False
    grants: list[Grant] = Field(default_factory=list)  # the task role's access to buckets and tables
    statements: list[PolicyStatement] = Field(default_factory=list)  # and to anything else
    # The image's files cannot be changed at run time (a foothold stays out of the image); the app
    # writes only to scratch volumes at these paths, emptied with each task (docs/security.md).
    read_only_root_filesystem: bool = True
    scratch_paths: list[ContainerPath] = Field(default_factory=lambda: ["/tmp"], max_length=10)
    user: ContainerUser | None = None  # run as this user, not the image's (often root)

    @field_validator("memory_mb")
    @classmethod
    def _fargate_pair(cls, memory: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        allowed = FARGATE_MEMORY.get(cpu) if cpu is not None else None
        if allowed is not None and memory not in allowed:
            choices = (
                ", ".join(map(str, allowed[:-1])) + f" or {allowed[-1]}"
                if len(allowed) <= 4
                else f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
            )
            raise ValueError(
                f"got {memory} with cpu {cpu}; Fargate runs cpu {cpu} with memory_mb {choices}; "
                f"expected one of those, or another cpu"
            )
        return memory

    @field_validator("repository")
    @classmethod
    def _immutable_tags_are_releases(cls, repository: ImageRepository, info: ValidationInfo) -> ImageRepository:
        if repository.tag_mutability == "IMMUTABLE" and info.data.get("image_tag") == "latest":
            raise ValueError(
                "an IMMUTABLE repository takes 'latest' once, so image_tag: latest could never move "
                "to a new image; expected tag_mutability: MUTABLE, or image_tag: a release tag"
            )
        return repository

    @field_validator("max_tasks")
    @classmethod
    def _max_not_below_min(cls, max_tasks: int, info: ValidationInfo) -> int:
        min_tasks = info.data.get("min_tasks")
        if min_tasks is not None and max_tasks < min_tasks:
            raise ValueError(f"got {max_tasks}, below min_tasks ({min_tasks}); expected max_tasks >= min_tasks")
        return max_tasks


def validate_containers(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What the containers stack needs from the other stacks, and each variable given once."""
    containers = config.containers
    if "containers" not in config.stacks or containers is None:
        return []
    found = [*_stack_needs(config), *_variables_given_twice(containers), *_database_secret_needs(config, containers)]
    found += _auth_value_needs(config, containers)
    return [problem_at(params, path, message) for path, message in found]


def _stack_needs(config: EnvironmentConfig) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    if "edge" not in config.stacks:
        found.append(
            (
                ("stacks",),
                "containers registers its tasks with the load balancer of the edge stack; expected edge in stacks",
            )
        )
    if "network" in config.stacks and config.network is not None and config.network.nat == "none":
        found.append(
            (
                ("network", "nat"),
                "the app's tasks run in the private subnets and pull their image from ECR and "
                "send their logs through a NAT; expected single or per_az",
            )
        )
    return found


def _variables_given_twice(containers: Containers) -> list[tuple[KeyPath, str]]:
    """A variable in both environment and secrets, or one the stack sets itself."""
    found: list[tuple[KeyPath, str]] = [
        (
            ("containers", "secrets", variable),
            f"{variable} is also in containers.environment; expected each variable in one of environment or secrets",
        )
        for variable in sorted(set(containers.environment) & set(containers.secrets))
    ]
    reserved = {DATABASE_SECRET_VARIABLE: "reads_database_secret"} if containers.reads_database_secret else {}
    if containers.reads_database_secret or any(secret.database_secret for secret in containers.secrets.values()):
        reserved.update(dict.fromkeys(DATABASE_ADDRESS_VARIABLES, "the database secret, which holds no host"))
        reserved[DATABASE_NAME_VARIABLE] = "database.name, beside the host and port"
    sections = {"environment": set(containers.environment), "secrets": set(containers.secrets)}
    found += [
        (
            ("containers", section, variable),
            f"the container gets {variable} from {reason}; expected another name here",
        )
        for variable, reason in reserved.items()
        for section, variables in sections.items()
        if variable in variables
    ]
    return found


def _database_secret_needs(config: EnvironmentConfig, containers: Containers) -> list[tuple[KeyPath, str]]:
    if "database" in config.stacks:
        return []
    found: list[tuple[KeyPath, str]] = [
        (
            ("containers", "secrets", variable, "database_secret"),
            "this environment has no database stack, whose secret this names; expected database in "
            "stacks, or another secret",
        )
        for variable, secret in containers.secrets.items()
        if secret.database_secret
    ]
    if containers.reads_database_secret:
        found.append(
            (
                ("containers", "reads_database_secret"),
                "this environment has no database stack, whose secret this reads; expected database in "
                "stacks, or false",
            )
        )
    return found


def _auth_value_needs(config: EnvironmentConfig, containers: Containers) -> list[tuple[KeyPath, str]]:
    auth = config.auth if "auth" in config.stacks else None
    if auth is not None and auth.parameters is not None:
        return []
    return [
        (
            ("containers", "secrets", variable, source),
            "the auth stack publishes no such value: that takes auth in stacks with auth.parameters "
            "(and a server client for the secret); expected those, or another source",
        )
        for variable, secret in containers.secrets.items()
        for source in ("auth_client_secret", "auth_parameter")
        if getattr(secret, source)
    ]
