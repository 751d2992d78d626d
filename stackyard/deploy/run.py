"""A deploy, plan or delete run, end to end: the checks before any change, the lock, the verb's
pipeline, the outputs file and the summary. deploy.py only parses arguments and calls `run`.

Exit codes: 0 done (a plan: nothing to do), 1 a stack failed (or a plan found the deploy or delete
would be refused, or another run holds the lock), 2 bad input (nothing was changed), 3 a plan found
something to do, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stackyard import report
from stackyard.aws import Aws, AwsError, check_endpoint_urls
from stackyard.deploy.artifacts import ArtifactBuckets
from stackyard.deploy.defaults import DEFAULT_ENV, ENV_VARIABLE
from stackyard.deploy.delete_plan import DeletePlan, Kept
from stackyard.deploy.delete_planner import DeletePlanner
from stackyard.deploy.deletion import DeleteDisplay, Deleter
from stackyard.deploy.deployment import Deployment
from stackyard.deploy.environment import DeployOptions, Environment, new_run_id
from stackyard.deploy.guards.drift import drift_verb
from stackyard.deploy.guards.options import no_rollback_refusal
from stackyard.deploy.interrupt import Interrupt, first_stops_second_exits
from stackyard.deploy.lock import DeployLock, LockHolder, force_unlock, lock_key
from stackyard.deploy.outputs import output_lines, write_outputs
from stackyard.deploy.plan_markdown import plan_markdown
from stackyard.deploy.precheck import NoOp, nothing_to_change
from stackyard.deploy.progress import Progress
from stackyard.deploy.record import DeployRecord
from stackyard.deploy.request import RunRequest, Seams
from stackyard.deploy.rollback import check_skip_request
from stackyard.deploy.scheduler import Outcome
from stackyard.deploy.validation import OUTPUTS_KEY
from stackyard.deploy.watch import Watcher
from stackyard.errors import (
    EXIT_CHANGES_PLANNED,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInputError,
    StackyardError,
)
from stackyard.generate import generate
from stackyard.manifest import MANIFEST_FILE, MissingManifestError, load


@dataclass(frozen=True)
class RunContext:
    """What every step of one run works with: the request, the environment's build, the AWS it reaches, the
    options taken from both, this run's id, the stacks selected, and the test seams."""

    request: RunRequest
    environment: Environment
    aws: Aws
    options: DeployOptions
    run_id: str
    stacks: list[str]
    seams: Seams


def run(request: RunRequest, interactive: bool | None = None, seams: Seams | None = None) -> int:
    interactive = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    try:
        return _run(request, interactive, seams or Seams())
    except StackyardError as problem:
        report.error(problem, sys.stderr)
        return problem.exit_code


def _run(request: RunRequest, interactive: bool, seams: Seams) -> int:
    problems = request.problems()
    if problems:
        raise BadInputError("; ".join(problems))
    if seams.aws is None:
        check_endpoint_urls(os.environ)  # before generate writes anything
    env = request.env or os.environ.get(ENV_VARIABLE) or _default_environment(request)
    environment = _environment(request, env)
    stacks = _selected(environment, request.only)
    refused = no_rollback_refusal(env, environment.manifest.guards.allow_no_rollback)
    if request.no_rollback and refused:
        raise BadInputError(refused)
    if request.delete and not request.plan and not request.assume_yes:
        _confirm_delete(env, stacks, interactive)
    home = request.region or environment.manifest.region
    aws = seams.aws or Aws(request.profile, home)
    account = aws.account_id(home)
    run_id = new_run_id()
    options = DeployOptions(
        plan_only=request.plan,
        allow_replace=request.allow_replace,
        assume_yes=request.assume_yes,
        interactive=interactive,
        concurrency=request.concurrency,
        region_override=request.region,
        resume_command=request.resume_command(env),
        skip_resources=tuple(request.skip_resources),
        refresh_images=request.refresh_images,
        role_arn=request.role_arn,
        ignore_drift=request.ignore_drift,
        no_rollback=request.no_rollback,
    )
    context = RunContext(request, environment, aws, options, run_id, stacks, seams)
    if request.verify_only:
        return _verify(context)
    label = "plan-delete" if request.delete and request.plan else request.verb
    shown_on = sys.stderr if request.plan_format == "markdown" else None  # standard output is the Markdown's
    with Progress(env, stacks, request.log_dir / f"{label}-{env}-{run_id}.log", out=shown_on) as progress:
        announce = _announcer(progress)
        with first_stops_second_exits(seams.interrupt, announce):
            progress.line("account", f"{account}: {label} {len(stacks)} stacks of {env}")
            if request.drift:
                return _drift(context, progress)
            if request.delete:
                return _delete(context, progress)
            code = _deploy(context, progress, account)
    return _verify(context) if request.verify and code == EXIT_OK else code


def _verify(context: RunContext) -> int:
    """The environment's checks against what is deployed (stackyard/deploy/verify/), after reading its params."""
    from stackyard.config.load import load_config
    from stackyard.deploy.verify.probes import Probes, aws_bucket_url
    from stackyard.deploy.verify.runner import emulated, verify

    params_dir, environment = context.request.params_dir, context.environment
    assert params_dir is not None
    probes = context.seams.probes or Probes(bucket_url=None if emulated(os.environ) else aws_bucket_url)
    return verify(context.aws, environment, context.options, load_config(params_dir, environment.name), probes)


def _announcer(progress: Progress) -> Callable[[], None]:
    def announce() -> None:
        progress.line(
            "interrupt",
            "Ctrl-C: starting nothing new and executing no further change set; operations already running go on "
            "in CloudFormation. Press Ctrl-C again to exit at once",
        )

    return announce


def _deploy(context: RunContext, progress: Progress, account: str) -> int:
    request, environment, options, seams = context.request, context.environment, context.options, context.seams
    record = DeployRecord(environment.manifest.app, environment.name)
    deployment = Deployment(
        context.aws, environment, progress, options, context.run_id, seams.clock, seams.interrupt, record
    )
    if options.skip_resources:  # read, then refused as bad input before anything changes
        target = deployment.planner.target(context.stacks[0])
        check_skip_request(context.aws.stack_reader(target.region), target.name, options.skip_resources)
    path = request.outputs_file or request.system_dir / "outputs" / f"{environment.name}.json"
    noop = _look_first(context, deployment)
    if noop is not None:  # nothing to change: no bootstrap step, no lock (stackyard/deploy/precheck.py)
        outcomes, bootstrap_notes = noop.finish(deployment), list[str]()
        _write_outputs(path, deployment)
    else:
        outcomes, bootstrap_notes = _deploy_locked(context, progress, deployment, path)
    progress.summary(outcomes)
    if request.plan_format == "markdown":
        print(plan_markdown(environment.manifest.app, environment.name, outcomes, deployment.plans), end="")
    if not options.plan_only:
        shown = output_lines(deployment.outputs_of_environment())
        print(f"outputs (in {path}):" if shown else f"outputs: {path}")
        for line in shown:
            print(line)
        for line in deployment.planner.container_images.next_steps(account, options.resume_command):
            print(line)
        for line in deployment.pending_reboots:
            print(line)
        _print_pending_validation(deployment.validation.pending(), path)
    code = _exit_code(outcomes, seams.interrupt, options.plan_only)
    return EXIT_CHANGES_PLANNED if code == EXIT_OK and bootstrap_notes else code  # a bootstrap change is a change


def _look_first(context: RunContext, deployment: Deployment) -> NoOp | None:
    """A deploy that changes nothing, found before the lock; None when the normal path must run: a plan,
    or a request that writes by itself (--force-unlock breaks a lock, --skip-resources continues a rollback)."""
    options, seams = context.options, context.seams
    if options.plan_only or context.request.force_unlock or options.skip_resources:
        return None
    assert deployment.record is not None
    return nothing_to_change(
        context.aws,
        context.environment,
        options,
        context.run_id,
        context.stacks,
        seams.clock,
        seams.interrupt,
        deployment.record,
    )


def _deploy_locked(
    context: RunContext, progress: Progress, deployment: Deployment, path: Path
) -> tuple[dict[str, Outcome], list[str]]:
    """The normal path: the artifact buckets made or updated, the lock taken, every stack deployed (or, for a
    plan, only read and shown); the outcomes and what a plan says a deploy would do first."""
    aws, options, stacks = context.aws, context.options, context.stacks
    lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    bootstrap_notes = deployment.bootstrap_notes(stacks) if options.plan_only else []
    home = context.environment.home_region(options)
    if options.plan_only:
        for note in bootstrap_notes:
            progress.line("bootstrap", note)
    else:
        for region in deployment.regions_needing_buckets(stacks):
            deployment.ensure_artifact_bucket(region)
    bucket = deployment.artifacts.find(home)  # a plan: as bootstrap_notes found it
    if not options.plan_only:
        lock = _lock(context, bucket, progress)
    record = deployment.record
    assert record is not None
    with lock:
        record.load(aws.s3(home) if bucket else None, bucket)  # read before the lock by a deploy that looked first
        try:
            outcomes = deployment.deploy(stacks)
        finally:
            if not options.plan_only:  # also what an interrupted or failed run gathered so far
                _write_outputs(path, deployment)
                _write_record(aws, record, home, bucket, stacks, progress)
    return outcomes, bootstrap_notes


def _write_record(
    aws: Aws, record: DeployRecord, region: str, bucket: str | None, stacks: list[str], progress: Progress
) -> None:
    """The deploy record, under the lock: what completed in this run (stackyard/deploy/record.py)."""
    if bucket is None:
        return
    try:
        record.write(aws.s3(region), bucket, stacks)
    except AwsError as error:  # e.g. a deploy role without PutObject on state/: the next run reads templates
        progress.line(
            "record",
            f"the deploy record s3://{bucket}/{record.key} was not written ({error}); the next run reads each "
            f"stack's template (GetTemplate) instead",
        )


def _write_outputs(path: Path, deployment: Deployment) -> None:
    records = deployment.validation.as_outputs()
    write_outputs(path, {**deployment.outputs_of_environment(), **({OUTPUTS_KEY: records} if records else {})})


def _delete(context: RunContext, progress: Progress) -> int:
    aws, environment, options, request = context.aws, context.environment, context.options, context.request
    watcher = Watcher(progress, context.seams.clock, context.seams.interrupt, options.resume_command)
    planner = DeletePlanner(aws, environment, options, watcher)
    order = list(environment.manifest.dependants(context.stacks))
    if options.plan_only:
        return _show_delete_plan(planner.plan(order, request.delete_artifacts), progress)
    deleter = Deleter(aws, environment, options, watcher, context.run_id)
    bucket = ArtifactBuckets(aws).find(environment.home_region(options))
    key = lock_key(environment.manifest.app, environment.name)
    with _lock(context, bucket, progress):
        plan = planner.plan(order, request.delete_artifacts, own_lock=key)
        if plan.blockers:
            raise StackyardError(
                "the delete is refused; nothing was emptied or deleted:\n  " + "\n  ".join(plan.blockers)
            )
        outcomes = deleter.delete(plan)
    if request.delete_artifacts and all(outcome.ok for outcome in outcomes.values()):
        outcomes.update(deleter.delete_artifacts(plan))
    progress.summary(outcomes)
    _print_kept(deleter.kept)
    return _exit_code(outcomes, context.seams.interrupt, plan_only=False)


def _drift(context: RunContext, progress: Progress) -> int:
    """Detect drift on every stack (nested ones included), print what drifted; exit 3 when anything did."""
    seams = context.seams
    watcher = Watcher(progress, seams.clock, seams.interrupt, context.options.resume_command)
    outcomes, lines, drifted = drift_verb(context.aws, context.environment, context.options, watcher, context.stacks)
    progress.summary(outcomes)
    print("\n".join(lines), end="\n" if lines else "")
    if seams.interrupt.requested or any(not outcome.ok for outcome in outcomes.values()):
        return _exit_code(outcomes, seams.interrupt, plan_only=False)
    return EXIT_CHANGES_PLANNED if drifted else EXIT_OK


def _show_delete_plan(plan: DeletePlan, progress: Progress) -> int:
    progress.summary(DeleteDisplay(progress).show(plan))
    if plan.blockers:
        return EXIT_FAILURE
    return EXIT_CHANGES_PLANNED if plan.anything_to_delete else EXIT_OK


def _print_pending_validation(pending: list[str], path: Path) -> None:
    if pending:
        print(f"DNS validation records to create at the domain's DNS provider (kept in {path}, {OUTPUTS_KEY}):")
        for line in pending:
            print(f"  {line}")


def _print_kept(kept: list[Kept]) -> None:
    if kept:
        print("kept by their templates (delete them by hand when no longer needed):")
        for each in kept:
            print(f"  {each}")


def _lock(context: RunContext, bucket: str | None, progress: Progress) -> contextlib.AbstractContextManager[object]:
    """The environment's deploy lock, in the home region's artifact bucket (none without a bucket:
    a delete of an environment that never had one)."""
    environment, options, request, clock = context.environment, context.options, context.request, context.seams.clock
    region = environment.home_region(options)
    if bucket is None:
        progress.line("lock", f"no artifact bucket in {region}, so no deploy lock is taken")
        return contextlib.nullcontext()
    s3 = context.aws.s3(region)
    key = lock_key(environment.manifest.app, environment.name)
    if request.force_unlock:
        progress.line("lock", force_unlock(s3, bucket, key, request.force_unlock, environment.name))
    holder = LockHolder.for_this_run(context.run_id, environment.name, options.resume_command, clock.now())
    return _held(DeployLock(s3, bucket, key, holder, clock.now()), progress)


@contextlib.contextmanager
def _held(lock: DeployLock, progress: Progress) -> Iterator[DeployLock]:
    with lock:
        progress.line("lock", f"holding the deploy lock s3://{lock.bucket}/{lock.key}")
        yield lock


def _exit_code(outcomes: dict[str, Outcome], interrupt: Interrupt, plan_only: bool) -> int:
    if interrupt.requested:
        return EXIT_INTERRUPTED
    if any(not outcome.ok for outcome in outcomes.values()):
        return EXIT_FAILURE
    if plan_only and any(outcome.result == "planned" for outcome in outcomes.values()):
        return EXIT_CHANGES_PLANNED
    return EXIT_OK


def _default_environment(request: RunRequest) -> str:
    """The system's own default (base.yaml's default_environment, seed 003: production), else dev."""
    from stackyard.params import default_environment  # YAML is read only when no environment is named

    assert request.params_dir is not None
    return default_environment(request.params_dir) or DEFAULT_ENV


def _environment(request: RunRequest, env: str) -> Environment:
    assert request.params_dir is not None and request.build_dir is not None
    if request.generate_first:
        result = generate(request.params_dir, request.build_dir, [env])
        if result.lint is not None and not result.lint.clean:
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
