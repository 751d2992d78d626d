"""Exports an update would change or remove, and the stacks that import them: pure decisions.

CloudFormation refuses to change or remove an export another stack imports ("Export ... cannot
be updated as it is in use by ..."), after it has started the update. Finding it before the
change set runs (ListImports) lets the run stop with the two-step way out instead.

An export's value is followed to what decides it: a new expression, or a resource it refers to
being replaced or removed, changes it; a resource that may be replaced (Replacement Conditional,
or Action Dynamic) or a parameter whose value changes may change it. A value of the form
`Fn::GetAtt <NestedStack>.Outputs.X` is followed into the nested stack: its template's output X
(deployed and new), its own changes from the nested change set, and its parameters, which change
when the parent passes them a value that changes (a `Level` per stack, built by the planner).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stackyard.aws.records import ResourceChange

SUB_NAMES = re.compile(r"\$\{(?!!)([^}]+)\}")  # ${Name} and ${Name.Attribute}; ${!Literal} is text
CHANGED, MAY_CHANGE, REMOVED = "changed", "may change", "removed"
OUTPUTS = "Outputs."


@dataclass(frozen=True)
class ExportChange:
    export: str
    output: str
    kind: str  # "removed", "changed" or "may change"
    why: str = ""


@dataclass(frozen=True)
class BlockedExport:
    """An export the change would remove or change (or may change) while other stacks import it."""

    export: str
    output: str
    kind: str
    importers: tuple[str, ...]
    why: str = ""

    def __str__(self) -> str:
        because = f": {self.why}" if self.why else ""
        return f"export {self.export} ({self.kind}{because}) is imported by {', '.join(self.importers)}"


@dataclass(frozen=True)
class Level:
    """One stack of an update, as far as its output values go: its deployed and new templates, the
    changes to its resources, the parameters whose value changes (name -> why), and its nested stacks."""

    old: Mapping[str, Any]
    new: Mapping[str, Any]
    changes: Mapping[str, ResourceChange] = field(default_factory=dict)
    changed_parameters: Mapping[str, str] = field(default_factory=dict)
    children: Mapping[str, Level] = field(default_factory=dict)
    path: str = ""  # "Vpc/" inside the nested stack with logical id Vpc

    def child(
        self, logical_id: str, old: Mapping[str, Any], new: Mapping[str, Any], changes: Sequence[ResourceChange]
    ) -> Level:
        """The nested stack `logical_id` as a level: its parameters change where the parent passes it a
        value that changes."""
        old_passed = _nested_parameters(self.old, logical_id)
        new_passed = _nested_parameters(self.new, logical_id)
        changed = {}
        for name, expression in new_passed.items():
            found = value_change(old_passed.get(name), expression, self)
            if found:
                changed[name] = f"parameter {name} of {self.path}{logical_id} {found[0]} ({found[1]})"
        return Level(old, new, {c.logical_id: c for c in changes}, changed, {}, f"{self.path}{logical_id}/")


def export_changes(
    old_template: dict[str, Any], new_template: dict[str, Any], changes: Sequence[ResourceChange]
) -> list[ExportChange]:
    """Exports the update would remove or change, for a stack without nested stacks to follow."""
    top = {change.logical_id: change for change in changes if not change.nested_in}
    return exports_changed(Level(old_template, new_template, top))


def exports_changed(level: Level) -> list[ExportChange]:
    """Exports of `level`'s stack the update would remove, change, or may change."""
    new_outputs = level.new.get("Outputs", {})
    found = []
    for output_name, output in level.old.get("Outputs", {}).items():
        export = output.get("Export", {}).get("Name")
        if not isinstance(export, str):
            continue
        new = new_outputs.get(output_name)
        if new is None or new.get("Export", {}).get("Name") != export:
            found.append(ExportChange(export, output_name, REMOVED))
            continue
        change = value_change(output.get("Value"), new.get("Value"), level)
        if change:
            found.append(ExportChange(export, output_name, *change))
    return found


def value_change(old: Any, new: Any, level: Level) -> tuple[str, str] | None:
    """(kind, why) when a value changes or may change in this update; None when it stays."""
    if old != new:
        return CHANGED, "its expression changes"
    found = [
        change
        for logical_id, attribute in sorted(references(new))
        if (change := _reference_change(logical_id, attribute, level)) is not None
    ]
    return next((change for change in found if change[0] == CHANGED), found[0] if found else None)


def _reference_change(logical_id: str, attribute: str, level: Level) -> tuple[str, str] | None:
    if logical_id in level.changed_parameters:
        return MAY_CHANGE, level.changed_parameters[logical_id]
    if attribute.startswith(OUTPUTS) and logical_id in level.children:
        child, output = level.children[logical_id], attribute.removeprefix(OUTPUTS)
        old_value = child.old.get("Outputs", {}).get(output, {}).get("Value")
        new_output = child.new.get("Outputs", {}).get(output)
        if new_output is None:
            return CHANGED, f"{child.path}{output} is no longer an output"
        return value_change(old_value, new_output.get("Value"), child)
    change = level.changes.get(logical_id)
    if change is None:
        return None
    what = f"{level.path}{logical_id} ({change.resource_type})"
    if change.action == "Remove":
        return CHANGED, f"{what} is removed"
    if change.replacement == "True":
        return CHANGED, f"{what} is replaced"
    if change.replacement == "Conditional":
        return MAY_CHANGE, f"{what} may be replaced"
    if change.action == "Dynamic":
        return MAY_CHANGE, f"{what} changes in a way CloudFormation decides when it runs (Dynamic)"
    return None


def nested_outputs_used(template: Mapping[str, Any]) -> set[str]:
    """Logical ids of the nested stacks whose outputs the template's exports take (GetAtt X.Outputs.Y)."""
    return {
        logical_id
        for output in template.get("Outputs", {}).values()
        if isinstance(output.get("Export", {}).get("Name"), str)
        for logical_id, attribute in references(output.get("Value"))
        if attribute.startswith(OUTPUTS)
    }


def blocked_exports(
    changes: Sequence[ExportChange], importers: Mapping[str, Sequence[str]]
) -> tuple[BlockedExport, ...]:
    """The changed or removed exports some stack imports (`importers`: export -> importing stacks)."""
    return tuple(
        BlockedExport(change.export, change.output, change.kind, tuple(importers[change.export]), change.why)
        for change in changes
        if importers.get(change.export)
    )


def referenced(value: Any) -> set[str]:
    """Logical ids a template expression refers to through Ref, Fn::GetAtt or Fn::Sub."""
    return {logical_id for logical_id, _ in references(value)}


def references(value: Any) -> set[tuple[str, str]]:
    """(logical id, attribute) pairs a template expression refers to; the attribute is "" for a Ref."""
    if isinstance(value, list):
        return set().union(*(references(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[tuple[str, str]] = set()
    for key, inner in value.items():
        if key == "Ref" and isinstance(inner, str):
            found.add((inner, ""))
        elif key == "Fn::GetAtt":
            joined = ".".join(str(part) for part in inner) if isinstance(inner, list) else str(inner)
            logical_id, _, attribute = joined.partition(".")
            found.add((logical_id, attribute))
        elif key == "Fn::Sub":
            text, variables = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
            names = [name.partition(".") for name in SUB_NAMES.findall(str(text)) if "::" not in name]
            found |= {(name, attribute) for name, _, attribute in names if name not in variables}
            found |= references(variables)
        else:
            found |= references(inner)
    return found


def _nested_parameters(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    resource = template.get("Resources", {}).get(logical_id, {})
    return dict(resource.get("Properties", {}).get("Parameters", {}))
