"""Pure unit: rule E9015 (lint_rules/async_failures.py, "Asynchronously invoked functions keep failed events, alarmed with their errors") on its table of snippets.

Each failing snippet yields exactly E9015, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import (
    alarm,
    assert_case_holds,
    case_ids,
    fails,
    getatt,
    passes,
    ref,
    res,
    template,
)


def function(**props: Any) -> dict[str, Any]:
    return res(
        "AWS::Lambda::Function",
        Runtime="python3.12",
        Handler="handler.main",
        Role="arn:aws:iam::123456789012:role/shop-test-processor",
        Code={"ZipFile": "def main(event, context): pass"},
        **props,
    )


def invoked_by(principal: str) -> dict[str, Any]:
    return res(
        "AWS::Lambda::Permission",
        FunctionName=ref("Processor"),
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceAccount={"Ref": "AWS::AccountId"},
    )


ON_FAILURE = res(
    "AWS::Lambda::EventInvokeConfig",
    FunctionName=ref("Processor"),
    Qualifier="$LATEST",
    MaximumRetryAttempts=2,
    DestinationConfig={"OnFailure": {"Destination": getatt("Failures", "Arn")}},
)
FAILURES_ALARM = alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName=getatt("Failures", "QueueName"))
ERRORS_ALARM = alarm("AWS/Lambda", "Errors", FunctionName=ref("Processor"))


def s3_triggered(**extra: Any) -> dict[str, Any]:
    return template(
        {
            "Processor": function(),
            "FromInputBucket": invoked_by("s3.amazonaws.com"),
            "Failures": res("AWS::SQS::Queue", QueueName="shop-test-processor-failures"),
            **extra,
        }
    )


CASES = [
    passes(
        "E9015",
        "on-failure-queue-alarmed-and-errors-alarmed",
        s3_triggered(OnFailure=ON_FAILURE, FailuresAlarm=FAILURES_ALARM, ErrorsAlarm=ERRORS_ALARM),
    ),
    passes(
        "E9015",
        "a-dead-letter-queue-instead",
        template(
            {
                "Processor": function(DeadLetterConfig={"TargetArn": getatt("Failures", "Arn")}),
                "FromTopic": invoked_by("sns.amazonaws.com"),
                "Failures": res("AWS::SQS::Queue", QueueName="shop-test-processor-failures"),
                "FailuresAlarm": FAILURES_ALARM,
                "ErrorsAlarm": ERRORS_ALARM,
            }
        ),
    ),
    passes(
        "E9015",
        "invoked-synchronously-only",
        template({"Processor": function(), "FromApi": invoked_by("apigateway.amazonaws.com")}),
    ),
    fails(
        "E9015",
        "failed-events-dropped",
        "Resource Processor",
        s3_triggered(FailuresAlarm=FAILURES_ALARM, ErrorsAlarm=ERRORS_ALARM),
    ),
    fails(
        "E9015",
        "failed-events-kept-but-nobody-told",
        "Resource Processor",
        s3_triggered(OnFailure=ON_FAILURE, ErrorsAlarm=ERRORS_ALARM),
    ),
    fails(
        "E9015",
        "errors-unwatched",
        "Resource Processor",
        s3_triggered(OnFailure=ON_FAILURE, FailuresAlarm=FAILURES_ALARM),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
