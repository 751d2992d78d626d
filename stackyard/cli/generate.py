"""Generate the CloudFormation of every environment from params/, then lint it.

    python generate.py                            every environment in params/
    python generate.py --env test                 one environment (repeat --env for more)
    python generate.py --system examples/NAME     another system: its params/, written to its build/
    python generate.py --system . --system examples/NAME ...   several systems in one run (make generate)

Writes build/<env>/<stack>.json (nested children in build/<env>/<stack>/), the stack policies of the
stacks holding data beside them (<stack>.stack-policy.json), and build/<env>/manifest.json. Exit
codes: 0 clean, 1 lint findings, 2 bad input (of several systems: the highest). When nothing a
build depends on changed since it linted clean, nothing is built or linted again (docs/performance.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from stackyard.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, StackyardError

# Only argparse and the standard library at import: `--help` and a run that nothing changed must
# start fast, so the pipeline and the summary are imported by `main` (docs/performance.md).


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    systems: list[Path] = args.system or [Path(".")]
    if len(systems) > 1 and (args.params or args.build_dir):
        print("error: --params and --build-dir name one system's folders; give them with one --system", file=sys.stderr)
        return EXIT_BAD_INPUT
    from stackyard import report
    from stackyard.generate import GenerateRequest, generate_all

    requests = [
        GenerateRequest(args.params or system / "params", args.build_dir or system / "build", args.env)
        for system in systems
    ]
    try:
        outcomes = generate_all(requests, run_lint=not args.skip_lint)
    except StackyardError as problem:
        report.error(problem, sys.stderr)
        return problem.exit_code
    several = len(systems) > 1
    codes = []
    for system, outcome in zip(systems, outcomes, strict=True):
        if several:
            print(f"system {system}", flush=True)
        if isinstance(outcome, StackyardError):
            report.error(outcome, sys.stderr)
            codes.append(outcome.exit_code)
        else:
            report.generate_summary(outcome, None if several else time.perf_counter() - started, sys.stdout)
            codes.append(EXIT_OK if outcome.lint is None or outcome.lint.clean else EXIT_FAILURE)
        if several:
            print(flush=True)
    if several:
        print(f"{len(systems)} systems done in {time.perf_counter() - started:.2f} s")
    return max(codes)


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
        action="append",
        metavar="DIR",
        help="the system's folder: its params/ (and sql/, lambdas/); repeatable, one run for several "
        "systems (default: this folder)",
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
