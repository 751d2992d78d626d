#!/usr/bin/env python3
"""Deploy timings against LocalStack core: full deploy, no-op deploy and delete of params/local.yaml,
sequential (--concurrency 1) and concurrent (the default), with the CloudFormation API calls each
makes, and how a full deploy compares with its critical path (the longest chain of dependent
stacks, by each stack's own deploy time).

    .venv/bin/python bench/deploy_bench.py [--runs N]

Needs the emulator installed (scripts/install-localstack; make bench does it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from botocore.client import BaseClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import deploy  # noqa: E402  (the repository root is on sys.path only now)
from stackyard.deploy.deployment import Deployment  # noqa: E402
from stackyard.deploy.scheduler import DEFAULT_CONCURRENCY  # noqa: E402
from stackyard.manifest import MANIFEST_FILE, load  # noqa: E402
from tests.helpers.emulator import LocalStack  # noqa: E402

ENV = "local"


class Recorder:
    """Counts AWS API calls per service and operation, and times each stack's deploy."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.stack_seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def recording(self):
        original_call, original_stack = BaseClient._make_api_call, Deployment.deploy_stack
        recorder = self

        def call(client, operation, parameters):
            with recorder._lock:
                recorder.calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
            return original_call(client, operation, parameters)

        def timed_stack(deployment, stack):
            started = time.perf_counter()
            try:
                return original_stack(deployment, stack)
            finally:
                with recorder._lock:
                    recorder.stack_seconds[stack] = time.perf_counter() - started

        BaseClient._make_api_call, Deployment.deploy_stack = call, timed_stack
        try:
            yield self
        finally:
            BaseClient._make_api_call, Deployment.deploy_stack = original_call, original_stack

    def cloudformation_calls(self) -> int:
        return sum(count for name, count in self.calls.items() if name.startswith("cloudformation:"))


def timed(*args: str) -> tuple[float, Recorder]:
    recorder = Recorder()
    with recorder.recording(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        started = time.perf_counter()
        code = deploy.main(["--env", ENV, "--yes", *args])
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"deploy.py {' '.join(args)} exited {code}; see logs/ in the bench folder")
    return seconds, recorder


def critical_path(stack_seconds: dict[str, float]) -> float:
    manifest = load(Path("build", ENV, MANIFEST_FILE))
    finish: dict[str, float] = {}
    for stack, needs in manifest.dependencies(manifest.deploy_order).items():
        finish[stack] = max((finish[need] for need in needs), default=0.0) + stack_seconds.get(stack, 0.0)
    return max(finish.values())


def cycle(concurrency: int) -> dict[str, tuple[float, Recorder]]:
    flag = ["--concurrency", str(concurrency)]
    return {
        "full deploy": timed(*flag),
        "no-op deploy": timed(*flag),
        "delete": timed("--delete", "--delete-artifacts", *flag),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cycles per concurrency; medians are printed")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(ROOT / "params", Path(scratch) / "params")
        shutil.copytree(ROOT / "sql", Path(scratch) / "sql")
        os.chdir(scratch)
        with LocalStack(Path(scratch) / "localstack") as emulator:
            os.environ.update(
                AWS_ENDPOINT_URL=emulator.endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test"
            )
            os.environ.pop("AWS_PROFILE", None)
            results = {
                concurrency: [cycle(concurrency) for _ in range(runs)] for concurrency in (1, DEFAULT_CONCURRENCY)
            }
            report(results, runs)


def report(results: dict[int, list[dict[str, tuple[float, Recorder]]]], runs: int) -> None:
    print(f"deploy.py --env {ENV} on LocalStack core (median of {runs} runs; calls: CloudFormation API calls)")
    for concurrency, cycles in results.items():
        print(f"  --concurrency {concurrency}")
        for step in ("full deploy", "no-op deploy", "delete"):
            seconds = statistics.median(found[step][0] for found in cycles)
            calls = statistics.median(found[step][1].cloudformation_calls() for found in cycles)
            change_sets = statistics.median(found[step][1].calls["cloudformation:CreateChangeSet"] for found in cycles)
            print(f"    {step:<13} {seconds:6.2f} s   {calls:4.0f} calls   {change_sets:2.0f} CreateChangeSet")
    concurrent = results[DEFAULT_CONCURRENCY]
    wall = statistics.median(found["full deploy"][0] for found in concurrent)
    path = statistics.median(critical_path(found["full deploy"][1].stack_seconds) for found in concurrent)
    print(
        f"  full deploy at --concurrency {DEFAULT_CONCURRENCY}: {wall:.2f} s wall, critical path {path:.2f} s "
        f"(wall / critical path {wall / path:.2f})"
    )


if __name__ == "__main__":
    main()
