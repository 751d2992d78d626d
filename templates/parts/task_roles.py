"""The two roles of the containers stack's tasks (templates/containers.py): ECS's execution role (pull the
image, write the logs, read exactly the secrets params name) and the app's task role (params `grants:`
and `statements:`, and the database secret when the app reads it itself).
"""

from __future__ import annotations

from collections.abc import Iterable

import awacs.ecr
import awacs.kms
import awacs.logs
import awacs.secretsmanager
import awacs.ssm
from awacs.aws import Allow, Statement
from troposphere import GetAtt, Template
from troposphere.ecr import Repository
from troposphere.iam import Policy, Role
from troposphere.logs import LogGroup

from stackyard.config import ContainerSecret, EnvironmentConfig
from templates import names
from templates.names import pascal
from templates.parts.common import import_value
from templates.parts.container_secrets import SECRET_SUFFIX, STACK_SECRET_KEYS, STACK_SECRETS, parameter_arn, secret_arn
from templates.parts.grants import WildcardReasons, custom_statements, grant_statements
from templates.parts.policies import document, service_role_trust, via_service

TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"


def execution_role(template: Template, config: EnvironmentConfig, repository: Repository, log_group: LogGroup) -> Role:
    """ECS's role for starting a task: pull the image, write its logs, read exactly the secrets params name."""
    secrets = config.containers.secrets.values()
    statements = [
        Statement(
            Sid="PullImage",
            Effect=Allow,
            Action=[
                awacs.ecr.BatchCheckLayerAvailability,
                awacs.ecr.GetDownloadUrlForLayer,
                awacs.ecr.BatchGetImage,
            ],
            Resource=[GetAtt(repository, "Arn")],
        ),
        # ECR's login token is not scoped to a repository; pulls are, above.
        Statement(Sid="RegistryLogin", Effect=Allow, Action=[awacs.ecr.GetAuthorizationToken], Resource=["*"]),
        Statement(
            Sid="WriteLogs",
            Effect=Allow,
            Action=[awacs.logs.CreateLogStream, awacs.logs.PutLogEvents],
            Resource=[GetAtt(log_group, "Arn")],
        ),
    ]
    named = sorted({secret.secret for secret in secrets if secret.secret is not None})
    readable = [name if name.startswith("arn:") else secret_arn(name, SECRET_SUFFIX) for name in named]
    readable += [
        import_value(config, export_name)
        for source, export_name in STACK_SECRETS.items()
        if any(getattr(secret, source) for secret in secrets)
    ]
    if readable:
        statements.append(
            Statement(Sid="ReadSecrets", Effect=Allow, Action=[awacs.secretsmanager.GetSecretValue], Resource=readable)
        )
    parameters = sorted(
        {secret.parameter for secret in secrets if secret.parameter is not None}
        | {
            names.auth_parameter_name(config, secret.auth_parameter)
            for secret in secrets
            if secret.auth_parameter is not None
        }
    )
    if parameters:
        statements.append(
            Statement(
                Sid="ReadParameters",
                Effect=Allow,
                Action=[awacs.ssm.GetParameters],
                Resource=[parameter_arn(parameter) for parameter in parameters],
            )
        )
    statements += [
        _decrypt_via_secrets_manager(config, source)
        for source in STACK_SECRETS
        if any(getattr(secret, source) for secret in secrets)
    ]
    statements += _decrypt_outside_secrets(secrets)
    return template.add_resource(
        Role(
            "ExecutionRole",
            Description=f"ECS starts the {config.app} {config.environment} app's tasks: image, logs, secrets",
            AssumeRolePolicyDocument=service_role_trust(TASKS_PRINCIPAL),
            Policies=[Policy(PolicyName="start-tasks", PolicyDocument=document(*statements))],
        )
    )


def task_role(template: Template, config: EnvironmentConfig) -> Role:
    """The app's own role: what params grant it, and the database secret when it reads it itself."""
    containers = config.containers
    reasons = WildcardReasons()
    statements = [
        *grant_statements(config, containers.grants, reasons),
        *custom_statements(config, containers.statements, reasons),
    ]
    if containers.reads_database_secret:
        statements += [
            Statement(
                Sid="ReadDatabaseSecret",
                Effect=Allow,
                Action=[awacs.secretsmanager.GetSecretValue],
                Resource=[import_value(config, names.DATABASE_SECRET_ARN)],
            ),
            _decrypt_via_secrets_manager(config, "database_secret"),
        ]
    role = Role(
        "TaskRole",
        Description=f"The {config.app} {config.environment} app's tasks",
        AssumeRolePolicyDocument=service_role_trust(TASKS_PRINCIPAL),
    )
    if statements:
        role.Policies = [Policy(PolicyName="app", PolicyDocument=document(*statements))]
    if reasons.by_sid:
        role.Metadata = reasons.metadata()
    return template.add_resource(role)


def _decrypt_via_secrets_manager(config: EnvironmentConfig, source: str) -> Statement:
    """Stack secrets are under their stack's own key; Secrets Manager decrypts them on the caller's behalf."""
    return Statement(
        Sid=f"Decrypt{pascal(source.replace('_', '-'))}",
        Effect=Allow,
        Action=[awacs.kms.Decrypt],
        Resource=[import_value(config, STACK_SECRET_KEYS[source])],
        Condition=via_service("secretsmanager"),
    )


def _decrypt_outside_secrets(secrets: Iterable[ContainerSecret]) -> list[Statement]:
    """Secrets and SecureString parameters under customer managed keys params name, each decrypted only
    through the service that holds it."""
    statements = []
    for service, source in (("secretsmanager", "secret"), ("ssm", "parameter")):
        keys = sorted({secret.kms_key for secret in secrets if secret.kms_key and getattr(secret, source)})
        if keys:
            statements.append(
                Statement(
                    Sid=f"DecryptOutside{'Secrets' if source == 'secret' else 'Parameters'}",
                    Effect=Allow,
                    Action=[awacs.kms.Decrypt],
                    Resource=keys,
                    Condition=via_service(service),
                )
            )
    return statements
