"""params `functions`: Lambda functions by key, built from source folders of the project.

The checks: each function's source folder exists; a function buckets invoke has the alerts stack its
failed-event alarms notify.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from stackyard.config.access import Grant, Reference
from stackyard.config.fields import EnvironmentVariable, LogRetentionDays, Model, NonEmpty, matching
from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

FunctionKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]


class Function(Model):
    purpose: NonEmpty
    source: Annotated[
        str,
        matching(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", "a folder relative to the project, such as lambdas/processor"),
    ]
    handler: Annotated[
        str, matching(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*", "module.function, such as handler.main")
    ]
    runtime: Literal["python3.11", "python3.12", "python3.13"]
    # The CPU Lambda runs it on; requirements.txt is installed as wheels for this and the runtime's Python.
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    timeout_seconds: int = Field(ge=1, le=900)
    memory_mb: int = Field(ge=128, le=10240)
    log_retention_days: LogRetentionDays
    environment: dict[EnvironmentVariable, Reference] = Field(default_factory=dict)
    grants: list[Grant] = Field(default_factory=list)


def validate_sources(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Each function's source is a folder of the project (build packages it)."""
    return [
        problem_at(
            params,
            ("functions", key, "source"),
            f"{config.project_dir / function.source} is not a folder; expected the "
            f"function's source folder, relative to the project",
        )
        for key, function in (config.functions or {}).items()
        if not (config.project_dir / function.source).is_dir()
    ]


def validate_failure_alarms(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """S3 invokes a notified function asynchronously; its failed events and errors page through the
    alerts stack's topics (docs/security.md), so that stack must be listed."""
    if "functions" not in config.stacks or "alerts" in config.stacks or config.storage is None:
        return []
    return [
        problem_at(
            params,
            ("storage", "buckets", key, "notifications", index, "function"),
            f"bucket {key} invokes function {notification.function} asynchronously, whose failed events and "
            f"errors are alarmed through the alerts stack's topics, which is not listed; expected alerts in "
            f"stacks (and a monitoring section)",
        )
        for key, bucket in config.storage.buckets.items()
        for index, notification in enumerate(bucket.notifications)
    ]
