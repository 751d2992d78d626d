"""botocore contract, offline: the run's first call (stackyard.aws.Aws.account_id) against what botocore
really raises for an SSO session that is missing or expired (a config file and token cache in a temporary
HOME, no network), and against a local endpoint that takes connections and never answers. Each is bad
input (exit 2) with the fix, within 15 s (docs/deploy.md, 'Credentials, regions and endpoints')."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.credentials import SSOProvider
from botocore.tokens import SSOTokenProvider

from stackyard.aws import Aws
from stackyard.errors import EXIT_BAD_INPUT, BadInputError

REGION = "eu-west-1"
START_URL = "https://example.awsapps.com/start"
CONFIG = f"""
[profile session]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Deployer
region = {REGION}

[profile legacy]
sso_start_url = {START_URL}
sso_region = {REGION}
sso_account_id = 123456789012
sso_role_name = Deployer
region = {REGION}

[sso-session corp]
sso_start_url = {START_URL}
sso_region = {REGION}
"""
EXPIRED_TOKEN = (
    f'{{"startUrl": "{START_URL}", "region": "{REGION}", "accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}}'
)


@pytest.fixture
def sso_home(no_credentials, monkeypatch, tmp_path) -> Path:
    """A HOME whose AWS config has two SSO profiles (sso-session and legacy) and an empty token cache."""
    (tmp_path / "config").write_text(CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    cache = tmp_path / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    # botocore expands ~/.aws/sso/cache when it is imported, so HOME alone does not move it
    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    return cache


def token_files(cache: Path) -> None:
    """Expired tokens where botocore looks: by the session's name, and by the legacy profile's start URL."""
    for key in ("corp", START_URL):
        (cache / f"{hashlib.sha1(key.encode()).hexdigest()}.json").write_text(EXPIRED_TOKEN)


@pytest.mark.parametrize(
    ("profile", "expired", "botocore_says"),
    [
        ("session", False, "Token for corp does not exist"),  # SSOTokenLoadError: never logged in
        ("legacy", False, f"Token for {START_URL} does not exist"),
        ("session", True, "Token has expired and refresh failed"),  # TokenRetrievalError
        ("legacy", True, "The SSO session associated with this profile has expired"),  # UnauthorizedSSOTokenError
    ],
)
def test_a_missing_or_expired_sso_session_is_bad_input_with_the_fix(sso_home, profile, expired, botocore_says):
    if expired:
        token_files(sso_home)
    started = time.monotonic()
    with pytest.raises(BadInputError) as raised:
        Aws(profile=profile, region=REGION).account_id(REGION)
    assert botocore_says in str(raised.value)
    assert "the AWS SSO session is expired or missing" in str(raised.value)
    assert "Fix: run `aws sso login` for the profile you deploy with" in str(raised.value)
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert time.monotonic() - started < 15


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server that accepts every connection and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.slow
def test_an_endpoint_that_never_answers_is_bad_input_within_15_seconds(silent_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    started = time.monotonic()
    with pytest.raises(BadInputError, match="took the connection but did not answer in time. Fix: check that "):
        Aws(region=REGION).account_id(REGION)
    elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed
