"""Dashboard stack (seed 001 task 7.1): three CloudWatch dashboards, one per audience.

- `<app>-<env>-api`: requests and errors, latency, and the resources serving them (the EC2 app
  server, or the ECS service's CPU, memory and running tasks), and the app's queues;
- `<app>-<env>-database`: connections and their failures, queries, capacity, storage;
- `<app>-<env>-frontend`: CloudFront requests, cache hit rate and errors, and the WAF.

CloudFront reports its cache hit rate only with its additional metrics, which this stack turns on
for the environment's distribution (a monitoring subscription): the dashboard that shows them owns
what they cost.

Names this module can derive from config are written literally; the ids only AWS assigns (load
balancer, target group, distribution) are imported, and the instance id, which changes when the
instance is replaced, arrives as a parameter; Fn::Sub fills them in.
"""

from __future__ import annotations

import json

from troposphere import Sub, Template
from troposphere.cloudfront import (
    MonitoringSubscription,
    MonitoringSubscriptionProperty,
    RealtimeMetricsSubscriptionConfig,
)
from troposphere.cloudwatch import Dashboard

from stackyard.config import AURORA, EnvironmentConfig, app_behind_load_balancer
from templates import names
from templates.names import pascal
from templates.parts.alarms import FIVE_MINUTES
from templates.parts.cloudfront import CLOUDFRONT_REGION
from templates.parts.common import StackTemplates, import_value, new_template, output_parameter, tag_resources

NAME = names.DASHBOARD
WIDTH, HEIGHT, COLUMNS = 8, 6, 24
IMPORTED = (names.LOAD_BALANCER_FULL_NAME, names.TARGET_GROUP_FULL_NAME, names.DISTRIBUTION_ID)
# Fn::Sub fills these in: the imports above, and the app server's id (a parameter).
LOAD_BALANCER, TARGET_GROUP, DISTRIBUTION, APP_INSTANCE = (
    f"${{{name}}}" for name in (*IMPORTED, names.APP_INSTANCE_ID)
)
BALANCER = ["LoadBalancer", LOAD_BALANCER]


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, "dashboards (API, database, frontend)")
    parameters = {}
    if names.COMPUTE in config.stacks:
        # The instance id changes whenever the instance is replaced, so it comes as a parameter (Ref in Sub).
        parameters = dict([output_parameter(template, names.APP_INSTANCE_ID, names.COMPUTE, "The app server to graph")])
    dashboards = {"api": _api_rows(config), "database": _database_rows(config), "frontend": _frontend_rows(config)}
    for key, rows in dashboards.items():
        if rows:
            _dashboard(template, config, key, rows)
    template.add_resource(
        MonitoringSubscription(
            "CloudFrontAdditionalMetrics",
            DistributionId=import_value(config, names.DISTRIBUTION_ID),
            MonitoringSubscription=MonitoringSubscriptionProperty(
                RealtimeMetricsSubscriptionConfig=(
                    RealtimeMetricsSubscriptionConfig(RealtimeMetricsSubscriptionStatus="Enabled")
                )
            ),
        )
    )
    return StackTemplates(NAME, tag_resources(template, config), parameters=parameters)


def _dashboard(template: Template, config: EnvironmentConfig, key: str, rows: list[list[dict]]) -> Dashboard:
    body = json.dumps({"widgets": _layout(rows, config.region)}, sort_keys=True)
    imported = {name: import_value(config, name) for name in IMPORTED if f"${{{name}}}" in body}
    return template.add_resource(
        Dashboard(
            f"{pascal(key)}Dashboard",
            DashboardName=names.dashboard_name(config, key),
            DashboardBody=_substituted(body, imported),
        )
    )


def _substituted(body: str, imported: dict):
    """The body as Fn::Sub when it names imports or parameters, as plain text otherwise."""
    if "${" not in body:
        return body
    return Sub(body, imported) if imported else Sub(body)


def _api_rows(config: EnvironmentConfig) -> list[list[dict]]:
    """Seed 001 task 7.1, API: latency, errors, resource utilization (and the queues the app works through)."""
    if not app_behind_load_balancer(config):
        return []
    rows = [
        [
            _graph(
                "API requests and 5xx",
                [
                    ["AWS/ApplicationELB", metric, *BALANCER]
                    for metric in ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
                ],
                "Sum",
            ),
            _graph("API p95 latency (s)", [["AWS/ApplicationELB", "TargetResponseTime", *BALANCER]], "p95"),
            _graph(
                "Healthy targets",
                [
                    ["AWS/ApplicationELB", metric, "TargetGroup", TARGET_GROUP, *BALANCER]
                    for metric in ("HealthyHostCount", "UnHealthyHostCount")
                ],
                "Minimum",
            ),
        ],
        _app_resources(config),
    ]
    if names.MESSAGING in config.stacks:
        queues = [
            name
            for key in config.messaging.queues
            for name in (names.queue_name(config, key), names.dead_letter_queue_name(config, key))
        ]
        rows.append(
            [
                _graph(
                    "Messages waiting",
                    [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name] for name in queues],
                    "Maximum",
                ),
                _graph(
                    "Oldest message (s)",
                    [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name] for name in queues],
                    "Maximum",
                ),
            ]
        )
    return rows


def _app_resources(config: EnvironmentConfig) -> list[dict]:
    """What serves the API: the app server's CPU, or the ECS service's CPU, memory and tasks."""
    if names.CONTAINERS in config.stacks:
        service = ["ClusterName", names.ecs_cluster_name(config), "ServiceName", names.ecs_service_name(config)]
        return [
            _graph(
                "App CPU and memory (%)",
                [["AWS/ECS", metric, *service] for metric in ("CPUUtilization", "MemoryUtilization")],
                "Average",
            ),
            _graph(
                "App tasks",
                [
                    ["ECS/ContainerInsights", metric, *service]
                    for metric in ("RunningTaskCount", "DesiredTaskCount", "PendingTaskCount")
                ],
                "Average",
            ),
        ]
    if names.COMPUTE in config.stacks:
        return [_graph("App server CPU (%)", [["AWS/EC2", "CPUUtilization", "InstanceId", APP_INSTANCE]], "Average")]
    return []


def _database_rows(config: EnvironmentConfig) -> list[list[dict]]:
    """Seed 001 task 7.1, database: connections, queries, storage (and the capacity Serverless v2 scales)."""
    if names.DATABASE not in config.stacks:
        return []
    if config.database.engine == AURORA:
        identity = ["DBClusterIdentifier", names.database_cluster_identifier(config)]
        size = [
            _graph(
                "Database capacity",
                [["AWS/RDS", metric, *identity] for metric in ("ACUUtilization", "ServerlessDatabaseCapacity")],
                "Average",
            ),
            _graph("Database storage (bytes)", [["AWS/RDS", "VolumeBytesUsed", *identity]], "Average"),
        ]
        queries = _graph("Database queries (commits/s)", [["AWS/RDS", "CommitThroughput", *identity]], "Average")
    else:
        identity = ["DBInstanceIdentifier", names.database_instance_identifier(config)]
        size = [_graph("Database free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *identity]], "Minimum")]
        queries = _graph(
            "Database IOPS", [["AWS/RDS", metric, *identity] for metric in ("ReadIOPS", "WriteIOPS")], "Average"
        )
    return [
        [
            _graph("Database connections", [["AWS/RDS", "DatabaseConnections", *identity]], "Average"),
            _graph(
                "Database connection failures",
                [[names.metric_namespace(config), names.DATABASE_CONNECTION_FAILURES]],
                "Sum",
            ),
            queries,
        ],
        [*size, _graph("Database CPU (%)", [["AWS/RDS", "CPUUtilization", *identity]], "Average")],
    ]


def _frontend_rows(config: EnvironmentConfig) -> list[list[dict]]:
    """Seed 001 task 7.1, frontend: requests, cache hit rate (and errors, and what the WAF blocks)."""
    distribution = ["DistributionId", DISTRIBUTION, "Region", "Global"]
    web_acl = ["WebACL", names.web_acl_name(config), "Rule", "ALL"]
    return [
        [
            _graph("CloudFront requests", [["AWS/CloudFront", "Requests", *distribution]], "Sum", CLOUDFRONT_REGION),
            _graph(
                "Cache hit rate (%)", [["AWS/CloudFront", "CacheHitRate", *distribution]], "Average", CLOUDFRONT_REGION
            ),
            _graph(
                "CloudFront error rate (%)",
                [["AWS/CloudFront", metric, *distribution] for metric in ("4xxErrorRate", "5xxErrorRate")],
                "Average",
                CLOUDFRONT_REGION,
            ),
        ],
        [
            _graph(
                "Bytes downloaded", [["AWS/CloudFront", "BytesDownloaded", *distribution]], "Sum", CLOUDFRONT_REGION
            ),
            *(
                [
                    _graph(
                        "WAF requests",
                        [["AWS/WAFV2", metric, *web_acl] for metric in ("AllowedRequests", "BlockedRequests")],
                        "Sum",
                        CLOUDFRONT_REGION,
                    )
                ]
                if config.edge.waf
                else []
            ),
        ],
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
            widgets.append(
                {**graph, "x": column * WIDTH % COLUMNS, "y": row * HEIGHT, "width": WIDTH, "height": HEIGHT}
            )
    return widgets
