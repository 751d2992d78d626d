"""Fixtures of the schema migrator's package tests (tests/helpers/migrator.py): one PostgreSQL, moto
server and response URL per module, the package as deploy builds it, and a copy that trusts the test
server's CA in place of the RDS bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.migrator import Harness, built_package, harness, lambda_runtime, package_copy


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> Iterator[Harness]:
    with harness(lambda_runtime(tmp_path_factory.mktemp("runtime"))) as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The package as built, shipping the RDS CA bundle."""
    return built_package(tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="module")
def trusting(package, services, tmp_path_factory) -> Path:
    """The package with the test server's CA in place of the RDS bundle: verify-full against the test server."""
    return package_copy(package, tmp_path_factory.mktemp("trusting"), ca=services.postgres.ca_file)


@pytest.fixture
def secret(services, request) -> str:
    return services.secret(request.node.name)
