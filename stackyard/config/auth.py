"""params `auth`: the Cognito user pool, its app clients, Google sign-in and the values it publishes.

The check: sign-in through the hosted UI has its domain, and published values name an existing client.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from stackyard.config.fields import Model, NonEmpty, matching
from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.params import KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

SECRET_VALUE_REFUSED = (
    "expected where it is kept instead: {secret: <Secrets Manager secret name>, json_key: <key in its JSON>}, e.g. "
    'after aws secretsmanager create-secret --name tap/google-oauth --secret-string \'{"client_secret": "..."}\'. '
    "Remove the value from the file and its git history"
)


def _sign_in_url(value: str) -> str:
    """A URL Cognito redirects to with a sign-in code: https, or http://localhost (all Cognito allows) while
    developing."""
    try:
        url = urllib.parse.urlsplit(value)
        valid = bool(url.hostname) and url.scheme in ("https", "http") and not url.fragment and "*" not in value
    except ValueError:
        valid = False
    if not valid or (url.scheme == "http" and url.hostname != "localhost"):
        raise ValueError(
            f"got {value!r}; Cognito sends sign-in codes to it, so expected an https:// URL without "
            f"wildcards or #fragment, such as https://api.example.com/auth/callback (http only for "
            f"http://localhost while developing, with allow_http_localhost: true on the client)"
        )
    return value


def _secret_name(value: str) -> str:
    # Google client secrets start with GOCSPX-; the value is not repeated, as messages end up in CI logs.
    if value.startswith("GOCSPX-"):
        raise ValueError(f"got a Google client secret instead of a secret's name; {SECRET_VALUE_REFUSED}")
    if not re.fullmatch(r"[A-Za-z0-9/_+=.@-]{1,512}", value):
        raise ValueError(f"got {value!r}; expected the name of a Secrets Manager secret, such as tap/google-oauth")
    return value


SignInUrl = Annotated[str, AfterValidator(_sign_in_url)]
SecretName = Annotated[str, AfterValidator(_secret_name)]
ClientKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
GroupName = Annotated[str, matching(r"[A-Z][A-Z0-9_]{0,63}", "an upper-case group name such as ADMIN")]
# The hosted UI's domain is <prefix>-<env>.auth.<region>.amazoncognito.com; Cognito refuses
# prefixes holding aws, amazon or cognito.
HostedUiPrefix = Annotated[
    str,
    matching(
        r"(?!.*(aws|amazon|cognito))[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?",
        "up to 52 lowercase letters, digits or '-' (not first or last), "
        "without aws, amazon or cognito, such as tap-auth",
    ),
]


class AppClient(Model):
    """An app client of the user pool.

    spa: a browser app, no secret; with callback_urls it also signs in through the hosted UI
    (authorization code with PKCE). server: a server-side web app with a secret, authorization
    code grant through the hosted UI.
    """

    type: Literal["spa", "server"]
    allow_http_localhost: bool = False  # http://localhost callbacks, for a developer's machine
    callback_urls: list[SignInUrl] = Field(default_factory=list, validate_default=True)
    logout_urls: list[SignInUrl] = Field(default_factory=list)
    federated_only: bool = False  # sign in only through an identity provider (Google), not with a password

    @field_validator("callback_urls")
    @classmethod
    def _server_signs_in_through_callbacks(cls, urls: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("type") == "server" and not urls:
            raise ValueError(
                "a server client signs users in with the authorization code grant, which returns to a "
                "callback; expected callback_urls, such as [https://api.example.com/auth/callback]"
            )
        return urls

    @property
    def signs_in_through_hosted_ui(self) -> bool:
        return bool(self.callback_urls)


class SecretReference(Model):
    """A value kept in Secrets Manager; CloudFormation reads it at deploy time (a dynamic reference),
    so it appears neither in params nor in the template."""

    secret: SecretName
    json_key: (
        Annotated[str, matching(r"[A-Za-z0-9_.-]{1,128}", "a key of the secret's JSON, such as client_secret")] | None
    ) = None

    def dynamic_reference(self) -> str:
        key = f":{self.json_key}" if self.json_key else ""
        return f"{{{{resolve:secretsmanager:{self.secret}:SecretString{key}}}}}"


class GoogleSignIn(Model):
    """Google as a federated identity provider (OAuth client from the Google Cloud Console)."""

    client_id: Annotated[
        str,
        matching(
            r"[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com",
            "a Google OAuth client id such as 1234-abc.apps.googleusercontent.com",
        ),
    ]
    client_secret: SecretReference

    @field_validator("client_secret", mode="before")
    @classmethod
    def _never_the_secret_itself(cls, value: Any) -> Any:
        if isinstance(value, str):
            # The value is not repeated here: error messages end up in CI logs.
            raise ValueError(f"got the secret's value written into params, which live in git; {SECRET_VALUE_REFUSED}")
        return value


class AuthParameters(Model):
    """What the app reads at startup (seed 002 §2.8): SSM parameters under /<app>/<env>/<path>/, and
    a server client's secret in Secrets Manager beside them."""

    path: Annotated[str, matching(r"[a-z0-9_.-]+(/[a-z0-9_.-]+)*", "a path under /<app>/<env>/ such as cognito")]
    client: ClientKey


class Auth(Model):
    groups: dict[GroupName, NonEmpty] = Field(default_factory=dict)
    mfa: Literal["OFF", "OPTIONAL", "ON"]
    access_token_hours: int = Field(ge=1, le=24)
    id_token_hours: int = Field(ge=1, le=24)
    refresh_token_days: int = Field(ge=1, le=3650)
    # Which app clients the pool has; by default the SPA's (seed 000 §1.5).
    clients: dict[ClientKey, AppClient] = Field(default_factory=lambda: {"web": AppClient(type="spa")}, min_length=1)
    google: GoogleSignIn | None = None
    hosted_ui_prefix: HostedUiPrefix | None = None
    parameters: AuthParameters | None = None


def validate_auth(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Sign-in through the hosted UI needs its domain; published values name an existing client."""
    auth = config.auth
    if auth is None or "auth" not in config.stacks:
        return []
    found = [wrong for key, client in auth.clients.items() for wrong in _client_problems(auth, key, client)]
    if auth.google is not None and auth.hosted_ui_prefix is None:
        found.append(
            (
                ("auth", "google"),
                "Google returns users to the hosted UI (/oauth2/idpresponse); expected "
                "auth.hosted_ui_prefix, such as tap-auth",
            )
        )
    if auth.parameters is not None and auth.parameters.client not in auth.clients:
        found.append(
            (
                ("auth", "parameters", "client"),
                f"no client {auth.parameters.client!r}; expected one of: {', '.join(auth.clients)}",
            )
        )
    return [problem_at(params, path, message) for path, message in found]


def _client_problems(auth: Auth, key: str, client: AppClient) -> list[tuple[KeyPath, str]]:
    """(key path, message) of what is wrong with one app client."""
    problems: list[tuple[KeyPath, str]] = [
        (
            ("auth", "clients", key, field, index),
            f"got {url!r}; http is for a developer's machine only, expected https://, or "
            f"allow_http_localhost: true on this client (never in a shared environment)",
        )
        for field, urls in (("callback_urls", client.callback_urls), ("logout_urls", client.logout_urls))
        for index, url in enumerate(urls)
        if url.startswith("http:") and not client.allow_http_localhost
    ]
    if client.signs_in_through_hosted_ui and auth.hosted_ui_prefix is None:
        problems.append(
            (
                ("auth", "clients", key, "callback_urls"),
                "signing in through callbacks needs the hosted UI; expected auth.hosted_ui_prefix (such as "
                "tap-auth), or no callback_urls",
            )
        )
    if client.federated_only and auth.google is None:
        problems.append(
            (
                ("auth", "clients", key, "federated_only"),
                "no identity provider to sign in with; expected auth.google, or federated_only: false",
            )
        )
    return problems
