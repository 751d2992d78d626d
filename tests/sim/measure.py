"""Figures from a simulation: wall time against the critical path, and the Describe* call rate per
stack once its operation has run a minute.

The critical path is the longest chain of the environment's stack graph (the manifest's
dependencies), each stack taking what the simulated CloudFormation planned for it: computing its
change set, then its operation. The deploy's own work (reads, packaging, polling delays) is
what the wall time adds to it.

A stack's calls are the DescribeStacks and DescribeStackEvents requests naming it (retries and
throttled requests included; a nested stack is a stack). They are counted from a minute into its
operation until its end was noticed (at most 10 s after it ended); the rate is the number of gaps
between those calls over the time they span. The closest two calls the engine made for one stack
(botocore's retries of a throttled call aside) give the strictest figure of its cadence.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise

from tests.sim.cloud import SimCloudFormation
from tests.sim.run import Deploy, Simulation

STEADY_AFTER = 60.0
NOTICED_WITHIN = 10.0  # a poll every 5 s, then the stack described at most 5 s later


@dataclass(frozen=True)
class CallRate:
    per_minute: float  # aggregate: calls per stack-minute
    closest: float  # the shortest gap between two calls the engine made naming one stack (seconds)
    stack_minutes: float


def critical_path(deploy: Deploy, regions: list[SimCloudFormation]) -> float:
    assert deploy.manifest is not None
    manifest = deploy.manifest
    planned: dict[str, float] = {}
    for region in regions:
        for name, seconds in region.operation_seconds.items():
            planned[name] = seconds + region.change_set_seconds.get(name, 0.0)
    finish: dict[str, float] = {}
    needs = manifest.dependencies(manifest.deploy_order)
    for stack in manifest.deploy_order:
        own = planned[manifest.entry(stack).stack_name]
        finish[stack] = max((finish[need] for need in needs[stack]), default=0.0) + own
    return max(finish.values())


def call_rate(simulation: Simulation) -> CallRate:
    """Describe* requests per stack-minute after an operation's first minute (retries counted), and the
    closest two calls the engine itself made for one stack (its retries aside: botocore's, not its cadence)."""
    gaps = span = 0.0
    closest = float("inf")
    requests = simulation.cloud.requests
    for region in simulation.cloud.regions():
        for stack_id, (start, end) in region.operations.items():
            if end - start <= STEADY_AFTER:
                continue
            name = stack_id.split("/")[1]
            window = _between(requests.describes.get(name), start + STEADY_AFTER, end + NOTICED_WITHIN)
            if len(window) < 2:
                continue
            gaps += len(window) - 1
            span += window[-1] - window[0]
            asked = _between(requests.asked.get(name), start + STEADY_AFTER, end + NOTICED_WITHIN)
            closest = min(closest, *(later - earlier for earlier, later in pairwise(asked)), float("inf"))
    return CallRate(60 * gaps / span if span else 0.0, closest, span / 60)


def _between(calls: array[float] | None, first: float, last: float) -> array[float]:
    if not calls:
        return array("d")
    return calls[bisect_left(calls, first) : bisect_left(calls, last)]
