"""Where the secrets of the containers stack's tasks live (templates/containers.py): the ARNs ECS reads a
secret or parameter from, and the secrets other stacks of the environment keep, with their keys.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Join, Sub

from stackyard.config import ContainerSecret, EnvironmentConfig
from templates import names
from templates.parts.common import import_value

SECRET_SUFFIX = "-??????"  # Secrets Manager appends six random characters to a secret's name in its ARN
# Secrets other stacks of the environment keep (params source -> the export of its ARN, and of its KMS key).
STACK_SECRETS = {"database_secret": names.DATABASE_SECRET_ARN, "auth_client_secret": names.COGNITO_CLIENT_SECRET_ARN}
STACK_SECRET_KEYS = {
    "database_secret": names.DATABASE_KEY_ARN,
    "auth_client_secret": names.COGNITO_CLIENT_SECRET_KEY_ARN,
}


def value_from(config: EnvironmentConfig, secret: ContainerSecret) -> AWSHelperFn | str:
    """What ECS reads a secret from: an ARN (a secret's without its random suffix, which ECS accepts),
    followed by `:<json key>::` (any version stage and id: the current one) to pick one key."""
    if secret.parameter is not None:
        return parameter_arn(secret.parameter)
    if secret.auth_parameter is not None:
        return parameter_arn(names.auth_parameter_name(config, secret.auth_parameter))
    key = f":{secret.key}::" if secret.key else ""
    for source, export_name in STACK_SECRETS.items():
        if getattr(secret, source):
            arn = import_value(config, export_name)
            return Join("", [arn, key]) if key else arn
    return secret_arn(secret.secret, key)


def secret_arn(secret: str, tail: str = "") -> str | Sub:
    """The ARN of a secret given by name or ARN, with `tail` appended."""
    if secret.startswith("arn:"):
        return secret + tail
    return Sub(f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{secret}{tail}")


def parameter_arn(parameter: str) -> str | Sub:
    if parameter.startswith("arn:"):
        return parameter
    path = parameter if parameter.startswith("/") else f"/{parameter}"
    return Sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{path}")
