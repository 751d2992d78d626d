"""Roles stack (seed 003 task 4): roles that services assume, each with exactly the access its
params list: grants on this environment's buckets and tables, statements for everything else,
and AWS managed policies by name.
"""

from __future__ import annotations

import awacs.iam
from awacs.aws import Allow, Condition, Statement, StringEquals
from troposphere import GetAtt, Ref, Sub
from troposphere.iam import Policy, Role

from stackyard.config import EnvironmentConfig, RoleConfig
from templates import names
from templates.names import pascal
from templates.parts.common import StackTemplates, export, new_template, tag_resources
from templates.parts.grants import WildcardReasons, custom_statements, grant_statements
from templates.parts.policies import document, service_role_trust

NAME = names.ROLES


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"roles ({', '.join(config.roles)})")
    for key, settings in config.roles.items():
        role = template.add_resource(_role(config, key, settings))
        export(template, config, f"{pascal(key)}RoleArn", GetAtt(role, "Arn"), f"Role: {settings.purpose}")
        export(template, config, f"{pascal(key)}RoleName", Ref(role), f"Role: {settings.purpose}")
    return StackTemplates(NAME, tag_resources(template, config))


def _role(config: EnvironmentConfig, key: str, settings: RoleConfig) -> Role:
    role = Role(
        f"{pascal(key)}Role",
        Description=f"{names.prefix(config)} {key}: {settings.purpose}"[:1000],
        AssumeRolePolicyDocument=service_role_trust(settings.trusted_service),
    )
    reasons = WildcardReasons()
    statements = grant_statements(config, settings.grants, reasons) + custom_statements(
        config, settings.statements, reasons
    )
    if settings.pass_roles:
        statements.append(_pass_roles(config, settings.pass_roles))
    if statements:
        role.Policies = [Policy(PolicyName=key, PolicyDocument=document(*statements))]
    if reasons.by_sid:
        role.Metadata = reasons.metadata()
    if settings.managed_policies:
        role.ManagedPolicyArns = [
            Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}") for name in settings.managed_policies
        ]
    return role


def _pass_roles(config: EnvironmentConfig, keys: list[str]) -> Statement:
    """Hand exactly these roles of the section to the services that assume them (ecs:RunTask's task role)."""
    return Statement(
        Sid="PassRoles",
        Effect=Allow,
        Action=[awacs.iam.PassRole],
        Resource=[GetAtt(f"{pascal(key)}Role", "Arn") for key in keys],
        Condition=Condition(
            StringEquals({"iam:PassedToService": sorted({config.roles[key].trusted_service for key in keys})})
        ),
    )
