"""Pure unit: rule E9011 (lint_rules/iam_least_privilege.py, "IAM policies never allow wildcard or escalation actions on every resource") on its table of snippets.

Each failing snippet yields exactly E9011, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import assert_case_holds, case_ids, fails, passes, res, template


def role_allowing(statement: dict, reasons: dict | None = None) -> dict:
    role = res(
        "AWS::IAM::Role",
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
        Policies=[{"PolicyName": "app", "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}],
    )
    if reasons is not None:
        role["Metadata"] = {"Stackyard": {"WildcardReasons": reasons}}
    return role


SERVICE_WIDE = {
    "Sid": "WrittenReason1",
    "Effect": "Allow",
    "Action": ["dynamodb:*"],
    "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/shop-test-jobs"],
}

CASES = [
    passes(
        "E9011",
        "service-wide-wildcard-with-a-written-reason",
        template({"Role": role_allowing(SERVICE_WIDE, {"WrittenReason1": "The job engine migrates its own table"})}),
    ),
    fails(
        "E9011",
        "service-wide-wildcard-on-a-named-table-without-a-reason",
        "Resource Role",
        template({"Role": role_allowing({key: value for key, value in SERVICE_WIDE.items() if key != "Sid"})}),
    ),
    fails(
        "E9011",
        "a-reason-for-another-statement-does-not-count",
        "Resource Role",
        template({"Role": role_allowing(SERVICE_WIDE, {"WrittenReason2": "some other statement"})}),
    ),
    fails(
        "E9011",
        "an-empty-reason-does-not-count",
        "Resource Role",
        template({"Role": role_allowing({**SERVICE_WIDE, "Action": "*"}, {"WrittenReason1": "  "})}),
    ),
    passes(
        "E9011",
        "wildcards-only-on-named-resources",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": ["s3:Get*"],
                                        "Resource": ["arn:aws:s3:::shop-test-data/*"],
                                    },
                                    {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": "*"},
                                    {"Effect": "Deny", "Action": "*", "Resource": "*"},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "service-wildcard-on-everything-inline",
        "Resource Role",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": ["*"]},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "pass-any-role",
        "Resource Role",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": ["ecs:RunTask", "iam:PassRole"], "Resource": "*"},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "everything-on-everything-managed-policy",
        "Resource Policy",
        template(
            {
                "Policy": res(
                    "AWS::IAM::ManagedPolicy",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    },
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
