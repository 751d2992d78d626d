"""Pure unit: the graph scheduler (threads, but no AWS): order, concurrency, failure isolation, Ctrl-C."""

from __future__ import annotations

import threading
import time

import pytest

from stackyard.deploy.interrupt import Interrupt, Interrupted
from stackyard.deploy.scheduler import Outcome, run_graph
from stackyard.errors import StackyardError


def recording(delays=None, fail=()):
    """Work that records start/end times, sleeps per stack, and fails the named stacks."""
    log: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def work(stack):
        started = time.perf_counter()
        time.sleep((delays or {}).get(stack, 0.01))
        with lock:
            log[stack] = (started, time.perf_counter())
        if stack in fail:
            raise StackyardError(f"{stack} broke")
        return Outcome(stack, "created")

    return work, log


def test_a_stack_starts_only_after_everything_it_needs_has_finished():
    work, log = recording()
    needs = {"net": [], "db": ["net"], "app": ["db", "net"]}
    outcomes = run_graph(["net", "db", "app"], needs, work)
    assert [outcome.result for outcome in outcomes.values()] == ["created"] * 3
    assert log["net"][1] <= log["db"][0] and log["db"][1] <= log["app"][0]


def test_a_stack_starts_as_soon_as_its_own_needs_are_done_not_level_by_level():
    # slow -> after_slow is one chain; quick -> after_quick another. after_quick must not wait for slow.
    work, log = recording(delays={"slow": 0.4, "quick": 0.01, "after_quick": 0.01, "after_slow": 0.01})
    needs = {"slow": [], "quick": [], "after_slow": ["slow"], "after_quick": ["quick"]}
    run_graph(["slow", "quick", "after_slow", "after_quick"], needs, work, concurrency=4)
    assert log["after_quick"][1] < log["slow"][1]


def test_concurrency_bounds_how_many_run_at_once():
    running = peak = 0
    lock = threading.Lock()

    def work(stack):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return Outcome(stack, "created")

    stacks = [f"s{index}" for index in range(6)]
    run_graph(stacks, {stack: [] for stack in stacks}, work, concurrency=2)
    assert peak == 2


def test_a_failure_skips_its_dependants_and_lets_independent_stacks_finish():
    work, log = recording(fail={"db"})
    needs = {"net": [], "db": ["net"], "app": ["db"], "web": ["app"], "storage": []}
    outcomes = run_graph(["net", "db", "app", "web", "storage"], needs, work)
    assert outcomes["db"] == Outcome("db", "failed", "db broke")
    assert outcomes["app"] == Outcome("app", "skipped", "db did not succeed")
    assert outcomes["web"] == Outcome("web", "skipped", "app did not succeed")
    assert outcomes["storage"].result == "created"
    assert "app" not in log and "web" not in log


def test_needs_outside_the_run_or_in_a_cycle_are_refused_not_waited_on_forever():
    work, _ = recording()
    with pytest.raises(ValueError, match="not in the run: elsewhere"):
        run_graph(["a"], {"a": ["elsewhere"]}, work)
    with pytest.raises(ValueError, match="cycle"):
        run_graph(["a", "b"], {"a": ["b"], "b": ["a"]}, work)


def test_a_bug_in_the_work_is_not_swallowed_as_a_stack_failure():
    def work(stack):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_graph(["a"], {"a": []}, work)


def test_no_more_than_concurrency_stacks_are_handed_out_so_none_is_left_queued_to_start_after_ctrl_c():
    interrupt = Interrupt()
    started = []
    lock = threading.Lock()

    def work(stack):
        with lock:
            started.append(stack)
        if stack == "s0":
            interrupt.request()  # Ctrl-C while the first two run
            raise Interrupted("stopped watching s0")
        time.sleep(0.05)
        return Outcome(stack, "created")

    stacks = [f"s{index}" for index in range(6)]
    outcomes = run_graph(stacks, {stack: [] for stack in stacks}, work, concurrency=2, interrupt=interrupt)
    assert sorted(started) == ["s0", "s1"]
    assert outcomes["s0"] == Outcome("s0", "interrupted", "stopped watching s0")
    assert outcomes["s1"].result == "created"
    assert {outcomes[stack].result for stack in stacks[2:]} == {"not started"}
    assert not any(outcome.ok for outcome in outcomes.values() if outcome.result != "created")
