"""Pure unit: the project's cfn-lint rules as a set (lint_rules/, E9001 on).

Each rule's own table of snippets is in tests/unit/lint_rules/test_e90NN_<rule>.py. This module
checks what holds across them: every rule has passing and failing cases, ids are unique from E9001
(a range may be left for rules in the making), waivers and workers behave, plain cfn-lint loads the
folder, and (slow) the real generated build has no project finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from cfnlint.helpers import load_plugins
from cfnlint.runner import run_template_by_file_path

from stackyard import lint as stackyard_lint
from stackyard.manifest import MANIFEST_FILE, load
from stackyard.stack_policy import POLICY_SUFFIX as STACK_POLICY_SUFFIX
from tests.helpers import ROOT
from tests.helpers.lint_snippets import (
    FORWARD,
    LISTENER_PARAMETERS,
    PROJECT_RULE,
    RULE_CRASHED,
    RULES_DIR,
    group,
    listener,
    res,
    tcp,
    template,
)
from tests.unit.lint_rules import (
    test_e9001_multi_az,
    test_e9002_security_group_least_privilege,
    test_e9003_database_isolation,
    test_e9004_secret_encryption,
    test_e9005_backup_configuration,
    test_e9006_https_enforcement,
    test_e9007_alarm_coverage,
    test_e9008_tagging_completeness,
    test_e9009_environment_isolation,
    test_e9010_template_validity,
    test_e9011_iam_least_privilege,
    test_e9012_waf_coverage,
    test_e9013_deletion_policies,
    test_e9014_request_logging,
    test_e9015_async_failures,
    test_e9016_container_hardening,
    test_e9020_password_logging,
)

TABLES = [
    module.CASES
    for module in (
        test_e9001_multi_az,
        test_e9002_security_group_least_privilege,
        test_e9003_database_isolation,
        test_e9004_secret_encryption,
        test_e9005_backup_configuration,
        test_e9006_https_enforcement,
        test_e9007_alarm_coverage,
        test_e9008_tagging_completeness,
        test_e9009_environment_isolation,
        test_e9010_template_validity,
        test_e9011_iam_least_privilege,
        test_e9012_waf_coverage,
        test_e9013_deletion_policies,
        test_e9014_request_logging,
        test_e9015_async_failures,
        test_e9016_container_hardening,
        test_e9020_password_logging,
    )
]


def test_every_rule_has_a_passing_and_a_failing_case():
    for table in TABLES:
        assert {case.rule for case in table} == {table[0].rule}
        assert {case.expected_subject is None for case in table} == {True, False}, table[0].rule


def test_rule_ids_are_unique_and_start_at_e9001():
    rules = load_plugins(str(RULES_DIR))
    ids = sorted(rule.id for rule in rules)
    assert len(set(ids)) == len(ids) and ids[0] == "E9001" and all(PROJECT_RULE.match(id_) for id_ in ids)
    # the seed properties and the IAM rule, E9001-E9011, came first and keep their numbers
    assert ids[:11] == [f"E90{number:02d}" for number in range(1, 12)]
    assert sorted(case.rule for case in (table[0] for table in TABLES)) == ids
    for rule in rules:
        assert rule.shortdesc and rule.description and rule.source_url and rule.tags, rule.id


def test_missing_stackyard_metadata_is_reported_by_isolation_and_validity(lint):
    document = template({"Topic": res("AWS::SNS::Topic")})
    del document["Metadata"]
    findings = lint(document)
    assert sorted(rule for rule, _ in findings) == ["E9009", "E9010"]
    assert all(message.startswith("Template:") for _, message in findings)


def test_resource_level_ignore_checks_waives_only_that_resource(lint):
    waived = {**listener("HTTP", FORWARD), "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["E9006"]}}}}
    findings = lint(
        template({"WaivedListener": waived, "HttpListener": listener("HTTP", FORWARD)}, Parameters=LISTENER_PARAMETERS)
    )
    assert [(rule, message.split(":")[0]) for rule, message in findings] == [("E9006", "Resource HttpListener")]


def test_rules_keep_nothing_between_templates(lint):
    failing = template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])})
    passing = template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(443, CidrIp="0.0.0.0/0")])})
    first = lint(failing, "first")
    assert lint(passing, "second") == []
    assert lint(failing, "third") == first != []


def test_project_lint_finds_them_in_forked_workers(tmp_path):
    """stackyard/lint.py loads the rules once and, given two cores or more, forks workers that inherit them."""
    failing, passing = tmp_path / "failing.json", tmp_path / "passing.json"
    failing.write_text(
        json.dumps(template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])}))
    )
    passing.write_text(json.dumps(template({"AppSecurityGroup": group()})))
    jobs = [stackyard_lint.LintJob(path, stackyard_lint.digest(path.read_bytes())) for path in (failing, passing)]
    report = stackyard_lint.lint(jobs, tmp_path / "cache.json", rules_dirs=[RULES_DIR])
    project = [finding for finding in report.findings if PROJECT_RULE.match(finding.rule)]
    assert [(finding.location.file, finding.rule) for finding in project] == [(failing, "E9002")]


@pytest.mark.slow
def test_project_lint_finds_what_plain_cfn_lint_finds_in_sorted_order(tmp_path):
    """Workers forked once the rules are loaded, each linting what it is handed, findings sorted: none of it may
    change a finding. Six templates, so each worker lints several; cfn-lint's own rules and the project's."""
    documents = {
        "open-ssh.json": template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])}),
        "clean.json": template({"AppSecurityGroup": group()}),
        "unknown-ref.json": template(
            {"AppSecurityGroup": res("AWS::EC2::SecurityGroup", GroupDescription="x", VpcId={"Ref": "MissingVpc"})}
        ),
        "no-metadata.json": {
            key: value for key, value in template({"Topic": res("AWS::SNS::Topic")}).items() if key != "Metadata"
        },
        "bad-property.json": template({"Topic": res("AWS::SNS::Topic", TopicNam="typo")}),
        "listener.json": template({"Listener": listener("HTTP", FORWARD)}, Parameters=LISTENER_PARAMETERS),
    }
    paths = []
    for name, document in documents.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(json.dumps(document, indent=1))
    jobs = [stackyard_lint.LintJob(path, stackyard_lint.digest(path.read_bytes())) for path in paths]
    report = stackyard_lint.lint(jobs, tmp_path / "cache.json", rules_dirs=[RULES_DIR])
    cli = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cli), *map(str, paths), "--append-rules", "lint_rules", "--format", "parseable"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    plain = set()
    for line in result.stdout.splitlines():  # file:line:column:end line:end column:rule:message
        file, line_number, _column, _end_line, _end_column, rule, message = line.split(":", 6)
        plain.add(stackyard_lint.Finding(stackyard_lint.Location(Path(file), int(line_number)), rule, message))
    rules = {finding.rule for finding in plain}
    assert {"E9002", "E9006"} <= rules and rules - {"E9002", "E9006", "E9009", "E9010"}, result.stdout
    assert report.findings == sorted(plain) and report.linted == len(paths)


def test_plain_cfn_lint_cli_loads_the_rules_folder(tmp_path):
    """cfn-lint imports each rule file by path, outside any package: the shared helper must load that way."""
    snippet = tmp_path / "snippet.json"
    snippet.write_text(
        json.dumps(template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])}))
    )
    cli = Path(sys.executable).with_name("cfn-lint")
    # --append-rules takes one or more folders, so the templates go before it
    result = subprocess.run(
        [str(cli), str(snippet), "--append-rules", "lint_rules", "--format", "parseable"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # the rules import stackyard and lint_rules: this checkout's, wherever the venv's editable install points
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    # parseable: file:line:column:end line:end column:rule:message
    rules = {line.split(":")[5] for line in result.stdout.splitlines()}
    assert result.stderr == "" and sorted(filter(PROJECT_RULE.match, rules)) == ["E9002"], result.stdout + result.stderr


# --- the real build ---------------------------------------------------------------------------


class BuildLint(NamedTuple):
    manifest_templates: set[str]  # every template the manifests list, relative to the build folder
    linted: set[str]
    findings: list[tuple[str, str, str]]  # (template, rule id, message)


@pytest.fixture(scope="module")
def generated_build(cfn_lint, tmp_path_factory) -> BuildLint:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "generate.py", "--skip-lint", "--build-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    config, rules = cfn_lint
    linted, findings = set(), []
    templates = (path for path in out.rglob("*.json") if path.name != "manifest.json")
    for path in sorted(path for path in templates if not path.name.endswith(STACK_POLICY_SUFFIX)):
        linted.add(str(path.relative_to(out)))
        for match in run_template_by_file_path(str(path), config, rules, ignore_bad_template=False):
            if PROJECT_RULE.match(match.rule.id) or match.rule.id == RULE_CRASHED:
                findings.append((str(path.relative_to(out)), match.rule.id, match.message))
    return BuildLint(_manifest_templates(out), linted, findings)


def _manifest_templates(out: Path) -> set[str]:
    templates = set()
    for manifest_file in out.glob(f"*/{MANIFEST_FILE}"):
        environment = manifest_file.parent.name
        for stack in load(manifest_file).stacks.values():
            templates.update(f"{environment}/{template}" for template, _ in stack.template_files())
    return templates


@pytest.mark.slow
def test_generated_build_has_no_project_findings(generated_build):
    assert generated_build.linted == generated_build.manifest_templates != set()
    assert generated_build.findings == []
