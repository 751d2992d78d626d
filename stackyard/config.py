"""Typed, validated configuration of one environment.

Params are validated once, here, into frozen objects; template modules only ever see these.
Validation reports every problem of every environment at once, each with file:line, the key
path, what is wrong and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stackyard.errors import ParamsError, ParamsProblem
from stackyard.params import SourcedParams, dotted, environment_names, load_environment

# CloudWatch Logs accepts only these retention periods.
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
NatMode = Literal["none", "single", "per_az"]

# An S3 bucket name is at most 63 characters; ours are <app>-<env>-<key>-<account id>-<region>.
BUCKET_NAME_MAX = 63
ACCOUNT_ID_LENGTH = 12
ACCESS_LOGS_BUCKET = "access-logs"
FRONTEND_BUCKET = "frontend"  # the SPA's assets, in the edge stack beside the distribution serving them
RESERVED_BUCKETS = (ACCESS_LOGS_BUCKET, FRONTEND_BUCKET)
# Every stack a template module can build, in the order they are listed (templates.STACK_MODULES),
# and the params sections each one reads.
STACK_SECTIONS = {
    "network": ("network", "compute"),
    "storage": ("storage",),
    "alerts": ("monitoring",),
    "messaging": ("messaging", "monitoring"),
    "auth": ("auth",),
    "database": ("database", "network", "monitoring"),
    "tables": ("tables",),
    "functions": ("functions",),
    "compute": ("compute", "storage", "messaging", "monitoring"),
    "containers": ("containers",),
    "edge-global": ("edge",),
    "edge": ("edge", "monitoring"),  # and compute's or containers' port: app_port()
    "dashboard": ("edge",),  # and the sections of the stacks it graphs, when they are in stacks
}
# The stacks that can run the app behind the load balancer; an environment has at most one.
APP_STACKS = ("compute", "containers")
STACK_NAMES = tuple(STACK_SECTIONS)


def _pattern(regex: str, allowed: str):
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"got {value!r}; expected {allowed}")
        return value

    return AfterValidator(check)


def _ipv4_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"got {value!r}, which is not an IPv4 CIDR; expected a.b.c.d/n, e.g. 10.0.0.0/16") from None
    if "/" not in value:
        raise ValueError(f"got {value!r} without a prefix length; expected a.b.c.d/n, e.g. {network}")
    if str(network) != value:
        raise ValueError(f"got {value!r}, which has host bits set; expected the network address {network}")
    return value


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
AppName = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", "2-20 lowercase letters, digits or '-', starting with a letter")]
Region = Annotated[str, _pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-1")]
DatabaseName = Annotated[str, _pattern(r"[a-z_][a-z0-9_]{0,62}", "a PostgreSQL identifier: lowercase letters, digits, '_'")]
EngineVersion = Annotated[str, _pattern(r"\d+(\.\d+)?", "a major or major.minor version such as 15 or 15.10")]
BucketKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
TableKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
FunctionKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
QueueKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
GroupName = Annotated[str, _pattern(r"[A-Z][A-Z0-9_]{0,63}", "an upper-case group name such as ADMIN")]
Email = Annotated[str, _pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address")]
NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]


class Model(BaseModel):
    """Params are data, not code: no unknown keys, no silent type coercion, no mutation."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Tags(Model):
    cost_center: NonEmpty
    owner: NonEmpty


class FlowLogs(Model):
    retention_days: LogRetentionDays
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class Network(Model):
    vpc_cidr: Cidr
    availability_zones: Literal[2, 3]

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, cidr: str) -> str:
        # cfn-lint does not check this; EC2 refuses any other size at deploy time.
        prefix = ipaddress.IPv4Network(cidr).prefixlen
        if not 16 <= prefix <= 28:
            raise ValueError(f"got {cidr!r}; a VPC's prefix length must be from /16 to /28, e.g. 10.0.0.0/16")
        return cidr
    subnet_prefix_length: int = Field(ge=16, le=28)
    nat: NatMode
    # S3 (gateway) and Secrets Manager (interface) endpoints: how the migrator and the secret
    # rotation reach them from the private subnets without a NAT.
    vpc_endpoints: bool
    admin_ssh_cidr: Cidr
    flow_logs: FlowLogs

    @field_validator("subnet_prefix_length")
    @classmethod
    def _subnets_fit(cls, prefix: int, info: ValidationInfo) -> int:
        vpc = info.data.get("vpc_cidr")
        zones = info.data.get("availability_zones")
        if vpc is None or zones is None:
            return prefix
        # Public subnets take the lower half of the VPC, private subnets the upper half.
        half = ipaddress.IPv4Network(vpc).prefixlen + 1
        fits = 2 ** (prefix - half) if prefix >= half else 0
        if fits < zones:
            largest = half + (zones - 1).bit_length()
            raise ValueError(
                f"/{prefix} subnets do not fit: {zones} public and {zones} private subnets need each half "
                f"of {vpc} to hold {zones}; expected a prefix length from {largest} to 28"
            )
        return prefix

    @field_validator("admin_ssh_cidr")
    @classmethod
    def _admin_cidr_is_narrow(cls, cidr: str) -> str:
        if ipaddress.IPv4Network(cidr).prefixlen < 16:
            raise ValueError(
                f"got {cidr!r}, which opens SSH to {ipaddress.IPv4Network(cidr).num_addresses:,} addresses; "
                f"expected the admin network with a prefix length of 16 or more, e.g. 203.0.113.10/32"
            )
        return cidr

    def public_subnet_cidrs(self) -> list[str]:
        return self._subnet_cidrs(half=0)

    def private_subnet_cidrs(self) -> list[str]:
        return self._subnet_cidrs(half=1)

    def _subnet_cidrs(self, half: int) -> list[str]:
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        halves = list(vpc.subnets(prefixlen_diff=1))
        subnets = halves[half].subnets(new_prefix=self.subnet_prefix_length)
        return [str(next(subnets)) for _ in range(self.availability_zones)]


class Database(Model):
    name: DatabaseName
    engine_version: EngineVersion
    master_username: DatabaseName
    min_acu: float = Field(ge=0.5, le=256, multiple_of=0.5)
    max_acu: float = Field(ge=1, le=256, multiple_of=0.5)
    reader_instances: int = Field(ge=0, le=15)
    backup_retention_days: int = Field(ge=1, le=35)
    secret_rotation_days: int | None = Field(ge=1, le=365)
    deletion_protection: bool
    performance_insights: bool
    log_retention_days: LogRetentionDays
    log_statement: Literal["none", "ddl", "mod", "all"]
    log_min_duration_ms: int = Field(ge=-1)
    # A folder of .sql files, relative to the project (the folder holding params/), that the schema
    # migrator applies during deploy; null: no migrator.
    migrations: Annotated[str, _pattern(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*",
                                        "a folder relative to the project, such as sql")] | None

    @field_validator("max_acu")
    @classmethod
    def _max_not_below_min(cls, max_acu: float, info: ValidationInfo) -> float:
        min_acu = info.data.get("min_acu")
        if min_acu is not None and max_acu < min_acu:
            raise ValueError(f"got {max_acu:g}, below min_acu ({min_acu:g}); expected max_acu >= min_acu")
        return max_acu

    @property
    def engine_major(self) -> str:
        return self.engine_version.split(".")[0]


class Notification(Model):
    """Invoke a function when objects are created in the bucket (under `prefix`, ending in `suffix`)."""

    function: NonEmpty
    prefix: str | None = None
    suffix: str | None = None


class ObjectLock(Model):
    mode: Literal["COMPLIANCE", "GOVERNANCE"]
    days: int = Field(ge=1, le=36500)


class Bucket(Model):
    purpose: NonEmpty
    versioned: bool
    expire_after_days: int | None = Field(default=None, ge=1)
    infrequent_access_after_days: int | None = Field(default=None, ge=30)
    noncurrent_versions_expire_after_days: int = Field(default=30, ge=1)
    object_lock: ObjectLock | None = None
    notifications: list[Notification] = Field(default_factory=list)

    @field_validator("infrequent_access_after_days")
    @classmethod
    def _transition_before_expiry(cls, days: int | None, info: ValidationInfo) -> int | None:
        expire = info.data.get("expire_after_days")
        if days is not None and expire is not None and days >= expire:
            raise ValueError(f"got {days}, not before expire_after_days ({expire}); expected fewer days, or null")
        return days

    @field_validator("object_lock")
    @classmethod
    def _lock_needs_versioning(cls, lock: ObjectLock | None, info: ValidationInfo) -> ObjectLock | None:
        if lock is not None and info.data.get("versioned") is False:
            raise ValueError("Object Lock needs versioning; expected versioned: true on this bucket")
        return lock


class Storage(Model):
    buckets: dict[BucketKey, Bucket]  # may be empty: the access-log bucket (and edge's frontend bucket) come anyway
    access_logs_expire_after_days: int = Field(ge=1)


class KeyAttribute(Model):
    name: Annotated[str, _pattern(r"[A-Za-z0-9_.#-]{1,255}", "a DynamoDB attribute name such as user_id")]
    type: Literal["S", "N", "B"]


class TableIndex(Model):
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


class Table(Model):
    purpose: NonEmpty
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: dict[Annotated[str, _pattern(r"[A-Za-z0-9_.-]{3,255}", "an index name such as user-id-index")],
                  TableIndex] = Field(default_factory=dict)
    ttl_attribute: str | None = None

    @field_validator("indexes")
    @classmethod
    def _one_type_per_attribute(cls, indexes: dict, info: ValidationInfo) -> dict:
        keys = [info.data.get("partition_key"), info.data.get("sort_key")]
        keys += [key for index in indexes.values() for key in (index.partition_key, index.sort_key)]
        types: dict[str, str] = {}
        for key in filter(None, keys):
            if types.setdefault(key.name, key.type) != key.type:
                raise ValueError(f"attribute {key.name!r} is declared both {types[key.name]} and {key.type}; "
                                 f"expected one type per attribute")
        return indexes


class Reference(Model):
    """A value a function's environment takes: a bucket's or table's name, or a literal."""

    bucket: BucketKey | None = None
    table: TableKey | None = None
    value: str | None = None

    @field_validator("value")
    @classmethod
    def _exactly_one(cls, value: str | None, info: ValidationInfo) -> str | None:
        given = [name for name in ("bucket", "table") if info.data.get(name)] + (["value"] if value is not None else [])
        if len(given) != 1:
            raise ValueError(f"got {', '.join(given) or 'none'}; expected exactly one of bucket, table or value")
        return value


class Grant(Model):
    """Access a function has to one bucket (optionally under a prefix) or one table."""

    bucket: BucketKey | None = None
    table: TableKey | None = None
    access: Literal["read", "write", "read_write"]
    prefix: str | None = None

    @field_validator("access")
    @classmethod
    def _bucket_or_table(cls, access: str, info: ValidationInfo) -> str:
        if bool(info.data.get("bucket")) == bool(info.data.get("table")):
            raise ValueError("expected exactly one of bucket or table beside access")
        return access


IamAction = Annotated[str, _pattern(r"[a-z0-9-]+:[A-Za-z0-9*]+", "an IAM action such as bedrock:InvokeModel")]
IamResource = Annotated[str, _pattern(r"\*|arn:[^\s]+", "'*' or an ARN, which may use ${AWS::Partition}, "
                                      "${AWS::Region} and ${AWS::AccountId}")]


class PolicyStatement(Model):
    """An Allow statement for what grants cannot say: services outside this environment's stacks."""

    actions: list[IamAction] = Field(min_length=1)
    resources: list[IamResource] = Field(min_length=1)

    @field_validator("resources")
    @classmethod
    def _not_everything_on_everything(cls, resources: list[str], info: ValidationInfo) -> list[str]:
        actions = info.data.get("actions") or []
        broad = [action for action in actions if action == "*" or action.endswith(":*")]
        if broad and "*" in resources:
            raise ValueError(f"{', '.join(broad)} on every resource ('*') is more than any role needs; expected "
                             f"the actions it calls, or the ARNs they act on")
        return resources


class Function(Model):
    purpose: NonEmpty
    source: Annotated[str, _pattern(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*",
                                    "a folder relative to the project, such as lambdas/processor")]
    handler: Annotated[str, _pattern(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*",
                                     "module.function, such as handler.main")]
    runtime: Literal["python3.11", "python3.12", "python3.13"]
    timeout_seconds: int = Field(ge=1, le=900)
    memory_mb: int = Field(ge=128, le=10240)
    log_retention_days: LogRetentionDays
    environment: dict[Annotated[str, _pattern(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")], Reference] = \
        Field(default_factory=dict)
    grants: list[Grant] = Field(default_factory=list)


class Auth(Model):
    groups: dict[GroupName, NonEmpty] = Field(min_length=1)
    mfa: Literal["OFF", "OPTIONAL", "ON"]
    access_token_hours: int = Field(ge=1, le=24)
    id_token_hours: int = Field(ge=1, le=24)
    refresh_token_days: int = Field(ge=1, le=3650)


class Queue(Model):
    purpose: NonEmpty
    visibility_timeout_seconds: int = Field(ge=0, le=43200)


class Messaging(Model):
    queues: dict[QueueKey, Queue] = Field(min_length=1)
    max_receive_count: int = Field(ge=1, le=1000)
    retention_days: int = Field(ge=1, le=14)
    dead_letter_retention_days: int = Field(ge=1, le=14)

    @field_validator("dead_letter_retention_days")
    @classmethod
    def _dead_letters_outlive_messages(cls, days: int, info: ValidationInfo) -> int:
        source = info.data.get("retention_days")
        if source is not None and days <= source:
            # SQS keeps a message's original enqueue time when it moves to the DLQ.
            raise ValueError(f"got {days}, not longer than retention_days ({source}); expected more days, or a "
                             f"message moved to the dead-letter queue could expire before anyone sees it")
        return days


class Compute(Model):
    instance_type: Annotated[str, _pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t3.small")]
    image_parameter: Annotated[str, _pattern(r"/aws/service/[A-Za-z0-9_./-]+", "a public SSM parameter path "
                                             "under /aws/service/")]
    root_volume_gb: int = Field(ge=8, le=16384)
    app_port: int = Field(ge=1024, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    log_retention_days: LogRetentionDays
    docker_compose_version: Annotated[str, _pattern(r"v\d+\.\d+\.\d+", "a Docker Compose release such as v2.29.7")]


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
EnvironmentVariable = Annotated[str, _pattern(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")]


class ContainerSecret(Model):
    """A variable the container gets when a task starts, from one of: a Secrets Manager secret (name or ARN),
    an SSM parameter (path or ARN), or this environment's database secret (`database_secret: true`); `key`
    picks one JSON key of a secret instead of the whole JSON."""

    secret: Annotated[str, _pattern(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
                                    r"|[A-Za-z0-9/_+=.@-]{1,512}", "a secret's name or ARN")] | None = None
    parameter: Annotated[str, _pattern(r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+"
                                       r"|[A-Za-z0-9_./-]{1,2048}", "an SSM parameter path such as /app/api-key, "
                                       "or its ARN")] | None = None
    database_secret: Literal[True] | None = None
    key: Annotated[str, _pattern(r"[^:\s]{1,256}", "a JSON key of the secret, such as password")] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ContainerSecret:
        given = [name for name in ("secret", "parameter", "database_secret") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"got {', '.join(given) or 'none'}; expected exactly one of secret, parameter or "
                             f"database_secret (true)")
        if self.key is not None and self.parameter is not None:
            raise ValueError("key picks a JSON key of a secret; an SSM parameter is one value. Expected no key here")
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
    image_tag: Annotated[str, _pattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "an image tag such as 1.4.2 or a git "
                                       "commit")] | None
    repository: ImageRepository
    min_tasks: int = Field(ge=1, le=1000)
    max_tasks: int = Field(ge=1, le=1000)
    scaling: TaskScaling
    health_check_grace_seconds: int = Field(ge=0, le=7200)  # load balancer checks ignored while a task starts
    health_check: ContainerHealthCheck | None = None
    log_retention_days: LogRetentionDays
    environment: dict[EnvironmentVariable, str] = Field(default_factory=dict)
    secrets: dict[EnvironmentVariable, ContainerSecret] = Field(default_factory=dict)
    # The task role may read the database secret at run time, and the container gets its ARN in
    # DATABASE_SECRET_ARN. Secrets injected through `secrets` are read once, when a task starts: after a
    # rotation, only an app that reads the secret again keeps connecting.
    reads_database_secret: bool = False
    grants: list[Grant] = Field(default_factory=list)  # the task role's access to buckets and tables
    statements: list[PolicyStatement] = Field(default_factory=list)  # and to anything else

    @field_validator("memory_mb")
    @classmethod
    def _fargate_pair(cls, memory: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        allowed = FARGATE_MEMORY.get(cpu)
        if allowed is not None and memory not in allowed:
            choices = (", ".join(map(str, allowed[:-1])) + f" or {allowed[-1]}" if len(allowed) <= 4
                       else f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}")
            raise ValueError(f"got {memory} with cpu {cpu}; Fargate runs cpu {cpu} with memory_mb {choices}; "
                             f"expected one of those, or another cpu")
        return memory

    @field_validator("repository")
    @classmethod
    def _immutable_tags_are_releases(cls, repository: ImageRepository, info: ValidationInfo) -> ImageRepository:
        if repository.tag_mutability == "IMMUTABLE" and info.data.get("image_tag") == "latest":
            raise ValueError("an IMMUTABLE repository takes 'latest' once, so image_tag: latest could never move "
                             "to a new image; expected tag_mutability: MUTABLE, or image_tag: a release tag")
        return repository

    @field_validator("max_tasks")
    @classmethod
    def _max_not_below_min(cls, max_tasks: int, info: ValidationInfo) -> int:
        min_tasks = info.data.get("min_tasks")
        if min_tasks is not None and max_tasks < min_tasks:
            raise ValueError(f"got {max_tasks}, below min_tasks ({min_tasks}); expected max_tasks >= min_tasks")
        return max_tasks


class Edge(Model):
    domain: Annotated[str, _pattern(r"([a-z0-9-]+\.)+[a-z]{2,}", "a lowercase DNS name such as app.example.com")] | None
    hosted_zone_id: Annotated[str, _pattern(r"Z[A-Z0-9]{5,31}", "a Route 53 hosted zone id such as Z0123456789ABC")] | None
    api_subdomain: Annotated[str, _pattern(r"[a-z0-9-]{1,63}", "one DNS label such as api")]
    health_check_path: Annotated[str, _pattern(r"/[A-Za-z0-9_./-]*", "a path such as /health")]
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    waf_rate_limit_per_5_minutes: int = Field(ge=100, le=2_000_000_000)

    @property
    def api_domain(self) -> str | None:
        return f"{self.api_subdomain}.{self.domain}" if self.domain else None


class Thresholds(Model):
    alb_p95_latency_seconds: float = Field(gt=0)
    alb_5xx_percent: float = Field(gt=0, le=100)
    acu_utilization_percent: float = Field(gt=0, le=100)
    database_connection_failures_per_5_minutes: int = Field(ge=1)


class Monitoring(Model):
    critical_emails: list[Email]
    warning_emails: list[Email]
    thresholds: Thresholds


class EnvironmentConfig(Model):
    """Everything one environment's templates are built from."""

    app: AppName
    environment: str  # from the params file's name
    project_dir: Path  # the folder holding params/, which relative paths in params start from
    region: Region
    stacks: list[str] = Field(min_length=1)
    retain_data: bool
    termination_protection: bool
    tags: Tags
    # Sections: each is needed only when a stack that reads it is in `stacks` (STACK_SECTIONS).
    network: Network | None = None
    database: Database | None = None
    storage: Storage | None = None
    auth: Auth | None = None
    messaging: Messaging | None = None
    compute: Compute | None = None
    containers: Containers | None = None
    edge: Edge | None = None
    monitoring: Monitoring | None = None
    tables: dict[TableKey, Table] | None = None
    functions: dict[FunctionKey, Function] | None = None

    @field_validator("stacks")
    @classmethod
    def _known_stacks_once(cls, stacks: list[str]) -> list[str]:
        unknown = [name for name in stacks if name not in STACK_NAMES]
        if unknown:
            raise ValueError(f"got unknown stack {', '.join(map(repr, unknown))}; expected some of: "
                             f"{', '.join(STACK_NAMES)}")
        repeated = sorted({name for name in stacks if stacks.count(name) > 1})
        if repeated:
            raise ValueError(f"got {', '.join(map(repr, repeated))} more than once; expected each stack once")
        return stacks

    def stack_name(self, stack: str) -> str:
        return f"{self.app}-{self.environment}-{stack}"

    def export_name(self, name: str) -> str:
        return f"{self.app}-{self.environment}-{name}"


def load_configs(params_dir: Path, envs: list[str] | None = None) -> dict[str, EnvironmentConfig]:
    """Every requested environment validated; one ParamsError carries all problems of all of them."""
    envs = envs if envs is not None else environment_names(params_dir)
    configs: dict[str, EnvironmentConfig] = {}
    problems: list[ParamsProblem] = []
    for env in envs:
        try:
            configs[env] = load_config(params_dir, env)
        except ParamsError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise ParamsError(problems)
    return configs


def load_config(params_dir: Path, env: str) -> EnvironmentConfig:
    params = load_environment(params_dir, env)
    for key, message in (("environment", "the environment's name comes from its file name; remove this key"),
                         ("project_dir", "the project is the folder holding params/; remove this key")):
        if key in params.data:
            raise ParamsError([ParamsProblem(params.locate((key,)), key, message)])
    try:
        config = EnvironmentConfig.model_validate(
            {**params.data, "environment": env, "project_dir": params_dir.resolve().parent})
    except ValidationError as error:
        raise ParamsError([_problem(params, detail) for detail in error.errors()]) from None
    problems = cross_checks(config, params)
    if problems:
        raise ParamsError(problems)
    return config


def cross_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Rules that span sections, checked once every section is valid on its own."""
    missing = _section_checks(config, params)
    if missing:
        return missing  # the other checks read the sections
    checks = [_network_checks, _migration_checks, _edge_checks, _bucket_checks, _reference_checks, _app_checks,
              _containers_checks]
    return [problem for check in checks for problem in check(config, params)]


def _section_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    problems = []
    for stack in config.stacks:
        for section in STACK_SECTIONS[stack]:
            if getattr(config, section) is None:
                problems.append(ParamsProblem(
                    params.locate(("stacks",)), "stacks",
                    f"stack {stack} needs a {section} section, which these params do not have; expected one "
                    f"(params/base.yaml of the default system shows its keys), or {stack} left out of stacks"))
    return problems


def _network_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    network = config.network
    if network is None or network.nat != "none":
        return []
    problems = []
    if "compute" in config.stacks:
        key = ("network", "nat")
        problems.append(ParamsProblem(
            params.locate(key), dotted(key),
            "the app server in the private subnets installs Docker and pulls images through a NAT; "
            "expected single or per_az",
        ))
    if ("database" in config.stacks and config.database.secret_rotation_days is not None
            and not network.vpc_endpoints):
        key = ("database", "secret_rotation_days")
        problems.append(ParamsProblem(
            params.locate(key), dotted(key),
            "secret rotation runs in the private subnets and must reach Secrets Manager; expected network.nat: "
            "single or per_az, or network.vpc_endpoints: true, or secret_rotation_days: null",
        ))
    return problems


def _edge_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    edge = config.edge
    if edge is None or (edge.domain is None) == (edge.hosted_zone_id is None):
        return []
    key = ("edge", "domain" if edge.domain else "hosted_zone_id")
    return [ParamsProblem(
        params.locate(key), dotted(key),
        "expected domain and hosted_zone_id together (the zone validates the certificates and holds the "
        "records), or both null",
    )]


def _bucket_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    if config.storage is None:
        return []
    problems = []
    longest = max([*config.storage.buckets, *RESERVED_BUCKETS], key=len)
    length = len(bucket_name_prefix(config, longest)) + 1 + ACCOUNT_ID_LENGTH + 1 + len(config.region)
    if length > BUCKET_NAME_MAX:
        key = ("storage", "buckets", longest)
        problems.append(ParamsProblem(
            params.locate(key), dotted(key),
            f"bucket name {bucket_name_prefix(config, longest)}-<account id>-{config.region} would be "
            f"{length} characters; S3 allows {BUCKET_NAME_MAX}. Expected a shorter app name or bucket key",
        ))
    for reserved in RESERVED_BUCKETS:
        if reserved in config.storage.buckets:
            key = ("storage", "buckets", reserved)
            problems.append(ParamsProblem(
                params.locate(key), dotted(key),
                f"'{reserved}' is a bucket every environment gets already ({', '.join(RESERVED_BUCKETS)}); "
                f"expected another key for this bucket",
            ))
    return problems


def _reference_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Functions name buckets and tables, buckets name functions: each name must exist."""
    buckets = set(config.storage.buckets) if config.storage else set()
    tables = set(config.tables or {})
    functions = set(config.functions or {})
    problems = []

    def check(path: tuple, kind: str, name: str | None, known: set[str]) -> None:
        if name is not None and name not in known:
            problems.append(ParamsProblem(params.locate(path), dotted(path),
                                          f"no {kind} {name!r}; expected one of: {', '.join(sorted(known)) or 'none'}"))

    for function_key, function in (config.functions or {}).items():
        for variable, reference in function.environment.items():
            path = ("functions", function_key, "environment", variable)
            check(path + ("bucket",), "bucket", reference.bucket, buckets)
            check(path + ("table",), "table", reference.table, tables)
        if not (config.project_dir / function.source).is_dir():
            key = ("functions", function_key, "source")
            problems.append(ParamsProblem(params.locate(key), dotted(key),
                                          f"{config.project_dir / function.source} is not a folder; expected the "
                                          f"function's source folder, relative to the project"))
    for holder, grants in _grant_holders(config):
        for index, grant in enumerate(grants):
            path = (*holder, "grants", index)
            check(path + ("bucket",), "bucket", grant.bucket, buckets)
            check(path + ("table",), "table", grant.table, tables)
    for bucket_key, bucket in (config.storage.buckets if config.storage else {}).items():
        for index, notification in enumerate(bucket.notifications):
            path = ("storage", "buckets", bucket_key, "notifications", index, "function")
            check(path, "function", notification.function, functions)
    return problems


def _grant_holders(config: EnvironmentConfig) -> list[tuple[tuple, list[Grant]]]:
    """Every list of grants in the params, with the key path that holds it."""
    holders = [(("functions", key), function.grants) for key, function in (config.functions or {}).items()]
    if config.containers is not None:
        holders.append((("containers",), config.containers.grants))
    return holders


def app_port(config: EnvironmentConfig) -> int | None:
    """The port the app listens on behind the load balancer: the app server's or the containers'."""
    if "containers" in config.stacks:
        return config.containers.port
    if "compute" in config.stacks:
        return config.compute.app_port
    return None


def _app_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What runs the app behind the load balancer: one of compute or containers."""
    running = [stack for stack in APP_STACKS if stack in config.stacks]
    if len(running) > 1:
        message = ("compute (an EC2 app server) and containers (ECS Fargate) both run the app behind the load "
                   "balancer; expected one of them in stacks")
    elif "edge" in config.stacks and not running:
        message = "edge puts its load balancer in front of the app; expected compute or containers in stacks"
    else:
        return []
    return [ParamsProblem(params.locate(("stacks",)), "stacks", message)]


def _containers_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What the containers stack needs from the other stacks, and each variable given once."""
    if "containers" not in config.stacks:
        return []
    containers = config.containers
    problems = []

    def problem(key: tuple, message: str) -> None:
        problems.append(ParamsProblem(params.locate(key), dotted(key), message))

    if "edge" not in config.stacks:
        problem(("stacks",), "containers registers its tasks with the load balancer of the edge stack; expected "
                             "edge in stacks")
    if "network" in config.stacks and config.network.nat == "none":
        problem(("network", "nat"), "the app's tasks run in the private subnets and pull their image from ECR and "
                                    "send their logs through a NAT; expected single or per_az")
    if "network" in config.stacks and config.compute is not None and config.compute.app_port != containers.port:
        problem(("containers", "port"), f"the network's security groups admit compute.app_port "
                                        f"({config.compute.app_port}) from the load balancer to the app; expected "
                                        f"the same port here, or compute.app_port: {containers.port}")
    for variable in sorted(set(containers.environment) & set(containers.secrets)):
        problem(("containers", "secrets", variable), f"{variable} is also in containers.environment; expected each "
                                                      f"variable in one of environment or secrets")
    if containers.reads_database_secret:
        for section in ("environment", "secrets"):
            if DATABASE_SECRET_VARIABLE in getattr(containers, section):
                problem(("containers", section, DATABASE_SECRET_VARIABLE),
                        f"the container gets {DATABASE_SECRET_VARIABLE} from reads_database_secret; expected another "
                        f"name here")
    if "database" not in config.stacks:
        for variable, secret in containers.secrets.items():
            if secret.database_secret:
                problem(("containers", "secrets", variable, "database_secret"),
                        "this environment has no database stack, whose secret this names; expected database in "
                        "stacks, or another secret")
        if containers.reads_database_secret:
            problem(("containers", "reads_database_secret"),
                    "this environment has no database stack, whose secret this reads; expected database in "
                    "stacks, or false")
    return problems


def _migration_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    if "database" not in config.stacks or config.database.migrations is None:
        return []
    folder = config.database.migrations
    key = ("database", "migrations")
    path = config.project_dir / folder
    if not path.is_dir() or not any(path.glob("*.sql")):
        return [ParamsProblem(params.locate(key), dotted(key),
                              f"{path} holds no .sql files; expected the folder of migrations, or null for none")]
    if config.network.nat == "none" and not config.network.vpc_endpoints:
        return [ParamsProblem(params.locate(key), dotted(key),
                              "the schema migrator runs in the private subnets and must reach Secrets Manager and "
                              "CloudFormation's response URL (S3); expected network.nat: single or per_az, or "
                              "network.vpc_endpoints: true, or migrations: null")]
    return []


def bucket_name_prefix(config: EnvironmentConfig, key: str) -> str:
    return f"{config.app}-{config.environment}-{key}"


# --- pydantic errors as params problems ------------------------------------------------------


def _problem(params: SourcedParams, detail: dict[str, Any]) -> ParamsProblem:
    path = tuple(part for part in detail["loc"] if part != "[key]")
    return ParamsProblem(params.locate(path), dotted(path), _message(path, detail))


def _message(path: tuple, detail: dict[str, Any]) -> str:
    kind, message = detail["type"], detail["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(path)
    if kind == "missing":
        return "required key is missing; add it to this environment's file, or to base.yaml for every environment"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    expected = message.removeprefix("Input should be ").removeprefix("Input ")
    return f"got {_shown(detail.get('input'))}; expected {expected}"


def _unknown_key(path: tuple) -> str:
    allowed = sorted(_fields_at(EnvironmentConfig, path[:-1]))
    if len(path) == 1:  # the top level's environment and project_dir come from the files, not from keys
        allowed = [name for name in allowed if name not in ("environment", "project_dir")]
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key{hint}; allowed keys here: {', '.join(allowed)}"


def _fields_at(model: type[BaseModel], path: tuple) -> list[str]:
    """The field names of the model found by walking `path` down from `model`."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[part].annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` as X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        else:
            return annotation


def _shown(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
