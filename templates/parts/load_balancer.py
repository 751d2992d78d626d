"""The edge stack's application load balancer (templates/edge.py): internal behind CloudFront's VPC origin, or
facing the internet at the API's own name; its target group (the app server, or the containers' tasks),
its listeners (HTTPS with a domain, HTTP to the VPC origin without one) and its alarms.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Template
from troposphere.cloudwatch import Metric, MetricDataQuery, MetricStat
from troposphere.elasticloadbalancingv2 import (
    Action,
    Listener,
    LoadBalancer,
    LoadBalancerAttributes,
    Matcher,
    RedirectConfig,
    TargetDescription,
    TargetGroup,
    TargetGroupAttribute,
)
from troposphere.elasticloadbalancingv2 import (
    Certificate as ListenerCertificate,
)

from stackyard.config import ACCESS_LOGS_BUCKET, EnvironmentConfig, app_port
from templates import names
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.api_entry import behind_cloudfront
from templates.parts.cloudfront import CLOUDFRONT_REGION, site_certificate
from templates.parts.common import import_list, import_value
from templates.parts.distribution import CLOUDFRONT_CERTIFICATE

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def app_load_balancer(template: Template, config: EnvironmentConfig) -> tuple[LoadBalancer, TargetGroup]:
    port = app_port(config)
    internal = behind_cloudfront(config)
    load_balancer = template.add_resource(
        LoadBalancer(
            "LoadBalancer",
            Type="application",
            Scheme="internal" if internal else "internet-facing",
            Subnets=import_list(config, names.PRIVATE_SUBNET_IDS if internal else names.PUBLIC_SUBNET_IDS),
            SecurityGroups=[import_value(config, names.security_group_export(names.EDGE))],
            LoadBalancerAttributes=[
                LoadBalancerAttributes(Key="access_logs.s3.enabled", Value="true"),
                LoadBalancerAttributes(
                    Key="access_logs.s3.bucket",
                    Value=import_value(config, names.bucket_name_export(ACCESS_LOGS_BUCKET)),
                ),
                LoadBalancerAttributes(Key="access_logs.s3.prefix", Value=names.LOAD_BALANCER_LOG_PREFIX),
                LoadBalancerAttributes(Key="deletion_protection.enabled", Value=str(config.retain_data).lower()),
                LoadBalancerAttributes(Key="routing.http.drop_invalid_header_fields.enabled", Value="true"),
            ],
        )
    )
    target_group = template.add_resource(
        TargetGroup(
            "AppTargetGroup",
            VpcId=import_value(config, names.VPC_ID),
            Protocol="HTTP",
            Port=port,
            **_app_targets(config, port),
            HealthCheckProtocol="HTTP",
            HealthCheckPath=config.edge.health_check_path,
            Matcher=Matcher(HttpCode="200"),
            HealthCheckIntervalSeconds=15,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=3,
            TargetGroupAttributes=[TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")],
        )
    )
    if names.CONTAINERS in config.stacks:
        # The containers stack registers its tasks here, so it deploys after this stack: an ECS service
        # can attach only to a target group that a load balancer's listener already forwards to. An
        # output, not an export: a new port or target type replaces the group, and an export in use
        # could not change.
        template.add_output(
            Output(names.APP_TARGET_GROUP_ARN, Description="Target group of the app's tasks", Value=Ref(target_group))
        )
    forward = [Action(Type="forward", TargetGroupArn=Ref(target_group))]
    if config.edge.domain:
        _https_listeners(template, config, load_balancer, forward, redirect=not internal)
    else:
        # No domain, no certificate: the internal load balancer speaks HTTP to CloudFront's VPC origin
        # alone, over AWS's network (params refuse an internet-facing one without a domain).
        template.add_resource(
            Listener(
                "HttpListener", LoadBalancerArn=Ref(load_balancer), Protocol="HTTP", Port=80, DefaultActions=forward
            )
        )
    return load_balancer, target_group


def _app_targets(config: EnvironmentConfig, port: int) -> dict:
    """The app server's instance as the target, or, for containers, the tasks' IPs ECS registers itself."""
    if names.CONTAINERS in config.stacks:
        return {"TargetType": "ip"}
    return {"TargetType": "instance", "Targets": [TargetDescription(Id=Ref(names.APP_INSTANCE_ID), Port=port)]}


def _https_listeners(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer, forward: list, redirect: bool
) -> None:
    """HTTPS on 443; facing the internet, also port 80 redirecting to it (CloudFront's VPC origin uses 443 only)."""
    if config.edge.wildcard_certificate and config.region == CLOUDFRONT_REGION:
        certificate = Ref(CLOUDFRONT_CERTIFICATE)  # in this region already: one certificate for both
    else:
        certificate = Ref(template.add_resource(site_certificate("ApiCertificate", config, config.edge.api_domain)))
        template.add_output(
            Output(
                names.API_CERTIFICATE_ARN, Description=f"Certificate for {config.edge.api_domain}", Value=certificate
            )
        )
    template.add_resource(
        Listener(
            "HttpsListener",
            LoadBalancerArn=Ref(load_balancer),
            Protocol="HTTPS",
            Port=443,
            SslPolicy=TLS_POLICY,
            Certificates=[ListenerCertificate(CertificateArn=certificate)],
            DefaultActions=forward,
        )
    )
    if not redirect:
        return
    template.add_resource(
        Listener(
            "HttpRedirectListener",
            LoadBalancerArn=Ref(load_balancer),
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                Action(
                    Type="redirect", RedirectConfig=RedirectConfig(Protocol="HTTPS", Port="443", StatusCode="HTTP_301")
                )
            ],
        )
    )


def load_balancer_alarms(
    template: Template, config: EnvironmentConfig, load_balancer: LoadBalancer, target_group: TargetGroup
) -> None:
    thresholds = config.monitoring.thresholds
    balancer = {"LoadBalancer": GetAtt(load_balancer, "LoadBalancerFullName")}
    add_alarm(
        template,
        config,
        "LatencyAlarm",
        f"API p95 latency above {thresholds.alb_p95_latency_seconds:g} s",
        "warning",
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        Dimensions=dimensions(**balancer),
        ExtendedStatistic="p95",
        **_for_minutes(thresholds.alb_latency_minutes),
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.alb_p95_latency_seconds,
    )
    add_alarm(
        template,
        config,
        "ServerErrorRateAlarm",
        f"API 5xx rate above {thresholds.alb_5xx_percent:g}%",
        "critical",
        Metrics=[
            _sum("app_errors", "HTTPCode_Target_5XX_Count", balancer),
            _sum("balancer_errors", "HTTPCode_ELB_5XX_Count", balancer),
            _sum("requests", "RequestCount", balancer),
            MetricDataQuery(
                Id="error_rate",
                Label="5xx responses, % of requests",
                ReturnData=True,
                Expression="100 * (FILL(app_errors, 0) + FILL(balancer_errors, 0)) / requests",
            ),
        ],
        EvaluationPeriods=3,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.alb_5xx_percent,
    )
    add_alarm(
        template,
        config,
        "UnhealthyHostAlarm",
        "app server failing the load balancer's health check",
        "critical",
        Namespace="AWS/ApplicationELB",
        MetricName="UnHealthyHostCount",
        Dimensions=dimensions(TargetGroup=GetAtt(target_group, "TargetGroupFullName"), **balancer),
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=thresholds.unhealthy_host_minutes,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=1,
    )


def _for_minutes(minutes: int) -> dict[str, int]:
    """Period and evaluation periods spanning `minutes`: 5-minute periods where they divide it."""
    if minutes % 5 == 0:
        return {"Period": FIVE_MINUTES, "EvaluationPeriods": minutes // 5}
    return {"Period": 60, "EvaluationPeriods": minutes}


def _sum(query_id: str, metric: str, balancer: dict) -> MetricDataQuery:
    return MetricDataQuery(
        Id=query_id,
        ReturnData=False,
        MetricStat=MetricStat(
            Metric=Metric(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dimensions(**balancer)),
            Period=FIVE_MINUTES,
            Stat="Sum",
        ),
    )
