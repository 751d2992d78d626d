"""What a deploy, plan, delete, drift or verify run is asked to do (RunRequest: the command line, checked before
anything is read or called), and what tests put in place of the real thing (Seams). stackyard/deploy/run.py runs it.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stackyard.aws import Aws
from stackyard.aws.partitions import unknown_region
from stackyard.deploy.clock import Clock, SystemClock
from stackyard.deploy.defaults import ENV_VARIABLE
from stackyard.deploy.guards.options import option_problems
from stackyard.deploy.interrupt import Interrupt
from stackyard.deploy.scheduler import DEFAULT_CONCURRENCY, MAX_CONCURRENCY

if TYPE_CHECKING:  # verify's modules are imported by verify alone (docs/performance.md)
    from stackyard.deploy.verify.probes import Probes


@dataclass
class RunRequest:
    env: str | None = None
    delete: bool = False
    plan: bool = False  # with delete: plan the delete
    assume_yes: bool = False
    only: list[str] = field(default_factory=list)
    allow_replace: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    region: str | None = None
    profile: str | None = None
    outputs_file: Path | None = None
    system_dir: Path = Path(".")  # holds params/, and by default build/, outputs/ and logs/
    params_dir: Path | None = None
    build_dir: Path | None = None
    generate_first: bool = True
    delete_artifacts: bool = False
    force_unlock: str | None = None  # the run id whose lock to break first
    skip_resources: list[str] = field(default_factory=list)  # what a failed rollback may skip
    refresh_images: bool = False  # image parameters take the newest image instead of the deployed one
    drift: bool = False  # the drift verb: detect drift on every stack, change nothing
    role_arn: str | None = None  # the CloudFormation service role, instead of params' guards.role_arn
    ignore_drift: bool = False
    no_rollback: bool = False
    plan_format: str = "text"  # markdown: a deploy's plan as Markdown on standard output, progress on stderr
    verify_only: bool = False  # the verify verb: check the deployed environment, change nothing
    verify: bool = False  # deploy, then verify

    def __post_init__(self) -> None:
        self.params_dir = self.params_dir or self.system_dir / "params"
        self.build_dir = self.build_dir or self.system_dir / "build"

    @property
    def log_dir(self) -> Path:
        return self.system_dir / "logs"

    @property
    def verb(self) -> str:
        if self.drift:
            return "drift"
        return "verify" if self.verify_only else "delete" if self.delete else "plan" if self.plan else "deploy"

    def problems(self) -> list[str]:
        """What is wrong with the request itself, before anything is read or called."""
        found = []
        if self.env == "":
            found.append('--env "": expected an environment name')
        if self.env is None and os.environ.get(ENV_VARIABLE) == "":
            found.append(f"{ENV_VARIABLE} is set but empty: set it to an environment name, or pass --env")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            found.append(f"--concurrency {self.concurrency}: expected 1 to {MAX_CONCURRENCY}")
        if self.delete_artifacts and not self.delete:
            found.append("--delete-artifacts only goes with delete (or --delete)")
        if self.plan_format == "markdown" and (self.delete or not self.plan):
            found.append("--plan-format markdown goes with plan (a deploy's plan), not with deploy or delete")
        if self.verify and (self.plan or self.delete or self.verify_only):
            found.append("--verify goes with deploy: a plan or delete leaves nothing to verify; or use the verify verb")
        if self.verify_only and (self.only or self.force_unlock is not None):
            found.append(
                "verify checks the whole environment and takes no lock: --only and --force-unlock go with "
                "deploy or delete"
            )
        if self.force_unlock is not None and self.plan:
            found.append("--force-unlock breaks a lock, which a plan never takes: use it with deploy or delete")
        region_problem = unknown_region(self.region, "--region") if self.region is not None else None
        if region_problem:
            found.append(region_problem)
        if self.skip_resources and (self.verb != "deploy" or len(self.only) != 1):
            found.append(
                "--skip-resources continues one stack's failed rollback: use it with deploy and --only that stack"
            )
        return found + self._guard_problems()

    def _guard_problems(self) -> list[str]:
        writes = self.delete or self.plan or self.force_unlock is not None or self.allow_replace or self.verify
        return option_problems(
            self.verb,
            reads_only=writes,
            no_rollback=self.no_rollback,
            ignore_drift=self.ignore_drift,
            role_arn=self.role_arn,
        )

    def resume_command(self, env: str) -> str:
        """The command that runs this verb again for the same stacks."""
        words = ["python", "deploy.py", self.verb, "--env", env]
        if self.system_dir != Path("."):
            words += ["--system", str(self.system_dir)]
        words += ["--only", *self.only] if self.only else []
        words += ["--region", self.region] if self.region else []
        words += ["--profile", self.profile] if self.profile else []
        words += ["--role-arn", self.role_arn] if self.role_arn else []
        words += ["--no-rollback"] if self.no_rollback else []
        return shlex.join(words)


@dataclass
class Seams:
    """What tests put in place of the real thing: AWS clients, the clock, the Ctrl-C flag."""

    aws: Aws | None = None
    clock: Clock = field(default_factory=SystemClock)
    interrupt: Interrupt = field(default_factory=Interrupt)
    probes: Probes | None = None  # verify's network reads (tests trust a CA of their own)
