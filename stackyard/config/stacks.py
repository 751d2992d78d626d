"""Which stacks an environment can list, the params sections each reads, and what follows from the list.

The section modules' checks ask these questions too, so they live apart from the root model
(environment.py), which is built from those modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

# Every stack a template module can build, in the order they are listed (templates.STACK_MODULES),
# and the params sections each one reads.
STACK_SECTIONS = {
    "network": ("network",),
    "storage": ("storage",),
    "alerts": ("monitoring",),
    "messaging": ("messaging", "monitoring"),
    "auth": ("auth",),
    "database": ("database", "network", "monitoring"),
    "tables": ("tables",),
    "functions": ("functions",),
    "roles": ("roles",),
    "compute": ("compute", "storage", "messaging", "monitoring"),
    "containers": ("containers",),
    "edge-global": ("edge",),
    "edge": ("edge",),  # and monitoring with an app behind its load balancer (its alarms): sections_needed
    "dashboard": ("edge",),  # and the sections of the stacks it graphs, when they are in stacks
    "ci": ("ci",),
}
STACK_NAMES = tuple(STACK_SECTIONS)
# The stacks running an app the edge puts behind its load balancer (EC2 compute, ECS containers); an
# environment has at most one.
APP_STACKS = ("compute", "containers")


def app_behind_load_balancer(config: EnvironmentConfig) -> bool:
    """The environment runs an app, which the edge serves through its load balancer; without one the
    edge is CloudFront in front of the site's bucket only."""
    return any(stack in config.stacks for stack in APP_STACKS)


def site_bucket(config: EnvironmentConfig) -> str | None:
    """The storage bucket the environment's CloudFront serves (edge.site_bucket), if any."""
    return config.edge.site_bucket if "edge" in config.stacks and config.edge is not None else None


def app_port(config: EnvironmentConfig) -> int | None:
    """The port the app listens on behind the load balancer: the app server's or the containers'."""
    if "containers" in config.stacks and config.containers is not None:
        return config.containers.port
    if "compute" in config.stacks and config.compute is not None:
        return config.compute.app_port
    return None


def sections_needed(config: EnvironmentConfig, stack: str) -> tuple[str, ...]:
    """The params sections `stack` reads in this environment."""
    if stack == "edge" and app_behind_load_balancer(config):
        return (*STACK_SECTIONS[stack], "monitoring")
    return STACK_SECTIONS[stack]


def validate_sections(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Each listed stack has the sections it reads; the other checks rely on this."""
    return [
        problem_at(
            params,
            ("stacks",),
            f"stack {stack} needs a {section} section, which these params do not have; expected one "
            f"(params/base.yaml of the default system shows its keys), or {stack} left out of stacks",
        )
        for stack in config.stacks
        for section in sections_needed(config, stack)
        if getattr(config, section) is None
    ]


def validate_app_stacks(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """What runs the app behind the load balancer: one of compute or containers."""
    if all(stack in config.stacks for stack in APP_STACKS):
        return [
            problem_at(
                params,
                ("stacks",),
                "compute (an EC2 app server) and containers (ECS Fargate) both run the app behind the load balancer; "
                "expected one of them in stacks",
            )
        ]
    return []
