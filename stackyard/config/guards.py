"""params `guards`: the protections CloudFormation itself enforces, whoever deploys (docs/deploy.md, "Guards").

Stack policies on the stacks that hold data, rollback triggers from the environment's own critical
alarms, a drift check before stateful stacks are updated, the CloudFormation service role deploys
pass, and whether `--no-rollback` may keep a failed update for inspection.

The checks: a production-grade environment never allows `--no-rollback`; the ci stack's CloudFormation
role is the one `role_arn` names (the deploy role it narrows could deploy nothing otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from stackyard.config.fields import Model, matching
from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.iam import ROLE_ARN
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

# CloudFormation watches rollback triggers for at most 180 minutes after an operation's resources are done.
MAX_MONITORING_MINUTES = 180
RoleArn = Annotated[
    str,
    matching(ROLE_ARN.pattern, "an IAM role's ARN such as arn:aws:iam::123456789012:role/app-prod-cloudformation"),
]


class Guards(Model):
    """How deploy protects the environment's stacks beyond its own checks."""

    # protect: stacks holding stateful resources get a stack policy denying their replacement and removal;
    # allow: they get a policy allowing every update (lifting one set before); off: stack policies are
    # neither read nor set (an emulator without the API, or a team that manages them elsewhere).
    stack_policy: Literal["protect", "allow", "off"] = "protect"
    # The stack's own critical alarms (those that page) roll its update back when they fire.
    rollback_triggers: bool = True
    # How long after an update's resources are done CloudFormation keeps watching those alarms.
    rollback_monitoring_minutes: int = Field(default=0, ge=0, le=MAX_MONITORING_MINUTES)
    # Before updating a stack that holds stateful resources: detect drift, and stop when they drifted.
    drift_check: bool = True
    # The CloudFormation service role every create, update, delete and rollback runs as (--role-arn overrides).
    role_arn: RoleArn | None = None
    # Whether `--no-rollback` may keep a failed update as it failed; never in a production-grade environment.
    allow_no_rollback: bool = False


def validate_guards(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """No --no-rollback where production is promised; the ci stack's CloudFormation role is the one deploys pass."""
    found = []
    if config.production_grade and config.guards.allow_no_rollback:
        found.append(
            problem_at(
                params,
                ("guards", "allow_no_rollback"),
                "got true in an environment with production_grade: true, where a failed update must roll back "
                "at once; expected false (keep failed updates for inspection in development environments only)",
            )
        )
    ci = config.ci
    if ci is not None and "ci" in config.stacks and ci.infrastructure.cloudformation_role:
        if ci.infrastructure.deploy_environment is None:
            found.append(
                problem_at(
                    params,
                    ("ci", "infrastructure", "cloudformation_role"),
                    "got true without ci.infrastructure.deploy_environment, whose deploy role passes the CloudFormation "
                    "role; expected a deploy_environment (the GitHub environment approved deploys run in)",
                )
            )
        expected = cloudformation_role_name(config)
        named = ROLE_ARN.fullmatch(config.guards.role_arn or "")
        if named is None or named.group(1) != expected:
            found.append(
                problem_at(
                    params,
                    ("guards", "role_arn"),
                    f"got {config.guards.role_arn!r} while ci.infrastructure.cloudformation_role narrows the deploy "
                    f"role to passing the role {expected}, so deploys without it could change nothing; expected "
                    f"arn:aws:iam::<account>:role/{expected}",
                )
            )
    return found


def cloudformation_role_name(config: EnvironmentConfig) -> str:
    """The CloudFormation service role the ci stack creates (ci.infrastructure.cloudformation_role)."""
    return f"{config.app}-{config.environment}-cloudformation"
