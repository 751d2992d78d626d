"""The stack outputs a run gathers, and the file they are written to.

Outputs flow from the stacks that produce them to the stacks whose parameters need them, and
end up in outputs/<env>.json, also when the run fails or is interrupted (what was gathered so far).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path


class RunOutputs:
    """Each stack's outputs as this run found or made them; shared by the run's threads."""

    def __init__(self) -> None:
        self._outputs: dict[str, dict[str, str]] = {}
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def record(self, stack: str, outputs: dict[str, str]) -> None:
        with self._lock:
            self._outputs[stack] = dict(outputs)

    def mark_pending(self, stack: str) -> None:
        """In a plan: the stack would be created, so its outputs are not known yet."""
        with self._lock:
            self._pending.add(stack)

    def pending(self, stack: str) -> bool:
        with self._lock:
            return stack in self._pending

    def of(self, stack: str) -> dict[str, str] | None:
        with self._lock:
            return self._outputs.get(stack)

    def all(self) -> dict[str, dict[str, str]]:
        with self._lock:
            return dict(self._outputs)


# Keys beside the stacks that hold something per stack too, merged one level down, so a run's stacks
# replace their own part and keep the others' (stackyard/deploy/validation.py writes dns_validation).
PER_STACK_KEYS = ("dns_validation",)


def write_outputs(path: Path, outputs: Mapping[str, Mapping[str, object]]) -> None:
    """Every stack's outputs; stacks not in this run keep what the file had. Written whole or not at all."""
    try:
        existing = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        existing = {}
    merged = {**existing, **outputs}
    for key in PER_STACK_KEYS:
        if isinstance(existing.get(key), dict) and key in outputs:
            merged[key] = {**existing[key], **outputs[key]}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(dict(sorted(merged.items())), indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


def output_lines(outputs: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Each stack's outputs as `  stack.Name  value`, the path jq reads them by in the outputs file."""
    keys = [f"{stack}.{name}" for stack, found in outputs.items() for name in found]
    width = max((len(key) for key in keys), default=0)
    return [
        f"  {f'{stack}.{name}':<{width}}  {value}"
        for stack, found in outputs.items()
        for name, value in sorted(found.items())
    ]
