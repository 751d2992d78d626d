#!/usr/bin/env python3
"""Deploy timings against LocalStack core: full deploy, no-op deploy and delete of params/local.yaml,
sequential (--concurrency 1) and concurrent (the default), with the CloudFormation API calls each
makes, and how a full deploy compares with its critical path (the longest chain of dependent
stacks, by each stack's own deploy time). Then what a user waits for, each a fresh process:
`python deploy.py --help`, and a no-op deploy with --no-generate and with the default generate.

    .venv/bin/python bench/deploy_bench.py [--runs N]

Needs the emulator installed (scripts/install-localstack; make bench does it). The last line sums
it up against issue 15's goals (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
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
# Issue 15's goals for a no-op deploy as a fresh process, and for its AWS calls.
GOALS = {"help": 0.15, "no-op --no-generate": 0.35, "no-op": 0.6, "calls per stack": 2, "CreateChangeSet": 0}


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

    def all_calls(self) -> int:
        """Every AWS call: CloudFormation, S3 (the deploy lock, artifacts) and STS."""
        return sum(self.calls.values())


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


def fresh_process(runs: int, *args: str) -> list[float]:
    """`python deploy.py ARGS` as a user runs it, each run a new process (the environment deployed): with the
    project's bytecode cached, as Python keeps it after a first run (one unmeasured run writes it, even where
    PYTHONDONTWRITEBYTECODE is set for everything else, which would compile ~70 modules in every run)."""
    command = [sys.executable, str(ROOT / "deploy.py"), *args]
    as_users_run = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    figures = []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=as_users_run)
        if run:
            figures.append(time.perf_counter() - started)
    return figures


def fresh_processes(runs: int) -> dict[str, list[float]]:
    timed()  # deployed, so the no-op runs change nothing
    figures = {
        "help": fresh_process(runs, "--help"),
        "no-op --no-generate": fresh_process(runs, "--env", ENV, "--yes", "--no-generate"),
        "no-op": fresh_process(runs, "--env", ENV, "--yes"),
    }
    timed("--delete", "--delete-artifacts")
    return figures


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
            processes = fresh_processes(runs)
            report(results, processes, runs)


def report(
    results: dict[int, list[dict[str, tuple[float, Recorder]]]], processes: dict[str, list[float]], runs: int
) -> None:
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
    noop_calls = Counter[str]()
    for found in concurrent:
        noop_calls.update(found["no-op deploy"][1].calls)
    print(
        f"  no-op deploy's AWS calls, all runs at --concurrency {DEFAULT_CONCURRENCY}: "
        + ", ".join(f"{name} {count}" for name, count in sorted(noop_calls.items()))
    )
    print("  each a fresh process, the environment deployed:")
    labels = {"help": "deploy.py --help", "no-op --no-generate": "no-op deploy --no-generate", "no-op": "no-op deploy"}
    seconds = {name: statistics.median(values) for name, values in processes.items()}
    for name, label in labels.items():
        values = processes[name]
        print(f"    {label:<27} {seconds[name]:6.2f} s   (min {min(values):.2f}, max {max(values):.2f})")
    noop = [found["no-op deploy"][1] for found in concurrent]
    stacks = len(load(Path("build", ENV, MANIFEST_FILE)).deploy_order)
    figures = {
        **seconds,
        "calls per stack": statistics.median(recorder.all_calls() for recorder in noop) / stacks,
        "CreateChangeSet": statistics.median(recorder.calls["cloudformation:CreateChangeSet"] for recorder in noop),
    }
    missed = [name for name, value in figures.items() if value > GOALS[name]]
    print(
        f"deploy: help={figures['help']:.2f} s, no-op={figures['no-op --no-generate']:.2f} s with --no-generate "
        f"and {figures['no-op']:.2f} s with generate (fresh processes), no-op AWS calls/stack="
        f"{figures['calls per stack']:.1f}, no-op CreateChangeSet={figures['CreateChangeSet']:.0f}, "
        f"full wall/critical-path={wall / path:.2f} "
        f"({'goals met' if not missed else 'goals missed: ' + ', '.join(missed)})"
    )


if __name__ == "__main__":
    main()
