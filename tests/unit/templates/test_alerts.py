"""Pure unit: the alerts stack's topics and every alarm's notifications (seed 001 tasks 7.2-7.4)."""

from __future__ import annotations

import pytest

from tests.helpers import ENVS, properties, resources, template

SEVERITIES = ("Critical", "Warning")


def alerts(builds, env):
    return template(builds, env, "alerts.json")


def topics(env):
    return {severity: {"Fn::ImportValue": f"one-system-{env}-{severity}TopicArn"} for severity in SEVERITIES}


def all_alarms(builds, env):
    """(template path, logical id) -> properties of every CloudWatch alarm of the environment."""
    return {
        (rendered.path, name): alarm["Properties"]
        for stack in builds[env].stacks.values()
        for rendered in stack.templates
        for name, alarm in resources(rendered.document, "AWS::CloudWatch::Alarm").items()
    }


@pytest.mark.parametrize("env", ENVS)
def test_a_critical_and_a_warning_topic_named_for_the_environment(builds, env):
    found = resources(alerts(builds, env), "AWS::SNS::Topic")
    assert {name: topic["Properties"]["TopicName"] for name, topic in found.items()} == {
        "CriticalTopic": f"one-system-{env}-critical",
        "WarningTopic": f"one-system-{env}-warning",
    }


@pytest.mark.parametrize("env", ENVS)
def test_topics_are_encrypted_with_their_own_key_that_cloudwatch_may_use(builds, env):
    document = alerts(builds, env)
    for severity in SEVERITIES:
        assert properties(document, f"{severity}Topic")["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlertTopicsKey", "Arn"]}
    key = properties(document, "AlertTopicsKey")
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        statement
        for statement in key["KeyPolicy"]["Statement"]
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    # Without both, CloudWatch cannot publish to an encrypted topic and alarms notify nobody, silently.
    assert cloudwatch == [
        {
            "Sid": "CloudWatchAlarmsEncryptMessages",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    admin = next(s for s in key["KeyPolicy"]["Statement"] if s["Sid"] == "AccountAdministersKeyThroughIam")
    assert admin["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    }
    assert properties(document, "AlertTopicsKeyAlias")["AliasName"] == f"alias/one-system-{env}-alerts"


@pytest.mark.parametrize(
    ("env", "critical"),
    [
        ("dev", []),  # nobody is paged for dev
        ("test", ["oncall@example.com"]),
        ("prod", ["oncall@example.com"]),
    ],
)
def test_email_subscribers_come_from_the_params(builds, env, critical):
    document = alerts(builds, env)
    subscribers = {severity: properties(document, f"{severity}Topic")["Subscription"] for severity in SEVERITIES}
    assert subscribers == {
        "Critical": [{"Protocol": "email", "Endpoint": email} for email in critical],
        "Warning": [{"Protocol": "email", "Endpoint": "platform-team@example.com"}],
    }


@pytest.mark.parametrize("env", ENVS)
def test_cloudwatch_may_publish_and_nothing_may_use_the_topics_without_tls(builds, env):
    [policy] = resources(alerts(builds, env), "AWS::SNS::TopicPolicy").values()
    both = [{"Ref": "CriticalTopic"}, {"Ref": "WarningTopic"}]
    assert policy["Properties"]["Topics"] == both
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["sns:Publish"],
            "Resource": both,
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["sns:Publish", "sns:Subscribe"],
            "Resource": both,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]


@pytest.mark.parametrize("env", ENVS)
def test_both_topic_arns_are_exported(builds, env):
    exports = {output["Export"]["Name"]: output["Value"] for output in alerts(builds, env)["Outputs"].values()}
    assert exports == {
        f"one-system-{env}-CriticalTopicArn": {"Ref": "CriticalTopic"},
        f"one-system-{env}-WarningTopicArn": {"Ref": "WarningTopic"},
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_alarm_notifies_one_imported_topic_when_it_fires_and_when_it_recovers(builds, env):
    alarms = all_alarms(builds, env)
    # The alarms this suite knows of; a stack that loses its alarms fails here rather than passing vacuously.
    assert {path for path, _ in alarms} >= {"messaging.json", "compute.json", "edge.json", "database.json"}
    for where, props in alarms.items():
        notified = [topic for topic in topics(env).values() if topic in props["AlarmActions"]]
        assert len(notified) == 1, where
        assert props["OKActions"] == notified, where
        others = [action for action in props["AlarmActions"] if action not in notified]
        assert others in ([], [{"Fn::Sub": "arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover"}]), where
        severity = "Critical" if notified == [topics(env)["Critical"]] else "Warning"
        assert props["AlarmDescription"].startswith(f"{severity.upper()}: "), where
