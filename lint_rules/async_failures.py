"""E9015: a function invoked asynchronously keeps the events it failed, and both they and its errors are
alarmed."""

from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# Services that invoke a function asynchronously (Lambda retries, then drops, a failed event).
ASYNC_INVOKERS = {"s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com"}


class AsyncFailures(CloudFormationLintRule):
    id = "E9015"
    shortdesc = "Asynchronously invoked functions keep failed events, alarmed with their errors"
    description = (
        "Issue 13 section 4: a Lambda function that S3, SNS or EventBridge may invoke (an AWS::Lambda::Permission "
        "in the same template) has an on-failure destination (AWS::Lambda::EventInvokeConfig DestinationConfig "
        "OnFailure) or a DeadLetterConfig on an SQS queue of the template, an alarm on that queue's "
        "ApproximateNumberOfMessagesVisible, and an alarm on the function's AWS/Lambda Errors."
    )
    source_url = "docs/rules.md#e9015"
    tags = ["stackyard", "lambda", "monitoring", "sqs"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        watched = _watched(cfn)
        destinations = _failure_destinations(cfn)
        matches = []
        for name in sorted(_invoked_asynchronously(cfn)):
            queue = destinations.get(name)
            if queue is None:
                matches.append(_finding(name, "drops an event after Lambda's retries", _DESTINATION_FIX))
                continue
            if ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue) not in watched:
                matches.append(
                    _finding(
                        name,
                        f"keeps failed events in {queue}, which no alarm watches",
                        f"an alarm on AWS/SQS ApproximateNumberOfMessagesVisible, QueueName !GetAtt {queue}.QueueName",
                    )
                )
            if ("AWS/Lambda", "Errors", "FunctionName", name) not in watched:
                matches.append(
                    _finding(name, "fails unseen", f"an alarm on AWS/Lambda Errors, FunctionName !Ref {name}")
                )
        return matches


_DESTINATION_FIX = (
    "an AWS::Lambda::EventInvokeConfig (Qualifier $LATEST) with DestinationConfig.OnFailure.Destination "
    "!GetAtt <queue>.Arn, or a DeadLetterConfig TargetArn, on an SQS queue of this template"
)


def _finding(name: str, problem: str, fix: str) -> RuleMatch:
    return RuleMatch(
        ["Resources", name],
        f"Resource {name}: invoked asynchronously, it {problem}. Fix: {fix}.",
    )


def _named(value: Any) -> str | None:
    """The logical id a Ref or GetAtt names."""
    attribute = facts.getatt(value)
    return facts.ref_target(value) or (attribute[0] if attribute else None)


def _invoked_asynchronously(cfn: Template) -> set[str]:
    functions = cfn.get_resources("AWS::Lambda::Function")
    found = set()
    for permission in cfn.get_resources("AWS::Lambda::Permission").values():
        props = facts.properties(permission)
        target = _named(props.get("FunctionName"))
        if props.get("Principal") in ASYNC_INVOKERS and target is not None and target in functions:
            found.add(target)
    return found


def _failure_destinations(cfn: Template) -> dict[str, str]:
    """Function -> the queue (of this template) its failed asynchronous events go to."""
    queues = set(cfn.get_resources("AWS::SQS::Queue"))
    found: dict[str, str] = {}
    for config in cfn.get_resources("AWS::Lambda::EventInvokeConfig").values():
        props = facts.properties(config)
        function = _named(props.get("FunctionName"))
        queue = _named(_dig(props, "DestinationConfig", "OnFailure", "Destination"))
        if function is not None and queue is not None and queue in queues:
            found[function] = queue
    for name, function in cfn.get_resources("AWS::Lambda::Function").items():
        queue = _named(_dig(facts.properties(function), "DeadLetterConfig", "TargetArn"))
        if queue is not None and queue in queues:
            found.setdefault(name, queue)
    return found


def _watched(cfn: Template) -> set[tuple[str, str, str, str]]:
    """(namespace, metric, dimension, the logical id its value names) of every alarm of the template."""
    watched = set()
    for alarm in cfn.get_resources("AWS::CloudWatch::Alarm").values():
        props = facts.properties(alarm)
        for dimension in facts.as_list(props.get("Dimensions")):
            if not isinstance(dimension, dict):
                continue
            target = _named(dimension.get("Value"))
            if target is not None:
                watched.add(
                    (str(props.get("Namespace")), str(props.get("MetricName")), str(dimension.get("Name")), target)
                )
    return watched


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
