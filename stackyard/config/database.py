"""params `database`: Aurora PostgreSQL Serverless v2 or one RDS for PostgreSQL instance, and its migrations.

Each engine reads its own keys and refuses the other's. The check: the migrations folder holds
migrations, and the migrator in the private subnets can reach what it calls.

Statement logging never writes a password (docs/security.md#database): the master password rotates
through `ALTER USER ... WITH PASSWORD '<literal>'`, so DDL is audited by pgaudit (`audit_log`), whose
`ddl` class leaves role statements out, and PostgreSQL's own `log_statement` stays `none`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackyard.config.fields import LogRetentionDays, Model, matching
from stackyard.config.problems import problem_at, shown
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

AURORA: Final = "aurora-postgresql"  # Aurora PostgreSQL Serverless v2 (seed 000 §1.3)
POSTGRES: Final = "postgres"  # one RDS for PostgreSQL DB instance (seed 002 §2.4)
SERVERLESS_KEYS = ("min_acu", "max_acu", "reader_instances")  # read by engine aurora-postgresql only
# RDS rotates the master password it manages every 7 days; CloudFormation has no property to change that.
MANAGED_ROTATION_DAYS = 7
DATABASE_PORT = 5432  # PostgreSQL, which both database engines run on
# pgaudit's session classes this project lets params log. Not `role` (CREATE/ALTER ROLE, whose text holds
# the password: pgaudit 1.7 redacts it, but the guarantee does not rest on that) nor `all`, which includes it.
AuditClass = Literal["ddl", "read", "write", "function", "misc"]
REFUSED_AUDIT_CLASSES = {
    "role": "role statements carry the rotated password (ALTER USER ... WITH PASSWORD)",
    "all": "`all` includes the role class, whose statements carry the rotated password",
}
MIGRATIONS_PATTERN = "*.sql"  # the files of database.migrations the migrator applies

DatabaseName = Annotated[
    str, matching(r"[a-z_][a-z0-9_]{0,62}", "a PostgreSQL identifier: lowercase letters, digits, '_'")
]
EngineVersion = Annotated[str, matching(r"\d+(\.\d+)?", "a major or major.minor version such as 15 or 15.10")]


class DatabaseInstance(Model):
    """The size and storage of an RDS DB instance (database.engine: postgres)."""

    instance_class: Annotated[str, matching(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as db.t4g.micro")]
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
    # pgaudit session classes written to the PostgreSQL log (ddl, read, write, function, misc); [] for none.
    audit_log: list[AuditClass]
    log_min_duration_ms: int = Field(ge=-1)
    # A folder of .sql files, relative to the project (the folder holding params/), that the schema
    # migrator applies during deploy; null: no migrator.
    migrations: (
        Annotated[str, matching(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", "a folder relative to the project, such as sql")]
        | None
    )

    @model_validator(mode="before")
    @classmethod
    def _no_log_statement(cls, data: object) -> object:
        if isinstance(data, dict) and "log_statement" in data:
            raise ValueError(
                "log_statement is no longer a key: with ddl, mod or all PostgreSQL logs the rotation's "
                "ALTER USER ... WITH PASSWORD, password included. Fix: remove database.log_statement (the "
                "database keeps PostgreSQL's none) and list what to audit in database.audit_log, e.g. [ddl] "
                "(pgaudit, which leaves role statements out)"
            )
        return data

    @field_validator("audit_log", mode="before")
    @classmethod
    def _no_role_statements(cls, classes: object) -> object:
        if isinstance(classes, list):
            for name in classes:
                if name in REFUSED_AUDIT_CLASSES:
                    raise ValueError(
                        f"got {name!r}: {REFUSED_AUDIT_CLASSES[name]}; expected some of ddl, read, write, "
                        f"function, misc"
                    )
            repeated = sorted({name for name in classes if isinstance(name, str) and classes.count(name) > 1})
            if repeated:
                raise ValueError(f"got {', '.join(map(repr, repeated))} more than once; expected each class once")
        return classes

    @field_validator("log_min_duration_ms")
    @classmethod
    def _not_every_statement_when_the_password_rotates(cls, milliseconds: int, info: ValidationInfo) -> int:
        rotates = info.data.get("engine") == POSTGRES or info.data.get("secret_rotation_days") is not None
        if milliseconds == 0 and rotates:
            raise ValueError(
                "got 0, which logs every statement's text, the rotation's ALTER USER ... WITH PASSWORD "
                "included, and the master password rotates through SQL; expected -1 (off) or a threshold "
                "in milliseconds such as 100 (use audit_log: [ddl, read, write] to see statements)"
            )
        return milliseconds

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
                f"got {shown(days)}; with engine {POSTGRES} RDS manages the master password in Secrets Manager and "
                f"rotates it itself every {MANAGED_ROTATION_DAYS} days, a schedule CloudFormation cannot change; "
                f"expected {MANAGED_ROTATION_DAYS}"
            )
        return days

    @property
    def engine_major(self) -> str:
        return self.engine_version.split(".")[0]


def validate_migrations(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """The migrations folder holds .sql files, and the migrator can reach Secrets Manager and S3."""
    database, network = config.database, config.network
    if "database" not in config.stacks or database is None or database.migrations is None or network is None:
        return []
    key = ("database", "migrations")
    path = config.project_dir / database.migrations
    if not path.is_dir() or not any(path.glob(MIGRATIONS_PATTERN)):
        return [
            problem_at(params, key, f"{path} holds no .sql files; expected the folder of migrations, or null for none")
        ]
    if network.nat == "none" and not network.vpc_endpoints:
        return [
            problem_at(
                params,
                key,
                "the schema migrator runs in the private subnets and must reach Secrets Manager and "
                "CloudFormation's response URL (S3); expected network.nat: single or per_az, or "
                "network.vpc_endpoints: true, or migrations: null",
            )
        ]
    return []


def validate_availability(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """A production-grade environment's database survives losing an Availability Zone (seed 001
    Property 5, Requirements 10.3): Aurora has a reader beside the writer, an RDS instance a Multi-AZ standby."""
    database = config.database
    if not config.production_grade or "database" not in config.stacks or database is None:
        return []
    if database.engine == AURORA and not database.reader_instances:
        return [
            problem_at(
                params,
                ("database", "reader_instances"),
                "got 0 in an environment with production_grade: true, so the database would go down with "
                "its writer's Availability Zone; expected 1 or more (the reader runs in a second zone), or "
                "production_grade: false",
            )
        ]
    if database.engine == POSTGRES and database.instance is not None and not database.instance.multi_az:
        return [
            problem_at(
                params,
                ("database", "instance", "multi_az"),
                "got false in an environment with production_grade: true, so the database would go down with "
                "its Availability Zone; expected true (a standby in a second zone), or production_grade: false",
            )
        ]
    return []
