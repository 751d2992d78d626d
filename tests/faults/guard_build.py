"""The fault matrix's build, with the guards build records (stackyard/build_guards.py): stack policies beside
the templates, stateful resources, critical alarms, and the stack that holds the service role.

The matrix's templates import no alert topic, so an alarm is critical when its AlarmDescription starts
with CRITICAL (as templates/parts/alarms.py writes it).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from stackyard import stack_policy
from stackyard.manifest import Guards, PolicyFile, StackEntry

ALARM = "AWS::CloudWatch::Alarm"


def guarded(
    env_dir: Path,
    templates: dict[str, dict[str, Any]],
    stacks: dict[str, StackEntry],
    guards: Guards,
    holds_role: frozenset[str] = frozenset(),
) -> dict[str, StackEntry]:
    """The entries with their guards, each policy written beside its template."""
    found = {}
    for name, entry in stacks.items():
        children = {logical: templates[child.template.removesuffix(".json")] for logical, child in entry.nested.items()}
        holding = [logical for logical, child in children.items() if stack_policy.stateful_resources(child)]
        nested = {
            logical: dataclasses.replace(
                child,
                stack_policy=_written(
                    env_dir, child.template, stack_policy.policy_for(children[logical], guards.stack_policy)
                ),
            )
            for logical, child in entry.nested.items()
        }
        stateful = list(stack_policy.stateful_resources(templates[name]))
        stateful += [
            f"{logical}/{inner}"
            for logical, child in children.items()
            for inner in stack_policy.stateful_resources(child)
        ]
        found[name] = dataclasses.replace(
            entry,
            nested=nested,
            stack_policy=_written(
                env_dir, entry.template, stack_policy.policy_for(templates[name], guards.stack_policy, holding)
            ),
            stateful=tuple(stateful),
            critical_alarms=tuple(_critical(templates[name])),
            holds_service_role=name in holds_role,
        )
    return found


def _written(env_dir: Path, template: str, policy: dict[str, Any] | None) -> PolicyFile | None:
    if policy is None:
        return None
    path = template.removesuffix(".json") + stack_policy.POLICY_SUFFIX
    body = stack_policy.render(policy)
    (env_dir / path).write_bytes(body)
    return PolicyFile(path, hashlib.sha256(body).hexdigest())


def _critical(template: dict[str, Any]) -> list[str]:
    return [
        resource["Properties"]["AlarmName"]
        for resource in template.get("Resources", {}).values()
        if resource["Type"] == ALARM and resource["Properties"].get("AlarmDescription", "").startswith("CRITICAL")
    ]
