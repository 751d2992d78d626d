"""Test support: seed 001's system (examples/infrastructure-package), where the containers stack lives.

Its builds, variants of its params written into a temporary folder, and reading its containers
template (the task's one container, a role's statements, imported values).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stackyard.build import EnvironmentBuild, build_environment
from stackyard.config import load_configs
from tests.helpers import ROOT, properties, template

SYSTEM = ROOT / "examples" / "infrastructure-package"
APP = "infra-package"
ENVS = ("dev", "staging", "production")


def system_builds() -> dict[str, EnvironmentBuild]:
    """Every environment of the system, built."""
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def variant(tmp_path: Path, dev_yaml: str, base_edits: dict[str, str] | None = None) -> dict[str, EnvironmentBuild]:
    """Seed 001's system with params/dev.yaml replaced (and base.yaml text replaced): dev's build.
    Mappings merge key by key, so removing a base key takes a base edit."""
    params = tmp_path / "params"
    shutil.copytree(SYSTEM / "params", params)
    (params / "dev.yaml").write_text(dev_yaml)
    base = (params / "base.yaml").read_text()
    for old, new in (base_edits or {}).items():
        assert old in base, old
        base = base.replace(old, new)
    (params / "base.yaml").write_text(base)
    return {"dev": build_environment(load_configs(params, ["dev"])["dev"])}


# The load balancer's path to the app on port 9000 instead of 8000.
PORT_9000_GROUPS = (
    "network:\n  security_groups:\n    alb:\n      egress: [{port: 9000, group: app, description: API}]\n"
    "    app:\n      ingress: [{port: 9000, group: alb, description: API}]\n"
)
NO_SECRETS = {"    DATABASE_CREDENTIALS: {database_secret: true}\n": "", "  secrets:  ": "  secrets: {}"}


def containers(builds: dict[str, EnvironmentBuild], env: str = "dev") -> dict[str, Any]:
    return template(builds, env, "containers.json")


def imported(env: str, name: str) -> dict[str, str]:
    return {"Fn::ImportValue": f"{APP}-{env}-{name}"}


def the_container(builds: dict[str, EnvironmentBuild], env: str = "dev") -> dict[str, Any]:
    [container] = properties(containers(builds, env), "TaskDefinition")["ContainerDefinitions"]
    return container


def statements(builds: dict[str, EnvironmentBuild], role: str, env: str = "dev") -> dict[str, dict[str, Any]]:
    """The role's statements by Sid (those from params grants have none)."""
    return {statement["Sid"]: statement for statement in all_statements(builds, role, env) if "Sid" in statement}


def all_statements(builds: dict[str, EnvironmentBuild], role: str, env: str = "dev") -> list[dict[str, Any]]:
    policies = properties(containers(builds, env), role).get("Policies", [])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def secret_arn(name: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}"}
