"""Shared fixtures: the real params, their configs, and every environment built in memory.

Helpers that tests call live in tests/helpers, imported by name; this file holds only fixtures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackyard.build import EnvironmentBuild, build_environment
from stackyard.config import EnvironmentConfig, load_configs
from tests.helpers import PARAMS_DIR, ROOT


@pytest.fixture(scope="session")
def configs() -> dict[str, EnvironmentConfig]:
    return load_configs(PARAMS_DIR)


@pytest.fixture(scope="session")
def builds(configs) -> dict[str, EnvironmentBuild]:
    return {env: build_environment(config) for env, config in configs.items()}


@pytest.fixture
def params_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the project's params/ (and the sql/ it names) in a temporary working folder, so
    messages show `params/<file>`."""
    shutil.copytree(PARAMS_DIR, tmp_path / "params")
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    monkeypatch.chdir(tmp_path)
    return Path("params")


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> None:
    """No AWS credentials anywhere boto3 looks: variables, profile files, instance metadata."""
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
