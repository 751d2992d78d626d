"""What functions, roles, containers and CI may reach: grants on this environment's buckets and tables,
statements for anything else, and references to bucket and table names in environment variables.

The check: every bucket, table and function a section names exists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from stackyard.config.fields import BucketKey, Model, NonEmpty, TableKey, matching
from stackyard.config.problems import problem_at, shown
from stackyard.config.stacks import site_bucket
from stackyard.errors import ParamsProblem
from stackyard.iam import service_wide_wildcards, too_broad_on_everything
from stackyard.params import KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

IamAction = Annotated[str, matching(r"[a-z0-9-]+:[A-Za-z0-9*]+", "an IAM action such as bedrock:InvokeModel")]
IamResource = Annotated[
    str,
    matching(
        r"\*|arn:[^\s]+",
        "'*' or an ARN, which may use ${AWS::Partition}, "
        "${AWS::Region}, ${AWS::AccountId}, and ${App} and ${Env} for this "
        "environment's names",
    ),
]


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
        f"got {shown(value)}; expected text (quoted, since YAML reads true, 1 and the like as other "
        f"types), or {{bucket: key}} or {{table: key}}"
    )


# A plain value, or a reference: `KEY: text` is `KEY: {value: text}`.
TextOrReference = Annotated[Reference, BeforeValidator(_text_or_reference)]


def _wildcards_explained(actions: list[str] | None, reason: str | None) -> None:
    """Every action of a service, even on named resources, takes a written reason (E9011 reads it back)."""
    wide = service_wide_wildcards(actions or [])
    if wide and reason is None:
        raise ValueError(
            f"{', '.join(wide)} allows every action of the service, configuration and deletion included; "
            f"expected the actions the role calls, or a reason: saying why it needs them all"
        )


class PolicyStatement(Model):
    """An Allow statement for what grants cannot say: services outside this environment's stacks."""

    actions: list[IamAction] = Field(min_length=1)
    resources: list[IamResource] = Field(min_length=1)
    reason: NonEmpty | None = None  # why a service-wide wildcard ('s3:*') is needed; written into the template

    @model_validator(mode="after")
    def _reason_for_wildcards(self) -> PolicyStatement:
        _wildcards_explained(self.actions, self.reason)
        return self

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
    reason: NonEmpty | None = None  # why a service-wide wildcard ('s3:*') is needed; written into the template

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
        _wildcards_explained(self.actions, self.reason)
        return self


def validate_references(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Functions and containers name buckets and tables, the edge a bucket, buckets name functions, roles
    the roles they pass: each name must exist."""
    known = {
        "bucket": set(config.storage.buckets) if config.storage else set(),
        "table": set(config.tables or {}),
        "function": set(config.functions or {}),
        "role": set(config.roles or {}),
    }
    return [
        problem_at(params, path, f"no {kind} {name!r}; expected one of: {', '.join(sorted(known[kind])) or 'none'}")
        for path, kind, name in _names(config)
        if name is not None and name not in known[kind]
    ]


# A literal value in an environment is written into the template, the task definition or function
# configuration, and git: names and values that look like secrets must come from a secret instead.
SECRET_NAME_WORDS = ("PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "ACCESS_KEY")
SECRET_VALUE_PATTERNS = (
    (re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), "an AWS access key id"),
    # 40 characters of base64 with upper- and lower-case letters and a digit: a git commit (hex) is not one.
    (
        re.compile(
            r"(?<![A-Za-z0-9/+])(?=[^\s]*[A-Z])(?=[^\s]*[a-z])(?=[^\s]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
        ),
        "an AWS secret access key",
    ),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
)
SECRET_FIX = {
    "containers": "reference a Secrets Manager secret or SSM parameter (containers.secrets), such as "
    "{variable}: {{secret: <name>, key: <JSON key>}}",
    "functions": "keep it in Secrets Manager or SSM Parameter Store and give the function its name, which it "
    "reads at run time",
}


def validate_literal_secrets(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """No environment variable holds a literal that looks like a secret; the value is never repeated, as
    messages end up in CI logs."""
    found = []
    for holder, environment in _environment_holders(config):
        for variable, reference in environment.items():
            why = _looks_secret(variable, reference.value) if reference.value else None
            if why:
                fix = SECRET_FIX[str(holder[0])].format(variable=variable)
                found.append(
                    problem_at(
                        params,
                        (*holder, "environment", variable),
                        f"{why}; a literal value is written into the templates and stays in git history. Fix: "
                        f"{fix}, and remove the value from the file and its git history",
                    )
                )
    return found


def _looks_secret(variable: str, value: str) -> str | None:
    for pattern, kind in SECRET_VALUE_PATTERNS:
        if pattern.search(value):
            return f"the value looks like {kind}"
    if value.startswith("arn:"):
        return None  # where a secret is, such as a secret's ARN the app reads at run time, is no secret
    for word in SECRET_NAME_WORDS:
        if word in variable:
            return f"the variable is named like a secret ({word}; if its value is not one, rename the variable)"
    return None


def _names(config: EnvironmentConfig) -> list[tuple[KeyPath, str, str | None]]:
    """(key path, kind, name) of each bucket, table and function the params name; None where a key is unset."""
    targets: list[tuple[KeyPath, Reference | Grant]] = [
        ((*holder, "environment", variable), reference)
        for holder, environment in _environment_holders(config)
        for variable, reference in environment.items()
    ]
    targets += [
        ((*holder, "grants", index), grant)
        for holder, grants in _grant_holders(config)
        for index, grant in enumerate(grants)
    ]
    named: list[tuple[KeyPath, str, str | None]] = []
    for path, target in targets:
        named += [((*path, "bucket"), "bucket", target.bucket), ((*path, "table"), "table", target.table)]
    named.append((("edge", "site_bucket"), "bucket", site_bucket(config)))
    named += [
        (("roles", key, "pass_roles", index), "role", passed)
        for key, role in (config.roles or {}).items()
        for index, passed in enumerate(role.pass_roles)
    ]
    for key, bucket in (config.storage.buckets if config.storage else {}).items():
        named += [
            (("storage", "buckets", key, "notifications", index, "function"), "function", notification.function)
            for index, notification in enumerate(bucket.notifications)
        ]
    return named


def _environment_holders(config: EnvironmentConfig) -> list[tuple[KeyPath, dict[str, Reference]]]:
    """Every environment of variables in the params, with the key path that holds it."""
    holders: list[tuple[KeyPath, dict[str, Reference]]] = [
        (("functions", key), function.environment) for key, function in (config.functions or {}).items()
    ]
    if config.containers is not None:
        holders.append((("containers",), config.containers.environment))
    return holders


def _grant_holders(config: EnvironmentConfig) -> list[tuple[KeyPath, list[Grant]]]:
    """Every list of grants in the params, with the key path that holds it."""
    holders: list[tuple[KeyPath, list[Grant]]] = [
        (("functions", key), function.grants) for key, function in (config.functions or {}).items()
    ]
    holders += [(("roles", key), role.grants) for key, role in (config.roles or {}).items()]
    if config.ci is not None:
        holders.append((("ci",), config.ci.grants))
    if config.containers is not None:
        holders.append((("containers",), config.containers.grants))
    return holders
