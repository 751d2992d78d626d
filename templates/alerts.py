"""Alerts stack (seed 001 task 7.4): the SNS topics alarms notify, by severity.

Alarms live in the stacks of the resources they watch and import these topics. The topics
are encrypted with a key of their own, because CloudWatch cannot publish to a topic
encrypted with the AWS managed SNS key.
"""

from __future__ import annotations

import awacs.kms
import awacs.sns
from awacs.aws import Allow, Bool, Condition, Deny, Principal, Statement, StringEquals
from troposphere import AccountId, GetAtt, Ref, Template
from troposphere.kms import Alias, Key
from troposphere.sns import Subscription, Topic, TopicPolicy

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources
from templates.parts.policies import account_administers_key, document

NAME = names.ALERTS
SEVERITIES = ("critical", "warning")


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, "alert topics (critical, warning)")
    key = _key(template, config)
    emails = {"critical": config.monitoring.critical_emails, "warning": config.monitoring.warning_emails}
    topics = [_topic(template, config, severity, emails[severity], key) for severity in SEVERITIES]
    template.add_resource(
        TopicPolicy(
            "AlertTopicsPolicy",
            Topics=[Ref(topic) for topic in topics],
            PolicyDocument=document(
                Statement(
                    Sid="CloudWatchAlarmsPublish",
                    Effect=Allow,
                    Principal=Principal("Service", "cloudwatch.amazonaws.com"),
                    Action=[awacs.sns.Publish],
                    Resource=[Ref(topic) for topic in topics],
                    Condition=Condition(StringEquals({"aws:SourceAccount": AccountId})),
                ),
                Statement(
                    Sid="DenyInsecureTransport",
                    Effect=Deny,
                    Principal=Principal("*"),
                    Action=[awacs.sns.Publish, awacs.sns.Subscribe],
                    Resource=[Ref(topic) for topic in topics],
                    Condition=Condition(Bool({"aws:SecureTransport": "false"})),
                ),
            ),
        )
    )
    return StackTemplates(NAME, tag_resources(template, config))


def _key(template: Template, config: EnvironmentConfig) -> Key:
    """Kept like the environment's data: a deleted key would leave whatever it encrypted unreadable."""
    key = template.add_resource(
        keep_on_delete(
            Key(
                "AlertTopicsKey",
                Description=f"Encrypts the {config.app} {config.environment} alert topics; CloudWatch may use it to publish",
                EnableKeyRotation=True,
                KeyPolicy=document(
                    account_administers_key(),
                    Statement(
                        Sid="CloudWatchAlarmsEncryptMessages",
                        Effect=Allow,
                        Principal=Principal("Service", "cloudwatch.amazonaws.com"),
                        Action=[awacs.kms.Decrypt, awacs.kms.GenerateDataKey],
                        Resource=["*"],
                        Condition=Condition(StringEquals({"aws:SourceAccount": AccountId})),
                    ),
                ),
            ),
            config,
        )
    )
    template.add_resource(
        Alias(
            "AlertTopicsKeyAlias",
            AliasName=names.alerts_key_alias(config),
            TargetKeyId=Ref(key),
        )
    )
    return key


def _topic(template: Template, config: EnvironmentConfig, severity: str, emails: list[str], key: Key) -> Topic:
    topic = template.add_resource(
        Topic(
            f"{severity.capitalize()}Topic",
            TopicName=names.topic_name(config, severity),
            DisplayName=f"{config.app} {config.environment} {severity}",
            KmsMasterKeyId=GetAtt(key, "Arn"),
            Subscription=[Subscription(Protocol="email", Endpoint=email) for email in emails],
        )
    )
    export(template, config, names.topic_arn_export(severity), Ref(topic), f"SNS topic for {severity} alarms")
    return topic
