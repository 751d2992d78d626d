"""Pure unit: rule E9013 (lint_rules/deletion_policies.py, "Stateful resources state their DeletionPolicy and UpdateReplacePolicy") on its table of snippets.

Each failing snippet yields exactly E9013, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    assert_case_holds,
    case_ids,
    fails,
    passes,
    ref,
    res,
    template,
    without_policies,
)

KEY_POLICY = {"Version": "2012-10-17", "Statement": []}

CASES = [
    passes(
        "E9013",
        "kept-and-deleted-each-stated",
        template(
            {
                "Logs": {**res("AWS::Logs::LogGroup", RetentionInDays=30), "DeletionPolicy": "Retain"},
                "Key": {**res("AWS::KMS::Key", KeyPolicy=KEY_POLICY), "UpdateReplacePolicy": "Retain"},
                "Secret": res("AWS::SecretsManager::Secret", KmsKeyId=ref("Key")),
                "Topic": res("AWS::SNS::Topic"),  # holds nothing: no policy needed
            }
        ),
    ),
    passes(
        "E9013",
        "an-aurora-member-instance-holds-nothing-of-its-own",
        template(
            {
                "Writer": without_policies(
                    res("AWS::RDS::DBInstance", Engine="aurora-postgresql", DBInstanceClass="db.serverless")
                )
            }
        ),
    ),
    fails(
        "E9013",
        "log-group-left-to-the-default",
        "Resource Logs",
        template({"Logs": without_policies(res("AWS::Logs::LogGroup", RetentionInDays=30))}),
    ),
    fails(
        "E9013",
        "key-deleted-but-replacement-unstated",
        "Resource Key",
        template({"Key": without_policies(res("AWS::KMS::Key", KeyPolicy=KEY_POLICY), "UpdateReplacePolicy")}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
