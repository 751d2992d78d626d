"""Pure unit: rule E9010 (lint_rules/template_validity.py, "Templates are complete, say their environment and fit CloudFormation quotas") on its table of snippets.

Each failing snippet yields exactly E9010, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import assert_case_holds, case_ids, fails, output, passes, ref, res, template

CASES = [
    passes(
        "E9010",
        "complete-template",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Outputs={"TopicArn": output(ref("Topic"))},
        ),
    ),
    fails(
        "E9010",
        "no-description",
        "Template",
        {key: value for key, value in template({"Topic": res("AWS::SNS::Topic")}).items() if key != "Description"},
    ),
    fails(
        "E9010",
        "output-without-description",
        "Output TopicArn",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Outputs={"TopicArn": output(ref("Topic"), description=None)},
        ),
    ),
    fails(
        "E9010",
        "over-the-parameter-quota",
        "Template",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Parameters={f"Parameter{index}": {"Type": "String"} for index in range(201)},
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
