"""Pure unit: rule E9008 (lint_rules/tagging_completeness.py, "Taggable resources carry the five standard tags") on its table of snippets.

Each failing snippet yields exactly E9008, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import STANDARD_TAGS, assert_case_holds, case_ids, fails, passes, res, tcp, template

CASES = [
    passes(
        "E9008",
        "standard-tags-and-untaggable-resources",
        template(
            {
                "AppLogs": res("AWS::Logs::LogGroup", RetentionInDays=30),
                "SshFromAdmin": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId="sg-0123456789abcdef0",
                    **tcp(22, CidrIp="203.0.113.10/32"),
                ),
                "UserPool": res(
                    "AWS::Cognito::UserPool", UserPoolTags={tag["Key"]: tag["Value"] for tag in STANDARD_TAGS}
                ),
            }
        ),
    ),
    fails(
        "E9008",
        "missing-owner-and-managed-by",
        "Resource AppLogs",
        template(
            {
                "AppLogs": res("AWS::Logs::LogGroup", RetentionInDays=30, Tags=STANDARD_TAGS[:3]),
            }
        ),
    ),
    fails(
        "E9008",
        "tagged-for-another-environment",
        "Resource AppLogs",
        template(
            {
                "AppLogs": res(
                    "AWS::Logs::LogGroup",
                    RetentionInDays=30,
                    Tags=[*STANDARD_TAGS[:1], {"Key": "Environment", "Value": "prod"}, *STANDARD_TAGS[2:]],
                ),
            }
        ),
    ),
    fails(
        "E9008",
        "user-pool-without-tags",
        "Resource UserPool",
        template(
            {
                "UserPool": res("AWS::Cognito::UserPool"),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
