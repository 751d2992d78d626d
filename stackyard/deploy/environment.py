"""What a deploy, plan or delete run works on: a generated environment, and the run's options."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stackyard.deploy.scheduler import DEFAULT_CONCURRENCY
from stackyard.manifest import Manifest


@dataclass(frozen=True)
class DeployOptions:
    plan_only: bool = False
    allow_replace: bool = False
    assume_yes: bool = False
    interactive: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    region_override: str | None = None
    resume_command: str = "python deploy.py"  # what an interrupted run tells the user to run next
    refresh_images: bool = (
        False  # --refresh-images: image parameters take the newest image (stackyard/deploy/images.py)
    )
    skip_resources: tuple[str, ...] = ()  # what a failed rollback may skip (stackyard/deploy/rollback.py)
    # The guards' options (docs/deploy.md, "Guards"): the service role instead of params' guards.role_arn, going
    # on over drifted stateful resources, and keeping a failed update as it failed.
    role_arn: str | None = None
    ignore_drift: bool = False
    no_rollback: bool = False


@dataclass
class Environment:
    """A generated environment as deploy sees it: its manifest and where its files are."""

    manifest: Manifest
    env_dir: Path
    project_dir: Path = Path(".")  # Lambda package folders are relative to it

    @property
    def name(self) -> str:
        return self.manifest.environment

    def region(self, stack: str, options: DeployOptions) -> str:
        return self.manifest.stack_region(stack, options.region_override)

    def home_region(self, options: DeployOptions) -> str:
        return options.region_override or self.manifest.region


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]


def request_token(run_id: str, stack: str, operation: str) -> str:
    """A ClientRequestToken naming the run, stack and operation (CloudFormation allows [a-zA-Z0-9-], 128)."""
    return re.sub(r"[^a-zA-Z0-9-]+", "-", f"stackyard-{run_id}-{stack}-{operation}")[:128]
