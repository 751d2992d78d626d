"""Typed, validated configuration of one environment.

Params are validated once, here, into frozen objects; template modules only ever see these.
Validation reports every problem of every environment at once, each with file:line, the key
path, what is wrong and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
import itertools
import math
import re
import types
import typing
import urllib.parse
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stackyard.errors import ParamsError, ParamsProblem
from stackyard.iam import too_broad_on_everything
from stackyard.params import BASE_FILE, SourcedParams, dotted, environment_names, load_environment

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
    "network": ("network",),
    "storage": ("storage",),
    "alerts": ("monitoring",),
    "messaging": ("messaging", "monitoring"),
    "auth": ("auth",),
    "database": ("database", "network", "monitoring"),
    "tables": ("tables",),
    "functions": ("functions",),
    "roles": ("roles",),
    "compute": ("compute", "storage", "messaging", "monitoring"),
    "containers": ("containers",),
    "edge-global": ("edge",),
    "edge": ("edge",),  # and monitoring with an app behind its load balancer (its alarms): sections_needed
    "dashboard": ("edge",),  # and the sections of the stacks it graphs, when they are in stacks
    "ci": ("ci",),
}
STACK_NAMES = tuple(STACK_SECTIONS)
# The stacks running an app the edge puts behind its load balancer (EC2 compute, ECS containers); an
# environment has at most one.
APP_STACKS = ("compute", "containers")


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
AppName = Annotated[
    str, _pattern(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", "2-20 lowercase letters, digits or '-', starting with a letter")
]
Region = Annotated[str, _pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-1")]
DatabaseName = Annotated[
    str, _pattern(r"[a-z_][a-z0-9_]{0,62}", "a PostgreSQL identifier: lowercase letters, digits, '_'")
]
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


SecurityGroupKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
DATABASE_PORT = 5432  # PostgreSQL, which both database engines run on
HTTPS_PORT = 443
# Ports that administer a host: never open to more than a /16.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


# What EC2 accepts in a security group's description and its rules' descriptions.
GroupText = Annotated[
    str,
    Field(max_length=255),
    _pattern(
        r"[A-Za-z0-9. _\-:/()#,@\[\]+=&;{}!$*]+",
        "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 refuses other characters, such as apostrophes)",
    ),
]


class GroupRule(Model):
    """One ingress or egress rule: a port (or all traffic) to or from a CIDR, the VPC, or a group."""

    description: GroupText
    protocol: Literal["tcp", "udp", "all"] = "tcp"
    port: int | None = Field(default=None, ge=0, le=65535)
    cidr: Cidr | Literal["vpc"] | None = None
    group: SecurityGroupKey | None = None

    @model_validator(mode="after")
    def _one_peer_and_a_port(self) -> GroupRule:
        if (self.cidr is None) == (self.group is None):
            raise ValueError("expected exactly one of cidr (a.b.c.d/n, or vpc) or group (a security group key)")
        if self.protocol == "all" and self.port is not None:
            raise ValueError(f"protocol all covers every port; expected no port beside it (got {self.port})")
        if self.protocol in ("tcp", "udp") and self.port is None:
            raise ValueError(f"expected a port for {self.protocol}, or protocol: all")
        return self


class IngressRule(GroupRule):
    @model_validator(mode="after")
    def _admin_ports_stay_narrow(self) -> IngressRule:
        opens = ADMIN_PORTS.get(self.port) or ("every port" if self.protocol == "all" else None)
        if self.cidr not in (None, "vpc") and opens and ipaddress.IPv4Network(self.cidr).prefixlen < 16:
            addresses = ipaddress.IPv4Network(self.cidr).num_addresses
            raise ValueError(
                f"got {self.cidr!r}, which opens {opens} to {addresses:,} addresses; expected the "
                f"admin network with a prefix length of 16 or more, e.g. 203.0.113.10/32"
            )
        return self


class SecurityGroup(Model):
    description: GroupText
    ingress: list[IngressRule] = Field(default_factory=list)
    egress: list[GroupRule] = Field(default_factory=list)  # none: the group may not send anything


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

    # Subnets are either listed, one per AZ, or cut from the VPC at this prefix length: public
    # ones from its lower half, private ones from its upper half.
    subnet_prefix_length: int | None = Field(default=None, ge=16, le=28)
    public_subnets: list[Cidr] | None = None
    private_subnets: list[Cidr] | None = None  # []: no private tier (and so no NAT)
    # Instances launched into the public subnets get a public address (tasks and hosts of a VPC with no
    # private tier reach the internet this way); off, only the ALB and NAT have one.
    public_ip_on_launch: bool = False
    nat: NatMode
    # S3 (gateway) and Secrets Manager (interface) endpoints: how the migrator and the secret
    # rotation reach them from the private subnets without a NAT.
    vpc_endpoints: bool
    flow_logs: FlowLogs | None
    security_groups: dict[SecurityGroupKey, SecurityGroup] = Field(default_factory=dict)

    @field_validator("subnet_prefix_length")
    @classmethod
    def _subnets_fit(cls, prefix: int | None, info: ValidationInfo) -> int | None:
        vpc = info.data.get("vpc_cidr")
        zones = info.data.get("availability_zones")
        if vpc is None or zones is None or prefix is None:
            return prefix
        half = ipaddress.IPv4Network(vpc).prefixlen + 1
        fits = 2 ** (prefix - half) if prefix >= half else 0
        if fits < zones:
            largest = half + (zones - 1).bit_length()
            raise ValueError(
                f"/{prefix} subnets do not fit: {zones} public and {zones} private subnets need each half "
                f"of {vpc} to hold {zones}; expected a prefix length from {largest} to 28"
            )
        return prefix

    @field_validator("public_subnets", "private_subnets")
    @classmethod
    def _one_per_zone_inside_the_vpc(cls, cidrs: list[str] | None, info: ValidationInfo) -> list[str] | None:
        vpc, zones = info.data.get("vpc_cidr"), info.data.get("availability_zones")
        if cidrs is None or vpc is None or zones is None:
            return cidrs
        allowed = (zones,) if info.field_name == "public_subnets" else (0, zones)
        if len(cidrs) not in allowed:
            raise ValueError(
                f"got {len(cidrs)} subnets; expected one per availability zone ({zones})"
                + (", or [] for none" if 0 in allowed else "")
            )
        outside = [cidr for cidr in cidrs if not ipaddress.IPv4Network(cidr).subnet_of(ipaddress.IPv4Network(vpc))]
        if outside:
            raise ValueError(f"{', '.join(outside)} is not inside the VPC {vpc}; expected subnets of it")
        earlier = info.data.get("public_subnets") or [] if info.field_name == "private_subnets" else []
        for index, cidr in enumerate(cidrs):
            clash = next(
                (
                    other
                    for other in [*earlier, *cidrs[:index]]
                    if ipaddress.IPv4Network(other).overlaps(ipaddress.IPv4Network(cidr))
                ),
                None,
            )
            if clash:
                raise ValueError(f"subnets {clash} and {cidr} overlap; expected separate ranges")
        return cidrs

    @field_validator("nat")
    @classmethod
    def _tiers_are_complete(cls, nat: str, info: ValidationInfo) -> str:
        data = info.data
        computed = [tier for tier in ("public_subnets", "private_subnets") if tier in data and data[tier] is None]
        if computed and "subnet_prefix_length" in data and data["subnet_prefix_length"] is None:
            raise ValueError(
                f"{' and '.join(computed)} are not listed, so they are cut from the VPC; expected "
                f"subnet_prefix_length, or the subnets listed"
            )
        if data.get("private_subnets") == [] and nat != "none":
            raise ValueError(f"got {nat!r} with no private subnets; a NAT serves private subnets, expected none")
        return nat

    @property
    def has_private_subnets(self) -> bool:
        return self.private_subnets != []

    def public_subnet_cidrs(self) -> list[str]:
        return self.public_subnets if self.public_subnets is not None else self._subnet_cidrs(half=0)

    def private_subnet_cidrs(self) -> list[str]:
        return self.private_subnets if self.private_subnets is not None else self._subnet_cidrs(half=1)

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
            raise ValueError(
                f"got {maximum}; RDS needs the autoscaling ceiling at least 10% above "
                f"allocated_storage_gb ({allocated}); expected {least} or more, or null for no autoscaling"
            )
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
    migrations: (
        Annotated[str, _pattern(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", "a folder relative to the project, such as sql")]
        | None
    )

    @field_validator(*SERVERLESS_KEYS)
    @classmethod
    def _serverless_keys_for_aurora_only(cls, value: float | None, info: ValidationInfo) -> float | None:
        engine = info.data.get("engine")
        if engine == AURORA and value is None:
            raise ValueError(
                f"required with engine {AURORA} (the default); expected a value, or engine: "
                f"{POSTGRES} with an instance section"
            )
        if engine == POSTGRES and value is not None:
            raise ValueError(
                f"a key of engine {AURORA} (Serverless v2 capacity); engine {POSTGRES} is sized by "
                f"its instance section. Fix: remove it (null in an environment's file when "
                f"base.yaml sets it)"
            )
        return value

    @field_validator("instance")
    @classmethod
    def _instance_for_postgres_only(
        cls, instance: DatabaseInstance | None, info: ValidationInfo
    ) -> DatabaseInstance | None:
        engine = info.data.get("engine")
        if engine == POSTGRES and instance is None:
            raise ValueError(
                f"required with engine {POSTGRES}; expected a section with instance_class, "
                f"allocated_storage_gb, storage_type and multi_az (max_allocated_storage_gb optional)"
            )
        if engine == AURORA and instance is not None:
            raise ValueError(
                f"a section of engine {POSTGRES} (one RDS instance); engine {AURORA} is sized by "
                f"min_acu, max_acu and reader_instances. Fix: remove it, or set engine: {POSTGRES}"
            )
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
                f"expected {MANAGED_ROTATION_DAYS}"
            )
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


StorageClass = Literal["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
# The order S3 lets objects move in (its lifecycle "waterfall"), warmest first.
STORAGE_CLASS_ORDER = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
# S3 refuses transitions to the infrequent access classes before an object is 30 days old.
INFREQUENT_ACCESS_MIN_DAYS = 30


class Transition(Model):
    storage_class: StorageClass
    after_days: int = Field(ge=0, le=36500)

    @model_validator(mode="after")
    def _old_enough_for_the_class(self) -> Transition:
        if self.storage_class.endswith("_IA") and self.after_days < INFREQUENT_ACCESS_MIN_DAYS:
            raise ValueError(
                f"{self.storage_class} needs objects at least {INFREQUENT_ACCESS_MIN_DAYS} days old; got "
                f"{self.after_days}. Expected after_days >= {INFREQUENT_ACCESS_MIN_DAYS}, or GLACIER_IR"
            )
        return self


class PrefixRule(Model):
    """Lifecycle of the objects under one prefix (or all objects): transitions, then expiry."""

    prefix: (
        Annotated[
            str, _pattern(r"[^*?]*", "a literal key prefix such as jobs/ (S3 lifecycle prefixes have no wildcards)")
        ]
        | None
    ) = None
    transitions: list[Transition] = Field(default_factory=list)
    noncurrent_transitions: list[Transition] = Field(default_factory=list)
    expire_after_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _does_something(self) -> PrefixRule:
        if not (self.transitions or self.noncurrent_transitions or self.expire_after_days):
            raise ValueError(
                "expected transitions, noncurrent_transitions or expire_after_days; a rule with none does nothing"
            )
        return self

    @field_validator("transitions", "noncurrent_transitions")
    @classmethod
    def _colder_and_later(cls, transitions: list[Transition]) -> list[Transition]:
        for before, after in itertools.pairwise(transitions):
            if (
                STORAGE_CLASS_ORDER.index(after.storage_class) <= STORAGE_CLASS_ORDER.index(before.storage_class)
                or after.after_days <= before.after_days
            ):
                raise ValueError(
                    f"{before.storage_class} after {before.after_days} days, then {after.storage_class} "
                    f"after {after.after_days}; S3 moves objects only to colder classes, later: "
                    f"expected the order {', '.join(STORAGE_CLASS_ORDER)} with rising days"
                )
        return transitions

    @field_validator("expire_after_days")
    @classmethod
    def _expiry_after_transitions(cls, days: int | None, info: ValidationInfo) -> int | None:
        last = max((transition.after_days for transition in info.data.get("transitions") or []), default=None)
        if days is not None and last is not None and days <= last:
            raise ValueError(
                f"got {days}, not after the last transition ({last} days); expected more days, or fewer transitions"
            )
        return days


class Cors(Model):
    """Browsers may call the bucket (presigned URLs) from these origins."""

    allowed_origins: list[
        Annotated[str, _pattern(r"\*|https?://[A-Za-z0-9.:*-]+", "'*' or an origin such as https://app.example.com")]
    ] = Field(min_length=1)
    allowed_methods: list[Literal["GET", "PUT", "POST", "DELETE", "HEAD"]] = Field(min_length=1)
    allowed_headers: list[NonEmpty] = Field(default_factory=lambda: ["*"])
    max_age_seconds: int = Field(default=3600, ge=0, le=86400)


class Bucket(Model):
    purpose: NonEmpty
    versioned: bool
    expire_after_days: int | None = Field(default=None, ge=1)
    infrequent_access_after_days: int | None = Field(default=None, ge=30)
    noncurrent_versions_expire_after_days: int = Field(default=30, ge=1)
    object_lock: ObjectLock | None = None
    notifications: list[Notification] = Field(default_factory=list)
    lifecycle_rules: dict[
        Annotated[str, _pattern(r"[a-z0-9][a-z0-9-]{0,62}", "a rule id such as archive-job-outputs")], PrefixRule
    ] = Field(default_factory=dict)
    cors: Cors | None = None

    @field_validator("infrequent_access_after_days")
    @classmethod
    def _transition_before_expiry(cls, days: int | None, info: ValidationInfo) -> int | None:
        expire = info.data.get("expire_after_days")
        if days is not None and expire is not None and days >= expire:
            raise ValueError(f"got {days}, not before expire_after_days ({expire}); expected fewer days, or null")
        return days

    @field_validator("lifecycle_rules")
    @classmethod
    def _noncurrent_needs_versioning(cls, rules: dict, info: ValidationInfo) -> dict:
        if info.data.get("versioned") is False and any(rule.noncurrent_transitions for rule in rules.values()):
            raise ValueError(
                "noncurrent_transitions move old versions, and this bucket keeps none; expected "
                "versioned: true, or no noncurrent_transitions"
            )
        return rules

    @field_validator("object_lock")
    @classmethod
    def _lock_needs_versioning(cls, lock: ObjectLock | None, info: ValidationInfo) -> ObjectLock | None:
        if lock is not None and info.data.get("versioned") is False:
            raise ValueError("Object Lock needs versioning; expected versioned: true on this bucket")
        return lock


class Storage(Model):
    buckets: dict[BucketKey, Bucket]  # may be empty: the access-log bucket alone, e.g. for a site-only edge
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
    indexes: dict[
        Annotated[str, _pattern(r"[A-Za-z0-9_.-]{3,255}", "an index name such as user-id-index")], TableIndex
    ] = Field(default_factory=dict)
    ttl_attribute: str | None = None

    @field_validator("indexes")
    @classmethod
    def _one_type_per_attribute(cls, indexes: dict, info: ValidationInfo) -> dict:
        keys = [info.data.get("partition_key"), info.data.get("sort_key")]
        keys += [key for index in indexes.values() for key in (index.partition_key, index.sort_key)]
        types: dict[str, str] = {}
        for key in filter(None, keys):
            if types.setdefault(key.name, key.type) != key.type:
                raise ValueError(
                    f"attribute {key.name!r} is declared both {types[key.name]} and {key.type}; "
                    f"expected one type per attribute"
                )
        return indexes


class Reference(Model):
    """A value a function's environment takes: a bucket's or table's name, or a literal."""

    bucket: BucketKey | None = None
    table: TableKey | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Reference:
        given = [name for name in ("bucket", "table", "value") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"got {', '.join(given) or 'none'}; expected exactly one of bucket, table or value")
        return self


def _text_or_reference(value: Any) -> Any:
    if isinstance(value, str):
        return {"value": value}
    if isinstance(value, dict):
        return value
    raise ValueError(
        f"got {_shown(value)}; expected text (quoted, since YAML reads true, 1 and the like as other "
        f"types), or {{bucket: key}} or {{table: key}}"
    )


# A plain value, or a reference: `KEY: text` is `KEY: {value: text}`.
TextOrReference = Annotated[Reference, BeforeValidator(_text_or_reference)]


IamAction = Annotated[str, _pattern(r"[a-z0-9-]+:[A-Za-z0-9*]+", "an IAM action such as bedrock:InvokeModel")]
IamResource = Annotated[
    str,
    _pattern(
        r"\*|arn:[^\s]+",
        "'*' or an ARN, which may use ${AWS::Partition}, "
        "${AWS::Region}, ${AWS::AccountId}, and ${App} and ${Env} for this "
        "environment's names",
    ),
]


class PolicyStatement(Model):
    """An Allow statement for what grants cannot say: services outside this environment's stacks."""

    actions: list[IamAction] = Field(min_length=1)
    resources: list[IamResource] = Field(min_length=1)

    @field_validator("resources")
    @classmethod
    def _not_everything_on_everything(cls, resources: list[str], info: ValidationInfo) -> list[str]:
        broad = too_broad_on_everything(info.data.get("actions") or [])
        if broad and "*" in resources:
            raise ValueError(
                f"{', '.join(broad)} on every resource ('*') is more than any role needs (wildcards "
                f"and actions that reach other roles' permissions); expected the actions it calls, "
                f"or the ARNs they act on"
            )
        return resources


class Grant(Model):
    """Access a role has to one bucket (optionally under a prefix) or one table: a level of access,
    or exactly the actions listed."""

    bucket: BucketKey | None = None
    table: TableKey | None = None
    access: Literal["read", "write", "read_write"] | None = None
    actions: list[IamAction] | None = Field(default=None, min_length=1)
    prefix: str | None = None

    @model_validator(mode="after")
    def _one_target_one_kind_of_access(self) -> Grant:
        if bool(self.bucket) == bool(self.table):
            raise ValueError("expected exactly one of bucket or table")
        if (self.access is None) == (self.actions is None):
            raise ValueError("expected exactly one of access (read, write or read_write) or actions")
        service = "s3" if self.bucket else "dynamodb"
        foreign = [action for action in self.actions or [] if action.split(":")[0] != service]
        if foreign:
            raise ValueError(
                f"{', '.join(foreign)} cannot act on a {'bucket' if self.bucket else 'table'}; "
                f"expected {service}: actions, or a statement for the others"
            )
        return self


class Function(Model):
    purpose: NonEmpty
    source: Annotated[
        str,
        _pattern(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", "a folder relative to the project, such as lambdas/processor"),
    ]
    handler: Annotated[
        str, _pattern(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*", "module.function, such as handler.main")
    ]
    runtime: Literal["python3.11", "python3.12", "python3.13"]
    timeout_seconds: int = Field(ge=1, le=900)
    memory_mb: int = Field(ge=128, le=10240)
    log_retention_days: LogRetentionDays
    environment: dict[Annotated[str, _pattern(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")], Reference] = Field(
        default_factory=dict
    )
    grants: list[Grant] = Field(default_factory=list)


RoleKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]


class RoleConfig(Model):
    """A role a service assumes (ECS tasks, Lambda, Amplify ...), with exactly the access listed."""

    purpose: NonEmpty
    trusted_service: Annotated[
        str,
        _pattern(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com", "a service principal such as ecs-tasks.amazonaws.com"),
    ]
    managed_policies: list[
        Annotated[
            str,
            _pattern(
                r"[A-Za-z0-9+=,.@_-]+(/[A-Za-z0-9+=,.@_-]+)*",
                "an AWS managed policy name such as service-role/AWSLambdaBasicExecutionRole",
            ),
        ]
    ] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    statements: list[PolicyStatement] = Field(default_factory=list)

    @field_validator("trusted_service")
    @classmethod
    def _assumes_roles_itself(cls, service: str) -> str:
        if service == "ec2.amazonaws.com":
            # EC2 hands a role to an instance through an instance profile, and its assume-role call
            # carries no aws:SourceAccount, which every trust here requires.
            raise ValueError(
                "EC2 instances take a role through an instance profile, which the roles stack does "
                "not make; expected a service that assumes the role itself, such as "
                "ecs-tasks.amazonaws.com or lambda.amazonaws.com"
            )
        return service

    @model_validator(mode="after")
    def _allows_something(self) -> RoleConfig:
        if not (self.managed_policies or self.grants or self.statements):
            raise ValueError("expected grants, statements or managed_policies; a role with none can do nothing")
        return self


def _sign_in_url(value: str) -> str:
    """A URL Cognito redirects to with a sign-in code: https, or http://localhost (all Cognito allows) while
    developing."""
    try:
        url = urllib.parse.urlsplit(value)
        valid = bool(url.hostname) and url.scheme in ("https", "http") and not url.fragment and "*" not in value
    except ValueError:
        valid = False
    if not valid or (url.scheme == "http" and url.hostname != "localhost"):
        raise ValueError(
            f"got {value!r}; Cognito sends sign-in codes to it, so expected an https:// URL without "
            f"wildcards or #fragment, such as https://api.example.com/auth/callback (http only for "
            f"http://localhost while developing, with allow_http_localhost: true on the client)"
        )
    return value


SignInUrl = Annotated[str, AfterValidator(_sign_in_url)]
ClientKey = Annotated[str, _pattern(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
SECRET_VALUE_REFUSED = (
    "expected where it is kept instead: {secret: <Secrets Manager secret name>, json_key: <key in its JSON>}, e.g. "
    'after aws secretsmanager create-secret --name tap/google-oauth --secret-string \'{"client_secret": "..."}\'. '
    "Remove the value from the file and its git history"
)


def _secret_name(value: str) -> str:
    # Google client secrets start with GOCSPX-; the value is not repeated, as messages end up in CI logs.
    if value.startswith("GOCSPX-"):
        raise ValueError(f"got a Google client secret instead of a secret's name; {SECRET_VALUE_REFUSED}")
    if not re.fullmatch(r"[A-Za-z0-9/_+=.@-]{1,512}", value):
        raise ValueError(f"got {value!r}; expected the name of a Secrets Manager secret, such as tap/google-oauth")
    return value


SecretName = Annotated[str, AfterValidator(_secret_name)]


class AppClient(Model):
    """An app client of the user pool.

    spa: a browser app, no secret; with callback_urls it also signs in through the hosted UI
    (authorization code with PKCE). server: a server-side web app with a secret, authorization
    code grant through the hosted UI.
    """

    type: Literal["spa", "server"]
    allow_http_localhost: bool = False  # http://localhost callbacks, for a developer's machine
    callback_urls: list[SignInUrl] = Field(default_factory=list, validate_default=True)
    logout_urls: list[SignInUrl] = Field(default_factory=list)
    federated_only: bool = False  # sign in only through an identity provider (Google), not with a password

    @field_validator("callback_urls")
    @classmethod
    def _server_signs_in_through_callbacks(cls, urls: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("type") == "server" and not urls:
            raise ValueError(
                "a server client signs users in with the authorization code grant, which returns to a "
                "callback; expected callback_urls, such as [https://api.example.com/auth/callback]"
            )
        return urls

    @property
    def signs_in_through_hosted_ui(self) -> bool:
        return bool(self.callback_urls)


class SecretReference(Model):
    """A value kept in Secrets Manager; CloudFormation reads it at deploy time (a dynamic reference),
    so it appears neither in params nor in the template."""

    secret: SecretName
    json_key: (
        Annotated[str, _pattern(r"[A-Za-z0-9_.-]{1,128}", "a key of the secret's JSON, such as client_secret")] | None
    ) = None

    def dynamic_reference(self) -> str:
        key = f":{self.json_key}" if self.json_key else ""
        return f"{{{{resolve:secretsmanager:{self.secret}:SecretString{key}}}}}"


class GoogleSignIn(Model):
    """Google as a federated identity provider (OAuth client from the Google Cloud Console)."""

    client_id: Annotated[
        str,
        _pattern(
            r"[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com",
            "a Google OAuth client id such as 1234-abc.apps.googleusercontent.com",
        ),
    ]
    client_secret: SecretReference

    @field_validator("client_secret", mode="before")
    @classmethod
    def _never_the_secret_itself(cls, value: Any) -> Any:
        if isinstance(value, str):
            # The value is not repeated here: error messages end up in CI logs.
            raise ValueError(f"got the secret's value written into params, which live in git; {SECRET_VALUE_REFUSED}")
        return value


class AuthParameters(Model):
    """What the app reads at startup (seed 002 §2.8): SSM parameters under /<app>/<env>/<path>/, and
    a server client's secret in Secrets Manager beside them."""

    path: Annotated[str, _pattern(r"[a-z0-9_.-]+(/[a-z0-9_.-]+)*", "a path under /<app>/<env>/ such as cognito")]
    client: ClientKey


class Auth(Model):
    groups: dict[GroupName, NonEmpty] = Field(default_factory=dict)
    mfa: Literal["OFF", "OPTIONAL", "ON"]
    access_token_hours: int = Field(ge=1, le=24)
    id_token_hours: int = Field(ge=1, le=24)
    refresh_token_days: int = Field(ge=1, le=3650)
    # Which app clients the pool has; by default the SPA's (seed 000 §1.5).
    clients: dict[ClientKey, AppClient] = Field(default_factory=lambda: {"web": AppClient(type="spa")}, min_length=1)
    google: GoogleSignIn | None = None
    # The hosted UI's domain is <prefix>-<env>.auth.<region>.amazoncognito.com; Cognito refuses
    # prefixes holding aws, amazon or cognito.
    hosted_ui_prefix: (
        Annotated[
            str,
            _pattern(
                r"(?!.*(aws|amazon|cognito))[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?",
                "up to 52 lowercase letters, digits or '-' (not first or last), "
                "without aws, amazon or cognito, such as tap-auth",
            ),
        ]
        | None
    ) = None
    parameters: AuthParameters | None = None


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
            raise ValueError(
                f"got {days}, not longer than retention_days ({source}); expected more days, or a "
                f"message moved to the dead-letter queue could expire before anyone sees it"
            )
        return days


class Compute(Model):
    instance_type: Annotated[str, _pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t3.small")]
    image_parameter: Annotated[
        str, _pattern(r"/aws/service/[A-Za-z0-9_./-]+", "a public SSM parameter path under /aws/service/")
    ]
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
# Where a container that uses the database secret finds the host and port: an RDS-managed secret holds
# only the username and password.
DATABASE_ADDRESS_VARIABLES = {"DATABASE_HOST": "DatabaseEndpoint", "DATABASE_PORT": "DatabasePort"}
EnvironmentVariable = Annotated[str, _pattern(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")]


AUTH_PARAMETERS = ("user-pool-id", "client-id", "domain")  # the SSM parameters the auth stack publishes
KmsKeyArn = Annotated[
    str,
    _pattern(
        r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+",
        "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-...",
    ),
]


class ContainerSecret(Model):
    """A variable the container gets when a task starts, from one of: a Secrets Manager secret (name or
    full ARN), an SSM parameter (path or ARN), this environment's database secret (`database_secret:
    true`), the Cognito client secret or one of the parameters the auth stack publishes; `key` picks one
    JSON key of a secret instead of the whole JSON; `kms_key` is the customer managed key an outside
    secret or SecureString parameter is encrypted with (the stacks' own keys are known)."""

    secret: (
        Annotated[
            str,
            _pattern(
                r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
                r"-[A-Za-z0-9]{6}|[A-Za-z0-9/_+=.@-]{1,512}",
                "a secret's name, or its full ARN (ending in the six characters Secrets Manager appends)",
            ),
        ]
        | None
    ) = None
    parameter: (
        Annotated[
            str,
            _pattern(
                r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_./-]+"
                r"|[A-Za-z0-9_./-]{1,2048}",
                "an SSM parameter path such as /app/api-key, or its ARN",
            ),
        ]
        | None
    ) = None
    database_secret: Literal[True] | None = None
    auth_client_secret: Literal[True] | None = None  # the Cognito app client's secret the auth stack stores
    auth_parameter: Literal[AUTH_PARAMETERS] | None = None  # /<app>/<env>/<auth.parameters.path>/<name>
    key: Annotated[str, _pattern(r"[^:\s]{1,256}", "a JSON key of the secret, such as password")] | None = None
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
    image_tag: (
        Annotated[str, _pattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "an image tag such as 1.4.2 or a git commit")]
        | None
    )
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

    @field_validator("memory_mb")
    @classmethod
    def _fargate_pair(cls, memory: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        allowed = FARGATE_MEMORY.get(cpu)
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


class Edge(Model):
    domain: Annotated[str, _pattern(r"([a-z0-9-]+\.)+[a-z]{2,}", "a lowercase DNS name such as app.example.com")] | None
    hosted_zone_id: (
        Annotated[str, _pattern(r"Z[A-Z0-9]{5,31}", "a Route 53 hosted zone id such as Z0123456789ABC")] | None
    )
    api_subdomain: Annotated[str, _pattern(r"[a-z0-9-]{1,63}", "one DNS label such as api")] = "api"
    health_check_path: Annotated[str, _pattern(r"/[A-Za-z0-9_./-]*", "a path such as /health")] = "/health"
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    # The CLOUDFRONT-scope web ACL in edge-global (AWS managed rules and a per-IP rate limit).
    waf: bool = True
    waf_rate_limit_per_5_minutes: int = Field(default=2000, ge=100, le=2_000_000_000)
    # true: CloudFront sends /api/* to the load balancer; false: CloudFront serves only the site and the API
    # is <api_subdomain>.<domain> on the load balancer itself (seed 002 §2.6), which needs a domain.
    api_via_cloudfront: bool = True
    # One certificate for <domain> and *.<domain> (seed 002 §2.6), CloudFront's and the load balancer's.
    wildcard_certificate: bool = False
    # How a route of the SPA gets the app shell: a CloudFront Function rewriting paths without a file
    # extension; 403/404 error responses serving /index.html with 200 (only where CloudFront does not
    # carry the API, whose own 403/404 they would rewrite); or none, for a plain static site.
    spa_routing: Literal["function", "error_responses", "none"] = "function"
    # A storage bucket CloudFront serves instead of the edge's own frontend bucket (seed 004 §1.3).
    site_bucket: BucketKey | None = None

    @property
    def api_domain(self) -> str | None:
        return f"{self.api_subdomain}.{self.domain}" if self.domain else None

    @property
    def needs_edge_global(self) -> bool:
        """What only us-east-1 holds: the web ACL, and CloudFront's certificate for a domain."""
        return self.waf or self.domain is not None


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


def _github_name(kind: str, regex: str, allowed: str):
    """An exact GitHub name; a wildcard would let other repositories' workflows deploy here."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if any(char in value for char in "*?["):
            raise ValueError(
                f"got {value!r}: a wildcard would let workflows outside this {kind} assume the deploy "
                f"role; expected the exact {kind} name, such as {allowed}"
            )
        if not compiled.fullmatch(value):
            raise ValueError(f"got {value!r}; expected a GitHub {kind} name such as {allowed}")
        return value

    return AfterValidator(check)


def _git_branch(value: str) -> str:
    if any(char in value for char in "*?["):
        raise ValueError(
            f"got {value!r}: branches are matched exactly; expected branch names such as main, or "
            f"the pattern in subject_patterns (e.g. repo:<org>/<repo>:ref:refs/heads/release/*)"
        )
    if (
        not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", value)
        or ".." in value
        or value.endswith((".lock", "."))
    ):
        raise ValueError(f"got {value!r}; expected a git branch name such as main or release/1.x")
    return value


GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# Where each ci deploy shortcut deploys to: the stack whose resources it names.
CI_DEPLOY_STACKS = {"frontend": "edge", "containers": "containers"}


class Ci(Model):
    """GitHub Actions deploys through OIDC (seed 002 §2.7): a role only the named repository's
    workflows (on the named branches or GitHub environments) can assume."""

    org: Annotated[str, _github_name("organization", r"(?=.{1,39}$)[A-Za-z0-9](-?[A-Za-z0-9])*", "acme-corp")]
    repo: Annotated[str, _github_name("repository", r"(?!\.\.?$)[A-Za-z0-9._-]{1,100}", "talent-platform")]
    branches: list[Annotated[str, AfterValidator(_git_branch)]] = Field(default_factory=list)
    # A job that names a GitHub environment gets the subject repo:<org>/<repo>:environment:<name>, not the branch.
    environments: list[Annotated[str, _github_name("environment", r"[A-Za-z0-9._-]{1,255}", "production")]] = Field(
        default_factory=list
    )
    # Wildcards only where written explicitly, and only within the repository.
    subject_patterns: list[str] = Field(default_factory=list, validate_default=True)
    # An account has one OIDC provider per URL: one environment of the account creates it (in its own
    # file, not base.yaml), every other trusts the account's existing one.
    create_provider: bool = False
    deploys: list[Literal["frontend", "containers"]] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    statements: list[PolicyStatement] = Field(default_factory=list)

    @field_validator("subject_patterns")
    @classmethod
    def _patterns_within_the_repository(cls, patterns: list[str], info: ValidationInfo) -> list[str]:
        org, repo = info.data.get("org"), info.data.get("repo")
        if org is None or repo is None:
            return patterns
        prefix = f"repo:{org}/{repo}:"
        for pattern in patterns:
            if (
                not pattern.startswith(prefix)
                or len(pattern) == len(prefix)
                or not re.fullmatch(r"[A-Za-z0-9._/:*?-]+", pattern)
            ):
                raise ValueError(
                    f"got {pattern!r}; expected a GitHub OIDC subject of this repository, starting "
                    f"with {prefix!r}, such as {prefix}ref:refs/heads/release/*"
                )
        validated = "branches" in info.data and "environments" in info.data  # else their own errors say it
        if validated and not (patterns or info.data["branches"] or info.data["environments"]):
            raise ValueError(
                "no workflow could assume the role; expected branches (such as [main]), environments "
                "or subject_patterns"
            )
        return patterns

    @property
    def subjects(self) -> list[str]:
        """The exact OIDC subjects (`sub` claims) allowed to assume the role."""
        repository = f"repo:{self.org}/{self.repo}"
        return [f"{repository}:ref:refs/heads/{branch}" for branch in self.branches] + [
            f"{repository}:environment:{environment}" for environment in self.environments
        ]


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
    roles: dict[RoleKey, RoleConfig] | None = None
    ci: Ci | None = None

    @field_validator("stacks")
    @classmethod
    def _known_stacks_once(cls, stacks: list[str]) -> list[str]:
        unknown = [name for name in stacks if name not in STACK_NAMES]
        if unknown:
            raise ValueError(
                f"got unknown stack {', '.join(map(repr, unknown))}; expected some of: {', '.join(STACK_NAMES)}"
            )
        repeated = sorted({name for name in stacks if stacks.count(name) > 1})
        if repeated:
            raise ValueError(f"got {', '.join(map(repr, repeated))} more than once; expected each stack once")
        return stacks

    def stack_name(self, stack: str) -> str:
        return f"{self.app}-{self.environment}-{stack}"

    def export_name(self, name: str) -> str:
        return f"{self.app}-{self.environment}-{name}"


def app_behind_load_balancer(config: EnvironmentConfig) -> bool:
    """The environment runs an app, which the edge serves through its load balancer; without one the
    edge is CloudFront in front of the site's bucket only."""
    return any(stack in config.stacks for stack in APP_STACKS)


def site_bucket(config: EnvironmentConfig) -> str | None:
    """The storage bucket the environment's CloudFront serves (edge.site_bucket), if any."""
    return config.edge.site_bucket if "edge" in config.stacks else None


def sections_needed(config: EnvironmentConfig, stack: str) -> tuple[str, ...]:
    """The params sections `stack` reads in this environment."""
    if stack == "edge" and app_behind_load_balancer(config):
        return (*STACK_SECTIONS[stack], "monitoring")
    return STACK_SECTIONS[stack]


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
    for key, message in (
        ("environment", "the environment's name comes from its file name; remove this key"),
        ("project_dir", "the project is the folder holding params/; remove this key"),
    ):
        if key in params.data:
            raise ParamsError([ParamsProblem(params.locate((key,)), key, message)])
    try:
        config = EnvironmentConfig.model_validate(
            {**params.data, "environment": env, "project_dir": params_dir.resolve().parent}
        )
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
    checks = [
        _network_checks,
        _security_group_checks,
        _migration_checks,
        _edge_checks,
        _bucket_checks,
        _reference_checks,
        _auth_checks,
        _ci_checks,
        _app_checks,
        _containers_checks,
    ]
    return [problem for check in checks for problem in check(config, params)]


def _section_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    problems = []
    for stack in config.stacks:
        for section in sections_needed(config, stack):
            if getattr(config, section) is None:
                problems.append(
                    ParamsProblem(
                        params.locate(("stacks",)),
                        "stacks",
                        f"stack {stack} needs a {section} section, which these params do not have; expected one "
                        f"(params/base.yaml of the default system shows its keys), or {stack} left out of stacks",
                    )
                )
    return problems


def _network_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    network = config.network
    if network is None or network.nat != "none" or not network.has_private_subnets:
        return []  # without private subnets, _security_group_checks says which stacks need them
    problems = []
    if "compute" in config.stacks:
        key = ("network", "nat")
        problems.append(
            ParamsProblem(
                params.locate(key),
                dotted(key),
                "the app server in the private subnets installs Docker and pulls images through a NAT; "
                "expected single or per_az",
            )
        )
    if (
        "database" in config.stacks
        and config.database.engine == AURORA
        and config.database.secret_rotation_days is not None
        and not network.vpc_endpoints
    ):
        key = ("database", "secret_rotation_days")
        problems.append(
            ParamsProblem(
                params.locate(key),
                dotted(key),
                "secret rotation runs in the private subnets and must reach Secrets Manager; expected network.nat: "
                "single or per_az, or network.vpc_endpoints: true, or secret_rotation_days: null",
            )
        )
    return problems


# The security group each stack puts its resources in, by key in network.security_groups.
STACK_SECURITY_GROUPS = {"database": "database", "compute": "app", "containers": "app", "edge": "alb"}
# Stacks whose resources live in the private subnets.
PRIVATE_SUBNET_STACKS = ("database", "compute", "containers")


def _security_group_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    network = config.network
    if network is None:
        return []
    groups = network.security_groups
    problems = []
    for key, group in groups.items():
        for direction in ("ingress", "egress"):
            for index, rule in enumerate(getattr(group, direction)):
                if rule.group is not None and rule.group not in groups:
                    path = ("network", "security_groups", key, direction, index, "group")
                    problems.append(
                        ParamsProblem(
                            params.locate(path),
                            dotted(path),
                            f"no security group {rule.group!r}; expected one of: {', '.join(groups)}",
                        )
                    )
    cycle = _egress_cycle(groups)
    if cycle:
        path = ("network", "security_groups", cycle[0], "egress")
        problems.append(
            ParamsProblem(
                params.locate(path),
                dotted(path),
                (
                    f"egress rules form a cycle ({' -> '.join(cycle)}); egress to a group is part of the group itself, "
                    f"so CloudFormation could create neither first. Expected the return direction as ingress on the "
                    f"other group"
                ),
            )
        )
    for stack, key in STACK_SECURITY_GROUPS.items():
        if stack in config.stacks and key not in groups and (stack != "edge" or app_behind_load_balancer(config)):
            path = ("network", "security_groups")
            problems.append(
                ParamsProblem(
                    params.locate(path),
                    dotted(path),
                    f"stack {stack} puts its resources in security group {key!r}, which is "
                    f"not defined; expected network.security_groups.{key}",
                )
            )
    problems += _traffic_path_checks(config, params)
    if not network.has_private_subnets:
        for stack in PRIVATE_SUBNET_STACKS:
            if stack in config.stacks:
                path = ("network", "private_subnets")
                problems.append(
                    ParamsProblem(
                        params.locate(path),
                        dotted(path),
                        f"stack {stack} runs in the private subnets, and there are none; "
                        f"expected a private subnet per availability zone",
                    )
                )
    return problems


def _traffic_path_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """The paths the stacks need open, each checked at both ends: the load balancer to the app on its
    port, the app to the database on 5432, and the app out on 443 (images, logs, secrets, AWS APIs)."""
    groups = config.network.security_groups
    app = app_behind_load_balancer(config)
    paths = []  # (what, from group, to group or None for anywhere, port)
    if app and "edge" in config.stacks:
        paths.append(("the load balancer reaches the app", "alb", "app", app_port(config)))
    if app and "database" in config.stacks:
        paths.append(("the app reaches the database", "app", "database", DATABASE_PORT))
    if app:
        paths.append(("the app reaches AWS APIs and its registries", "app", None, HTTPS_PORT))
    problems = []
    for what, source, target, port in paths:
        if source not in groups or (target is not None and target not in groups):
            continue  # _security_group_checks names the missing group
        ends = [(source, "egress", target)] + ([(target, "ingress", source)] if target else [])
        for key, direction, peer in ends:
            if not any(_rule_allows(rule, peer, port) for rule in getattr(groups[key], direction)):
                path = ("network", "security_groups", key, direction)
                wanted = f"group: {peer}" if peer else "cidr: 0.0.0.0/0"
                problems.append(
                    ParamsProblem(
                        params.locate(path),
                        dotted(path),
                        (
                            f"{what} on port {port}, and no {direction} rule of group {key} "
                            f"{'admits it from' if direction == 'ingress' else 'sends it to'} "
                            f"{f'group {peer}' if peer else 'the internet'}; expected {{port: {port}, {wanted}, "
                            f"description: ...}}"
                        ),
                    )
                )
    return problems


def _rule_allows(rule: GroupRule, peer: str | None, port: int) -> bool:
    """Whether `rule` covers `port` to or from group `peer` (None: addresses outside the VPC)."""
    reaches = rule.group == peer if peer else rule.cidr not in (None, "vpc")
    return reaches and (rule.port == port or rule.protocol == "all")


def _egress_cycle(groups: dict[str, SecurityGroup]) -> list[str] | None:
    """A chain of groups each sending to the next by an egress rule, back to its start; or None."""
    targets = {key: [rule.group for rule in group.egress if rule.group in groups] for key, group in groups.items()}

    def visit(key: str, path: list[str]) -> list[str] | None:
        if key in path:
            return [*path[path.index(key) :], key]
        return next(filter(None, (visit(target, [*path, key]) for target in targets[key])), None)

    return next(filter(None, (visit(key, []) for key in groups)), None)


def _edge_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    edge = config.edge
    if edge is None:
        return []
    problems = []

    def refuse(key: tuple, message: str) -> None:
        problems.append(ParamsProblem(params.locate(key), dotted(key), message))

    if (edge.domain is None) != (edge.hosted_zone_id is None):
        refuse(
            ("edge", "domain" if edge.domain else "hosted_zone_id"),
            "expected domain and hosted_zone_id together (the zone validates the certificates and holds the "
            "records), or both null",
        )
    app = app_behind_load_balancer(config)
    if edge.domain is None and edge.wildcard_certificate:
        refuse(
            ("edge", "wildcard_certificate"),
            "a certificate needs a name; expected edge.domain and hosted_zone_id, or wildcard_certificate: false",
        )
    if edge.domain is None and app and not edge.api_via_cloudfront:
        refuse(
            ("edge", "api_via_cloudfront"),
            "an API served by its load balancer directly needs a name and a certificate; expected edge.domain "
            "and hosted_zone_id (the API is then <api_subdomain>.<domain>), or api_via_cloudfront: true",
        )
    if edge.spa_routing == "error_responses" and app and edge.api_via_cloudfront:
        refuse(
            ("edge", "spa_routing"),
            "the 403/404 error responses would also turn the API's own 403 and 404 answers under /api/* into "
            "index.html; expected spa_routing: function, or api_via_cloudfront: false",
        )
    return problems + _edge_stack_checks(config, params)


def _edge_stack_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """edge-global and storage are listed exactly when the edge needs them."""
    edge, stacks = config.edge, config.stacks
    problems = []

    def refuse(message: str) -> None:
        problems.append(ParamsProblem(params.locate(("stacks",)), "stacks", message))

    if "edge-global" in stacks and not edge.needs_edge_global:
        refuse(
            "stack edge-global would be empty: it holds only CloudFront's web ACL (edge.waf is false) and its "
            "certificate (edge.domain is null), which must live in us-east-1; expected edge-global left out of "
            "stacks, or edge.waf: true"
        )
    if "edge" not in stacks:
        return problems
    if edge.needs_edge_global and "edge-global" not in stacks:
        needed = " and ".join(
            part for part, wanted in (("the web ACL", edge.waf), ("CloudFront's certificate", edge.domain)) if wanted
        )
        refuse(
            f"stack edge takes {needed} from stack edge-global (us-east-1), which is not listed; expected "
            f"edge-global in stacks, or edge.waf: false and no edge.domain"
        )
    if "storage" not in stacks:
        refuse(
            "stack edge logs its buckets' requests (and its load balancer's) to the access-log bucket of stack "
            "storage, which is not listed; expected storage in stacks (storage: {buckets: {}, "
            "access_logs_expire_after_days: 90} holds that bucket alone)"
        )
    return problems


def _bucket_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    if config.storage is None:
        return []
    problems = []
    longest = max([*config.storage.buckets, *RESERVED_BUCKETS], key=len)
    length = len(bucket_name_prefix(config, longest)) + 1 + ACCOUNT_ID_LENGTH + 1 + len(config.region)
    if length > BUCKET_NAME_MAX:
        key = ("storage", "buckets", longest)
        problems.append(
            ParamsProblem(
                params.locate(key),
                dotted(key),
                f"bucket name {bucket_name_prefix(config, longest)}-<account id>-{config.region} would be "
                f"{length} characters; S3 allows {BUCKET_NAME_MAX}. Expected a shorter app name or bucket key",
            )
        )
    for reserved in RESERVED_BUCKETS:
        if reserved in config.storage.buckets:
            key = ("storage", "buckets", reserved)
            problems.append(
                ParamsProblem(
                    params.locate(key),
                    dotted(key),
                    f"'{reserved}' is a bucket every environment gets already ({', '.join(RESERVED_BUCKETS)}); "
                    f"expected another key for this bucket",
                )
            )
    return problems


def _reference_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Functions name buckets and tables, buckets name functions: each name must exist."""
    buckets = set(config.storage.buckets) if config.storage else set()
    tables = set(config.tables or {})
    functions = set(config.functions or {})
    problems = []

    def check(path: tuple, kind: str, name: str | None, known: set[str]) -> None:
        if name is not None and name not in known:
            problems.append(
                ParamsProblem(
                    params.locate(path),
                    dotted(path),
                    f"no {kind} {name!r}; expected one of: {', '.join(sorted(known)) or 'none'}",
                )
            )

    environments = [(("functions", key), function.environment) for key, function in (config.functions or {}).items()]
    if config.containers is not None:
        environments.append((("containers",), config.containers.environment))
    for holder, environment in environments:
        for variable, reference in environment.items():
            path = (*holder, "environment", variable)
            check((*path, "bucket"), "bucket", reference.bucket, buckets)
            check((*path, "table"), "table", reference.table, tables)
    for function_key, function in (config.functions or {}).items():
        if not (config.project_dir / function.source).is_dir():
            key = ("functions", function_key, "source")
            problems.append(
                ParamsProblem(
                    params.locate(key),
                    dotted(key),
                    f"{config.project_dir / function.source} is not a folder; expected the "
                    f"function's source folder, relative to the project",
                )
            )
    for holder, grants in _grant_holders(config):
        for index, grant in enumerate(grants):
            path = (*holder, "grants", index)
            check((*path, "bucket"), "bucket", grant.bucket, buckets)
            check((*path, "table"), "table", grant.table, tables)
    check(("edge", "site_bucket"), "bucket", site_bucket(config), buckets)
    for bucket_key, bucket in (config.storage.buckets if config.storage else {}).items():
        for index, notification in enumerate(bucket.notifications):
            path = ("storage", "buckets", bucket_key, "notifications", index, "function")
            check(path, "function", notification.function, functions)
    return problems


def _grant_holders(config: EnvironmentConfig) -> list[tuple[tuple, list[Grant]]]:
    """Every list of grants in the params, with the key path that holds it."""
    holders = [(("functions", key), function.grants) for key, function in (config.functions or {}).items()]
    holders += [(("roles", key), role.grants) for key, role in (config.roles or {}).items()]
    if config.ci is not None:
        holders.append((("ci",), config.ci.grants))
    if config.containers is not None:
        holders.append((("containers",), config.containers.grants))
    return holders


def _auth_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Sign-in through the hosted UI needs its domain; published values name an existing client."""
    auth = config.auth
    if auth is None or "auth" not in config.stacks:
        return []
    problems = []

    def refuse(path: tuple, message: str) -> None:
        problems.append(ParamsProblem(params.locate(path), dotted(path), message))

    for key, client in auth.clients.items():
        for field in ("callback_urls", "logout_urls"):
            for index, url in enumerate(getattr(client, field)):
                if url.startswith("http:") and not client.allow_http_localhost:
                    refuse(
                        ("auth", "clients", key, field, index),
                        f"got {url!r}; http is for a developer's machine only, expected https://, or "
                        f"allow_http_localhost: true on this client (never in a shared environment)",
                    )
        if client.signs_in_through_hosted_ui and auth.hosted_ui_prefix is None:
            refuse(
                ("auth", "clients", key, "callback_urls"),
                "signing in through callbacks needs the hosted UI; expected auth.hosted_ui_prefix (such as "
                "tap-auth), or no callback_urls",
            )
        if client.federated_only and auth.google is None:
            refuse(
                ("auth", "clients", key, "federated_only"),
                "no identity provider to sign in with; expected auth.google, or federated_only: false",
            )
    if auth.google is not None and auth.hosted_ui_prefix is None:
        refuse(
            ("auth", "google"),
            "Google returns users to the hosted UI (/oauth2/idpresponse); expected "
            "auth.hosted_ui_prefix, such as tap-auth",
        )
    if auth.parameters is not None and auth.parameters.client not in auth.clients:
        refuse(
            ("auth", "parameters", "client"),
            f"no client {auth.parameters.client!r}; expected one of: {', '.join(auth.clients)}",
        )
    return problems


def _ci_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Each deploy shortcut names resources of a stack this environment has; the role may do something."""
    ci = config.ci
    if ci is None or "ci" not in config.stacks:
        return []
    problems = []
    for index, deploy in enumerate(ci.deploys):
        stack = CI_DEPLOY_STACKS[deploy]
        if stack not in config.stacks:
            key = ("ci", "deploys", index)
            problems.append(
                ParamsProblem(
                    params.locate(key),
                    dotted(key),
                    f"{deploy} deploys to the {stack} stack, which this environment's stacks do not include; expected "
                    f"{stack} in stacks, or {deploy} left out of deploys",
                )
            )
    where = params.locate(("ci", "create_provider"))
    if ci.create_provider and where is not None and where.file.name == BASE_FILE:
        key = ("ci", "create_provider")
        problems.append(
            ParamsProblem(
                where,
                dotted(key),
                (
                    "every environment would create the account's one GitHub OIDC provider, and the second would fail; "
                    "expected create_provider: true in the file of the one environment that creates it"
                ),
            )
        )
    if "frontend" in ci.deploys and site_bucket(config):
        key = ("ci", "deploys", ci.deploys.index("frontend"))
        problems.append(
            ParamsProblem(
                params.locate(key),
                dotted(key),
                (
                    f"the site is the storage bucket {site_bucket(config)!r} (edge.site_bucket), which its own writers "
                    f"fill; expected a grant on that bucket instead of frontend"
                ),
            )
        )
    if (
        "containers" in ci.deploys
        and config.containers is not None
        and config.containers.repository.tag_mutability == "IMMUTABLE"
    ):
        key = ("ci", "deploys", ci.deploys.index("containers"))
        problems.append(
            ParamsProblem(
                params.locate(key),
                dotted(key),
                (
                    "the containers shortcut pushes an image and restarts the service on the same tag, which an IMMUTABLE "
                    "repository refuses; expected tag_mutability: MUTABLE, or releases deployed by changing image_tag"
                ),
            )
        )
    if not (ci.deploys or ci.grants or ci.statements):
        problems.append(
            ParamsProblem(
                params.locate(("ci",)),
                "ci",
                f"the deploy role would be allowed nothing; expected deploys (some of: {', '.join(CI_DEPLOY_STACKS)}), "
                f"grants or statements",
            )
        )
    return problems


def app_port(config: EnvironmentConfig) -> int | None:
    """The port the app listens on behind the load balancer: the app server's or the containers'."""
    if "containers" in config.stacks:
        return config.containers.port
    if "compute" in config.stacks:
        return config.compute.app_port
    return None


def _app_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What runs the app behind the load balancer: one of compute or containers."""
    if all(stack in config.stacks for stack in APP_STACKS):
        return [
            ParamsProblem(
                params.locate(("stacks",)),
                "stacks",
                (
                    "compute (an EC2 app server) and containers (ECS Fargate) both run the app behind the load balancer; "
                    "expected one of them in stacks"
                ),
            )
        ]
    return []


def _containers_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What the containers stack needs from the other stacks, and each variable given once."""
    if "containers" not in config.stacks:
        return []
    containers = config.containers
    problems = []

    def problem(key: tuple, message: str) -> None:
        problems.append(ParamsProblem(params.locate(key), dotted(key), message))

    if "edge" not in config.stacks:
        problem(
            ("stacks",),
            "containers registers its tasks with the load balancer of the edge stack; expected edge in stacks",
        )
    if "network" in config.stacks and config.network.nat == "none":
        problem(
            ("network", "nat"),
            "the app's tasks run in the private subnets and pull their image from ECR and "
            "send their logs through a NAT; expected single or per_az",
        )
    for variable in sorted(set(containers.environment) & set(containers.secrets)):
        problem(
            ("containers", "secrets", variable),
            f"{variable} is also in containers.environment; expected each variable in one of environment or secrets",
        )
    reserved = {DATABASE_SECRET_VARIABLE: "reads_database_secret"} if containers.reads_database_secret else {}
    if containers.reads_database_secret or any(secret.database_secret for secret in containers.secrets.values()):
        reserved.update(dict.fromkeys(DATABASE_ADDRESS_VARIABLES, "the database secret, which holds no host"))
    for variable, reason in reserved.items():
        for section in ("environment", "secrets"):
            if variable in getattr(containers, section):
                problem(
                    ("containers", section, variable),
                    f"the container gets {variable} from {reason}; expected another name here",
                )
    if "database" not in config.stacks:
        for variable, secret in containers.secrets.items():
            if secret.database_secret:
                problem(
                    ("containers", "secrets", variable, "database_secret"),
                    "this environment has no database stack, whose secret this names; expected database in "
                    "stacks, or another secret",
                )
        if containers.reads_database_secret:
            problem(
                ("containers", "reads_database_secret"),
                "this environment has no database stack, whose secret this reads; expected database in "
                "stacks, or false",
            )
    auth = config.auth if "auth" in config.stacks else None
    for variable, secret in containers.secrets.items():
        for source in ("auth_client_secret", "auth_parameter"):
            if getattr(secret, source) and (auth is None or auth.parameters is None):
                problem(
                    ("containers", "secrets", variable, source),
                    "the auth stack publishes no such value: that takes auth in stacks with auth.parameters "
                    "(and a server client for the secret); expected those, or another source",
                )
    return problems


def _migration_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    if "database" not in config.stacks or config.database.migrations is None:
        return []
    folder = config.database.migrations
    key = ("database", "migrations")
    path = config.project_dir / folder
    if not path.is_dir() or not any(path.glob("*.sql")):
        return [
            ParamsProblem(
                params.locate(key),
                dotted(key),
                f"{path} holds no .sql files; expected the folder of migrations, or null for none",
            )
        ]
    if config.network.nat == "none" and not config.network.vpc_endpoints:
        return [
            ParamsProblem(
                params.locate(key),
                dotted(key),
                "the schema migrator runs in the private subnets and must reach Secrets Manager and "
                "CloudFormation's response URL (S3); expected network.nat: single or per_az, or "
                "network.vpc_endpoints: true, or migrations: null",
            )
        ]
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
    if isinstance(detail.get("input"), bool) and "'" in expected:
        # YAML 1.1 reads ON/OFF, yes/no and true/false unquoted as booleans.
        expected += "; quote the word (for example 'ON') so YAML keeps it as text"
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
