"""Pure unit: the dashboard stack (seed 001 task 7.1): API, database and frontend dashboards, for the
default system (EC2 app server) and for seed 001's system (ECS Fargate containers)."""

from __future__ import annotations

import json
import re

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.manifest import ParameterSource
from tests.helpers import ENVS, ROOT, properties, resources, template

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
DASHBOARDS = ("api", "database", "frontend")
CONTAINERS_SYSTEM = ROOT / "examples" / "infrastructure-package"


@pytest.fixture(scope="module")
def container_builds():
    return {env: build_environment(config) for env, config in load_configs(CONTAINERS_SYSTEM / "params").items()}


def bodies(builds, env):
    """Dashboard name suffix -> (body as CloudWatch gets it, Fn::Sub variables). Each substituted id is
    shown as the export it imports, or as `parameter:<Name>` for a template parameter."""
    document = template(builds, env, "dashboard.json")
    parameters = set(document.get("Parameters", {}))
    found = {}
    for dashboard in resources(document, "AWS::CloudWatch::Dashboard").values():
        name = dashboard["Properties"]["DashboardName"].rsplit("-", 1)[1]
        body = dashboard["Properties"]["DashboardBody"]
        text, variables = (body, {}) if isinstance(body, str) else _sub(body["Fn::Sub"])
        used = set(PLACEHOLDER.findall(text))
        assert used <= set(variables) | parameters, f"{name}: not substituted: {used - set(variables) - parameters}"
        assert set(variables) <= used, f"{name}: substituted but unused: {set(variables) - used}"

        def shown(match, variables=variables):
            key = match.group(1)
            return variables[key]["Fn::ImportValue"] if key in variables else f"parameter:{key}"

        found[name] = json.loads(PLACEHOLDER.sub(shown, text)), variables
    return found


def _sub(sub):
    return (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])


def widgets(builds, env, dashboard):
    body, _ = bodies(builds, env)[dashboard]
    return {widget["properties"]["title"]: widget["properties"] for widget in body["widgets"]}


def namespaces(builds, env, dashboard):
    body, _ = bodies(builds, env)[dashboard]
    return {metric[0] for widget in body["widgets"] for metric in widget["properties"]["metrics"]}


# --- the default system: the EC2 app server -----------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_7_1_three_dashboards_api_database_frontend_named_for_the_environment(builds, env):
    document = template(builds, env, "dashboard.json")
    names = sorted(
        dashboard["Properties"]["DashboardName"]
        for dashboard in resources(document, "AWS::CloudWatch::Dashboard").values()
    )
    assert names == [f"one-system-{env}-{key}" for key in DASHBOARDS]


@pytest.mark.parametrize("env", ENVS)
def test_bodies_substitute_only_imported_ids_and_the_instance_parameter(builds, env):
    found = bodies(builds, env)
    imports = {
        name: {"Fn::ImportValue": f"one-system-{env}-{name}"}
        for name in ("DistributionId", "LoadBalancerFullName", "TargetGroupFullName")
    }
    assert found["api"][1] == {key: imports[key] for key in ("LoadBalancerFullName", "TargetGroupFullName")}
    assert found["frontend"][1] == {"DistributionId": imports["DistributionId"]}
    assert found["database"][1] == {}
    # The instance id changes when the instance is replaced: a parameter fed from compute's output.
    assert builds[env].manifest().stacks["dashboard"].parameters == {
        "AppInstanceId": ParameterSource("compute", "AppInstanceId")
    }


@pytest.mark.parametrize("env", ENVS)
def test_7_1_api_latency_errors_and_the_app_servers_utilization(builds, env):
    graphs = widgets(builds, env, "api")
    balancer = ["LoadBalancer", f"one-system-{env}-LoadBalancerFullName"]
    assert graphs["API p95 latency (s)"]["metrics"] == [["AWS/ApplicationELB", "TargetResponseTime", *balancer]]
    assert graphs["API p95 latency (s)"]["stat"] == "p95"
    assert ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *balancer] in graphs["API requests and 5xx"]["metrics"]
    assert graphs["App server CPU (%)"]["metrics"] == [
        ["AWS/EC2", "CPUUtilization", "InstanceId", "parameter:AppInstanceId"]
    ]
    queues = [
        queue["Properties"]["QueueName"]
        for queue in resources(template(builds, env, "messaging.json"), "AWS::SQS::Queue").values()
    ]
    assert sorted(metric[3] for metric in graphs["Messages waiting"]["metrics"]) == sorted(queues)


@pytest.mark.parametrize("env", ENVS)
def test_7_1_database_connections_queries_and_storage_of_the_cluster(builds, env):
    graphs = widgets(builds, env, "database")
    cluster = [
        "DBClusterIdentifier",
        properties(template(builds, env, "database.json"), "DatabaseCluster")["DBClusterIdentifier"],
    ]
    assert graphs["Database connections"]["metrics"] == [["AWS/RDS", "DatabaseConnections", *cluster]]
    [failures] = properties(template(builds, env, "database.json"), "DatabaseConnectionFailureFilter")[
        "MetricTransformations"
    ]
    assert graphs["Database connection failures"]["metrics"] == [[failures["MetricNamespace"], failures["MetricName"]]]
    assert graphs["Database queries (commits/s)"]["metrics"] == [["AWS/RDS", "CommitThroughput", *cluster]]
    assert graphs["Database storage (bytes)"]["metrics"] == [["AWS/RDS", "VolumeBytesUsed", *cluster]]
    assert ["AWS/RDS", "ACUUtilization", *cluster] in graphs["Database capacity"]["metrics"]


@pytest.mark.parametrize("env", ENVS)
def test_7_1_frontend_requests_and_cache_hit_rate_with_cloudfronts_additional_metrics_on(builds, env):
    graphs = widgets(builds, env, "frontend")
    distribution = ["DistributionId", f"one-system-{env}-DistributionId", "Region", "Global"]
    assert graphs["CloudFront requests"]["metrics"] == [["AWS/CloudFront", "Requests", *distribution]]
    assert graphs["Cache hit rate (%)"]["metrics"] == [["AWS/CloudFront", "CacheHitRate", *distribution]]
    acl = properties(template(builds, env, "edge-global.json"), "WebAcl")["Name"]
    assert {tuple(metric) for metric in graphs["WAF requests"]["metrics"]} == {
        ("AWS/WAFV2", metric, "WebACL", acl, "Rule", "ALL") for metric in ("AllowedRequests", "BlockedRequests")
    }
    # CloudFront reports CacheHitRate only with its additional metrics subscribed.
    [subscription] = resources(
        template(builds, env, "dashboard.json"), "AWS::CloudFront::MonitoringSubscription"
    ).values()
    assert subscription["Properties"] == {
        "DistributionId": {"Fn::ImportValue": f"one-system-{env}-DistributionId"},
        "MonitoringSubscription": {
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}
        },
    }


@pytest.mark.parametrize("env", ENVS)
def test_cloudfront_and_waf_graphs_read_us_east_1_and_the_rest_the_stacks_region(builds, env):
    for _dashboard, (body, _) in bodies(builds, env).items():
        for widget in body["widgets"]:
            props = widget["properties"]
            global_metrics = {metric[0] in ("AWS/CloudFront", "AWS/WAFV2") for metric in props["metrics"]}
            assert len(global_metrics) == 1, props["title"]  # no graph mixes the two regions
            assert props["region"] == ("us-east-1" if global_metrics == {True} else "ap-southeast-1"), props["title"]
            assert widget["type"] == "metric"


@pytest.mark.parametrize("env", ENVS)
def test_each_dashboards_widgets_tile_a_24_column_grid_without_overlap(builds, env):
    for dashboard, (body, _) in bodies(builds, env).items():
        cells = set()
        for widget in body["widgets"]:
            assert widget["x"] + widget["width"] <= 24
            covered = {
                (x, y)
                for x in range(widget["x"], widget["x"] + widget["width"])
                for y in range(widget["y"], widget["y"] + widget["height"])
            }
            assert not cells & covered, (dashboard, widget["properties"]["title"])
            cells |= covered


# --- seed 001's system: ECS Fargate containers ---------------------------------------------------


@pytest.mark.parametrize("env", ("dev", "staging", "production"))
def test_7_1_containers_api_dashboard_graphs_the_services_cpu_memory_and_running_tasks(container_builds, env):
    containers = template(container_builds, env, "containers.json")
    service = [
        "ClusterName",
        properties(containers, "Cluster")["ClusterName"],
        "ServiceName",
        properties(containers, "Service")["ServiceName"],
    ]
    graphs = widgets(container_builds, env, "api")
    assert graphs["App CPU and memory (%)"]["metrics"] == [
        ["AWS/ECS", "CPUUtilization", *service],
        ["AWS/ECS", "MemoryUtilization", *service],
    ]
    assert ["ECS/ContainerInsights", "RunningTaskCount", *service] in graphs["App tasks"]["metrics"]
    assert "AWS/EC2" not in namespaces(container_builds, env, "api")
    assert "AWS/SQS" not in namespaces(container_builds, env, "api")  # no messaging stack, no queue graphs


@pytest.mark.parametrize("env", ("dev", "staging", "production"))
def test_containers_dashboards_take_no_instance_parameter(container_builds, env):
    assert "Parameters" not in template(container_builds, env, "dashboard.json")
    assert container_builds[env].manifest().stacks["dashboard"].parameters == {}
    assert sorted(bodies(container_builds, env)) == sorted(DASHBOARDS)
