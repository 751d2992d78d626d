"""Stack policies: what CloudFormation lets an update do to a stack's resources, whoever runs the update.

Generated from the same list of stateful types the data-loss review and rule E9013 use
(stackyard/cfn.py STATEFUL_TYPES): a stack holding any of them gets a policy that allows every update
but denies `Update:Replace` and `Update:Delete` on resources of those types, and on nested stacks that
hold them (a parent's policy does not reach into its nested stacks, which get policies of their own).
Build writes each policy beside its template and records it in the manifest; deploy sets it
(docs/deploy.md, "Stack policies").

A policy cannot be removed from a stack, only replaced: an environment that relaxes the guard gets the
allow-all policy, which lifts one set before. Pure: no AWS, no files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from stackyard.cfn import NESTED_STACK, STATEFUL_TYPES

PROTECT, ALLOW, OFF = "protect", "allow", "off"  # params guards.stack_policy
DENIED_ACTIONS = ("Update:Replace", "Update:Delete")
POLICY_SUFFIX = ".stack-policy.json"  # beside the template: network.json -> network.stack-policy.json

_ALLOW_UPDATES = {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
ALLOW_ALL: dict[str, Any] = {"Statement": [_ALLOW_UPDATES]}


def stateful_resources(template: dict[str, Any]) -> dict[str, str]:
    """The template's resources of a stateful type: logical id -> type, in template order."""
    return {
        logical_id: resource["Type"]
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") in STATEFUL_TYPES
    }


def protective(guarded_types: Iterable[str], overridden: Iterable[str] = ()) -> dict[str, Any]:
    """Every update allowed, but no resource of `guarded_types` replaced or removed; `overridden` logical
    ids are exempt (the one update --allow-replace lets replace or remove them)."""
    deny: dict[str, Any] = {"Effect": "Deny", "Action": list(DENIED_ACTIONS), "Principal": "*"}
    exempt = sorted(set(overridden))
    if exempt:
        deny["NotResource"] = [f"LogicalResourceId/{logical_id}" for logical_id in exempt]
    else:
        deny["Resource"] = "*"
    deny["Condition"] = {"StringEquals": {"ResourceType": sorted(set(guarded_types))}}
    return {"Statement": [_ALLOW_UPDATES, deny]}


def policy_for(template: dict[str, Any], mode: str, nested_holding_data: Iterable[str] = ()) -> dict[str, Any] | None:
    """The stack policy of a template under params `guards.stack_policy` (`mode`); None when the stack holds
    no stateful resource itself nor in `nested_holding_data` (its nested stacks' logical ids), or mode is off."""
    nested = set(nested_holding_data)
    if mode == OFF or not (stateful_resources(template) or nested):
        return None
    if mode == ALLOW:
        return ALLOW_ALL
    return protective(STATEFUL_TYPES | ({NESTED_STACK} if nested else set()))


def guarded_types(policy: dict[str, Any] | None) -> frozenset[str]:
    """The resource types a policy keeps from replacement and removal (none for the allow-all policy)."""
    found: set[str] = set()
    for statement in (policy or {}).get("Statement", []):
        if statement.get("Effect") == "Deny":
            found |= set(statement.get("Condition", {}).get("StringEquals", {}).get("ResourceType", []))
    return frozenset(found)


def render(policy: dict[str, Any]) -> bytes:
    """Deterministic JSON, as build writes it: same policy, same bytes."""
    return (json.dumps(policy, indent=2, sort_keys=True) + "\n").encode()


def same(deployed: str | None, wanted: dict[str, Any]) -> bool:
    """Whether the policy GetStackPolicy returned (its body, or None) is `wanted`, however it is formatted."""
    if not deployed:
        return False
    try:
        return bool(json.loads(deployed) == wanted)
    except ValueError:
        return False
