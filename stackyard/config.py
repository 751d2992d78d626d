"""Typed, validated configuration of one environment.

Params are validated once, here, into frozen objects; template modules only ever see these.
Validation reports every problem of every environment at once, each with file:line, the key
path, what is wrong and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

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
    "edge-global": ("edge",),
    "edge": ("edge", "compute", "monitoring"),
    "dashboard": ("database", "messaging", "edge"),
}
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


AURORA = "aurora-postgresql"  # Aurora PostgreSQL Serverless v2 (seed 000 §1.3)
POSTGRES = "postgres"  # one RDS for PostgreSQL DB instance (seed 002 §2.4)
SERVERLESS_KEYS = ("min_acu", "max_acu", "reader_instances")  # read by engine aurora-postgresql only
# RDS rotates the master password it manages every 7 days; CloudFormation has no property to change that.
MANAGED_ROTATION_DAYS = 7


class DatabaseInstance(Model):
    """The size and storage of an RDS DB instance (database.engine: postgres)."""

    instance_class: Annotated[str, _pattern(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as db.t4g.micro")]
    allocated_storage_gb: int = Field(ge=20, le=65536)  # gp2 and gp3 start at 20 GiB
    # Storage autoscaling: RDS grows the storage up to this when it runs low; null: the storage never grows.
    max_allocated_storage_gb: int | None = Field(default=None, le=65536)
    storage_type: Literal["gp3", "gp2"]
    multi_az: bool

    @field_validator("max_allocated_storage_gb")
    @classmethod
    def _room_to_grow(cls, maximum: int | None, info: ValidationInfo) -> int | None:
        allocated = info.data.get("allocated_storage_gb")
        least = math.ceil(allocated * 1.1) if allocated is not None else None
        if maximum is not None and least is not None and maximum < least:
            raise ValueError(f"got {maximum}; RDS needs the autoscaling ceiling at least 10% above "
                             f"allocated_storage_gb ({allocated}); expected {least} or more, or null for no autoscaling")
        return maximum


class Database(Model):
    # Which database the stack builds; each engine reads its own keys and refuses the other's.
    engine: Literal["aurora-postgresql", "postgres"] = AURORA
    name: DatabaseName
    engine_version: EngineVersion
    master_username: DatabaseName
    # engine aurora-postgresql only
    min_acu: float | None = Field(default=None, ge=0.5, le=256, multiple_of=0.5, validate_default=True)
    max_acu: float | None = Field(default=None, ge=1, le=256, multiple_of=0.5, validate_default=True)
    reader_instances: int | None = Field(default=None, ge=0, le=15, validate_default=True)
    # engine postgres only
    instance: DatabaseInstance | None = Field(default=None, validate_default=True)
    backup_retention_days: int = Field(ge=1, le=35)
    # Aurora: the hosted rotation Lambda's schedule, null for none. postgres: RDS manages the password
    # and rotates it every 7 days, which is the only value accepted.
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

    @field_validator(*SERVERLESS_KEYS)
    @classmethod
    def _serverless_keys_for_aurora_only(cls, value: float | None, info: ValidationInfo) -> float | None:
        engine = info.data.get("engine")
        if engine == AURORA and value is None:
            raise ValueError(f"required with engine {AURORA} (the default); expected a value, or engine: "
                             f"{POSTGRES} with an instance section")
        if engine == POSTGRES and value is not None:
            raise ValueError(f"a key of engine {AURORA} (Serverless v2 capacity); engine {POSTGRES} is sized by "
                             f"its instance section. Fix: remove it (null in an environment's file when "
                             f"base.yaml sets it)")
        return value

    @field_validator("instance")
    @classmethod
    def _instance_for_postgres_only(cls, instance: DatabaseInstance | None,
                                    info: ValidationInfo) -> DatabaseInstance | None:
        engine = info.data.get("engine")
        if engine == POSTGRES and instance is None:
            raise ValueError(f"required with engine {POSTGRES}; expected a section with instance_class, "
                             f"allocated_storage_gb, storage_type and multi_az (max_allocated_storage_gb optional)")
        if engine == AURORA and instance is not None:
            raise ValueError(f"a section of engine {POSTGRES} (one RDS instance); engine {AURORA} is sized by "
                             f"min_acu, max_acu and reader_instances. Fix: remove it, or set engine: {POSTGRES}")
        return instance

    @field_validator("max_acu")
    @classmethod
    def _max_not_below_min(cls, max_acu: float | None, info: ValidationInfo) -> float | None:
        min_acu = info.data.get("min_acu")
        if min_acu is not None and max_acu is not None and max_acu < min_acu:
            raise ValueError(f"got {max_acu:g}, below min_acu ({min_acu:g}); expected max_acu >= min_acu")
        return max_acu

    @field_validator("secret_rotation_days")
    @classmethod
    def _rds_rotates_its_own_secret(cls, days: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("engine") == POSTGRES and days != MANAGED_ROTATION_DAYS:
            raise ValueError(
                f"got {_shown(days)}; with engine {POSTGRES} RDS manages the master password in Secrets Manager and "
                f"rotates it itself every {MANAGED_ROTATION_DAYS} days, a schedule CloudFormation cannot change; "
                f"expected {MANAGED_ROTATION_DAYS}")
        return days

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
    buckets: dict[BucketKey, Bucket] = Field(min_length=1)
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
    acu_utilization_percent: float = Field(default=90, gt=0, le=100)  # Aurora (seed 001 task 7.2)
    database_cpu_percent: float = Field(default=80, gt=0, le=100)  # RDS instance, for 10 minutes (seed 002 §2.10)
    # RDS instance: alarm when free storage falls below this share of allocated_storage_gb
    database_free_storage_percent: float = Field(default=10, gt=0, lt=100)
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
    checks = [_network_checks, _migration_checks, _edge_checks, _bucket_checks, _reference_checks]
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
    if ("database" in config.stacks and config.database.engine == AURORA
            and config.database.secret_rotation_days is not None and not network.vpc_endpoints):
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
    return holders


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
