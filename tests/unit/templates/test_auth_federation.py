"""Pure unit (cfn-lint where marked slow): the auth stack's optional parts hold seed 002 §2.8's facts,
built from a small seed 002 params set (tests/helpers/seed002.py); bad params are refused through the CLI
with file:line, key and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.generate import generate as generate_system
from tests.helpers import picked, properties, resources
from tests.helpers.seed002 import DOMAIN, base_line, refused, write_system


def auth_template(tmp_path: Path, prod: str = "{}\n") -> dict:
    config = load_configs(write_system(tmp_path, prod))["prod"]
    return build_environment(config).stacks["auth"].template.document


@pytest.fixture
def auth(tmp_path) -> dict:
    return auth_template(tmp_path)


def test_2_8_user_pool_signs_in_with_email_without_self_sign_up_or_groups(auth):
    pool = properties(auth, "UserPool")
    assert picked(pool, "UserPoolName", "UsernameAttributes", "AdminCreateUserConfig") == {
        "UserPoolName": "tap-prod-users",
        "UsernameAttributes": ["email"],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    }
    assert resources(auth, "AWS::Cognito::UserPoolGroup") == {}


def test_2_8_google_signs_in_with_its_secret_read_from_secrets_manager_at_deploy_time(auth):
    google = properties(auth, "GoogleIdentityProvider")
    assert picked(google, "ProviderName", "ProviderType", "UserPoolId") == {
        "ProviderName": "Google",
        "ProviderType": "Google",
        "UserPoolId": {"Ref": "UserPool"},
    }
    assert google["ProviderDetails"] == {
        "client_id": "1234567890-abcdef.apps.googleusercontent.com",
        "client_secret": "{{resolve:secretsmanager:tap/google-oauth:SecretString:client_secret}}",
        "authorize_scopes": "openid email profile",
    }
    mapping = google["AttributeMapping"]
    assert picked(mapping, "email", "name", "username") == {"email": "email", "name": "name", "username": "sub"}


def test_2_8_web_client_uses_the_code_grant_with_a_secret_and_the_seeds_urls(auth):
    client = auth["Resources"]["WebClient"]
    props = client["Properties"]
    assert picked(
        props,
        "ClientName",
        "GenerateSecret",
        "AllowedOAuthFlowsUserPoolClient",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "CallbackURLs",
        "LogoutURLs",
    ) == {
        "ClientName": "tap-prod-web",
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": [f"https://api.{DOMAIN}/auth/callback"],
        "LogoutURLs": [f"https://{DOMAIN}/login"],
    }
    assert props["SupportedIdentityProviders"] == ["COGNITO", "Google"]
    assert client["DependsOn"] == ["GoogleIdentityProvider"]  # Cognito refuses a client naming a missing provider
    assert props["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password flow through the server


def test_2_8_a_federated_only_client_offers_google_alone(tmp_path):
    auth = auth_template(
        tmp_path,
        "auth:\n  clients:\n    web:\n      type: server\n      federated_only: true\n"
        f"      callback_urls: [https://api.{DOMAIN}/auth/callback]\n",
    )
    assert properties(auth, "WebClient")["SupportedIdentityProviders"] == ["Google"]


def test_2_8_hosted_ui_domain_names_the_environment(auth):
    assert properties(auth, "HostedUiDomain") == {"Domain": "tap-auth-prod", "UserPoolId": {"Ref": "UserPool"}}
    assert auth["Outputs"]["HostedUiDomain"]["Value"] == {
        "Fn::Sub": ["${Prefix}.auth.${AWS::Region}.amazoncognito.com", {"Prefix": {"Ref": "HostedUiDomain"}}]
    }


def test_2_8_pool_id_client_id_and_domain_are_ssm_parameters_for_the_app(auth):
    parameters = {
        props["Name"]: props["Value"]
        for props in (resource["Properties"] for resource in resources(auth, "AWS::SSM::Parameter").values())
    }
    assert parameters == {
        "/tap/prod/cognito/user-pool-id": {"Ref": "UserPool"},
        "/tap/prod/cognito/client-id": {"Ref": "WebClient"},
        "/tap/prod/cognito/domain": auth["Outputs"]["HostedUiDomain"]["Value"],
    }
    assert {resource["Properties"]["Type"] for resource in resources(auth, "AWS::SSM::Parameter").values()} == {
        "String"
    }


def test_2_8_client_secret_is_in_secrets_manager_under_a_customer_managed_key(auth):
    secret = properties(auth, "ClientSecret")
    assert picked(secret, "Name", "SecretString", "KmsKeyId") == {
        "Name": "/tap/prod/cognito/client-secret",
        "SecretString": {"Fn::GetAtt": ["WebClient", "ClientSecret"]},
        "KmsKeyId": {"Ref": "ClientSecretKey"},
    }
    assert properties(auth, "ClientSecretKey")["EnableKeyRotation"] is True
    exports = {output["Export"]["Name"] for output in auth["Outputs"].values()}
    assert {"tap-prod-CognitoClientSecretArn", "tap-prod-CognitoClientSecretKeyArn"} <= exports


def test_the_client_secret_reaches_only_secrets_manager_never_an_output(auth):
    readers = [
        name
        for name, resource in auth["Resources"].items()
        if '"ClientSecret"]' in json.dumps(resource.get("Properties", {}))
    ]
    assert readers == ["ClientSecret"]  # the secret, not an SSM parameter
    assert all('"ClientSecret"]' not in json.dumps(output["Value"]) for output in auth["Outputs"].values())


def test_an_spa_beside_the_server_client_keeps_todays_settings_and_gets_its_own_export(tmp_path):
    auth = auth_template(tmp_path, "auth:\n  clients:\n    admin:\n      type: spa\n")
    spa = properties(auth, "AdminClient")
    assert picked(spa, "ClientName", "GenerateSecret", "ExplicitAuthFlows", "CallbackURLs") == {
        "ClientName": "tap-prod-admin",
        "GenerateSecret": False,
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "CallbackURLs": None,
    }
    exports = {output["Export"]["Name"]: output["Value"] for output in auth["Outputs"].values()}
    assert exports["tap-prod-UserPoolClientId"] == {"Ref": "WebClient"}
    assert exports["tap-prod-AdminClientId"] == {"Ref": "AdminClient"}


def test_an_spa_client_publishes_no_secret(tmp_path):
    auth = auth_template(tmp_path, "auth:\n  clients:\n    web:\n      type: spa\n      federated_only: false\n")
    assert resources(auth, "AWS::SecretsManager::Secret") == {}
    assert resources(auth, "AWS::KMS::Key") == {}
    assert properties(auth, "WebClient")["GenerateSecret"] is False


def test_http_localhost_callbacks_where_params_allow_them(tmp_path):
    auth = auth_template(
        tmp_path,
        "auth:\n  clients:\n    web:\n      allow_http_localhost: true\n"
        "      callback_urls: [http://localhost:8000/auth/callback]\n",
    )
    assert properties(auth, "WebClient")["CallbackURLs"] == ["http://localhost:8000/auth/callback"]


@pytest.mark.slow
def test_the_seed_002_auth_stack_is_clean_under_cfn_lint_and_the_project_rules(tmp_path):
    result = generate_system(write_system(tmp_path), tmp_path / "build")
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)


# prod.yaml -> the problems expected, in the CLI's words (file:line: key: what is wrong and the fix)
BAD_PARAMS = {
    "a client secret written into params": (
        "auth:\n  google:\n    client_secret: GOCSPX-not-a-real-secret\n",
        [
            "params/prod.yaml:3: auth.google.client_secret: got the secret's value written into params, which live "
            "in git; expected where it is kept instead: {secret: <Secrets Manager secret name>, json_key: <key in its "
            "JSON>}, e.g. after aws secretsmanager create-secret --name tap/google-oauth --secret-string "
            '\'{"client_secret": "..."}\'. Remove the value from the file and its git history'
        ],
    ),
    "a client secret given as the secret's name": (
        "auth:\n  google:\n    client_secret: {secret: GOCSPX-not-a-real-secret}\n",
        [
            "params/prod.yaml:3: auth.google.client_secret.secret: got a Google client secret instead of a secret's "
            "name; expected where it is kept instead: {secret: <Secrets Manager secret name>, json_key: <key in its "
            "JSON>}, e.g. after aws secretsmanager create-secret --name tap/google-oauth --secret-string "
            '\'{"client_secret": "..."}\'. Remove the value from the file and its git history'
        ],
    ),
    "an http callback": (
        "auth:\n  clients:\n    web:\n      callback_urls:\n        - https://api.tap.example.com/auth/callback\n"
        "        - http://api.tap.example.com/auth/callback\n",
        [
            "params/prod.yaml:6: auth.clients.web.callback_urls[1]: got 'http://api.tap.example.com/auth/callback'; "
            "Cognito sends sign-in codes to it, so expected an https:// URL without wildcards or #fragment, such as "
            "https://api.example.com/auth/callback (http only for http://localhost while developing, with "
            "allow_http_localhost: true on the client)"
        ],
    ),
    "an http localhost callback the client does not allow": (
        "auth:\n  clients:\n    web:\n      logout_urls:\n        - http://localhost:5173/login\n",
        [
            "params/prod.yaml:5: auth.clients.web.logout_urls[0]: got 'http://localhost:5173/login'; http is for a "
            "developer's machine only, expected https://, or allow_http_localhost: true on this client (never in a "
            "shared environment)"
        ],
    ),
    "a server client without a callback": (
        "auth:\n  clients:\n    web:\n      callback_urls: []\n",
        [
            "params/prod.yaml:4: auth.clients.web.callback_urls: a server client signs users in with the "
            "authorization code grant, which returns to a callback; expected callback_urls, such as "
            "[https://api.example.com/auth/callback]"
        ],
    ),
    "no hosted UI for the callbacks and Google": (
        "auth:\n  hosted_ui_prefix: null\n",
        [
            f"params/base.yaml:{base_line('callback_urls:')}: auth.clients.web.callback_urls: signing in through "
            "callbacks needs the hosted UI; expected auth.hosted_ui_prefix (such as tap-auth), or no callback_urls",
            f"params/base.yaml:{base_line('google:')}: auth.google: Google returns users to the hosted UI "
            "(/oauth2/idpresponse); expected auth.hosted_ui_prefix, such as tap-auth",
        ],
    ),
    "a hosted UI prefix Cognito reserves": (
        "auth:\n  hosted_ui_prefix: tap-cognito\n",
        [
            "params/prod.yaml:2: auth.hosted_ui_prefix: got 'tap-cognito'; expected up to 52 lowercase letters, digits "
            "or '-' (not first or last), without aws, amazon or cognito, such as tap-auth"
        ],
    ),
    "federated only without a provider": (
        "auth:\n  google: null\n  clients:\n    web:\n      federated_only: true\n",
        [
            "params/prod.yaml:5: auth.clients.web.federated_only: no identity provider to sign in with; expected "
            "auth.google, or federated_only: false"
        ],
    ),
    "parameters of a client nobody defines": (
        "auth:\n  parameters:\n    client: backend\n",
        ["params/prod.yaml:3: auth.parameters.client: no client 'backend'; expected one of: web"],
    ),
}


@pytest.mark.parametrize("prod, expected", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_bad_auth_params_are_refused_with_file_line_key_and_fix(tmp_path, monkeypatch, capsys, prod, expected):
    errors = refused(tmp_path, monkeypatch, capsys, prod)
    assert errors == [f"error: {line}" for line in expected]
    assert "not-a-real-secret" not in "\n".join(errors)  # a secret never reaches the logs, even by mistake
    assert not Path("build").exists()
