"""Deploy a generated environment to AWS (or an emulator), plan it, or delete it.

    python deploy.py --env test              generate, lint, then deploy every stack of test
    python deploy.py --env test --plan       show every change set, change nothing
    python deploy.py --env test --delete     delete the environment, in reverse order
    python deploy.py --system examples/NAME --env dev   another system (its params/, build/, outputs/)

AWS_ENDPOINT_URL points the same command at an emulator, e.g. LocalStack:
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 python deploy.py --env local

Exit codes: 0 done (a plan: nothing would change), 1 a stack failed or lint failed,
2 bad input (nothing was changed), 3 a plan found changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stackyard.deploy import DEFAULT_ENV, ENV_VARIABLE
from stackyard.scheduler import DEFAULT_CONCURRENCY


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from stackyard.deploy import RunRequest, run  # boto3, rich and the pipeline: not for --help

    return run(
        RunRequest(
            env=args.env,
            delete=args.delete,
            plan=args.plan,
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
        )
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", help=f"environment to deploy (default: ${ENV_VARIABLE}, else {DEFAULT_ENV})")
    parser.add_argument("--delete", action="store_true", help="delete the environment's stacks, in reverse order")
    parser.add_argument(
        "--plan", action="store_true", help="create and show every change set, then delete them; change nothing"
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
        help=f"stacks deployed at once (default {DEFAULT_CONCURRENCY})",
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
        help="with --delete: also delete the artifact bucket stacks (shared by environments)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
