"""Small CloudFormation snippets for the project's lint rule tests, and the table row type.

Each rule's test module (tests/unit/lint_rules/test_e90NN_*.py) builds its cases from these;
tests/unit/lint_rules/conftest.py lints them in-process the way stackyard/lint.py does.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from stackyard.cfn import STATEFUL_TYPES
from tests.helpers import ROOT

RULES_DIR = ROOT / "lint_rules"
PROJECT_RULE = re.compile(r"^E90\d\d$")
RULE_CRASHED = "E0002"  # cfn-lint's "unknown exception while processing rule"
APP, ENV = "shop", "test"

STANDARD_TAGS = [
    {"Key": "Application", "Value": APP},
    {"Key": "Environment", "Value": ENV},
    {"Key": "CostCenter", "Value": "shop"},
    {"Key": "Owner", "Value": "team@example.com"},
    {"Key": "ManagedBy", "Value": "stackyard"},
]


# --- snippets ---------------------------------------------------------------------------------


def res(resource_type: str, **props: Any) -> dict[str, Any]:
    """A resource; types that take Tags get the five standard tags unless the snippet sets its own, and
    stateful types (E9013) DeletionPolicy and UpdateReplacePolicy Delete (`without_policies` drops them)."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    if "Tags" in schema.get("properties", {}) and "Tags" not in props:
        props["Tags"] = STANDARD_TAGS
    resource: dict[str, Any] = {"Type": resource_type, "Properties": props}
    if resource_type in STATEFUL_TYPES:
        resource |= {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    return resource


def without_policies(resource: dict[str, Any], *policies: str) -> dict[str, Any]:
    """The resource without these policies (both when none are named)."""
    dropped = policies or ("DeletionPolicy", "UpdateReplacePolicy")
    return {key: value for key, value in resource.items() if key not in dropped}


def named(resource: dict[str, Any], **names: str) -> dict[str, Any]:
    return {**resource, "Properties": {**resource["Properties"], **names}}


def template(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "snippet",
        "Metadata": {"Stackyard": {"Application": APP, "Environment": ENV}},
        "Resources": resources,
        **sections,
    }


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def getatt(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


def imported(name: str) -> dict[str, str]:
    return {"Fn::ImportValue": name}


def split_import(name: str) -> dict[str, Any]:
    return {"Fn::Split": [",", imported(name)]}


def zone(index: int) -> dict[str, Any]:
    return {"Fn::Select": [index, {"Fn::GetAZs": ""}]}


def subnets(*zones: int, public: bool = False) -> dict[str, Any]:
    return {
        "Vpc": res("AWS::EC2::VPC", CidrBlock="10.0.0.0/16"),
        **{
            f"Subnet{index}": res(
                "AWS::EC2::Subnet",
                VpcId=ref("Vpc"),
                CidrBlock=f"10.0.{index * 16}.0/20",
                AvailabilityZone=zone(az),
                MapPublicIpOnLaunch=public,
            )
            for index, az in enumerate(zones)
        },
    }


def group(**props: Any) -> dict[str, Any]:
    return res("AWS::EC2::SecurityGroup", GroupDescription="snippet", VpcId=imported(f"{APP}-{ENV}-VpcId"), **props)


def tcp(port: int, **source: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}


def alarm(namespace: str, metric: str, **dimensions: Any) -> dict[str, Any]:
    return res(
        "AWS::CloudWatch::Alarm",
        Namespace=namespace,
        MetricName=metric,
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
    )


def monitored_cluster(**props: Any) -> dict[str, Any]:
    """An Aurora cluster with its log group, connection-failure metric filter and alarm (E9007)."""
    cluster = {
        "Engine": "aurora-postgresql",
        "DBClusterIdentifier": f"{APP}-{ENV}",
        "BackupRetentionPeriod": 7,
        "StorageEncrypted": True,
        "MasterUsername": "admin",
        "ManageMasterUserPassword": True,
        "MasterUserSecret": {"KmsKeyId": ref("Key")},
        **props,
    }
    return {
        "Key": res("AWS::KMS::Key", KeyPolicy={"Version": "2012-10-17", "Statement": []}),
        "Cluster": res("AWS::RDS::DBCluster", **cluster),
        "ClusterLogs": res(
            "AWS::Logs::LogGroup", LogGroupName=f"/aws/rds/cluster/{APP}-{ENV}/postgresql", RetentionInDays=30
        ),
        "ConnectionFailures": res(
            "AWS::Logs::MetricFilter",
            LogGroupName=ref("ClusterLogs"),
            FilterPattern='"connection authorization failed"',
            MetricTransformations=[
                {"MetricNamespace": "Shop/Database", "MetricName": "ConnectionFailures", "MetricValue": "1"}
            ],
        ),
        "ConnectionFailureAlarm": alarm("Shop/Database", "ConnectionFailures"),
    }


def rds_instance(**props: Any) -> dict[str, Any]:
    defaults = {
        "Engine": "postgres",
        "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": "20",
        "DBInstanceIdentifier": f"{APP}-{ENV}",
        "MasterUsername": "admin",
        "BackupRetentionPeriod": 7,
        "StorageEncrypted": True,
    }
    return res("AWS::RDS::DBInstance", **{**defaults, **props})


def instance_alarms(name: str = "Database", *, leave_out: str | None = None) -> dict[str, Any]:
    """What E9007 wants beside an RDS instance `name` (identifier <app>-<env>): CPU and free storage alarms
    (one by Ref, one by the literal identifier), and a connection-failure alarm on a filter of its log group."""
    resources = {
        "InstanceLogs": res(
            "AWS::Logs::LogGroup", LogGroupName=f"/aws/rds/instance/{APP}-{ENV}/postgresql", RetentionInDays=30
        ),
        "InstanceConnectionFailures": res(
            "AWS::Logs::MetricFilter",
            LogGroupName=ref("InstanceLogs"),
            FilterPattern='"password authentication failed"',
            MetricTransformations=[
                {"MetricNamespace": "Shop/Database", "MetricName": "InstanceConnectionFailures", "MetricValue": "1"}
            ],
        ),
        "InstanceConnectionFailureAlarm": alarm("Shop/Database", "InstanceConnectionFailures"),
        "InstanceCpuAlarm": alarm("AWS/RDS", "CPUUtilization", DBInstanceIdentifier=ref(name)),
        "InstanceFreeStorageAlarm": alarm("AWS/RDS", "FreeStorageSpace", DBInstanceIdentifier=f"{APP}-{ENV}"),
    }
    return {key: resource for key, resource in resources.items() if key != leave_out}


def listener(protocol: str, actions: list[dict[str, Any]], **props: Any) -> dict[str, Any]:
    return res(
        "AWS::ElasticLoadBalancingV2::Listener",
        LoadBalancerArn=ref("LoadBalancerArn"),
        Protocol=protocol,
        Port=80 if protocol == "HTTP" else 443,
        DefaultActions=actions,
        **props,
    )


# CloudFront's standard logging (E9014)
CLOUDFRONT_LOGGING = {"Bucket": f"{APP}-{ENV}-cdn-logs.s3.amazonaws.com", "Prefix": "cloudfront/"}
REDIRECT_TO_HTTPS = [
    {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
]
FORWARD = [{"Type": "forward", "TargetGroupArn": ref("TargetGroupArn")}]
LISTENER_PARAMETERS = {
    "LoadBalancerArn": {"Type": "String"},
    "TargetGroupArn": {"Type": "String"},
    "CertificateArn": {"Type": "String"},
}


def distribution(default_policy: str, api_policy: str, minimum_tls: str | None) -> dict[str, Any]:
    certificate = {"AcmCertificateArn": ref("CertificateArn"), "SslSupportMethod": "sni-only"}
    if minimum_tls is not None:
        certificate["MinimumProtocolVersion"] = minimum_tls
    return res(
        "AWS::CloudFront::Distribution",
        DistributionConfig={
            "Enabled": True,
            "Origins": [
                {
                    "Id": "site",
                    "DomainName": "example.com",
                    "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"},
                }
            ],
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": default_policy,
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
            "CacheBehaviors": [
                {
                    "PathPattern": "/api/*",
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": api_policy,
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                }
            ],
            "ViewerCertificate": certificate,
            "Logging": CLOUDFRONT_LOGGING,
        },
    )


def logged_web_acl(title: str = "ApiWebAcl", scope: str = "REGIONAL") -> dict[str, Any]:
    """A web ACL with its log group (aws-waf-logs-*) and logging configuration (E9014)."""
    visibility = {"CloudWatchMetricsEnabled": True, "MetricName": "acl", "SampledRequestsEnabled": True}
    return {
        title: res(
            "AWS::WAFv2::WebACL",
            Name=f"{APP}-{ENV}-api",
            Scope=scope,
            DefaultAction={"Allow": {}},
            VisibilityConfig=visibility,
        ),
        f"{title}LogGroup": res(
            "AWS::Logs::LogGroup", LogGroupName=f"aws-waf-logs-{APP}-{ENV}-api", RetentionInDays=30
        ),
        f"{title}Logging": res(
            "AWS::WAFv2::LoggingConfiguration",
            ResourceArn=getatt(title, "Arn"),
            LogDestinationConfigs=[
                {
                    "Fn::Sub": [
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                        {"Group": ref(f"{title}LogGroup")},
                    ]
                }
            ],
        ),
    }


def bucket_policy(bucket: str, effect: str = "Deny") -> dict[str, Any]:
    return res(
        "AWS::S3::BucketPolicy",
        Bucket=ref(bucket),
        PolicyDocument={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": effect,
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [getatt(bucket, "Arn"), {"Fn::Join": ["", [getatt(bucket, "Arn"), "/*"]]}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
    )


def alb() -> dict[str, Any]:
    """An internal application load balancer (CloudFront's VPC origin, E9012) with its access logs (E9014)."""
    return res(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        Type="application",
        Scheme="internal",
        Subnets=split_import(f"{APP}-{ENV}-PrivateSubnetIds"),
        LoadBalancerAttributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": f"{APP}-{ENV}-access-logs"},
        ],
    )


def public_alb() -> dict[str, Any]:
    """An internet-facing one, which E9012 wants a REGIONAL web ACL on."""
    return named(alb(), Scheme="internet-facing", Subnets=split_import(f"{APP}-{ENV}-PublicSubnetIds"))


def alb_alarms(*, unhealthy_on: Any = None) -> dict[str, Any]:
    """The three alarms an ALB needs; `unhealthy_on` points the health alarm at another balancer."""
    full_name = getatt("Alb", "LoadBalancerFullName")
    five_xx_rate = res(
        "AWS::CloudWatch::Alarm",
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "errors",
                "ReturnData": False,
                "MetricStat": {
                    "Stat": "Sum",
                    "Period": 60,
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "HTTPCode_Target_5XX_Count",
                        "Dimensions": [{"Name": "LoadBalancer", "Value": full_name}],
                    },
                },
            },
            {
                "Id": "requests",
                "ReturnData": False,
                "MetricStat": {
                    "Stat": "Sum",
                    "Period": 60,
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "RequestCount",
                        "Dimensions": [{"Name": "LoadBalancer", "Value": full_name}],
                    },
                },
            },
            {"Id": "rate", "Expression": "100 * errors / requests", "ReturnData": True},
        ],
    )
    return {
        "LatencyAlarm": alarm("AWS/ApplicationELB", "TargetResponseTime", LoadBalancer=full_name),
        "ServerErrorRateAlarm": five_xx_rate,
        "UnhealthyHostAlarm": alarm(
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            TargetGroup="app/targets/0123456789abcdef",
            LoadBalancer=unhealthy_on or full_name,
        ),
    }


def queues(*, dlq_alarm: bool) -> dict[str, Any]:
    resources = {
        "JobsDeadLetterQueue": res("AWS::SQS::Queue", QueueName=f"{APP}-{ENV}-jobs-dlq"),
        "JobsQueue": res(
            "AWS::SQS::Queue",
            QueueName=f"{APP}-{ENV}-jobs",
            RedrivePolicy={"deadLetterTargetArn": getatt("JobsDeadLetterQueue", "Arn"), "maxReceiveCount": 3},
        ),
    }
    if dlq_alarm:
        resources["JobsDeadLetterAlarm"] = alarm(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName=getatt("JobsDeadLetterQueue", "QueueName")
        )
    return resources


def ecs_service(*, task_alarm_on: str | None) -> dict[str, Any]:
    """A Fargate service; `task_alarm_on`: "Name" (GetAtt), a literal service name, or None for no alarm."""
    resources = {
        "Cluster": res("AWS::ECS::Cluster", ClusterSettings=[{"Name": "containerInsights", "Value": "enabled"}]),
        "Service": res(
            "AWS::ECS::Service",
            ServiceName=f"{APP}-{ENV}-api",
            Cluster=ref("Cluster"),
            TaskDefinition="arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",
            LaunchType="FARGATE",
        ),
    }
    if task_alarm_on is not None:
        service = getatt("Service", "Name") if task_alarm_on == "Name" else task_alarm_on
        resources["RunningTasksAlarm"] = alarm(
            "ECS/ContainerInsights", "RunningTaskCount", ClusterName=ref("Cluster"), ServiceName=service
        )
    return resources


def output(value: Any, description: str | None = "snippet output", export: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"Value": value}
    if description is not None:
        result["Description"] = description
    if export is not None:
        result["Export"] = {"Name": export}
    return result


class Case(NamedTuple):
    rule: str  # the rule this case belongs to
    name: str
    document: dict[str, Any]
    expected_subject: str | None  # None: passes; otherwise every finding is `rule` and starts with this


def passes(rule: str, name: str, document: dict[str, Any]) -> Case:
    return Case(rule, name, document, None)


def fails(rule: str, name: str, subject: str, document: dict[str, Any]) -> Case:
    return Case(rule, name, document, subject)


def case_ids(cases: list[Case]) -> list[str]:
    return [f"{case.rule}-{case.name}" for case in cases]


def assert_case_holds(findings: list[tuple[str, str]], case: Case) -> None:
    """A passing case yields no project finding; a failing one only its own rule, each message
    naming the subject and saying how to fix it."""
    if case.expected_subject is None:
        assert findings == []
        return
    assert {rule for rule, _ in findings} == {case.rule}, findings
    for _, message in findings:
        assert message.startswith(f"{case.expected_subject}:"), message
        assert "Fix:" in message, message
