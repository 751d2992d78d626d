"""Test support: the default system's edge stack (params/): prod's domain and hosted zone (dev and test
have none), and its template.
"""

from __future__ import annotations

from typing import Any

from stackyard.build import EnvironmentBuild
from tests.helpers import template

DOMAIN = "one-system.example.com"  # prod's; dev and test have none
ZONE = "Z0123456789EXAMPLE"
NO_DOMAIN = ("dev", "test")
FULL_NAME = {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}


def edge(builds: dict[str, EnvironmentBuild], env: str) -> dict[str, Any]:
    return template(builds, env, "edge.json")
