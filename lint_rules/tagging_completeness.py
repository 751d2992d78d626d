"""E9008: every taggable resource carries the five standard tags, for its own environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError
from cfnlint.template import Template

from lint_rules import _template_facts as facts

STANDARD_TAGS = ("Application", "Environment", "CostCenter", "Owner", "ManagedBy")


class TaggingCompleteness(CloudFormationLintRule):
    id = "E9008"
    shortdesc = "Taggable resources carry the five standard tags"
    description = (
        "Seed 001 Property 4 (Resource Tagging Completeness): every resource whose type has a Tags property "
        "(or another tag property, per cfn-lint's resource schema) carries Application, Environment, "
        "CostCenter, Owner and ManagedBy, and its Environment tag equals Metadata.Stackyard.Environment."
    )
    source_url = "docs/rules.md#e9008"
    tags = ["stackyard", "tagging"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        metadata = facts.stackyard_metadata(cfn.template)
        environment = metadata["Environment"] if metadata else None
        region = cfn.regions[0] if cfn.regions else "us-east-1"
        matches: list[RuleMatch] = []
        for name, resource in cfn.get_resources().items():
            tag_property = _tag_property(region, resource.get("Type"))
            if tag_property is not None:
                matches.extend(_tag_problems(name, resource, tag_property, environment))
        return matches


def _tag_property(region: str, resource_type: Any) -> str | None:
    """The property a type is tagged with: `Tags`, or the schema's own (e.g. UserPoolTags); None if untaggable."""
    if not isinstance(resource_type, str):
        return None
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except ResourceNotFoundError:
        return None  # custom resources and types unknown to cfn-lint
    if "Tags" in schema.get("properties", {}):
        return "Tags"
    tagging = schema.get("tagging", {})
    tag_path = tagging.get("tagProperty", "")
    if tagging.get("taggable") and tag_path.startswith("/properties/") and tag_path.count("/") == 2:
        return tag_path.rsplit("/", 1)[1]
    return None


def _tag_problems(
    name: str, resource: dict[str, Any], tag_property: str, environment: str | None
) -> Iterator[RuleMatch]:
    path = ["Resources", name, "Properties", tag_property]
    value = facts.properties(resource).get(tag_property)
    tags = _tag_values(value)
    if tags is None:
        return  # tags computed by an intrinsic function cannot be read here
    missing = [key for key in STANDARD_TAGS if key not in tags]
    if missing:
        yield RuleMatch(
            path if value is not None else ["Resources", name],
            f"Resource {name}: missing standard tag(s) {', '.join(missing)}. Fix: tag it with Application, "
            f"Environment, CostCenter, Owner and ManagedBy (templates/parts/common.py applies them).",
        )
    actual = tags.get("Environment")
    if environment is not None and isinstance(actual, str) and actual != environment:
        yield RuleMatch(
            path,
            f"Resource {name}: Environment tag is {actual!r} in a template of environment {environment!r}. "
            f"Fix: tag it Environment={environment}.",
        )


def _tag_values(value: Any) -> dict[str, object] | None:
    """Tag key -> value, from a list of Key/Value objects or a map; None when not literal."""
    if value is None:
        return {}
    if isinstance(value, dict):
        if any(str(key).startswith("Fn::") or key == "Ref" for key in value):
            return None
        return {str(key): tag for key, tag in value.items()}
    if not isinstance(value, list):
        return None
    tags: dict[str, object] = {}
    for tag in value:
        if isinstance(tag, dict):
            key = tag.get("Key", tag.get("key"))
            if isinstance(key, str):
                tags[key] = tag.get("Value", tag.get("value"))
    return tags
