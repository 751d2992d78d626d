"""A deploy, plan or delete run, end to end: the build, the checks before any change, the executor,
the outputs file and the summary. deploy.py only parses arguments and calls `run`.

Exit codes: 0 done (a plan: nothing would change), 1 a stack failed, 2 bad input (nothing was
changed), 3 a plan found changes.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stackyard import report
from stackyard.errors import EXIT_FAILURE, EXIT_OK, BadInputError, StackyardError

if TYPE_CHECKING:
    from stackyard.executor import Environment

# boto3, rich and the generate pipeline are imported where they are used, so that importing this
# module (deploy.py --help reads its defaults) stays fast (docs/performance.md).

EXIT_CHANGES_PLANNED = 3
DEFAULT_ENV = "dev"
ENV_VARIABLE = "STACKYARD_ENV"


@dataclass
class RunRequest:
    env: str | None = None
    delete: bool = False
    plan: bool = False
    assume_yes: bool = False
    only: list[str] = field(default_factory=list)
    allow_replace: bool = False
    concurrency: int = 4
    region: str | None = None
    profile: str | None = None
    outputs_file: Path | None = None
    system_dir: Path = Path(".")  # holds params/, and by default build/, outputs/ and logs/
    params_dir: Path | None = None
    build_dir: Path | None = None
    generate_first: bool = True
    delete_artifacts: bool = False

    def __post_init__(self):
        self.params_dir = self.params_dir or self.system_dir / "params"
        self.build_dir = self.build_dir or self.system_dir / "build"

    @property
    def log_dir(self) -> Path:
        return self.system_dir / "logs"


def run(request: RunRequest, interactive: bool | None = None) -> int:
    interactive = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    try:
        return _run(request, interactive)
    except StackyardError as problem:
        report.error(problem, sys.stderr)
        return problem.exit_code


def _run(request: RunRequest, interactive: bool) -> int:
    env = request.env or os.environ.get(ENV_VARIABLE) or DEFAULT_ENV
    if request.concurrency < 1:
        raise BadInputError(f"--concurrency {request.concurrency}: expected 1 or more")
    from stackyard.aws import Aws
    from stackyard.executor import DeployOptions, new_run_id
    from stackyard.progress import Progress

    environment = _environment(request, env)
    stacks = _selected(environment, request.only)
    if request.delete and not request.assume_yes:
        _confirm_delete(env, stacks, interactive)
    aws = Aws(request.profile, request.region or environment.manifest.region)
    account = aws.account_id(request.region or environment.manifest.region)
    run_id = new_run_id()
    options = DeployOptions(
        plan_only=request.plan,
        allow_replace=request.allow_replace,
        assume_yes=request.assume_yes,
        interactive=interactive,
        concurrency=request.concurrency,
        region_override=request.region,
    )
    verb = "delete" if request.delete else "plan" if request.plan else "deploy"
    with Progress(env, stacks, request.log_dir / f"{verb}-{env}-{run_id}.log") as progress:
        progress.line("account", f"{account}: {verb} {len(stacks)} stacks of {env}")
        if request.delete:
            return _delete(aws, environment, progress, options, run_id, stacks, request)
        return _deploy(aws, environment, progress, options, run_id, stacks, request)


def _deploy(aws, environment, progress, options, run_id, stacks, request) -> int:
    from stackyard.executor import Deployer

    deployer = Deployer(aws, environment, progress, options, run_id=run_id)
    outcomes = deployer.deploy(stacks)
    progress.summary(outcomes)
    if not request.plan:
        path = request.outputs_file or request.system_dir / "outputs" / f"{environment.name}.json"
        _write_outputs(path, deployer.outputs())
        print(f"outputs: {path}")
    if any(not outcome.ok for outcome in outcomes.values()):
        return EXIT_FAILURE
    if request.plan:
        return EXIT_CHANGES_PLANNED if any(outcome.result == "planned" for outcome in outcomes.values()) else EXIT_OK
    return EXIT_OK


def _delete(aws, environment, progress, options, run_id, stacks, request) -> int:
    from stackyard.deletion import Deleter

    deleter = Deleter(aws, environment, progress, options, run_id=run_id)
    outcomes = deleter.delete(stacks)
    if request.delete_artifacts and all(outcome.ok for outcome in outcomes.values()):
        outcomes.update(deleter.delete_artifact_stacks(environment.manifest.regions(stacks, request.region)))
    progress.summary(outcomes)
    if deleter.kept:
        print("kept by their templates (delete them by hand when no longer needed):")
        for kept in deleter.kept:
            print(f"  {kept}")
    return EXIT_OK if all(outcome.ok for outcome in outcomes.values()) else EXIT_FAILURE


def _environment(request: RunRequest, env: str) -> Environment:
    from stackyard.executor import Environment
    from stackyard.generate import generate
    from stackyard.manifest import MANIFEST_FILE, MissingManifestError, load

    if request.generate_first:
        result = generate(request.params_dir, request.build_dir, [env])
        if not result.lint.clean:
            for finding in result.lint.findings:
                print(f"  {finding}", file=sys.stderr)
            raise StackyardError(
                f"environment {env} does not lint clean ({len(result.lint.findings)} findings); "
                f"nothing was deployed. Fix the templates, then deploy again"
            )
    env_dir = request.build_dir / env
    try:
        manifest = load(env_dir / MANIFEST_FILE)
    except MissingManifestError as missing:
        raise BadInputError(f"{missing}, or deploy without --no-generate") from None
    manifest.verify(env_dir)
    return Environment(manifest, env_dir, request.params_dir.resolve().parent)


def _selected(environment: Environment, only: list[str]) -> list[str]:
    known = environment.manifest.deploy_order
    unknown = [stack for stack in only if stack not in known]
    if unknown:
        raise BadInputError(
            f"--only {' '.join(unknown)}: environment {environment.name} has no such stack; its "
            f"stacks: {', '.join(known)}"
        )
    return [stack for stack in known if not only or stack in only]


def _confirm_delete(env: str, stacks: list[str], interactive: bool) -> None:
    if not interactive:
        raise BadInputError(f"deleting {env} needs --yes when not run from a terminal; nothing was deleted")
    answer = input(f"Delete {len(stacks)} stacks of {env} ({', '.join(stacks)})? Type the environment name: ")
    if answer.strip() != env:
        raise BadInputError(f"not confirmed (expected {env!r}); nothing was deleted")


def _write_outputs(path: Path, outputs: dict[str, dict[str, str]]) -> None:
    """Every stack's outputs; stacks not in this run keep what the file had."""
    try:
        existing = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        existing = {}
    merged = {**existing, **outputs}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(dict(sorted(merged.items())), indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
