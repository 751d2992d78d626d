"""Running work over a stack graph: each stack as soon as what it needs is done, not level by level.

At most `concurrency` stacks run at once: a stack is handed to a thread only when one is free, so
after a Ctrl-C nothing queued can still start. A stack whose prerequisite failed (or was skipped)
is skipped, naming why, while stacks that do not depend on it carry on. Deploy walks the
dependency graph; delete walks it reversed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from stackyard.deploy.interrupt import Interrupt, Interrupted
from stackyard.errors import StackyardError

DEFAULT_CONCURRENCY = 4  # CloudFormation throttles callers that poll many stacks at once
MAX_CONCURRENCY = 16
NOT_OK = ("failed", "skipped", "blocked", "interrupted", "not started")


@dataclass(frozen=True)
class Outcome:
    stack: str
    # created, updated, unchanged, deleted, gone, planned (ok); failed, skipped, blocked, interrupted, not started
    result: str
    detail: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result not in NOT_OK


def run_graph(
    order: Sequence[str],
    needs: Mapping[str, Sequence[str]],
    work: Callable[[str], Outcome],
    concurrency: int = DEFAULT_CONCURRENCY,
    interrupt: Interrupt | None = None,
) -> dict[str, Outcome]:
    """Run `work(stack)` for every stack of `order` once all of `needs[stack]` succeeded.

    `order` breaks ties (stacks ready together start in its order). A StackyardError raised by
    `work` fails that stack with its message; anything else is a bug and propagates. Once
    `interrupt` is requested no stack starts; those waiting are "not started".
    """
    unknown = {need for stack in order for need in needs.get(stack, ())} - set(order)
    if unknown:
        raise ValueError(f"stacks needed but not in the run: {', '.join(sorted(unknown))}")
    outcomes: dict[str, Outcome] = {}
    pending = list(order)
    running: dict[Future[Outcome], str] = {}
    slots = max(1, concurrency)
    with ThreadPoolExecutor(max_workers=slots) as pool:
        while pending or running:
            if interrupt and interrupt.requested:
                for stack in pending:
                    outcomes[stack] = Outcome(stack, "not started", "interrupted before it started")
                pending.clear()
            _skip_blocked(pending, needs, outcomes)
            for stack in _ready(pending, needs, outcomes)[: slots - len(running)]:
                pending.remove(stack)
                running[pool.submit(_guarded, work, stack)] = stack
            if not running:
                if pending and not _ready(pending, needs, outcomes):
                    raise ValueError(f"stacks wait on each other in a cycle: {', '.join(pending)}")
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                outcomes[running.pop(future)] = future.result()
    return {stack: outcomes[stack] for stack in order}


def _skip_blocked(pending: list[str], needs: Mapping[str, Sequence[str]], outcomes: dict[str, Outcome]) -> None:
    """Skip the ready stacks whose prerequisites did not succeed, and theirs in turn."""
    skipped = True
    while skipped:
        skipped = False
        for stack in _ready(pending, needs, outcomes):
            blockers = [need for need in needs.get(stack, ()) if not outcomes[need].ok]
            if blockers:
                pending.remove(stack)
                outcomes[stack] = Outcome(stack, "skipped", f"{', '.join(blockers)} did not succeed")
                skipped = True


def _ready(pending: list[str], needs: Mapping[str, Sequence[str]], outcomes: dict[str, Outcome]) -> list[str]:
    return [stack for stack in pending if all(need in outcomes for need in needs.get(stack, ()))]


def _guarded(work: Callable[[str], Outcome], stack: str) -> Outcome:
    try:
        return work(stack)
    except Interrupted as stopped:
        return Outcome(stack, "interrupted", str(stopped))
    except StackyardError as error:
        return Outcome(stack, "failed", str(error))
