"""Deploy a generated environment to AWS (or an emulator), plan it, or delete it.

    python deploy.py deploy --env test          generate, lint, then deploy every stack of test
    python deploy.py plan --env test            show what a deploy would do; change nothing
    python deploy.py delete --env test          delete the environment, in reverse order
    python deploy.py delete --plan --env test   show what a delete would remove, empty and keep
    python deploy.py drift --env test           what was changed outside CloudFormation (exit 3 when anything was)
    python deploy.py verify --env test          run the environment's checks against what is deployed
    python deploy.py deploy --env test --verify deploy, then verify
    python deploy.py --system examples/NAME --env dev   another system (its params/, build/, outputs/)

The verb comes first and defaults to deploy; the older spelling `--plan` / `--delete` still works
(`--delete --plan` plans the delete). AWS_ENDPOINT_URL points the same command at an emulator:
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 python deploy.py --env local

Exit codes: 0 done (a plan: nothing to do), 1 a stack failed, lint failed, a plan found the run
would be refused, or another run holds the environment's lock; 2 bad input (nothing was changed);
3 a plan found something to do, or drift found drifted resources; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stackyard.deploy.defaults import DEFAULT_ENV, ENV_VARIABLE
from stackyard.deploy.scheduler import DEFAULT_CONCURRENCY, MAX_CONCURRENCY

if TYPE_CHECKING:
    from stackyard.deploy.run import RunRequest, Seams

VERBS = ("plan", "deploy", "delete", "verify", "drift")


def main(argv: list[str] | None = None, seams: Seams | None = None) -> int:
    """`seams`: what tests put in place of AWS, the clock and Ctrl-C (tests/faults/)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.verb in ("deploy", "verify", "drift") and (args.plan or args.delete):
        parser.error(f"the {args.verb} verb cannot go with --plan or --delete (use: plan, delete, or delete --plan)")
    from stackyard.deploy.run import RunRequest

    return run(
        RunRequest(
            env=args.env,
            delete=args.verb == "delete" or args.delete,
            plan=args.verb == "plan" or args.plan,
            assume_yes=args.yes,
            only=args.only or [],
            allow_replace=args.allow_replace,
            concurrency=args.concurrency,
            region=args.region,
            profile=args.profile,
            outputs_file=args.outputs_file,
            system_dir=args.system,
            params_dir=args.params,
            build_dir=args.build_dir,
            generate_first=not args.no_generate,
            delete_artifacts=args.delete_artifacts,
            force_unlock=args.force_unlock,
            skip_resources=args.skip_resources or [],
            refresh_images=args.refresh_images,
            drift=args.verb == "drift",
            role_arn=args.role_arn,
            ignore_drift=args.ignore_drift,
            no_rollback=args.no_rollback,
            plan_format=args.plan_format,
            verify_only=args.verb == "verify",
            verify=args.verify,
        ),
        seams=seams,
    )


def run(request: RunRequest, seams: Seams | None = None) -> int:
    """stackyard.deploy.run.run, imported only now: boto3, rich and the pipeline are not for --help."""
    from stackyard.deploy import run as deploy_run

    return deploy_run.run(request, seams=seams)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        usage="%(prog)s [plan | deploy | delete | verify] [--env ENV] [options]",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "verb", nargs="?", choices=VERBS, help="what to do (default: deploy); put it before the options"
    )
    parser.add_argument(
        "--env",
        help=f"environment to deploy (default: ${ENV_VARIABLE}, else params base.yaml's default_environment, "
        f"else {DEFAULT_ENV})",
    )
    parser.add_argument("--delete", action="store_true", help="the delete verb, as an option (older spelling)")
    parser.add_argument(
        "--plan",
        action="store_true",
        help="the plan verb, as an option (older spelling); with --delete: plan the delete",
    )
    parser.add_argument(
        "--plan-format",
        choices=("text", "markdown"),
        default="text",
        help="with plan: markdown writes the plan (every stack, each change set with replacements and data loss "
        "marked) as Markdown to standard output, for a CI job summary; the progress goes to standard error",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="with deploy: once every stack is deployed, run the environment's checks (the verify verb)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask (for CI): confirm risky changes and deletes")
    parser.add_argument("--only", nargs="+", metavar="STACK", help="only these stacks (their sources must be deployed)")
    parser.add_argument(
        "--allow-replace",
        action="store_true",
        help="let change sets replace or remove stateful resources (databases, buckets, ...)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"stacks deployed at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument("--region", help="deploy the environment's regional stacks to this region instead")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE, else the default credentials)")
    parser.add_argument(
        "--outputs-file",
        type=Path,
        metavar="FILE",
        help="where every stack's outputs are written (default: SYSTEM/outputs/ENV.json)",
    )
    parser.add_argument(
        "--system",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the system's folder: its params/, build/, outputs/ and logs/ (default: this folder)",
    )
    parser.add_argument("--params", type=Path, metavar="DIR", help="params folder (default: SYSTEM/params)")
    parser.add_argument("--build-dir", type=Path, metavar="DIR", help="build folder (default: SYSTEM/build)")
    parser.add_argument(
        "--no-generate", action="store_true", help="deploy the existing build as it is (verified against its manifest)"
    )
    parser.add_argument(
        "--delete-artifacts",
        action="store_true",
        help="with delete: also delete the artifact bucket stacks (shared by environments)",
    )
    parser.add_argument(
        "--force-unlock",
        metavar="RUN_ID",
        help="break the deploy lock that run RUN_ID left (it was killed), then deploy or delete",
    )
    parser.add_argument(
        "--refresh-images",
        action="store_true",
        help="move image parameters (the app server's Amazon Linux) to the newest image; by default a deployed "
        "stack stays on the image it runs. Replacing an instance also needs --allow-replace",
    )
    parser.add_argument(
        "--skip-resources",
        type=_names,
        metavar="A,NESTED.B",
        help="with deploy --only STACK: let the stack's failed rollback skip these resources (they drift from "
        "the template); a nested stack's resource as NestedLogicalId.LogicalId",
    )
    guards = parser.add_argument_group("guards (docs/deploy.md, Guards)")
    guards.add_argument(
        "--role-arn",
        metavar="ARN",
        help="the CloudFormation service role every create, update, delete and rollback runs as "
        "(default: params guards.role_arn)",
    )
    guards.add_argument(
        "--ignore-drift",
        action="store_true",
        help="update stacks whose stateful resources drifted from their templates (they stop the deploy otherwise)",
    )
    guards.add_argument(
        "--no-rollback",
        action="store_true",
        help="keep a failed create or update as it failed, for inspection (environments whose params allow it); "
        "the next deploy rolls it back, or retries it with --no-rollback",
    )
    return parser


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or not all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", name) for name in names):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected logical ids separated by commas, such as Queue,Vpc.Subnet"
        )
    return names


if __name__ == "__main__":
    sys.exit(main())
