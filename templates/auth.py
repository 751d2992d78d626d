"""Auth stack (seed 000 §1.5, seed 002 §2.8): the Cognito user pool, its role groups and app clients.

Users sign in with their email address; only administrators create users (no self sign-up);
MFA is optional per user (TOTP). An SPA's client has no secret, as a browser cannot keep one.

Optionally (seed 002 §2.8): Google as an identity provider, its client secret read from Secrets
Manager at deploy time; a server-side web app's client (authorization code grant, with a
secret); the hosted UI's domain; and what the app reads at startup, as SSM parameters plus the
server client's secret in Secrets Manager (SSM has no SecureString through CloudFormation).
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template
from troposphere.cognito import (
    AccountRecoverySetting,
    AdminCreateUserConfig,
    PasswordPolicy,
    Policies,
    RecoveryOption,
    TokenValidityUnits,
    UserPool,
    UserPoolClient,
    UserPoolDomain,
    UserPoolGroup,
    UserPoolIdentityProvider,
)
from troposphere.kms import Key
from troposphere.secretsmanager import Secret
from troposphere.ssm import Parameter as SsmParameter

from stackyard.config import AppClient, EnvironmentConfig, GoogleSignIn, with_domain
from stackyard.config import Auth as AuthConfig
from templates import names
from templates.names import pascal
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources
from templates.parts.policies import account_administers_key, document

NAME = names.AUTH
GOOGLE = "Google"
OAUTH_SCOPES = ["openid", "email", "profile"]
CLIENT_LABELS = {"spa": "SPA client", "server": "server-side web client"}
CLIENT_DESCRIPTIONS = {
    "spa": "App client id of the SPA (no secret)",
    "server": "App client id of the server-side web app (its secret in Secrets Manager)",
}
# Cognito's defaults, written out so a change of default never changes the pool silently.
PASSWORD_POLICY = PasswordPolicy(
    MinimumLength=8,
    RequireLowercase=True,
    RequireUppercase=True,
    RequireNumbers=True,
    RequireSymbols=True,
    TemporaryPasswordValidityDays=7,
)


def build(config: EnvironmentConfig) -> StackTemplates:
    auth = config.auth
    template = new_template(config, f"auth ({_contents(auth)})")
    pool = _user_pool(template, config)
    for precedence, (group, description) in enumerate(auth.groups.items()):
        template.add_resource(
            UserPoolGroup(
                f"{pascal(group.lower())}Group",
                UserPoolId=Ref(pool),
                GroupName=group,
                Description=description,
                Precedence=precedence,
            )
        )
    google = _google(template, auth.google, pool) if auth.google else None
    clients = {key: _client(template, config, pool, key, client, google) for key, client in auth.clients.items()}
    domain = _hosted_ui(template, config, pool) if auth.hosted_ui_prefix else None
    export(template, config, names.USER_POOL_ID, Ref(pool), "Cognito user pool id")
    export(template, config, names.USER_POOL_ARN, GetAtt(pool, "Arn"), "Cognito user pool ARN")
    for key, client in clients.items():
        export(template, config, names.client_id_export(key), Ref(client), CLIENT_DESCRIPTIONS[auth.clients[key].type])
    if auth.parameters:
        _app_parameters(template, config, pool, clients[auth.parameters.client], domain)
    return StackTemplates(NAME, tag_resources(template, config))


def _contents(auth: AuthConfig) -> str:
    parts = [
        "Cognito user pool",
        "role groups" if auth.groups else None,
        *(CLIENT_LABELS[client.type] for client in auth.clients.values()),
        "Google sign-in" if auth.google else None,
        "hosted UI" if auth.hosted_ui_prefix else None,
    ]
    return ", ".join(part for part in parts if part)


def _user_pool(template: Template, config: EnvironmentConfig) -> UserPool:
    auth = config.auth
    pool = UserPool(
        "UserPool",
        UserPoolName=names.user_pool_name(config),
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


def _client(
    template: Template,
    config: EnvironmentConfig,
    pool: UserPool,
    key: str,
    client: AppClient,
    google: UserPoolIdentityProvider | None,
) -> UserPoolClient:
    auth, server = config.auth, client.type == "server"
    resource = UserPoolClient(
        f"{pascal(key)}Client",
        UserPoolId=Ref(pool),
        ClientName=names.app_client_name(config, key),
        GenerateSecret=server,
        # A server signs users in with the code grant and refreshes; a browser also signs in with SRP,
        # so no password ever travels in the clear to Cognito.
        ExplicitAuthFlows=(
            ["ALLOW_REFRESH_TOKEN_AUTH"] if server else ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        ),
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
        AccessTokenValidity=auth.access_token_hours,
        IdTokenValidity=auth.id_token_hours,
        RefreshTokenValidity=auth.refresh_token_days,
        TokenValidityUnits=TokenValidityUnits(AccessToken="hours", IdToken="hours", RefreshToken="days"),
    )
    if client.signs_in_through_hosted_ui:
        resource.AllowedOAuthFlowsUserPoolClient = True
        resource.AllowedOAuthFlows = ["code"]
        resource.AllowedOAuthScopes = OAUTH_SCOPES
        resource.CallbackURLs = [with_domain(url, config.edge) for url in client.callback_urls]
        if client.logout_urls:
            resource.LogoutURLs = [with_domain(url, config.edge) for url in client.logout_urls]
        resource.SupportedIdentityProviders = ([] if client.federated_only else ["COGNITO"]) + (
            [GOOGLE] if google else []
        )
        if google:
            resource.DependsOn = [google.title]  # the provider must exist before a client names it
    return template.add_resource(resource)


def _google(template: Template, google: GoogleSignIn, pool: UserPool) -> UserPoolIdentityProvider:
    """Google sign-in; its client secret stays in Secrets Manager, resolved by CloudFormation at deploy time."""
    return template.add_resource(
        UserPoolIdentityProvider(
            "GoogleIdentityProvider",
            UserPoolId=Ref(pool),
            ProviderName=GOOGLE,
            ProviderType=GOOGLE,
            ProviderDetails={
                "client_id": google.client_id,
                "client_secret": google.client_secret.dynamic_reference(),
                "authorize_scopes": " ".join(OAUTH_SCOPES),
            },
            # Google's verified flag too, so a Google user's email counts as verified like an invited user's.
            AttributeMapping={"email": "email", "email_verified": "email_verified", "name": "name", "username": "sub"},
        )
    )


def _hosted_ui(template: Template, config: EnvironmentConfig, pool: UserPool) -> Sub:
    """Cognito's hosted UI domain, where the code grant and federated sign-in happen; returns its host name."""
    domain = template.add_resource(
        UserPoolDomain(
            "HostedUiDomain",
            UserPoolId=Ref(pool),
            Domain=names.hosted_ui_domain(config),
        )
    )
    host = Sub("${Prefix}.auth.${AWS::Region}.amazoncognito.com", Prefix=Ref(domain))
    export(template, config, "HostedUiDomain", host, "Cognito hosted UI domain (sign-in, code grant, Google)")
    return host


def _app_parameters(
    template: Template, config: EnvironmentConfig, pool: UserPool, client: UserPoolClient, domain: Sub | None
) -> None:
    """What the app reads at startup (seed 002 §2.8): ids and domain in SSM, a client secret in Secrets Manager."""
    values = {
        "UserPoolId": ("user-pool-id", Ref(pool), "Cognito user pool id"),
        "ClientId": ("client-id", Ref(client), "Cognito app client id"),
    }
    if domain is not None:
        values["Domain"] = ("domain", domain, "Cognito hosted UI domain")
    for name, (leaf, value, description) in values.items():
        parameter = template.add_resource(
            SsmParameter(
                f"{name}Parameter",
                Name=names.auth_parameter_name(config, leaf),
                Type="String",
                Value=value,
                Description=description,
            )
        )
        export(template, config, f"Cognito{name}ParameterName", Ref(parameter), f"SSM parameter: {description}")
    if config.auth.clients[config.auth.parameters.client].type == "server":
        _client_secret(template, config, client, names.auth_parameter_name(config, "client-secret"))


def _client_secret(template: Template, config: EnvironmentConfig, client: UserPoolClient, name: str) -> None:
    """The server client's secret, readable by the app (an ECS task definition's `secrets`).

    Secrets are encrypted with a customer managed key (E9004), so whoever reads it needs
    kms:Decrypt on this key as well. Both are kept on stack delete where the environment keeps its data,
    as the user pool is (the README's promise): a restored client can be given the same secret.
    """
    key = template.add_resource(
        keep_on_delete(
            Key(
                "ClientSecretKey",
                Description=f"Encrypts the {config.app} {config.environment} Cognito client secret",
                EnableKeyRotation=True,
                PendingWindowInDays=7,
                KeyPolicy=document(account_administers_key()),
            ),
            config,
        )
    )
    secret = template.add_resource(
        keep_on_delete(
            Secret(
                "ClientSecret",
                Name=name,
                Description=f"Cognito app client secret of {config.app} {config.environment} (COGNITO_CLIENT_SECRET)",
                KmsKeyId=Ref(key),
                SecretString=GetAtt(client, "ClientSecret"),
            ),
            config,
        )
    )
    export(
        template, config, names.COGNITO_CLIENT_SECRET_ARN, Ref(secret), "Secrets Manager ARN of the app client secret"
    )
    export(
        template, config, names.COGNITO_CLIENT_SECRET_KEY_ARN, GetAtt(key, "Arn"), "KMS key of the app client secret"
    )
