"""Messaging stack (seed 000 §1.6): each queue with its dead-letter queue and an alarm on it.

Queues are encrypted with SQS-managed keys, refuse plain HTTP, and hand a message to their
dead-letter queue after `max_receive_count` failed receives. The dead-letter queue keeps
messages longer than its source and only accepts redrives from it.
"""

from __future__ import annotations

import awacs.sqs
from awacs.aws import Bool, Condition, Deny, Principal, Statement
from troposphere import GetAtt, Ref, Sub, Template
from troposphere.sqs import Queue, QueuePolicy, RedrivePolicy

from stackyard.config import EnvironmentConfig
from stackyard.config import Queue as QueueConfig
from templates import names
from templates.names import dead_letter_queue_name, pascal, queue_name
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources
from templates.parts.policies import document

NAME = names.MESSAGING
DAY_SECONDS = 86_400


def build(config: EnvironmentConfig) -> StackTemplates:
    messaging = config.messaging
    template = new_template(config, f"messaging ({len(messaging.queues)} queues, each with a dead-letter queue)")
    queues = []
    for key, settings in messaging.queues.items():
        queues += _queue_pair(template, config, key, settings)
    template.add_resource(
        QueuePolicy(
            "QueuesRefuseInsecureTransport",
            Queues=[Ref(queue) for queue in queues],
            PolicyDocument=document(
                Statement(
                    Sid="DenyInsecureTransport",
                    Effect=Deny,
                    Principal=Principal("*"),
                    Action=[awacs.sqs.Action("*")],
                    Resource=[GetAtt(queue, "Arn") for queue in queues],
                    Condition=Condition(Bool({"aws:SecureTransport": "false"})),
                )
            ),
        )
    )
    return StackTemplates(NAME, tag_resources(template, config))


def _queue_pair(template: Template, config: EnvironmentConfig, key: str, settings: QueueConfig) -> list[Queue]:
    messaging = config.messaging
    # Built from the name, not GetAtt: the source queue already references the dead-letter queue.
    source_arn = Sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{queue_name(config, key)}")
    dead_letters = template.add_resource(
        keep_on_delete(
            Queue(
                f"{pascal(key)}DeadLetterQueue",
                QueueName=dead_letter_queue_name(config, key),
                MessageRetentionPeriod=messaging.dead_letter_retention_days * DAY_SECONDS,
                SqsManagedSseEnabled=True,
                RedriveAllowPolicy={"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]},
            ),
            config,
        )
    )
    source = template.add_resource(
        keep_on_delete(
            Queue(
                f"{pascal(key)}Queue",
                QueueName=queue_name(config, key),
                VisibilityTimeout=settings.visibility_timeout_seconds,
                MessageRetentionPeriod=messaging.retention_days * DAY_SECONDS,
                SqsManagedSseEnabled=True,
                RedrivePolicy=RedrivePolicy(
                    deadLetterTargetArn=GetAtt(dead_letters, "Arn"), maxReceiveCount=messaging.max_receive_count
                ),
            ),
            config,
        )
    )
    add_alarm(
        template,
        config,
        f"{pascal(key)}DeadLetterAlarm",
        f"messages in {dead_letter_queue_name(config, key)}",
        "critical",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=dimensions(QueueName=GetAtt(dead_letters, "QueueName")),
        Statistic="Maximum",
        Period=FIVE_MINUTES,
        EvaluationPeriods=1,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=0,
    )
    for queue, kind in ((source, names.QUEUE), (dead_letters, names.DEAD_LETTER_QUEUE)):
        label = f"{settings.purpose}{' (failed messages)' if kind == names.DEAD_LETTER_QUEUE else ''}"
        export(template, config, names.queue_export(key, kind, "Arn"), GetAtt(queue, "Arn"), f"Queue ARN: {label}")
        export(template, config, names.queue_export(key, kind, "Url"), Ref(queue), f"Queue URL: {label}")
        export(
            template, config, names.queue_export(key, kind, "Name"), GetAtt(queue, "QueueName"), f"Queue name: {label}"
        )
    return [source, dead_letters]
