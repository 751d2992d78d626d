#!/usr/bin/env python3
"""Deploys at real-AWS scale, by simulation (issue 15, goal 5): the real engine against a
time-compressed CloudFormation (tests/sim/) that plays each resource type's provisioning time
(tests/sim/figures.py lists each figure and its source) and CloudFormation's API throttling.

    .venv/bin/python bench/cloud_sim.py

1. params/prod.yaml, built by the real generator and deployed alone: the virtual wall time against
   the critical path of its stack graph (the same durations), and how long after each resource
   event its progress line came.
2. Ten copies of prod deployed at once from one process: exit codes and output (no throttling error
   may reach the user), Describe* requests per stack-minute once an operation has run a minute, the
   throttled requests botocore's adaptive retries answered, and peak memory: the ru_maxrss of the
   process that deployed the ten, a fresh child process of this one, untraced (everything it held: the
   interpreter, the engine, the simulated AWS and the botocore service models it validates requests
   against, as the real clients load them; the environments are generated in a process of their own).

The last line sums it up against the goals (docs/performance.md, "At real-AWS scale"). Ten to thirty
seconds of real time, most of it generating the environments.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sim.measure import call_rate, critical_path  # noqa: E402  (the repository root is on sys.path only now)
from tests.sim.run import Simulation, build, simulate  # noqa: E402

ENV = "prod"
GOALS = {"wall/critical-path": 1.05, "progress delay": 5.0, "calls/stack-minute": 12.0, "peak-MB": 150.0}


def prod_alone(workdir: Path) -> tuple[float, float, Simulation]:
    """(wall / critical path, worst progress delay in seconds, the simulation)."""
    build(workdir, {ENV: ENV})
    simulation = simulate(workdir, [ENV])
    deploy = simulation.deploys[0]
    if deploy.code != 0:
        raise SystemExit(f"the simulated deploy of {ENV} exited {deploy.code}:\n{simulation.output[-4000:]}")
    path = critical_path(deploy, simulation.cloud.regions())
    return deploy.wall / path, simulation.shown.worst_delay, simulation


@dataclass(frozen=True)
class Many:
    """What the ten environments' run showed, as its child process reports it."""

    codes: list[int | None]
    virtual_minutes: float
    complaints: int  # lines of output about throttling
    by_operation: dict[str, int]
    throttled: int
    retried: int
    failed: int  # throttled requests whose error reached the engine
    per_minute: float
    closest: float
    stack_minutes: float
    peak_mb: float  # the child's ru_maxrss, in MB (10^6 bytes)


def many_at_once(count: int) -> Many:
    """`count` copies of prod deployed at once, in a new process whose peak memory is theirs alone."""
    command = [sys.executable, str(Path(__file__).resolve()), "--envs", str(count), "--many-here"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {count}-environment run failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return Many(**json.loads(done.stdout.splitlines()[-1]))


def many_here(count: int) -> None:
    """The child's part: deploy the copies from this process, untraced, and print its figures as JSON."""
    envs = {f"{ENV}{index:02d}": ENV for index in range(1, count + 1)}
    with tempfile.TemporaryDirectory() as workdir:
        build(Path(workdir), envs)
        simulation = simulate(Path(workdir), list(envs), keep_output=False)
    rate = call_rate(simulation)
    requests = simulation.cloud.requests
    output = simulation.output.splitlines()
    figures = Many(
        codes=[each.code for each in simulation.deploys],
        virtual_minutes=max(each.wall for each in simulation.deploys) / 60,
        complaints=sum(1 for line in output if "throttl" in line.lower() or "rate" in line),
        by_operation=dict(requests.by_operation.most_common()),
        throttled=requests.throttled,
        retried=requests.retried,
        failed=requests.failed,
        per_minute=rate.per_minute,
        closest=rate.closest,
        stack_minutes=rate.stack_minutes,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,  # Linux: KiB
    )
    print(json.dumps(asdict(figures)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=int, default=10, help="environments deployed at once in the second run")
    parser.add_argument("--many-here", action="store_true", help=argparse.SUPPRESS)  # the child's run
    args = parser.parse_args()
    if args.many_here:
        many_here(args.envs)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as one:
        ratio, delay, alone = prod_alone(Path(one))
    many = many_at_once(args.envs)
    report(ratio, delay, alone, many, args.envs, time.perf_counter() - started)


def report(ratio: float, delay: float, alone: Simulation, many: Many, count: int, real: float) -> None:
    deploy = alone.deploys[0]
    print(f"{ENV} alone: {deploy.wall / 60:.1f} min virtual, wall/critical-path {ratio:.3f}")
    print(f"  {alone.shown.count} resource events shown, the latest {delay:.1f} s after it happened")
    print(f"{count} x {ENV} at once (a process of their own): {many.virtual_minutes:.1f} min virtual")
    print(f"  exit codes: {sorted({str(code) for code in many.codes})}; throttling lines shown: {many.complaints}")
    operations = ", ".join(f"{name} {number}" for name, number in many.by_operation.items())
    print(f"  requests: {sum(many.by_operation.values())} ({operations})")
    print(f"  throttled: {many.throttled}, retried by botocore: {many.retried}, reached the engine: {many.failed}")
    print(
        f"  Describe* after a minute: {many.per_minute:.2f} per stack-minute over {many.stack_minutes:.0f} "
        f"stack-minutes; the engine's closest two calls for one stack {many.closest:.2f} s apart"
    )
    print(f"  peak memory of that process: {many.peak_mb:.0f} MB (ru_maxrss, untraced)")
    print(f"  real time for both runs: {real:.1f} s")
    figures = {
        "wall/critical-path": ratio,
        "progress delay": delay,
        "calls/stack-minute": many.per_minute,
        "peak-MB": many.peak_mb,
    }
    missed = [name for name, value in figures.items() if value > GOALS[name]]
    failed = [f"{ENV}{index:02d}" for index, code in enumerate(many.codes, start=1) if code != 0]
    if failed or many.complaints:  # a throttle that outlasted botocore reaches the engine, which waits and polls on
        missed.append(f"throttling reached the user ({', '.join(failed) or 'see the output'})")
    if many.closest < 5.0 - 1e-6:
        missed.append("a stack read twice within 5 s")
    print(
        f"sim: prod wall/critical-path={ratio:.3f}, {count}-env calls/stack-minute={many.per_minute:.2f}, "
        f"throttled-retries={many.retried}, peak-MB={many.peak_mb:.0f} "
        f"({'goals met' if not missed else 'goals missed: ' + ', '.join(missed)})"
    )


if __name__ == "__main__":
    main()
