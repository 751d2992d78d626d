"""Whether a deployed stack already is what a deploy would make it, and if not, why not (pure).

A stack whose deployed template, parameters and tags equal the local ones is unchanged, and no
change set is made for it (the aws-cdk-cli's skip check). Parameters the template gives a Default
and the deploy does not pass are compared at that default, as CloudFormation stores them. Each
difference is named, so a plan says why a stack is not unchanged.
"""

from __future__ import annotations

from typing import Any

from stackyard.aws.records import DeployedStack
from stackyard.deploy.stack_plan import Action, Desired

SHOWN = 3  # names listed per kind of difference
MASKED = "****"  # how DescribeStacks shows a NoEcho parameter


def decide_action(
    desired: Desired, deployed: DeployedStack | None, deployed_template: dict[str, Any] | None
) -> tuple[Action, tuple[str, ...]]:
    """CREATE for a stack not deployed (or only REVIEW_IN_PROGRESS), UNCHANGED when nothing
    differs, else UPDATE; with the reasons."""
    if deployed is None or deployed.status == "REVIEW_IN_PROGRESS":
        return Action.CREATE, ("not deployed yet",)
    found = differences(desired, deployed, deployed_template)
    if found:
        return Action.UPDATE, tuple(found)
    return Action.UNCHANGED, ("template, parameters and tags match the deployed stack",)


def differences(desired: Desired, deployed: DeployedStack, deployed_template: dict[str, Any] | None) -> list[str]:
    """Why the deployed stack is not what a deploy would make it; [] when it is."""
    if deployed.status.endswith("ROLLBACK_COMPLETE") or deployed.status == "UPDATE_FAILED":
        # What it holds may not be what its stored template says: CloudFormation's change set decides.
        undone = "failed without rolling back" if deployed.status == "UPDATE_FAILED" else "rolled back"
        return [f"its last operation {undone} ({deployed.status}); CloudFormation's change set decides"]
    found = _template_differences(deployed_template or {}, desired.template)
    no_echo = {
        name
        for name, spec in desired.template.get("Parameters", {}).items()
        if str(spec.get("NoEcho")).lower() == "true"
    }
    found += _value_differences(
        "parameter", deployed.parameters, effective_parameters(desired.template, desired.parameters), no_echo
    )
    found += _value_differences("tag", deployed.tags, desired.tags, set())
    return found


def effective_parameters(template: dict[str, Any], passed: dict[str, str]) -> dict[str, str]:
    """The parameters as CloudFormation stores them: the passed values over the template's defaults."""
    defaults = {
        name: _as_parameter(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }
    return defaults | passed


def _as_parameter(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _template_differences(deployed: dict[str, Any], local: dict[str, Any]) -> list[str]:
    if deployed == local:
        return []
    found = []
    for section in sorted(set(deployed) | set(local)):
        old, new = deployed.get(section), local.get(section)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            found.append(f"template {section}: {_keyed_differences(old, new)}")
        else:
            found.append(f"template {section} differs")
    return found


def _keyed_differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    kinds = {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(key for key in set(old) & set(new) if old[key] != new[key]),
    }
    return "; ".join(f"{kind} {_names(keys)}" for kind, keys in kinds.items() if keys)


def _value_differences(kind: str, deployed: dict[str, str], local: dict[str, str], masked: set[str]) -> list[str]:
    found = []
    for key in sorted(set(deployed) | set(local)):
        if key not in deployed:
            found.append(f"{kind} {key} is new")
        elif key not in local:
            found.append(f"{kind} {key} is no longer passed")
        elif key in masked and deployed[key] == MASKED:
            found.append(f"{kind} {key} is NoEcho, so its deployed value cannot be compared")
        elif deployed[key] != local[key]:
            shown = "" if key in masked else f": deployed {deployed[key]!r}, now {local[key]!r}"
            found.append(f"{kind} {key} differs{shown}")
    return found


def _names(keys: list[str]) -> str:
    more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more
