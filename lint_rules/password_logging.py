"""E9020: no password reaches the PostgreSQL log where the master password rotates through SQL."""

from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

PARAMETER_GROUPS = ("AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBParameterGroup")
STATEMENT_CLASSES_LOGGED = {"ddl", "mod", "all"}  # log_statement values whose statements include ALTER USER


class PasswordLogging(CloudFormationLintRule):
    id = "E9020"
    shortdesc = "No statement logging that writes the rotated password to the PostgreSQL log"
    description = (
        "Issue 13 §2: in a template whose database password rotates through SQL (a Secrets Manager "
        "RotationSchedule, or ManageMasterUserPassword), no DB cluster or DB parameter group sets "
        "log_statement to ddl, mod or all, or log_min_duration_statement to 0: both write the rotation's "
        "ALTER USER ... WITH PASSWORD '<password>' to the PostgreSQL log exported to CloudWatch."
    )
    source_url = "docs/rules.md#e9020"
    tags = ["stackyard", "logging", "rds", "secrets"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        rotation = _rotation(cfn)
        if rotation is None:
            return []
        return [
            RuleMatch(["Resources", name, "Properties", "Parameters", parameter], _message(name, problem, rotation))
            for name, group in cfn.get_resources(list(PARAMETER_GROUPS)).items()
            for parameter, problem in _logging_problems(facts.properties(group).get("Parameters"))
        ]


def _rotation(cfn: Template) -> str | None:
    """What rotates the password through SQL in this template, for the message; None if nothing does."""
    schedules = cfn.get_resources("AWS::SecretsManager::RotationSchedule")
    if schedules:
        return f"RotationSchedule {next(iter(schedules))}"
    for name, database in cfn.get_resources(["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"]).items():
        if facts.is_true(facts.properties(database).get("ManageMasterUserPassword")):
            return f"{name}'s ManageMasterUserPassword (RDS rotates it)"
    return None


def _logging_problems(parameters: Any) -> list[tuple[str, str]]:
    """(parameter, what it logs) for each literal setting that writes every statement of a class."""
    if not isinstance(parameters, dict):
        return []
    problems = []
    statement = parameters.get("log_statement")
    if isinstance(statement, str) and statement.lower() in STATEMENT_CLASSES_LOGGED:
        problems.append(("log_statement", f"log_statement {statement} logs the text of every DDL statement"))
    if facts.as_int(parameters.get("log_min_duration_statement")) == 0:
        problems.append(("log_min_duration_statement", "log_min_duration_statement 0 logs every statement's text"))
    return problems


def _message(group: str, problem: str, rotation: str) -> str:
    return (
        f"Resource {group}: {problem}, the rotation's ALTER USER ... WITH PASSWORD '<password>' included, and "
        f"the database's password rotates through SQL ({rotation}), so the password would reach the "
        f"PostgreSQL log and CloudWatch. Fix: set log_statement to none and log_min_duration_statement to -1 "
        f"or a threshold, and audit DDL with pgaudit (shared_preload_libraries including pgaudit, pgaudit.log "
        f"ddl), which leaves role statements out."
    )
