"""Fixtures of the lint rule tests: cfn-lint with the project's rules, loaded once per module, and
a `lint` function that lints a snippet in-process the way stackyard/lint.py lints (ConfigMixIn
with append_rules, Runner(config).rules, run_template_by_file_path)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.runner import Runner, run_template_by_file_path

from tests.helpers.lint_snippets import PROJECT_RULE, RULE_CRASHED, RULES_DIR


@pytest.fixture(scope="module")
def cfn_lint():
    config = ConfigMixIn([], append_rules=[str(RULES_DIR)])
    return config, Runner(config).rules


@pytest.fixture
def lint(cfn_lint, tmp_path):
    """Lint a document as a file; the project's findings as (rule id, message), in order."""
    config, rules = cfn_lint

    def run(document: dict[str, Any], name: str = "snippet") -> list[tuple[str, str]]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document, indent=1))
        matches = list(run_template_by_file_path(str(path), config, rules, ignore_bad_template=False))
        crashes = [match.message for match in matches if match.rule.id == RULE_CRASHED]
        assert not crashes, crashes
        return [(match.rule.id, match.message) for match in matches if PROJECT_RULE.match(match.rule.id)]

    return run
