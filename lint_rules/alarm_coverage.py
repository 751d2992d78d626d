"""E9007: every load balancer, database (Aurora cluster or RDS instance), dead-letter queue and ECS service
has its alarms beside it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# what an ALB needs alarms on: a label -> the metric names that satisfy it
ALB_METRICS = {
    "TargetResponseTime": {"TargetResponseTime"},
    "5XX count": {"HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"},
    "UnHealthyHostCount": {"UnHealthyHostCount"},
}
# what an RDS instance outside a cluster needs alarms on (seed 002 §2.10), besides its connection failures
INSTANCE_METRICS = ("CPUUtilization", "FreeStorageSpace")
# (namespace, metric name, {dimension: canonical value}) of a metric an alarm watches
Watched = list[tuple[Any, str, dict[str, str]]]


class AlarmCoverage(CloudFormationLintRule):
    id = "E9007"
    shortdesc = "Load balancers, databases, dead-letter queues and ECS services have alarms"
    description = (
        "Seed 001 Property 9 (CloudWatch Alarm Coverage): in the same template, every application load "
        "balancer has alarms on TargetResponseTime, a 5XX count (HTTPCode_Target_5XX_Count or "
        "HTTPCode_ELB_5XX_Count, also inside metric math) and UnHealthyHostCount; every DBCluster has an "
        "ACUUtilization alarm (when Serverless v2) and an alarm on a metric filter of its log group "
        "(connection failures); every DBInstance outside a cluster has CPUUtilization and FreeStorageSpace "
        "alarms (seed 002 §2.10) and the same connection-failure alarm; every dead-letter queue has an "
        "ApproximateNumberOfMessagesVisible alarm; every ECS service has a RunningTaskCount alarm "
        "(ECS/ContainerInsights, task count below the minimum)."
    )
    source_url = "docs/rules.md#e9007"
    tags = ["stackyard", "monitoring", "cloudwatch", "elbv2", "rds", "sqs", "ecs"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        watched = _watched_metrics(cfn)
        return [
            *_load_balancers(cfn, watched),
            *_clusters(cfn, watched),
            *_instances(cfn, watched),
            *_dead_letter_queues(cfn, watched),
            *_services(cfn, watched),
        ]


def _watched_metrics(cfn: Template) -> Watched:
    """(namespace, metric name, {dimension: canonical value}) of every metric an alarm watches."""
    watched: Watched = []
    for alarm in cfn.get_resources("AWS::CloudWatch::Alarm").values():
        props = facts.properties(alarm)
        metrics = [props]
        for query in facts.as_list(props.get("Metrics")):
            stat = query.get("MetricStat") if isinstance(query, dict) else None
            if isinstance(stat, dict) and isinstance(stat.get("Metric"), dict):
                metrics.append(stat["Metric"])
        watched.extend(
            (metric.get("Namespace"), metric["MetricName"], _dimensions(metric))
            for metric in metrics
            if isinstance(metric.get("MetricName"), str)
        )
    return watched


def _dimensions(metric: dict[str, Any]) -> dict[str, str]:
    return {
        str(dimension.get("Name")): facts.canonical(_normal(dimension.get("Value")))
        for dimension in facts.as_list(metric.get("Dimensions"))
        if isinstance(dimension, dict)
    }


def _normal(value: Any) -> Any:
    """GetAtt in one form, so its list and dotted-string forms compare equal."""
    attribute = facts.getatt(value)
    return {"Fn::GetAtt": list(attribute)} if attribute is not None else value


def _is_watched(
    watched: Watched, namespace: Any, metric_names: set[str], dimension: str | None = None, value: Any = None
) -> bool:
    wanted = facts.canonical(_normal(value)) if dimension else None
    return any(
        space == namespace and name in metric_names and (dimension is None or dims.get(dimension) == wanted)
        for space, name, dims in watched
    )


# --- load balancers ---------------------------------------------------------------------------


def _load_balancers(cfn: Template, watched: Watched) -> Iterator[RuleMatch]:
    for name, balancer in cfn.get_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        if facts.properties(balancer).get("Type", "application") != "application":
            continue
        full_name = {"Fn::GetAtt": [name, "LoadBalancerFullName"]}
        missing = [
            label
            for label, names in ALB_METRICS.items()
            if not _is_watched(watched, "AWS/ApplicationELB", names, "LoadBalancer", full_name)
        ]
        if missing:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: no alarm on {', '.join(missing)} of this load balancer. Fix: add an "
                f"AWS::CloudWatch::Alarm in this template on namespace AWS/ApplicationELB with dimension "
                f"LoadBalancer = Fn::GetAtt [{name}, LoadBalancerFullName] for each.",
            )


# --- Aurora -----------------------------------------------------------------------------------


def _clusters(cfn: Template, watched: Watched) -> Iterator[RuleMatch]:
    for name, cluster in cfn.get_resources("AWS::RDS::DBCluster").items():
        props = facts.properties(cluster)
        identifier = props.get("DBClusterIdentifier")
        missing = []
        if "ServerlessV2ScalingConfiguration" in props and not _rds_watched(
            watched, "ACUUtilization", "DBClusterIdentifier", name, identifier
        ):
            missing.append(f"ACUUtilization (AWS/RDS, dimension DBClusterIdentifier = Ref {name})")
        if not _log_metric_watched(cfn, watched, "cluster", identifier):
            missing.append(_log_alarm_hint("cluster", identifier))
        if missing:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: the database cluster has no alarm on {'; and none on '.join(missing)}. "
                f"Fix: add the missing AWS::CloudWatch::Alarm in this template.",
            )


# --- RDS instances ----------------------------------------------------------------------------


def _instances(cfn: Template, watched: Watched) -> Iterator[RuleMatch]:
    for name, instance in cfn.get_resources("AWS::RDS::DBInstance").items():
        props = facts.properties(instance)
        if facts.rds_instance_in_cluster(props):
            continue  # the cluster's alarms watch it
        identifier = props.get("DBInstanceIdentifier")
        missing = [
            f"{metric} (AWS/RDS, dimension DBInstanceIdentifier = Ref {name})"
            for metric in INSTANCE_METRICS
            if not _rds_watched(watched, metric, "DBInstanceIdentifier", name, identifier)
        ]
        if not _log_metric_watched(cfn, watched, "instance", identifier):
            missing.append(_log_alarm_hint("instance", identifier))
        if missing:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: the database instance has no alarm on {'; and none on '.join(missing)}. "
                f"Fix: add the missing AWS::CloudWatch::Alarm in this template.",
            )


def _rds_watched(watched: Watched, metric: str, dimension: str, name: str, identifier: Any) -> bool:
    """An alarm watches `metric` of the database, named by Ref or by its literal identifier."""
    identities = [{"Ref": name}] + ([identifier] if isinstance(identifier, str) else [])
    return any(_is_watched(watched, "AWS/RDS", {metric}, dimension, identity) for identity in identities)


def _log_metric_watched(cfn: Template, watched: Watched, kind: str, identifier: Any) -> bool:
    """An alarm watches a metric filter of the database's own log group (its connection failures);
    `kind` is cluster or instance, as RDS names the group /aws/rds/<kind>/<identifier>/<log>."""
    if not isinstance(identifier, str):
        return False
    prefix = f"/aws/rds/{kind}/{identifier}/"
    log_groups = {
        name
        for name, group in cfn.get_resources("AWS::Logs::LogGroup").items()
        if str(facts.properties(group).get("LogGroupName", "")).startswith(prefix)
    }
    for metric_filter in cfn.get_resources("AWS::Logs::MetricFilter").values():
        filter_props = facts.properties(metric_filter)
        if facts.ref_target(filter_props.get("LogGroupName")) not in log_groups:
            continue
        for transformation in facts.as_list(filter_props.get("MetricTransformations")):
            if not isinstance(transformation, dict) or not isinstance(transformation.get("MetricName"), str):
                continue
            if _is_watched(watched, transformation.get("MetricNamespace"), {transformation["MetricName"]}):
                return True
    return False


def _log_alarm_hint(kind: str, identifier: Any) -> str:
    if not isinstance(identifier, str):
        return (
            f"connection failures (the {kind} has no literal DB{kind.capitalize()}Identifier, so its log group "
            f"/aws/rds/{kind}/<id>/postgresql cannot be created and filtered in this template)"
        )
    return (
        f"connection failures (an AWS::Logs::MetricFilter on the log group "
        f"/aws/rds/{kind}/{identifier}/postgresql, Ref'd by LogGroupName, and an alarm on its metric)"
    )


# --- dead-letter queues -----------------------------------------------------------------------


def _dead_letter_queues(cfn: Template, watched: Watched) -> Iterator[RuleMatch]:
    queues = cfn.get_resources("AWS::SQS::Queue")
    for name in sorted(_dead_letter_targets(queues.values()) & set(queues)):
        identities = [{"Fn::GetAtt": [name, "QueueName"]}]
        if isinstance(facts.properties(queues[name]).get("QueueName"), str):
            identities.append(facts.properties(queues[name])["QueueName"])
        if not any(
            _is_watched(watched, "AWS/SQS", {"ApproximateNumberOfMessagesVisible"}, "QueueName", identity)
            for identity in identities
        ):
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: a dead-letter queue without an alarm, so failed messages pile up unseen. "
                f"Fix: add an AWS::CloudWatch::Alarm on AWS/SQS ApproximateNumberOfMessagesVisible with "
                f"dimension QueueName = Fn::GetAtt [{name}, QueueName].",
            )


def _dead_letter_targets(queues: Iterable[Any]) -> set[str]:
    targets: set[str] = set()
    for queue in queues:
        policy = facts.properties(queue).get("RedrivePolicy")
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except ValueError:
                continue
        target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
        attribute = facts.getatt(target)
        if attribute is not None and attribute[1] == "Arn":
            targets.add(attribute[0])
    return targets


# --- ECS services -----------------------------------------------------------------------------


def _services(cfn: Template, watched: Watched) -> Iterator[RuleMatch]:
    for name, service in cfn.get_resources("AWS::ECS::Service").items():
        identities = [{"Fn::GetAtt": [name, "Name"]}]
        if isinstance(facts.properties(service).get("ServiceName"), str):
            identities.append(facts.properties(service)["ServiceName"])
        if not any(
            _is_watched(watched, "ECS/ContainerInsights", {"RunningTaskCount"}, "ServiceName", identity)
            for identity in identities
        ):
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: an ECS service without an alarm on its running tasks, so a service that "
                f"cannot keep its tasks up goes unseen (seed 001 task 7.2: ECS task count < minimum). Fix: add an "
                f"AWS::CloudWatch::Alarm on ECS/ContainerInsights RunningTaskCount with dimensions ClusterName and "
                f"ServiceName = Fn::GetAtt [{name}, Name] (the cluster needs Container Insights).",
            )
