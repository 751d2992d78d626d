"""E9010: a template is complete, identifies its environment and stays within CloudFormation quotas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# CloudFormation quotas per template
SECTION_QUOTAS = {"Resources": 500, "Parameters": 200, "Outputs": 200}


class TemplateValidity(CloudFormationLintRule):
    id = "E9010"
    shortdesc = "Templates are complete, say their environment and fit CloudFormation quotas"
    description = (
        "Seed 001 Property 10 (Synthesis Validity): AWSTemplateFormatVersion, Description and "
        "Metadata.Stackyard are present; at most 500 resources, 200 parameters and 200 outputs; every "
        "Output has a Description."
    )
    source_url = "docs/rules.md#e9010"
    tags = ["stackyard", "template", "limits"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_missing_sections(cfn.template), *_over_quota(cfn.template), *_undescribed_outputs(cfn.template)]


def _missing_sections(template: dict[str, Any]) -> Iterator[RuleMatch]:
    for section in ("AWSTemplateFormatVersion", "Description"):
        value = template.get(section)
        if not isinstance(value, str) or not value.strip():
            yield RuleMatch(
                [section],
                f"Template: {section} is missing. Fix: set it (Stackyard templates declare "
                f"AWSTemplateFormatVersion 2010-09-09 and a Description naming app, environment and stack).",
            )
    if facts.stackyard_metadata(template) is None:
        yield RuleMatch(
            ["Metadata"],
            "Template: Metadata.Stackyard with Application and Environment is missing. Fix: set "
            "Metadata.Stackyard = {Application: <app>, Environment: <env>}.",
        )


def _over_quota(template: dict[str, Any]) -> Iterator[RuleMatch]:
    for section, quota in SECTION_QUOTAS.items():
        entries = template.get(section)
        if isinstance(entries, dict) and len(entries) > quota:
            yield RuleMatch(
                [section],
                f"Template: {len(entries)} {section.lower()}, over CloudFormation's quota of {quota} per "
                f"template. Fix: split the stack, e.g. into nested stacks.",
            )


def _undescribed_outputs(template: dict[str, Any]) -> Iterator[RuleMatch]:
    outputs = template.get("Outputs")
    for name, output in outputs.items() if isinstance(outputs, dict) else []:
        description = output.get("Description") if isinstance(output, dict) else None
        if not isinstance(description, str) or not description.strip():
            yield RuleMatch(
                ["Outputs", name],
                f"Output {name}: no Description. Fix: say what the value is and who reads it.",
            )
