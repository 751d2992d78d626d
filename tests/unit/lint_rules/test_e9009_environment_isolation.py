"""Pure unit: rule E9009 (lint_rules/environment_isolation.py, "Exports, imports and physical names belong to the template's environment") on its table of snippets.

Each failing snippet yields exactly E9009, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    APP,
    ENV,
    alarm,
    assert_case_holds,
    bucket_policy,
    case_ids,
    fails,
    group,
    imported,
    named,
    output,
    passes,
    ref,
    res,
    template,
)

CASES = [
    passes(
        "E9009",
        "own-exports-imports-and-names",
        template(
            {
                "AppSecurityGroup": group(),
                "JobsQueue": res("AWS::SQS::Queue", QueueName=f"{APP}-{ENV}-jobs"),
                "AppLogs": res("AWS::Logs::LogGroup", LogGroupName=f"/{APP}/{ENV}/app", RetentionInDays=30),
                "QueueAgeAlarm": named(
                    alarm("AWS/SQS", "ApproximateAgeOfOldestMessage"), AlarmName=f"{APP}-{ENV} jobs waiting too long"
                ),
                "SiteBucket": res("AWS::S3::Bucket", BucketName={"Fn::Sub": f"{APP}-{ENV}-site-${{AWS::AccountId}}"}),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            },
            Outputs={"QueueUrl": output(ref("JobsQueue"), export=f"{APP}-{ENV}-QueueUrl")},
        ),
    ),
    fails(
        "E9009",
        "export-of-another-environment",
        "Output QueueUrl",
        template(
            {
                "JobsQueue": res("AWS::SQS::Queue"),
            },
            Outputs={"QueueUrl": output(ref("JobsQueue"), export=f"{APP}-prod-QueueUrl")},
        ),
    ),
    fails(
        "E9009",
        "import-from-another-environment",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": res(
                    "AWS::EC2::SecurityGroup", GroupDescription="app", VpcId=imported(f"{APP}-prod-VpcId")
                ),
            }
        ),
    ),
    fails(
        "E9009",
        "environment-not-a-whole-word",
        "Resource JobsQueue",
        template(
            {
                "JobsQueue": res("AWS::SQS::Queue", QueueName=f"{APP}-{ENV}ing-jobs"),
            }
        ),
    ),
    fails(
        "E9009",
        "name-from-stack-name-only",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket", BucketName={"Fn::Sub": "${AWS::StackName}-site"}),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
