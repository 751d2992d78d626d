"""Fault matrix (scripted CloudFormation + S3 fake, tests/faults/fake_aws.py): each documented AWS
behaviour of tests/faults/scenarios/ played through deploy.py, the planner, the appliers, the
deleter and the scheduler, with stackyard/aws/ translating the fake's ClientErrors as AWS's.

A row passes when the run exits as expected, says what it must, and makes the calls it must and
none of those it must not. docs/faults.md lists every row (the last test keeps them in step).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.faults.scenarios import SCENARIOS as CORE
from tests.faults.scenarios import Expect, Scenario
from tests.faults.scenarios.guards import GUARD_SCENARIOS
from tests.faults.world import Result, World
from tests.helpers import ROOT

DOC = ROOT / "docs" / "faults.md"
ALL = (*CORE, *GUARD_SCENARIOS)


@pytest.mark.parametrize("scenario", ALL, ids=[scenario.id for scenario in ALL])
def test_scenario(scenario: Scenario, tmp_path: Path) -> None:
    world = World(
        tmp_path,
        nested=scenario.nested,
        prefix_lists=scenario.prefix_lists,
        images=scenario.images,
        certificate=scenario.certificate,
    )
    scenario.prepare(world)
    if scenario.start == "deployed":
        baseline = world.run("deploy")
        assert baseline.code == 0, baseline.out
    scenario.setup(world)
    for args, expect in ((scenario.args, scenario.expect), *scenario.then):
        verify(world, world.run(*args), expect)


def verify(world: World, result: Result, expect: Expect) -> None:
    calls = "\n  ".join(str(call) for call in result.calls)
    context = f"\n--- output:\n{result.out}\n--- calls:\n  {calls}"
    assert result.code == expect.exit, context
    for fragment in expect.says:
        assert fragment in result.out, f"missing: {fragment}{context}"
    for pattern in expect.must:
        assert any(call.matches(pattern) for call in result.calls), f"no {pattern} call{context}"
    for pattern in expect.must_not:
        assert not any(call.matches(pattern) for call in result.calls), f"a {pattern} call{context}"
    for pattern, count in expect.counts:
        assert sum(call.matches(pattern) for call in result.calls) == count, f"not {count} {pattern}{context}"
    for first, second in expect.before:
        firsts = [index for index, call in enumerate(result.calls) if call.matches(first)]
        seconds = [index for index, call in enumerate(result.calls) if call.matches(second)]
        assert firsts and seconds and firsts[0] < seconds[0], f"{first} not before {second}{context}"
    if expect.check:
        expect.check(world, result)


def test_every_scenario_has_a_row_in_docs_faults_md_and_every_row_a_scenario() -> None:
    listed = re.findall(r"`test_scenario\[([a-z0-9-]+)\]`", DOC.read_text())
    assert sorted(listed) == sorted(scenario.id for scenario in ALL)
    assert len(set(listed)) == len(listed)


def test_the_ids_are_unique_and_each_row_cites_what_it_plays() -> None:
    ids = [scenario.id for scenario in ALL]
    assert len(set(ids)) == len(ids)
    assert all(len(scenario.plays) > 20 for scenario in ALL)
