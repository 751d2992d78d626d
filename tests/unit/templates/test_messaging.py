"""Pure unit: the messaging stack's template holds the facts of seed 000 §1.6."""

from __future__ import annotations

import pytest

from tests.helpers import ENVS, picked, properties, resources, template

QUEUES = {"line-webhook": "LineWebhook", "notification": "Notification", "export": "Export"}
DAY = 86_400


def messaging(builds, env):
    return template(builds, env, "messaging.json")


@pytest.mark.parametrize("env", ENVS)
def test_three_queues_each_with_its_dead_letter_queue(builds, env):
    queues = resources(messaging(builds, env), "AWS::SQS::Queue")
    assert {name: queue["Properties"]["QueueName"] for name, queue in queues.items()} == {
        **{f"{title}Queue": f"one-system-{env}-{key}-queue" for key, title in QUEUES.items()},
        **{f"{title}DeadLetterQueue": f"one-system-{env}-{key}-dlq" for key, title in QUEUES.items()},
    }
    for title in QUEUES.values():
        assert properties(messaging(builds, env), f"{title}Queue")["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [f"{title}DeadLetterQueue", "Arn"]},
            "maxReceiveCount": 3,
        }


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize(("queue", "seconds"), [("LineWebhookQueue", 300), ("NotificationQueue", 60)])
def test_visibility_timeout_follows_the_seed(builds, env, queue, seconds):
    assert properties(messaging(builds, env), queue)["VisibilityTimeout"] == seconds


@pytest.mark.parametrize("env", ENVS)
def test_every_queue_is_encrypted_at_rest(builds, env):
    queues = resources(messaging(builds, env), "AWS::SQS::Queue")
    assert len(queues) == 6
    assert all(queue["Properties"]["SqsManagedSseEnabled"] is True for queue in queues.values())


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("title", QUEUES.values())
def test_dead_letters_outlive_their_source_and_accept_redrives_only_from_it(builds, env, title):
    document = messaging(builds, env)
    source, dead_letters = properties(document, f"{title}Queue"), properties(document, f"{title}DeadLetterQueue")
    # SQS keeps a message's original enqueue time when it moves it: a shorter DLQ retention loses it at once.
    assert (source["MessageRetentionPeriod"], dead_letters["MessageRetentionPeriod"]) == (4 * DAY, 14 * DAY)
    assert dead_letters["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{source['QueueName']}"}
        ],
    }
    assert "RedrivePolicy" not in dead_letters


@pytest.mark.parametrize("env", ENVS)
def test_every_queue_refuses_requests_without_tls(builds, env):
    document = messaging(builds, env)
    [policy] = resources(document, "AWS::SQS::QueuePolicy").values()
    queues = list(resources(document, "AWS::SQS::Queue"))
    assert sorted(ref["Ref"] for ref in policy["Properties"]["Queues"]) == sorted(queues)
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(deny["Resource"], key=str) == sorted(({"Fn::GetAtt": [queue, "Arn"]} for queue in queues), key=str)
    assert {key: value for key, value in deny.items() if key != "Resource"} == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["sqs:*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize("env", ENVS)
def test_a_message_in_any_dead_letter_queue_pages_the_critical_topic(builds, env):
    alarms = resources(messaging(builds, env), "AWS::CloudWatch::Alarm")
    critical = [{"Fn::ImportValue": f"one-system-{env}-CriticalTopicArn"}]
    watched = {}
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert picked(
            props,
            "Namespace",
            "MetricName",
            "Statistic",
            "ComparisonOperator",
            "Threshold",
            "AlarmActions",
            "OKActions",
        ) == {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Statistic": "Maximum",
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "AlarmActions": critical,
            "OKActions": critical,
        }
        watched[name] = props["Dimensions"]
    assert watched == {
        f"{title}DeadLetterAlarm": [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [f"{title}DeadLetterQueue", "QueueName"]}}
        ]
        for title in QUEUES.values()
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_queue_url_arn_and_name_is_exported(builds, env):
    exports = {output["Export"]["Name"]: output["Value"] for output in messaging(builds, env)["Outputs"].values()}
    expected = {}
    for title in QUEUES.values():
        for kind in ("Queue", "DeadLetterQueue"):
            queue = f"{title}{kind}"
            expected[f"one-system-{env}-{queue}Url"] = {"Ref": queue}
            expected[f"one-system-{env}-{queue}Arn"] = {"Fn::GetAtt": [queue, "Arn"]}
            expected[f"one-system-{env}-{queue}Name"] = {"Fn::GetAtt": [queue, "QueueName"]}
    assert exports == expected


@pytest.mark.parametrize(("env", "policy"), [("dev", "Delete"), ("test", "Retain"), ("prod", "Retain")])
def test_queues_are_kept_outside_dev(builds, env, policy):
    for name, queue in resources(messaging(builds, env), "AWS::SQS::Queue").items():
        assert (queue["DeletionPolicy"], queue["UpdateReplacePolicy"]) == (policy, policy), name
