"""Exports an update would change or remove, and the stacks that import them: pure decisions.

CloudFormation refuses to change or remove an export another stack imports ("Export ... cannot
be updated as it is in use by ..."), after it has started the update. Finding it before the
change set runs (ListImports) lets the run stop with the two-step way out instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stackyard.aws.records import ResourceChange

SUB_NAMES = re.compile(r"\$\{(?!!)([^}]+)\}")  # ${Name} and ${Name.Attribute}; ${!Literal} is text


@dataclass(frozen=True)
class ExportChange:
    export: str
    output: str
    kind: str  # "removed" or "changed"


@dataclass(frozen=True)
class BlockedExport:
    """An export the change would remove or change while other stacks import it."""

    export: str
    output: str
    kind: str
    importers: tuple[str, ...]

    def __str__(self) -> str:
        return f"export {self.export} ({self.kind}) is imported by {', '.join(self.importers)}"


def export_changes(
    old_template: dict[str, Any], new_template: dict[str, Any], changes: Sequence[ResourceChange]
) -> list[ExportChange]:
    """Exports the update would remove, or whose value it would change (a new expression, or a
    resource it refers to being replaced)."""
    # Values of the form GetAtt <NestedStack>.Outputs.X are only seen as a changed expression here;
    # resolving them through the child template and its nested change set is still to come.
    replaced = {change.logical_id for change in changes if not change.nested_in and change.replacement == "True"}
    new_outputs = new_template.get("Outputs", {})
    found = []
    for output_name, output in old_template.get("Outputs", {}).items():
        export = output.get("Export", {}).get("Name")
        if not isinstance(export, str):
            continue
        new = new_outputs.get(output_name)
        if new is None or new.get("Export", {}).get("Name") != export:
            found.append(ExportChange(export, output_name, "removed"))
        elif new.get("Value") != output.get("Value") or referenced(output.get("Value")) & replaced:
            found.append(ExportChange(export, output_name, "changed"))
    return found


def blocked_exports(
    changes: Sequence[ExportChange], importers: Mapping[str, Sequence[str]]
) -> tuple[BlockedExport, ...]:
    """The changed or removed exports some stack imports (`importers`: export -> importing stacks)."""
    return tuple(
        BlockedExport(change.export, change.output, change.kind, tuple(importers[change.export]))
        for change in changes
        if importers.get(change.export)
    )


def referenced(value: Any) -> set[str]:
    """Logical ids a template expression refers to through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text, variables = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                names = {name.split(".")[0] for name in SUB_NAMES.findall(str(text)) if "::" not in name}
                found |= (names - set(variables)) | referenced(variables)
            else:
                found |= referenced(inner)
        return found
    if isinstance(value, list):
        return set().union(*(referenced(item) for item in value)) if value else set()
    return set()
