"""Generate the CloudFormation of every environment from params/, then lint it.

    python generate.py                            every environment in params/
    python generate.py --env test                 one environment (repeat --env for more)
    python generate.py --system examples/NAME     another system: its params/, written to its build/

Writes build/<env>/<stack>.json (nested children in build/<env>/<stack>/), the stack policies of the
stacks holding data beside them (<stack>.stack-policy.json), and
build/<env>/manifest.json. Exit codes: 0 clean, 1 lint findings, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from stackyard import report
from stackyard.errors import EXIT_FAILURE, EXIT_OK, StackyardError
from stackyard.generate import generate


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        result = generate(
            args.params or args.system / "params",
            args.build_dir or args.system / "build",
            args.env,
            run_lint=not args.skip_lint,
        )
    except StackyardError as problem:
        report.error(problem, sys.stderr)
        return problem.exit_code
    report.generate_summary(result, time.perf_counter() - started, sys.stdout)
    return EXIT_OK if result.lint is None or result.lint.clean else EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--env",
        action="append",
        metavar="ENV",
        help="generate only this environment (params/ENV.yaml); repeatable; default: all",
    )
    parser.add_argument(
        "--system",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the system's folder: its params/ (and sql/, lambdas/) (default: this folder)",
    )
    parser.add_argument(
        "--params",
        type=Path,
        metavar="DIR",
        help="params folder holding base.yaml and one ENV.yaml per environment (default: SYSTEM/params)",
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        metavar="DIR",
        help="where templates and manifests are written (default: SYSTEM/build)",
    )
    parser.add_argument(
        "--skip-lint",
        action="store_true",
        help="write the templates without running cfn-lint (exit 0 unless the input is bad)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
