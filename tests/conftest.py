"""Shared fixtures: the real params, their configs, and every environment built in memory."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import templates
from stackyard import config as config_module
from stackyard.build import EnvironmentBuild, build_environment
from stackyard.config import EnvironmentConfig, load_configs

ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = ROOT / "params"
ENVS = ("dev", "test", "prod")


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
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                     "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def template(builds: dict[str, EnvironmentBuild], env: str, path: str) -> dict[str, Any]:
    """A rendered template of an environment by its build path, e.g. `network/vpc.json`."""
    for stack in builds[env].stacks.values():
        for rendered in stack.templates:
            if rendered.path == path:
                return rendered.document
    raise KeyError(f"{env} has no template {path}")


def resources(document: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in document["Resources"].items() if resource["Type"] == resource_type}


def properties(document: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return document["Resources"][logical_id]["Properties"]


def picked(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Only `keys` of `mapping` (missing ones as None), to compare the facts a test is about."""
    return {key: mapping.get(key) for key in keys}


def use_fake_stacks(monkeypatch, **builders) -> list[str]:
    """Replace the template modules with fakes (stack name -> build function), known and enabled.

    Returns the stack names; a config must list them in `stacks` (params: `stacks: [...]`).
    """
    modules = tuple(SimpleNamespace(NAME=name, build=build) for name, build in builders.items())
    monkeypatch.setattr(templates, "STACK_MODULES", modules)
    monkeypatch.setattr(config_module, "STACK_NAMES", tuple(builders))
    monkeypatch.setattr(config_module, "STACK_SECTIONS", dict.fromkeys(builders, ()))
    return list(builders)
