"""Simulation (tests/sim/: the fault matrix's fake playing AWS's provisioning times and throttling on a
discrete-event clock): params/prod.yaml, built by the real generator, deployed through deploy.py's
real engine. Not timed: these check what a user relies on at real-AWS scale (a deploy as long as
its critical path, every event shown in order and promptly, a throttle never reaching the user,
the poll cadence); bench/cloud_sim.py prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.deploy import bootstrap
from tests.sim import figures
from tests.sim.measure import call_rate, critical_path
from tests.sim.run import Simulation, build, simulate

pytestmark = pytest.mark.slow
ENV = "prod"
# Issue 15: once an operation has run a minute, at most one describe call per stack per 5 s, and each
# resource event on screen within 5 s.
STEADY_SECONDS = 5.0


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("sim"), {ENV: ENV})


@pytest.fixture(scope="module")
def prod(system: Path) -> Simulation:
    return simulate(system, [ENV])


def test_prod_deploys_in_about_its_critical_path(prod: Simulation) -> None:
    deploy = prod.deploys[0]
    assert deploy.code == 0, prod.output[-3000:]
    path = critical_path(deploy, prod.cloud.regions())
    assert path > 20 * 60  # the Aurora instance, CloudFront and the rest: real durations were played
    assert path <= deploy.wall <= 1.05 * path


def test_every_resource_event_is_shown_in_order_within_a_poll(prod: Simulation) -> None:
    made = sum(
        event["PhysicalResourceId"] != stack.stack_id
        for region in prod.cloud.regions()
        for stack in region.stacks
        if stack.name != bootstrap.STACK_NAME
        for event in stack.events
    )
    assert prod.shown.count == made
    assert prod.shown.out_of_order == []
    assert prod.shown.worst_delay <= STEADY_SECONDS


def test_a_long_operation_reads_each_stack_at_most_once_in_5_seconds(prod: Simulation) -> None:
    rate = call_rate(prod)
    assert rate.stack_minutes > 30  # long operations were measured
    assert rate.closest >= STEADY_SECONDS - 1e-6
    assert rate.per_minute <= 60 / STEADY_SECONDS + 1e-6
    assert prod.cloud.requests.by_operation["DescribeStacks"] <= 4 * len(prod.cloud.requests.describes)


def test_throttling_is_retried_and_never_reaches_the_user(system: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A region ten times stricter than AWS's documented rate: most polls meet a throttle.
    monkeypatch.setattr(figures, "DESCRIBE_RATE", figures.Figure(0.5, "this test"))
    monkeypatch.setattr(figures, "DESCRIBE_BURST", figures.Figure(1, "this test"))
    throttled = simulate(system, [ENV])
    requests = throttled.cloud.requests
    assert throttled.deploys[0].code == 0, throttled.output[-3000:]
    assert requests.throttled > 20 and requests.retried == requests.throttled
    assert requests.failed == 0
    assert "throttl" not in throttled.output.lower() and "rate exceeded" not in throttled.output.lower()
    assert throttled.shown.out_of_order == []
