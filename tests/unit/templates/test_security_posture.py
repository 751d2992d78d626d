"""Pure unit: what issue 13 asks of every environment of every system that a lint rule cannot see in one
template, read from the built templates (docs/security.md): stateful resources are kept exactly where the
environment's retain_data says."""

from __future__ import annotations

from typing import Any

import pytest

from stackyard.build import EnvironmentBuild, build_environment
from stackyard.cfn import STATEFUL_TYPES
from stackyard.config import load_configs
from tests.helpers import ROOT

SYSTEMS = [
    ROOT,
    *sorted(path for path in (ROOT / "examples").iterdir() if (path / "params").is_dir()),
    ROOT / "tests" / "composed",
]
KEPT = {"Retain", "Snapshot"}


@pytest.fixture(scope="module")
def builds() -> dict[str, EnvironmentBuild]:
    found = {}
    for system in SYSTEMS:
        for env, config in load_configs(system / "params").items():
            found[f"{system.name}/{env}"] = build_environment(config)
    return found


def stateful(build: EnvironmentBuild) -> list[tuple[str, str, dict[str, Any]]]:
    """(template, logical id, resource) of every stateful resource; Aurora's member instances hold nothing."""
    return [
        (rendered.path, name, resource)
        for stack in build.stacks.values()
        for rendered in stack.templates
        for name, resource in rendered.document.get("Resources", {}).items()
        if resource["Type"] in STATEFUL_TYPES and "DBClusterIdentifier" not in resource.get("Properties", {})
    ]


def locked(resource: dict[str, Any]) -> bool:
    """A bucket under Object Lock outlives every stack delete: its locked versions cannot go."""
    return resource["Type"] == "AWS::S3::Bucket" and resource["Properties"].get("ObjectLockEnabled") is True


def test_every_system_and_environment_is_covered(builds):
    assert len(builds) >= 15 and all(stateful(build) for build in builds.values())


def test_stateful_resources_are_kept_exactly_where_the_environment_keeps_its_data(builds):
    wrong = []
    for key, build in builds.items():
        for path, name, resource in stateful(build):
            policies = {resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")}
            expected_kept = build.config.retain_data or locked(resource)
            if not (policies <= KEPT if expected_kept else policies == {"Delete"}):
                wrong.append((key, path, name, policies))
    assert wrong == []
