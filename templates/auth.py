"""Auth stack (seed 000 §1.5): the Cognito user pool, its role groups and the SPA's app client.

Users sign in with their email address; only administrators create users (no self sign-up);
MFA is optional per user (TOTP). The SPA's client has no secret, as a browser cannot keep one.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template
from troposphere.cognito import (
    AccountRecoverySetting,
    AdminCreateUserConfig,
    PasswordPolicy,
    Policies,
    RecoveryOption,
    TokenValidityUnits,
    UserPool,
    UserPoolClient,
    UserPoolGroup,
)

from stackyard.config import EnvironmentConfig
from templates.common import StackTemplates, export, keep_on_delete, new_template, pascal, tag_resources

NAME = "auth"
# Cognito's defaults, written out so a change of default never changes the pool silently.
PASSWORD_POLICY = PasswordPolicy(
    MinimumLength=8, RequireLowercase=True, RequireUppercase=True, RequireNumbers=True, RequireSymbols=True,
    TemporaryPasswordValidityDays=7,
)


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, "auth (Cognito user pool, role groups, SPA client)")
    pool = _user_pool(template, config)
    for precedence, (group, description) in enumerate(config.auth.groups.items()):
        template.add_resource(UserPoolGroup(
            f"{pascal(group.lower())}Group", UserPoolId=Ref(pool), GroupName=group, Description=description,
            Precedence=precedence,
        ))
    client = _spa_client(template, config, pool)
    export(template, config, "UserPoolId", Ref(pool), "Cognito user pool id")
    export(template, config, "UserPoolArn", GetAtt(pool, "Arn"), "Cognito user pool ARN")
    export(template, config, "UserPoolClientId", Ref(client), "App client id of the SPA (no secret)")
    return StackTemplates(NAME, tag_resources(template, config))


def _user_pool(template: Template, config: EnvironmentConfig) -> UserPool:
    auth = config.auth
    pool = UserPool(
        "UserPool",
        UserPoolName=f"{config.app}-{config.environment}-users",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig=AdminCreateUserConfig(AllowAdminCreateUserOnly=True),
        Policies=Policies(PasswordPolicy=PASSWORD_POLICY),
        MfaConfiguration=auth.mfa,
        AccountRecoverySetting=AccountRecoverySetting(
            RecoveryMechanisms=[RecoveryOption(Name="verified_email", Priority=1)],
        ),
        DeletionProtection="ACTIVE" if config.retain_data else "INACTIVE",
    )
    if auth.mfa != "OFF":
        pool.EnabledMfas = ["SOFTWARE_TOKEN_MFA"]
    return template.add_resource(keep_on_delete(pool, config))


def _spa_client(template: Template, config: EnvironmentConfig, pool: UserPool) -> UserPoolClient:
    auth = config.auth
    return template.add_resource(UserPoolClient(
        "WebClient",
        UserPoolId=Ref(pool),
        ClientName=f"{config.app}-{config.environment}-web",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
        AccessTokenValidity=auth.access_token_hours,
        IdTokenValidity=auth.id_token_hours,
        RefreshTokenValidity=auth.refresh_token_days,
        TokenValidityUnits=TokenValidityUnits(AccessToken="hours", IdToken="hours", RefreshToken="days"),
    ))
