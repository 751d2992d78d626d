"""Functions stack (seed 004 §1.5-1.6): Lambda functions built from the project's folders.

Each function gets its own log group and a role holding exactly its grants (read, write or
both, on named buckets, optionally under a prefix, and on named tables). Buckets and tables are
named by ARNs derived from their names rather than imported, so a bucket can notify a function
without the bucket -> function -> permission cycle: the permission is here, the bucket's
notification (storage stack) imports the function's ARN, and deploy orders them.

S3 invokes a function asynchronously: after Lambda's two retries a failed event would be dropped.
A notified function sends it to an on-failure queue of its own instead, alarmed on (critical: an
upload nobody processed), beside an alarm on its errors (issue 13, docs/security.md).
"""

from __future__ import annotations

import awacs.logs
import awacs.sqs
from awacs.aws import Allow, Bool, Condition, Deny, Principal, Statement
from troposphere import AccountId, GetAtt, Ref, Template
from troposphere.awslambda import DestinationConfig, Environment, EventInvokeConfig, Function, OnFailure, Permission
from troposphere.iam import Policy, Role
from troposphere.sqs import Queue, QueuePolicy

from stackyard.config import EnvironmentConfig
from stackyard.config import Function as FunctionConfig
from templates import names
from templates.names import pascal
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.common import (
    LambdaCode,
    StackTemplates,
    export,
    keep_on_delete,
    kept_log_group,
    lambda_code,
    new_template,
    tag_resources,
)
from templates.parts.grants import WildcardReasons, grant_statements, site_writers
from templates.parts.policies import document, service_role_trust
from templates.parts.variables import environment_value

NAME = names.FUNCTIONS
FAILED_EVENT_RETENTION_SECONDS = 14 * 86_400  # SQS's longest: two weeks to replay a failed event
ASYNC_RETRIES = 2  # Lambda's default, written out


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"functions ({len(config.functions)} Lambda functions)")
    packages = {}
    for key, settings in config.functions.items():
        packages.update(_function(template, config, key, settings))
    return StackTemplates(NAME, tag_resources(template, config), packages=packages)


def _function(template: Template, config: EnvironmentConfig, key: str, settings: FunctionConfig) -> dict:
    name, code = names.function_name(config, key), f"{pascal(key)}Code"
    notifying = _notifying_buckets(config, key)
    failures = _failures_queue(template, config, key) if notifying else None
    log_group = kept_log_group(
        template, config, f"{pascal(key)}LogGroup", names.lambda_log_group_name(name), settings.log_retention_days
    )
    reasons = WildcardReasons()
    role = template.add_resource(
        Role(
            f"{pascal(key)}Role",
            Description=f"{name}: {settings.purpose}"[:1000],
            AssumeRolePolicyDocument=service_role_trust("lambda.amazonaws.com"),
            Policies=[
                Policy(
                    PolicyName=key,
                    PolicyDocument=document(
                        Statement(
                            Sid="OwnLogs",
                            Effect=Allow,
                            Action=[awacs.logs.CreateLogStream, awacs.logs.PutLogEvents],
                            Resource=[GetAtt(log_group, "Arn")],
                        ),
                        *grant_statements(config, settings.grants, reasons),
                        *([_send_failures(failures)] if failures else []),
                    ),
                )
            ],
        )
    )
    if reasons.by_sid:
        role.Metadata = reasons.metadata()
    function = Function(
        f"{pascal(key)}Function",
        FunctionName=name,
        Description=settings.purpose[:256],
        Runtime=settings.runtime,
        Architectures=[settings.architecture],
        Handler=settings.handler,
        Code=lambda_code(template, code, name),
        Role=GetAtt(role, "Arn"),
        Timeout=settings.timeout_seconds,
        MemorySize=settings.memory_mb,
        DependsOn=log_group.title,
    )
    variables = {variable: environment_value(config, reference) for variable, reference in settings.environment.items()}
    if key in site_writers(config):
        variables[names.SITE_DISTRIBUTION_VARIABLE] = names.site_distribution_parameter_name(config)
    if variables:
        function.Environment = Environment(Variables=dict(sorted(variables.items())))
    template.add_resource(function)
    _bucket_permissions(template, config, key, function, notifying)
    if failures is not None:
        _keep_failed_events(template, config, key, function, failures)
    export(template, config, names.function_arn_export(key), GetAtt(function, "Arn"), f"Function: {settings.purpose}")
    export(template, config, f"{pascal(key)}FunctionName", Ref(function), f"Function: {settings.purpose}")
    if key in site_writers(config):
        export(template, config, names.function_role_name_export(key), Ref(role), f"Role of: {settings.purpose}")
    return {code: LambdaCode(settings.source, runtime=settings.runtime, architecture=settings.architecture)}


def _notifying_buckets(config: EnvironmentConfig, key: str) -> list[str]:
    """The buckets whose notifications invoke the function (asynchronously)."""
    return sorted(
        {
            bucket_key
            for bucket_key, bucket in (config.storage.buckets if config.storage else {}).items()
            if any(notification.function == key for notification in bucket.notifications)
        }
    )


def _bucket_permissions(
    template: Template, config: EnvironmentConfig, key: str, function: Function, buckets: list[str]
) -> None:
    """S3 may invoke the function for each bucket whose notifications name it."""
    for bucket_key in buckets:
        template.add_resource(
            Permission(
                f"{pascal(key)}From{pascal(bucket_key)}Bucket",
                FunctionName=Ref(function),
                Action="lambda:InvokeFunction",
                Principal="s3.amazonaws.com",
                SourceArn=names.bucket_arn(config, bucket_key),
                SourceAccount=AccountId,
            )
        )


def _failures_queue(template: Template, config: EnvironmentConfig, key: str) -> Queue:
    """Encrypted, TLS only, kept like the environment's data (failed events are data not yet processed)."""
    queue = template.add_resource(
        keep_on_delete(
            Queue(
                f"{pascal(key)}FailuresQueue",
                QueueName=names.function_failures_queue_name(config, key),
                MessageRetentionPeriod=FAILED_EVENT_RETENTION_SECONDS,
                SqsManagedSseEnabled=True,
            ),
            config,
        )
    )
    template.add_resource(
        QueuePolicy(
            f"{pascal(key)}FailuresQueuePolicy",
            Queues=[Ref(queue)],
            PolicyDocument=document(
                Statement(
                    Sid="DenyInsecureTransport",
                    Effect=Deny,
                    Principal=Principal("*"),
                    Action=[awacs.sqs.Action("*")],
                    Resource=[GetAtt(queue, "Arn")],
                    Condition=Condition(Bool({"aws:SecureTransport": "false"})),
                )
            ),
        )
    )
    return queue


def _send_failures(queue: Queue) -> Statement:
    """Lambda sends a failed event to its on-failure destination with the function's own role."""
    return Statement(
        Sid="SendFailedEvents", Effect=Allow, Action=[awacs.sqs.SendMessage], Resource=[GetAtt(queue, "Arn")]
    )


def _keep_failed_events(
    template: Template, config: EnvironmentConfig, key: str, function: Function, queue: Queue
) -> None:
    """After its retries, a failed event goes to the queue, and both the queue and the errors are alarmed."""
    template.add_resource(
        EventInvokeConfig(
            f"{pascal(key)}AsyncInvokeConfig",
            FunctionName=Ref(function),
            Qualifier="$LATEST",
            MaximumRetryAttempts=ASYNC_RETRIES,
            DestinationConfig=DestinationConfig(OnFailure=OnFailure(Destination=GetAtt(queue, "Arn"))),
        )
    )
    name = names.function_name(config, key)
    add_alarm(
        template,
        config,
        f"{pascal(key)}FailedEventsAlarm",
        f"events {name} failed to process, kept in {names.function_failures_queue_name(config, key)}",
        "critical",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=dimensions(QueueName=GetAtt(queue, "QueueName")),
        Statistic="Maximum",
        Period=FIVE_MINUTES,
        EvaluationPeriods=1,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=0,
    )
    add_alarm(
        template,
        config,
        f"{pascal(key)}ErrorsAlarm",
        f"{name} failing (errors, retried before the event is set aside)",
        "warning",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=dimensions(FunctionName=Ref(function)),
        Statistic="Sum",
        Period=FIVE_MINUTES,
        EvaluationPeriods=1,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=0,
    )
