"""params `roles`: IAM roles by key, for services that assume them, with exactly the access listed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from stackyard.config.access import Grant, PolicyStatement
from stackyard.config.fields import Model, NonEmpty, matching

RoleKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
ServicePrincipal = Annotated[
    str,
    matching(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com", "a service principal such as ecs-tasks.amazonaws.com"),
]
ManagedPolicyName = Annotated[
    str,
    matching(
        r"[A-Za-z0-9+=,.@_-]+(/[A-Za-z0-9+=,.@_-]+)*",
        "an AWS managed policy name such as service-role/AWSLambdaBasicExecutionRole",
    ),
]


class RoleConfig(Model):
    """A role a service assumes (ECS tasks, Lambda, Amplify ...), with exactly the access listed."""

    purpose: NonEmpty
    trusted_service: ServicePrincipal
    managed_policies: list[ManagedPolicyName] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    statements: list[PolicyStatement] = Field(default_factory=list)
    # Roles of this section it may hand to their service (iam:PassRole, e.g. ecs:RunTask's task roles).
    pass_roles: list[RoleKey] = Field(default_factory=list)

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
        if not (self.managed_policies or self.grants or self.statements or self.pass_roles):
            raise ValueError("expected grants, statements or managed_policies; a role with none can do nothing")
        return self
