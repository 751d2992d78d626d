"""Dashboard stack (seed 001 task 7.1): one CloudWatch dashboard with a row each for edge, app,
database and queues.

Names this module can derive from config are written literally; the ids only AWS assigns (load
balancer, target group, distribution) are imported, and the instance id, which changes when the
instance is replaced, arrives as a parameter; Fn::Sub fills them in.
"""

from __future__ import annotations

import json

from troposphere import Sub
from troposphere.cloudwatch import Dashboard

from stackyard.config import AURORA, EnvironmentConfig, app_behind_load_balancer
from templates import compute, edge_global
from templates.common import StackTemplates, import_value, new_template, output_parameter, tag_resources
from templates.database import cluster_identifier, instance_identifier
from templates.messaging import dead_letter_queue_name, queue_name

NAME = "dashboard"
WIDTH, HEIGHT, COLUMNS = 8, 6, 24
FIVE_MINUTES = 300
IMPORTED = ("LoadBalancerFullName", "TargetGroupFullName", "DistributionId")
LOAD_BALANCER_EXPORTS = ("LoadBalancerFullName", "TargetGroupFullName")  # the edge's, with an app behind it


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, "dashboard (edge, app, database, queues)")
    # The instance id changes whenever the instance is replaced, so it comes as a parameter (Ref in Sub).
    parameters = dict([output_parameter(template, "AppInstanceId", compute.NAME, "The app server to graph")])
    body = {"widgets": _layout(_rows(config), config.region)}
    template.add_resource(Dashboard(
        "Dashboard",
        DashboardName=f"{config.app}-{config.environment}",
        DashboardBody=Sub(json.dumps(body, sort_keys=True), {name: import_value(config, name)
                                                             for name in _imported(config)}),
    ))
    return StackTemplates(NAME, tag_resources(template, config), parameters=parameters)


def _imported(config: EnvironmentConfig) -> list[str]:
    """The edge's exports the body names: the load balancer's only where the edge has one."""
    return [name for name in IMPORTED if app_behind_load_balancer(config) or name not in LOAD_BALANCER_EXPORTS]


def _rows(config: EnvironmentConfig) -> list[list[dict]]:
    balancer = ["LoadBalancer", "${LoadBalancerFullName}"]
    distribution = ["DistributionId", "${DistributionId}", "Region", "Global"]
    web_acl = ["WebACL", edge_global.web_acl_name(config), "Rule", "ALL"]
    queues = [name for key in config.messaging.queues
              for name in (queue_name(config, key), dead_letter_queue_name(config, key))]
    rows = [
        [
            _graph("CloudFront requests", [["AWS/CloudFront", "Requests", *distribution]], "Sum", edge_global.REGION),
            _graph("CloudFront error rate (%)", [["AWS/CloudFront", metric, *distribution]
                                                 for metric in ("4xxErrorRate", "5xxErrorRate")],
                   "Average", edge_global.REGION),
            *([_graph("WAF requests", [["AWS/WAFV2", metric, *web_acl]
                                       for metric in ("AllowedRequests", "BlockedRequests")],
                      "Sum", edge_global.REGION)] if config.edge.waf else []),
        ],
        [
            _graph("API requests and 5xx", [["AWS/ApplicationELB", metric, *balancer]
                                            for metric in ("RequestCount", "HTTPCode_Target_5XX_Count",
                                                           "HTTPCode_ELB_5XX_Count")], "Sum"),
            _graph("API p95 latency (s)", [["AWS/ApplicationELB", "TargetResponseTime", *balancer]], "p95"),
            _graph("App server", [
                ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", "${TargetGroupFullName}", *balancer],
                ["AWS/EC2", "CPUUtilization", "InstanceId", "${AppInstanceId}"],
            ], "Average"),
        ] if app_behind_load_balancer(config) else [],
        _database_graphs(config),
        [
            _graph("Messages waiting", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]
                                        for name in queues], "Maximum"),
            _graph("Oldest message (s)", [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name]
                                          for name in queues], "Maximum"),
        ],
    ]
    return [row for row in rows if row]


def _database_graphs(config: EnvironmentConfig) -> list[dict]:
    """Aurora: capacity in ACU; an RDS instance: its free storage. Connections and CPU for both."""
    if config.database.engine == AURORA:
        database = ["DBClusterIdentifier", cluster_identifier(config)]
        size = _graph("Database capacity", [["AWS/RDS", metric, *database]
                                            for metric in ("ACUUtilization", "ServerlessDatabaseCapacity")], "Average")
    else:
        database = ["DBInstanceIdentifier", instance_identifier(config)]
        size = _graph("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *database]], "Minimum")
    return [
        size,
        _graph("Database connections", [["AWS/RDS", "DatabaseConnections", *database],
                                        [f"{config.app}/{config.environment}", "DatabaseConnectionFailures"]], "Sum"),
        _graph("Database CPU (%)", [["AWS/RDS", "CPUUtilization", *database]], "Average"),
    ]


def _graph(title: str, metrics: list[list[str]], stat: str, region: str | None = None) -> dict:
    properties = {"title": title, "metrics": metrics, "stat": stat, "period": FIVE_MINUTES, "view": "timeSeries"}
    if region:
        properties["region"] = region  # CloudFront and its WAF report to us-east-1 only
    return {"type": "metric", "properties": properties}


def _layout(rows: list[list[dict]], region: str) -> list[dict]:
    widgets = []
    for row, graphs in enumerate(rows):
        for column, graph in enumerate(graphs):
            graph["properties"].setdefault("region", region)
            widgets.append({**graph, "x": column * WIDTH % COLUMNS, "y": row * HEIGHT, "width": WIDTH, "height": HEIGHT})
    return widgets
