"""Pure unit: the auth stack's template holds the facts of seed 000 §1.5.

Its optional parts (seed 002 §2.8: Google, server client, hosted UI) are in tests/unit/templates/test_auth_federation.py.
"""

from __future__ import annotations

import pytest

from tests.helpers import ENVS, picked, properties, resources, template

# Cognito's documented defaults: what "Password policy: Cognito defaults" means.
COGNITO_DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireLowercase": True,
    "RequireUppercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}


def auth(builds, env):
    return template(builds, env, "auth.json")


@pytest.mark.parametrize("env", ENVS)
def test_pool_is_named_for_the_environment_and_users_sign_in_with_their_email(builds, env):
    pool = properties(auth(builds, env), "UserPool")
    assert picked(pool, "UserPoolName", "UsernameAttributes", "AutoVerifiedAttributes") == {
        "UserPoolName": f"one-system-{env}-users",
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
    }
    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}


@pytest.mark.parametrize("env", ENVS)
def test_only_administrators_create_users(builds, env):
    assert properties(auth(builds, env), "UserPool")["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}


@pytest.mark.parametrize("env", ENVS)
def test_mfa_is_optional_with_authenticator_apps(builds, env):
    pool = properties(auth(builds, env), "UserPool")
    assert picked(pool, "MfaConfiguration", "EnabledMfas") == {
        "MfaConfiguration": "OPTIONAL",
        "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
    }


@pytest.mark.parametrize("env", ENVS)
def test_password_policy_is_cognitos_default_written_out(builds, env):
    assert properties(auth(builds, env), "UserPool")["Policies"] == {"PasswordPolicy": COGNITO_DEFAULT_PASSWORD_POLICY}


@pytest.mark.parametrize("env", ENVS)
def test_the_four_role_groups_exist_in_the_pool(builds, env):
    groups = resources(auth(builds, env), "AWS::Cognito::UserPoolGroup")
    assert {group["Properties"]["GroupName"]: group["Properties"]["UserPoolId"] for group in groups.values()} == {
        name: {"Ref": "UserPool"} for name in ("ADMIN", "DISPATCHER", "OFFICER", "EXECUTIVE")
    }
    precedences = [group["Properties"]["Precedence"] for group in groups.values()]
    assert sorted(precedences) == [0, 1, 2, 3]  # distinct, so a user in two groups gets a defined role


@pytest.mark.parametrize("env", ENVS)
def test_spa_client_has_no_secret_and_the_seeds_token_lifetimes(builds, env):
    [(name, client)] = resources(auth(builds, env), "AWS::Cognito::UserPoolClient").items()
    props = client["Properties"]
    assert name == "WebClient"
    assert picked(props, "ClientName", "UserPoolId", "GenerateSecret") == {
        "ClientName": f"one-system-{env}-web",
        "UserPoolId": {"Ref": "UserPool"},
        "GenerateSecret": False,
    }
    assert picked(props, "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits") == {
        "AccessTokenValidity": 1,
        "IdTokenValidity": 1,
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
    }
    # A browser client signs in with SRP and refreshes; no password ever travels in the clear to Cognito.
    assert props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.mark.parametrize("env", ENVS)
def test_pool_id_and_client_id_are_exported(builds, env):
    exports = {output["Export"]["Name"]: output["Value"] for output in auth(builds, env)["Outputs"].values()}
    assert exports[f"one-system-{env}-UserPoolId"] == {"Ref": "UserPool"}
    assert exports[f"one-system-{env}-UserPoolClientId"] == {"Ref": "WebClient"}
    assert exports[f"one-system-{env}-UserPoolArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


@pytest.mark.parametrize(("env", "retained"), [("dev", False), ("test", True), ("prod", True)])
def test_users_survive_stack_deletion_outside_dev(builds, env, retained):
    resource = auth(builds, env)["Resources"]["UserPool"]
    policy = "Retain" if retained else "Delete"
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, policy)
    assert resource["Properties"]["DeletionProtection"] == ("ACTIVE" if retained else "INACTIVE")


@pytest.mark.parametrize("env", ENVS)
def test_the_default_system_signs_in_with_passwords_only_and_publishes_nothing(builds, env):
    # Seed 000 has no federation: the optional parts of seed 002 §2.8 stay out of its template.
    document = auth(builds, env)
    assert {resource["Type"] for resource in document["Resources"].values()} == {
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolGroup",
        "AWS::Cognito::UserPoolClient",
    }
    assert "SupportedIdentityProviders" not in properties(document, "WebClient")
