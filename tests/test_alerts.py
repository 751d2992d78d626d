"""Pure unit: the alerts stack's topics, every alarm's notifications, and the dashboard (seed 001 tasks 7.1-7.4)."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ENVS, properties, resources, template

SEVERITIES = ("Critical", "Warning")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def alerts(builds, env):
    return template(builds, env, "alerts.json")


def topics(env):
    return {severity: {"Fn::ImportValue": f"one-system-{env}-{severity}TopicArn"} for severity in SEVERITIES}


def all_alarms(builds, env):
    """(template path, logical id) -> properties of every CloudWatch alarm of the environment."""
    return {(rendered.path, name): alarm["Properties"]
            for stack in builds[env].stacks.values() for rendered in stack.templates
            for name, alarm in resources(rendered.document, "AWS::CloudWatch::Alarm").items()}


def dashboard_body(builds, env):
    """The dashboard body as CloudWatch will get it: each substituted id shown as the export it imports,
    or as `parameter:<Name>` for a template parameter."""
    document = template(builds, env, "dashboard.json")
    body, variables = properties(document, "Dashboard")["DashboardBody"]["Fn::Sub"]
    used = set(PLACEHOLDER.findall(body))
    parameters = set(document.get("Parameters", {}))
    assert used <= set(variables) | parameters, f"not substituted: {used - set(variables) - parameters}"
    assert set(variables) <= used, f"substituted but unused: {set(variables) - used}"

    def shown(match):
        name = match.group(1)
        return variables[name]["Fn::ImportValue"] if name in variables else f"parameter:{name}"

    return json.loads(PLACEHOLDER.sub(shown, body)), variables


def widgets_by_title(builds, env):
    body, _ = dashboard_body(builds, env)
    return {widget["properties"]["title"]: widget["properties"] for widget in body["widgets"]}


@pytest.mark.parametrize("env", ENVS)
def test_a_critical_and_a_warning_topic_named_for_the_environment(builds, env):
    found = resources(alerts(builds, env), "AWS::SNS::Topic")
    assert {name: topic["Properties"]["TopicName"] for name, topic in found.items()} == {
        "CriticalTopic": f"one-system-{env}-critical", "WarningTopic": f"one-system-{env}-warning"}


@pytest.mark.parametrize("env", ENVS)
def test_topics_are_encrypted_with_their_own_key_that_cloudwatch_may_use(builds, env):
    document = alerts(builds, env)
    for severity in SEVERITIES:
        assert properties(document, f"{severity}Topic")["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlertTopicsKey", "Arn"]}
    key = properties(document, "AlertTopicsKey")
    assert key["EnableKeyRotation"] is True
    cloudwatch = [statement for statement in key["KeyPolicy"]["Statement"]
                  if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    # Without both, CloudWatch cannot publish to an encrypted topic and alarms notify nobody, silently.
    assert cloudwatch == [{
        "Sid": "CloudWatchAlarmsEncryptMessages", "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": ["*"],
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]
    admin = next(s for s in key["KeyPolicy"]["Statement"] if s["Sid"] == "AccountAdministersKeyThroughIam")
    assert admin["Principal"] == {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                                                            {"Ref": "AWS::AccountId"}, ":root"]]}}
    assert properties(document, "AlertTopicsKeyAlias")["AliasName"] == f"alias/one-system-{env}-alerts"


@pytest.mark.parametrize(("env", "critical"), [
    ("dev", []),  # nobody is paged for dev
    ("test", ["oncall@example.com"]),
    ("prod", ["oncall@example.com"]),
])
def test_email_subscribers_come_from_the_params(builds, env, critical):
    document = alerts(builds, env)
    subscribers = {severity: properties(document, f"{severity}Topic")["Subscription"] for severity in SEVERITIES}
    assert subscribers == {
        "Critical": [{"Protocol": "email", "Endpoint": email} for email in critical],
        "Warning": [{"Protocol": "email", "Endpoint": "platform-team@example.com"}]}


@pytest.mark.parametrize("env", ENVS)
def test_cloudwatch_may_publish_and_nothing_may_use_the_topics_without_tls(builds, env):
    [policy] = resources(alerts(builds, env), "AWS::SNS::TopicPolicy").values()
    both = [{"Ref": "CriticalTopic"}, {"Ref": "WarningTopic"}]
    assert policy["Properties"]["Topics"] == both
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["sns:Publish"], "Resource": both,
         "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": ["sns:Publish", "sns:Subscribe"],
         "Resource": both, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]


@pytest.mark.parametrize("env", ENVS)
def test_both_topic_arns_are_exported(builds, env):
    exports = {output["Export"]["Name"]: output["Value"] for output in alerts(builds, env)["Outputs"].values()}
    assert exports == {f"one-system-{env}-CriticalTopicArn": {"Ref": "CriticalTopic"},
                       f"one-system-{env}-WarningTopicArn": {"Ref": "WarningTopic"}}


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


@pytest.mark.parametrize("env", ENVS)
def test_one_dashboard_named_for_the_environment_whose_body_substitutes_only_imported_ids(builds, env):
    document = template(builds, env, "dashboard.json")
    [dashboard] = resources(document, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"one-system-{env}"
    _, variables = dashboard_body(builds, env)
    assert variables == {name: {"Fn::ImportValue": f"one-system-{env}-{name}"} for name in
                         ("DistributionId", "LoadBalancerFullName", "TargetGroupFullName")}
    # The instance id changes when the instance is replaced: a parameter fed from compute's output.
    assert builds[env].manifest()["stacks"]["dashboard"]["parameters"] == {
        "AppInstanceId": {"stack": "compute", "output": "AppInstanceId"}}


@pytest.mark.parametrize("env", ENVS)
def test_dashboard_graphs_cloudfront_waf_alb_ec2_rds_and_sqs(builds, env):
    body, _ = dashboard_body(builds, env)
    namespaces = {metric[0] for widget in body["widgets"] for metric in widget["properties"]["metrics"]}
    assert namespaces >= {"AWS/CloudFront", "AWS/WAFV2", "AWS/ApplicationELB", "AWS/EC2", "AWS/RDS", "AWS/SQS"}
    assert all(widget["type"] == "metric" for widget in body["widgets"])


@pytest.mark.parametrize("env", ENVS)
def test_cloudfront_and_waf_graphs_read_us_east_1_and_the_rest_the_stacks_region(builds, env):
    body, _ = dashboard_body(builds, env)
    for widget in body["widgets"]:
        props = widget["properties"]
        global_metrics = {metric[0] in ("AWS/CloudFront", "AWS/WAFV2") for metric in props["metrics"]}
        assert len(global_metrics) == 1, props["title"]  # no graph mixes the two regions
        assert props["region"] == ("us-east-1" if global_metrics == {True} else "ap-southeast-1"), props["title"]


@pytest.mark.parametrize("env", ENVS)
def test_dashboard_metrics_name_the_resources_the_other_stacks_create(builds, env):
    widgets = widgets_by_title(builds, env)
    export = f"one-system-{env}-"
    assert widgets["CloudFront requests"]["metrics"] == [
        ["AWS/CloudFront", "Requests", "DistributionId", f"{export}DistributionId", "Region", "Global"]]
    acl = properties(template(builds, env, "edge-global.json"), "WebAcl")["Name"]
    assert {tuple(metric) for metric in widgets["WAF requests"]["metrics"]} == {
        ("AWS/WAFV2", metric, "WebACL", acl, "Rule", "ALL") for metric in ("AllowedRequests", "BlockedRequests")}
    assert ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", f"{export}LoadBalancerFullName"] in (
        widgets["API p95 latency (s)"]["metrics"])
    assert ["AWS/EC2", "CPUUtilization", "InstanceId", "parameter:AppInstanceId"] in widgets["App server"]["metrics"]
    cluster = properties(template(builds, env, "database.json"), "DatabaseCluster")["DBClusterIdentifier"]
    assert ["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", cluster] in widgets["Database CPU (%)"]["metrics"]
    [failures] = properties(template(builds, env, "database.json"),
                            "DatabaseConnectionFailureFilter")["MetricTransformations"]
    assert [failures["MetricNamespace"], failures["MetricName"]] in widgets["Database connections"]["metrics"]
    queues = [queue["Properties"]["QueueName"]
              for queue in resources(template(builds, env, "messaging.json"), "AWS::SQS::Queue").values()]
    assert sorted(metric[3] for metric in widgets["Messages waiting"]["metrics"]) == sorted(queues)


@pytest.mark.parametrize("env", ENVS)
def test_dashboard_widgets_tile_a_24_column_grid_without_overlap(builds, env):
    body, _ = dashboard_body(builds, env)
    cells = set()
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        covered = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                   for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not cells & covered, widget["properties"]["title"]
        cells |= covered
