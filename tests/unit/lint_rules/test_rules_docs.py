"""Pure unit: docs/rules.md, the page each project rule's source_url points to.

Every rule (lint_rules/, E9001 on) has a section `## <id>` there, its source_url is that
section, and the section's failing example fails exactly that rule when cfn-lint runs it with the
project's rules, in-process as stackyard/lint.py does. The examples leave out the standard tags,
Metadata.Stackyard and (where they state neither) stateful resources' deletion policies for brevity;
they are added here, as the page says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode import cfn_yaml
from cfnlint.helpers import load_plugins
from cfnlint.runner import Runner, run_template_by_file_path
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from stackyard.cfn import STATEFUL_TYPES
from tests.helpers import ROOT

PAGE = ROOT / "docs" / "rules.md"
RULES_DIR = ROOT / "lint_rules"
PROJECT_RULE = re.compile(r"^E90\d\d$")
RULE_CRASHED = "E0002"  # cfn-lint's "unknown exception while processing rule"
APP, ENV = "shop", "test"  # the application and environment the page's examples are written for
STANDARD_TAGS = [
    {"Key": "Application", "Value": APP},
    {"Key": "Environment", "Value": ENV},
    {"Key": "CostCenter", "Value": "shop"},
    {"Key": "Owner", "Value": "team@example.com"},
    {"Key": "ManagedBy", "Value": "stackyard"},
]
RULE_IDS = sorted(rule.id for rule in load_plugins(str(RULES_DIR)))


def _sections() -> dict[str, str]:
    """The page's `## <heading>` sections, by heading."""
    parts = re.split(r"^## (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _failing_example(rule_id: str) -> dict[str, Any]:
    """The section's first YAML block, completed as the page says: template header, metadata, tags."""
    body = _sections()[rule_id]
    [yaml_text, *_] = re.findall(r"```yaml\n(.*?)```", body, flags=re.DOTALL)
    snippet = cfn_yaml.loads(yaml_text)
    for resource in snippet.get("Resources", {}).values():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema
        properties = resource.setdefault("Properties", {})
        if "Tags" in schema.get("properties", {}) and "Tags" not in properties:
            properties["Tags"] = STANDARD_TAGS
        if resource["Type"] in STATEFUL_TYPES and not {"DeletionPolicy", "UpdateReplacePolicy"} & set(resource):
            resource |= {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"docs/rules.md example of {rule_id}",
        "Metadata": {"Stackyard": {"Application": APP, "Environment": ENV}},
        **snippet,
    }


@pytest.fixture(scope="module")
def cfn_lint() -> tuple[ConfigMixIn, Any]:
    config = ConfigMixIn([], append_rules=[str(RULES_DIR)])
    return config, Runner(config).rules


def _project_findings(cfn_lint: tuple[ConfigMixIn, Any], document: dict[str, Any], path: Path) -> set[str]:
    config, rules = cfn_lint
    path.write_text(json.dumps(document, indent=1))
    matches = list(run_template_by_file_path(str(path), config, rules, ignore_bad_template=False))
    assert not [match.message for match in matches if match.rule.id == RULE_CRASHED]
    return {match.rule.id for match in matches if PROJECT_RULE.match(match.rule.id)}


def test_the_page_has_a_section_for_each_rule_and_for_no_other():
    assert sorted(heading for heading in _sections() if PROJECT_RULE.match(heading)) == RULE_IDS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_source_url_points_at_the_rules_section(rule_id):
    [rule] = [rule for rule in load_plugins(str(RULES_DIR)) if rule.id == rule_id]
    assert rule.source_url == f"docs/rules.md#{rule_id.lower()}"
    assert rule_id in _sections(), f"docs/rules.md has no section '## {rule_id}'"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_failing_example_fails_exactly_its_rule(cfn_lint, tmp_path, rule_id):
    assert _project_findings(cfn_lint, _failing_example(rule_id), tmp_path / "example.json") == {rule_id}
