"""Running work over a stack graph: each stack as soon as what it needs is done, not level by level.

A bounded thread pool runs the work; a stack whose prerequisite failed (or was skipped) is
skipped, naming why, while stacks that do not depend on it carry on. Deploy walks the
dependency graph; delete walks it reversed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from stackyard.errors import StackyardError

DEFAULT_CONCURRENCY = 4  # CloudFormation throttles callers that poll many stacks at once


@dataclass(frozen=True)
class Outcome:
    stack: str
    result: str  # created, updated, unchanged, deleted, gone, planned, failed, skipped
    detail: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result not in ("failed", "skipped")


def run_graph(
    order: Sequence[str],
    needs: Mapping[str, Sequence[str]],
    work: Callable[[str], Outcome],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Outcome]:
    """Run `work(stack)` for every stack of `order` once all of `needs[stack]` succeeded.

    `order` breaks ties (stacks ready together start in its order). A StackyardError raised by
    `work` fails that stack with its message; anything else is a bug and propagates.
    """
    unknown = {need for stack in order for need in needs.get(stack, ())} - set(order)
    if unknown:
        raise ValueError(f"stacks needed but not in the run: {', '.join(sorted(unknown))}")
    outcomes: dict[str, Outcome] = {}
    pending = list(order)
    running: dict[Future, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        while pending or running:
            for stack in _ready(pending, needs, outcomes):
                pending.remove(stack)
                blockers = [need for need in needs.get(stack, ()) if not outcomes[need].ok]
                if blockers:
                    outcomes[stack] = Outcome(stack, "skipped", f"{', '.join(blockers)} did not succeed")
                else:
                    running[pool.submit(_guarded, work, stack)] = stack
            if not running:
                if pending and not _ready(pending, needs, outcomes):
                    raise ValueError(f"stacks wait on each other in a cycle: {', '.join(pending)}")
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                outcomes[running.pop(future)] = future.result()
    return {stack: outcomes[stack] for stack in order}


def _ready(pending: list[str], needs: Mapping[str, Sequence[str]], outcomes: dict[str, Outcome]) -> list[str]:
    return [stack for stack in pending if all(need in outcomes for need in needs.get(stack, ()))]


def _guarded(work: Callable[[str], Outcome], stack: str) -> Outcome:
    try:
        return work(stack)
    except StackyardError as error:
        return Outcome(stack, "failed", str(error))
