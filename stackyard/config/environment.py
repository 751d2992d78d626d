"""The root model: everything one environment's templates are built from, and the checks that span sections.

Each section is checked on its own as it is validated; once all are valid, CHECKS run in order,
each reading the whole environment and returning the problems it finds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field, field_validator

from stackyard.config import stacks as stacks_module
from stackyard.config.access import validate_literal_secrets, validate_references
from stackyard.config.auth import Auth, validate_auth
from stackyard.config.ci import Ci, validate_ci
from stackyard.config.compute import Compute
from stackyard.config.containers import Containers, validate_containers
from stackyard.config.database import Database, validate_availability, validate_migrations
from stackyard.config.edge import Edge, validate_domain_references, validate_edge
from stackyard.config.fields import AppName, Model, Region, TableKey, TagValue
from stackyard.config.functions import Function, FunctionKey, validate_failure_alarms, validate_sources
from stackyard.config.guards import Guards, validate_guards
from stackyard.config.messaging import Messaging
from stackyard.config.monitoring import Monitoring
from stackyard.config.network import Network, validate_network, validate_security_groups
from stackyard.config.problems import problem_at
from stackyard.config.roles import RoleConfig, RoleKey
from stackyard.config.stacks import validate_app_stacks, validate_sections
from stackyard.config.storage import Storage, validate_buckets
from stackyard.config.tables import Table
from stackyard.config.verify import Verify, validate_verify
from stackyard.errors import ParamsProblem
from stackyard.params import BASE_FILE, SourcedParams, environment_names

# The root fields loading fills in, which no params file may set, and what to do when one does.
DERIVED_FIELDS = {
    "environment": "the environment's name comes from its file name; remove this key",
    "project_dir": "the project is the folder holding params/; remove this key",
    "migrations_sha256": "the digest of database.migrations is computed from its .sql files; remove this key",
}


class Tags(Model):
    """Tag values, checked against AWS's tag rules here so cfn-lint need not find them in build/."""

    cost_center: TagValue
    owner: TagValue


class EnvironmentConfig(Model):
    """Everything one environment's templates are built from."""

    app: AppName
    environment: str  # from the params file's name
    # The environment deploy.py works on when neither --env nor STACKYARD_ENV names one (seed 003: production);
    # written in base.yaml only. None: dev.
    default_environment: str | None = None
    project_dir: Path  # the folder holding params/, which relative paths in params start from
    # sha256 over the names and contents of database.migrations' .sql files, which load.py reads so the
    # templates read no files; None without a database stack or migrations.
    migrations_sha256: str | None = None
    region: Region
    stacks: list[str] = Field(min_length=1)
    retain_data: bool
    termination_protection: bool
    # The environment promises production availability: it survives losing an Availability Zone, so its
    # database has a reader (Aurora) or a standby (RDS) in a second zone (rule E9001).
    production_grade: bool = False
    tags: Tags
    # Protections CloudFormation enforces whoever deploys: stack policies, rollback triggers, the drift check,
    # the service role, --no-rollback (docs/deploy.md, "Guards").
    guards: Guards = Field(default_factory=Guards)
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
    verify: Verify | None = None  # what deploy.py verify checks; None: what the stacks imply (verify.py)

    @field_validator("stacks")
    @classmethod
    def _known_stacks_once(cls, stacks: list[str]) -> list[str]:
        known = stacks_module.STACK_NAMES  # read when called: tests replace the stacks with fakes
        unknown = [name for name in stacks if name not in known]
        if unknown:
            raise ValueError(f"got unknown stack {', '.join(map(repr, unknown))}; expected some of: {', '.join(known)}")
        repeated = sorted({name for name in stacks if stacks.count(name) > 1})
        if repeated:
            raise ValueError(f"got {', '.join(map(repr, repeated))} more than once; expected each stack once")
        return stacks

    def stack_name(self, stack: str) -> str:
        return f"{self.app}-{self.environment}-{stack}"

    def export_name(self, name: str) -> str:
        return f"{self.app}-{self.environment}-{name}"


Check = Callable[[EnvironmentConfig, SourcedParams], list[ParamsProblem]]


def validate_default_environment(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """default_environment is the system's, so base.yaml says it, and it names an environment of the folder."""
    if config.default_environment is None:
        return []
    path = ("default_environment",)
    location = params.locate(path)
    if location is None:
        return []
    if location.file.name != BASE_FILE:
        return [problem_at(params, path, f"the default environment is the system's; expected it in {BASE_FILE}")]
    known = environment_names(location.file.parent)
    if config.default_environment not in known:
        return [
            problem_at(
                params,
                path,
                f"got {config.default_environment!r}, which is no environment here; expected one of: {', '.join(known)}",
            )
        ]
    return []


# The rules that span sections, in the order their problems are reported; each relies on the
# sections the listed stacks read being there (validate_sections, run first).
CHECKS: tuple[Check, ...] = (
    validate_network,
    validate_security_groups,
    validate_migrations,
    validate_availability,
    validate_edge,
    validate_domain_references,
    validate_buckets,
    validate_references,
    validate_literal_secrets,
    validate_sources,
    validate_failure_alarms,
    validate_auth,
    validate_ci,
    validate_app_stacks,
    validate_containers,
    validate_guards,
    validate_default_environment,
    validate_verify,
)


def cross_checks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Rules that span sections, checked once every section is valid on its own."""
    missing = validate_sections(config, params)
    if missing:
        return missing  # the other checks read the sections
    return [problem for check in CHECKS for problem in check(config, params)]
