#!/usr/bin/env python3
"""Deploys at real-AWS scale, by simulation (issue 15, goal 5): the real engine against a
time-compressed CloudFormation (tests/sim/) that plays each resource type's provisioning time
(tests/sim/figures.py lists each figure and its source) and CloudFormation's API throttling.

    .venv/bin/python bench/cloud_sim.py

1. params/prod.yaml, built by the real generator and deployed alone: the virtual wall time against
   the critical path of its stack graph (the same durations), and how long after each resource
   event its progress line came.
2. Ten copies of prod deployed at once from this process: exit codes and output (no throttling error
   may reach the user), Describe* requests per stack-minute once an operation has run a minute, the
   throttled requests botocore's adaptive retries answered, and peak memory: tracemalloc's peak of
   Python's allocations while the ten run (the fake's and the engine's, the botocore service models
   loaded once as a real client would), and beside it the process's ru_maxrss (everything the
   process ever held, the interpreter and both runs included; it varies by tens of MB from run to
   run with how the threads' malloc arenas fill).

The last line sums it up against the goals (docs/performance.md, "At real-AWS scale"). A few seconds
of real time, about a minute with tracemalloc on a busy machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.fake_aws import FakeClient  # noqa: E402  (the repository root is on sys.path only now)
from tests.sim.measure import call_rate, critical_path  # noqa: E402
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


def many_at_once(workdir: Path, count: int) -> tuple[Simulation, float]:
    """`count` copies of prod deployed at once; (the simulation, tracemalloc's peak in MB)."""
    envs = {f"{ENV}{index:02d}": ENV for index in range(1, count + 1)}
    build(workdir, envs)
    FakeClient._models.clear()  # each service model is loaded again, as a real client would: counted
    tracemalloc.start()
    try:
        simulation = simulate(workdir, list(envs), keep_output=False)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return simulation, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=int, default=10, help="environments deployed at once in the second run")
    count = parser.parse_args().envs
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        ratio, delay, alone = prod_alone(Path(one))
        simulation, peak = many_at_once(Path(many), count)
    report(ratio, delay, alone, simulation, peak, count, time.perf_counter() - started)


def report(
    ratio: float, delay: float, alone: Simulation, simulation: Simulation, peak: float, count: int, real: float
) -> None:
    deploy = alone.deploys[0]
    print(f"{ENV} alone: {deploy.wall / 60:.1f} min virtual, wall/critical-path {ratio:.3f}")
    print(f"  {alone.shown.count} resource events shown, the latest {delay:.1f} s after it happened")
    requests = simulation.cloud.requests
    rate = call_rate(simulation)
    failed = [each.env for each in simulation.deploys if each.code != 0]
    complaints = [line for line in simulation.output.splitlines() if "throttl" in line.lower() or "rate" in line]
    print(f"{count} x {ENV} at once: {max(each.wall for each in simulation.deploys) / 60:.1f} min virtual")
    print(
        f"  exit codes: {sorted({str(each.code) for each in simulation.deploys})}; throttling lines shown: {len(complaints)}"
    )
    print(
        f"  requests: {sum(requests.by_operation.values())} ({', '.join(f'{name} {n}' for name, n in requests.by_operation.most_common())})"
    )
    print(
        f"  throttled: {requests.throttled}, retried by botocore: {requests.retried}, reached the engine: {requests.failed}"
    )
    print(
        f"  Describe* after a minute: {rate.per_minute:.2f} per stack-minute over {rate.stack_minutes:.0f} "
        f"stack-minutes; the engine's closest two calls for one stack {rate.closest:.2f} s apart"
    )
    print(
        f"  peak memory: tracemalloc {peak:.1f} MB, ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (tracemalloc's own tables included)"
    )
    print(f"  real time for both runs: {real:.1f} s")
    figures = {
        "wall/critical-path": ratio,
        "progress delay": delay,
        "calls/stack-minute": rate.per_minute,
        "peak-MB": peak,
    }
    missed = [name for name, value in figures.items() if value > GOALS[name]]
    if failed or complaints:  # a throttle that outlasted botocore reaches the engine, which waits and polls on
        missed.append(f"throttling reached the user ({', '.join(failed) or 'see the output'})")
    if rate.closest < 5.0 - 1e-6:
        missed.append("a stack read twice within 5 s")
    print(
        f"sim: prod wall/critical-path={ratio:.3f}, {count}-env calls/stack-minute={rate.per_minute:.2f}, "
        f"throttled-retries={requests.retried}, peak-MB={peak:.0f} "
        f"({'goals met' if not missed else 'goals missed: ' + ', '.join(missed)})"
    )


if __name__ == "__main__":
    main()
