"""Running an environment's checks, and the table they are shown in (docs/deploy.md, "Verify").

The checks run a few at a time (each may wait on the network up to the timeout); the table lists them in
the order params declare them: check, result (pass, FAIL, skipped) and the evidence. A check that cannot
reach what it checks fails with why; any FAIL makes the run exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from stackyard.aws import Aws, AwsError
from stackyard.config.environment import EnvironmentConfig
from stackyard.config.verify import PlannedCheck, Verify, planned_checks
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.verify.checks import KINDS
from stackyard.deploy.verify.context import Unresolved, VerifyContext
from stackyard.deploy.verify.probes import ProbeError, Probes
from stackyard.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK

PASS, FAIL, SKIPPED = "pass", "FAIL", "skipped"
AT_ONCE = 8


@dataclass(frozen=True)
class CheckResult:
    check: str
    result: str  # pass, FAIL, skipped
    evidence: str


def run_check(check: PlannedCheck, context: VerifyContext) -> CheckResult:
    if check.skipped:
        return CheckResult(check.name, SKIPPED, f"params verify.skip: {check.skipped}")
    try:
        passed, evidence = KINDS[check.kind](check, context)
    except (ProbeError, Unresolved, AwsError) as problem:
        return CheckResult(check.name, FAIL, str(problem))
    return CheckResult(check.name, PASS if passed else FAIL, evidence)


def run_checks(checks: list[PlannedCheck], context: VerifyContext) -> list[CheckResult]:
    """Every check's result, in the order given."""
    context.read_stacks()
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        return list(pool.map(lambda check: run_check(check, context), checks))


def table(results: list[CheckResult]) -> Iterator[str]:
    width = max([len(result.check) for result in results] + [len("check")])
    yield f"{'check':<{width}}  {'result':<7}  evidence"
    for result in results:
        yield f"{result.check:<{width}}  {result.result:<7}  {result.evidence}"


def report(env: str, results: list[CheckResult], out: TextIO) -> int:
    """The table and a last line counting the results; the exit code (1 on any failure)."""
    for line in table(results):
        print(line, file=out)
    counts = {kind: sum(result.result == kind for result in results) for kind in (PASS, FAIL, SKIPPED)}
    print(f"verify {env}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIPPED]} skipped", file=out)
    return EXIT_FAILURE if counts[FAIL] else EXIT_OK


def verify(
    aws: Aws, environment: Environment, options: DeployOptions, config: EnvironmentConfig, probes: Probes
) -> int:
    """Run the environment's checks against what is deployed, print the table; the exit code."""
    settings = config.verify or Verify()
    context = VerifyContext(aws, environment, options, probes, settings.timeout_seconds)
    try:
        results = run_checks(planned_checks(config), context)
    except KeyboardInterrupt:
        print("verify: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return report(environment.name, results, sys.stdout)


def emulated(environ: Mapping[str, str]) -> bool:
    """S3 is an emulator (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3): it enforces no anonymous access, so an
    anonymous read proves nothing there."""
    return bool(environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL"))
