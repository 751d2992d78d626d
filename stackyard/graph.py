"""Stack dependency graphs: deterministic deploy order, and cycles named when there is one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stackyard.errors import BadInputError


class CycleError(BadInputError):
    def __init__(self, cycle: list[str]):
        self.cycle = cycle
        super().__init__(
            f"stacks depend on each other in a cycle: {' -> '.join(cycle)}; "
            f"CloudFormation cannot deploy either first. Fix: move the shared resource into its own stack, "
            f"or pass the value as a parameter instead of an import"
        )


def deploy_order(dependencies: Mapping[str, Sequence[str]]) -> list[str]:
    """Every stack after the stacks it depends on; ties keep the order `dependencies` lists them in."""
    unknown = {need for needs in dependencies.values() for need in needs} - set(dependencies)
    if unknown:
        raise ValueError(f"dependencies on stacks not in the graph: {', '.join(sorted(unknown))}")
    remaining = {stack: set(needs) for stack, needs in dependencies.items()}
    order: list[str] = []
    while remaining:
        ready = [stack for stack, needs in remaining.items() if not needs]
        if not ready:
            raise CycleError(_cycle_in(remaining))
        for stack in ready:
            del remaining[stack]
            for needs in remaining.values():
                needs.discard(stack)
        order.extend(ready)
    return order


def _cycle_in(stuck: Mapping[str, set[str]]) -> list[str]:
    """A cycle among stacks that all still wait on another of them (what Kahn's algorithm leaves).

    Walking from any of them along any dependency never dead-ends, so it must revisit a stack.
    """
    path = [next(iter(stuck))]
    while True:
        step = min(stuck[path[-1]])
        if step in path:
            return [*path[path.index(step) :], step]
        path.append(step)
