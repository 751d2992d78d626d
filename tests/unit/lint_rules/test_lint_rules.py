"""Pure unit: the project's cfn-lint rules (lint_rules/, E9001-E9011: seed 001's properties, seed 003's IAM).

Each rule has a table of small template snippets, linted in-process the way stackyard/lint.py
lints (ConfigMixIn with append_rules, Runner(config).rules, run_template_by_file_path). A failing
snippet yields exactly its rule, with messages that name the resource and say how to fix it; a
passing snippet yields none of the project's rules. cfn-lint's own findings are left out: the
snippets are minimal, not deployable. The `slow` test lints the real generated build.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.helpers import load_plugins
from cfnlint.runner import Runner, run_template_by_file_path
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from stackyard import lint as stackyard_lint
from stackyard.manifest import MANIFEST_FILE, load
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
    """A resource; types that take Tags get the five standard tags unless the snippet sets its own."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    if "Tags" in schema.get("properties", {}) and "Tags" not in props:
        props["Tags"] = STANDARD_TAGS
    return {"Type": resource_type, "Properties": props}


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
        "ClusterLogs": res("AWS::Logs::LogGroup", LogGroupName=f"/aws/rds/cluster/{APP}-{ENV}/postgresql"),
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
        "InstanceLogs": res("AWS::Logs::LogGroup", LogGroupName=f"/aws/rds/instance/{APP}-{ENV}/postgresql"),
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
        },
    )


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
    return res(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        Type="application",
        Scheme="internet-facing",
        Subnets=split_import(f"{APP}-{ENV}-PublicSubnetIds"),
    )


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


# --- the tables -------------------------------------------------------------------------------


class Case(NamedTuple):
    rule: str  # the rule this case belongs to
    name: str
    document: dict[str, Any]
    expected_subject: str | None  # None: passes; otherwise every finding is `rule` and starts with this


def passes(rule: str, name: str, document: dict[str, Any]) -> Case:
    return Case(rule, name, document, None)


def fails(rule: str, name: str, subject: str, document: dict[str, Any]) -> Case:
    return Case(rule, name, document, subject)


MULTI_AZ = [
    passes(
        "E9001",
        "subnets-in-two-zones-and-lists-of-two",
        template(
            {
                **subnets(0, 1),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet1")]
                ),
            }
        ),
    ),
    passes(
        "E9001",
        "imported-subnet-list",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PrivateSubnetIds"),
                ),
            }
        ),
    ),
    fails("E9001", "subnets-in-one-zone", "Resource Subnet0", template(subnets(0, 0))),
    fails(
        "E9001",
        "subnet-group-of-one",
        "Resource DatabaseSubnetGroup",
        template(
            {
                **subnets(0, 1),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet0")]
                ),
            }
        ),
    ),
    fails(
        "E9001",
        "load-balancer-in-one-subnet",
        "Resource Alb",
        template(
            {
                "Alb": res(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer", Type="network", Subnets=["subnet-0123456789abcdef0"]
                ),
            }
        ),
    ),
]

SECURITY_GROUP_LEAST_PRIVILEGE = [
    passes(
        "E9002",
        "web-from-anywhere-app-from-group-ssh-from-one-address",
        template(
            {
                "AlbSecurityGroup": group(
                    SecurityGroupIngress=[tcp(443, CidrIp="0.0.0.0/0"), tcp(80, CidrIpv6="::/0")]
                ),
                "AppSecurityGroup": group(
                    SecurityGroupIngress=[tcp(8000, SourceSecurityGroupId=ref("AlbSecurityGroup"))]
                ),
                "SshFromAdmin": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("AppSecurityGroup"),
                    **tcp(22, CidrIp="203.0.113.10/32"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "ssh-from-anywhere",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")]),
            }
        ),
    ),
    fails(
        "E9002",
        "app-port-from-anywhere-over-ipv6",
        "Resource AppFromInternet (ingress to import shop-test-AppSg)",
        template(
            {
                "AppFromInternet": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=imported(f"{APP}-{ENV}-AppSg"),
                    **tcp(8000, CidrIpv6="::/0"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "every-protocol-from-a-group",
        "Resource AllFromAlb (ingress to AppSecurityGroup)",
        template(
            {
                "AppSecurityGroup": group(),
                "AllFromAlb": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("AppSecurityGroup"),
                    IpProtocol="-1",
                    SourceSecurityGroupId=imported(f"{APP}-{ENV}-AlbSg"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "port-range",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": group(
                    SecurityGroupIngress=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 8000,
                            "ToPort": 8100,
                            "SourceSecurityGroupId": "sg-0123456789abcdef0",
                        }
                    ]
                ),
            }
        ),
    ),
]

DATABASE_ISOLATION = [
    passes(
        "E9003",
        "private-database-from-a-group",
        template(
            {
                "Database": rds_instance(PubliclyAccessible=False, DBSubnetGroupName=ref("DatabaseSubnetGroup")),
                **instance_alarms(),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PrivateSubnetIds"),
                ),
                "DatabaseFromApp": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId="sg-0123456789abcdef0",
                    **tcp(5432, SourceSecurityGroupId="sg-0fedcba9876543210"),
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "publicly-accessible",
        "Resource Database",
        template(
            {
                "Database": rds_instance(PubliclyAccessible=True),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9003",
        "imported-public-subnets",
        "Resource DatabaseSubnetGroup",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=split_import(f"{APP}-{ENV}-PublicSubnetIds"),
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "subnet-named-public",
        "Resource DatabaseSubnetGroup",
        template(
            {
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup",
                    DBSubnetGroupDescription="db",
                    SubnetIds=[ref("PublicSubnetA"), ref("PrivateSubnetB")],
                ),
            },
            Parameters={
                "PublicSubnetA": {"Type": "AWS::EC2::Subnet::Id"},
                "PrivateSubnetB": {"Type": "AWS::EC2::Subnet::Id"},
            },
        ),
    ),
    fails(
        "E9003",
        "subnet-mapping-public-addresses",
        "Resource DatabaseSubnetGroup",
        template(
            {
                **subnets(0, 1, public=True),
                "DatabaseSubnetGroup": res(
                    "AWS::RDS::DBSubnetGroup", DBSubnetGroupDescription="db", SubnetIds=[ref("Subnet0"), ref("Subnet1")]
                ),
            }
        ),
    ),
    fails(
        "E9003",
        "postgres-from-a-cidr",
        "Resource DatabaseSecurityGroup",
        template(
            {
                "DatabaseSecurityGroup": group(SecurityGroupIngress=[tcp(5432, CidrIp="10.0.0.0/16")]),
            }
        ),
    ),
    fails(
        "E9003",
        "mysql-from-a-prefix-list",
        "Resource MysqlFromOffice (ingress to DatabaseSecurityGroup)",
        template(
            {
                "DatabaseSecurityGroup": group(),
                "MysqlFromOffice": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("DatabaseSecurityGroup"),
                    **tcp(3306, SourcePrefixListId="pl-0123456789abcdef0"),
                ),
            }
        ),
    ),
]

SECRET_ENCRYPTION = [
    passes(
        "E9004",
        "secrets-with-customer-keys",
        template(
            {
                "Key": res("AWS::KMS::Key", KeyPolicy={"Version": "2012-10-17", "Statement": []}),
                "Secret": res("AWS::SecretsManager::Secret", KmsKeyId=ref("Key"), GenerateSecretString={}),
                "Database": rds_instance(
                    ManageMasterUserPassword=True, MasterUserSecret={"KmsKeyId": getatt("Key", "Arn")}
                ),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9004",
        "secret-without-key",
        "Resource Secret",
        template(
            {
                "Secret": res("AWS::SecretsManager::Secret", GenerateSecretString={}),
            }
        ),
    ),
    fails(
        "E9004",
        "secret-with-aws-managed-key",
        "Resource Secret",
        template(
            {
                "Secret": res(
                    "AWS::SecretsManager::Secret", KmsKeyId="alias/aws/secretsmanager", GenerateSecretString={}
                ),
            }
        ),
    ),
    fails(
        "E9004",
        "managed-master-password-without-key",
        "Resource Database",
        template(
            {
                "Database": rds_instance(ManageMasterUserPassword=True),
                **instance_alarms(),
            }
        ),
    ),
]

BACKUP_CONFIGURATION = [
    passes(
        "E9005",
        "week-of-encrypted-backups-and-recovery",
        template(
            {
                **monitored_cluster(),
                "Writer": res(
                    "AWS::RDS::DBInstance",
                    Engine="aurora-postgresql",
                    DBInstanceClass="db.serverless",
                    DBClusterIdentifier=ref("Cluster"),
                ),
                "Database": rds_instance(BackupRetentionPeriod="35"),
                **instance_alarms(),
                "Table": res(
                    "AWS::DynamoDB::Table",
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                ),
            }
        ),
    ),
    fails("E9005", "cluster-with-three-days", "Resource Cluster", template(monitored_cluster(BackupRetentionPeriod=3))),
    fails(
        "E9005",
        "instance-without-retention-or-encryption",
        "Resource Database",
        template(
            {
                "Database": res(
                    "AWS::RDS::DBInstance",
                    Engine="postgres",
                    DBInstanceClass="db.t4g.micro",
                    AllocatedStorage="20",
                    DBInstanceIdentifier=f"{APP}-{ENV}",
                    MasterUsername="admin",
                ),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9005",
        "table-without-recovery",
        "Resource Table",
        template(
            {
                "Table": res(
                    "AWS::DynamoDB::Table",
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                ),
            }
        ),
    ),
]

HTTPS_ENFORCEMENT = [
    passes(
        "E9006",
        "redirect-tls12-https-cloudfront-and-bucket-policy",
        template(
            {
                "HttpListener": listener("HTTP", REDIRECT_TO_HTTPS),
                "HttpsListener": listener(
                    "HTTPS",
                    FORWARD,
                    SslPolicy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                    Certificates=[{"CertificateArn": ref("CertificateArn")}],
                ),
                "Distribution": distribution("redirect-to-https", "https-only", "TLSv1.2_2021"),
                "SiteBucket": res("AWS::S3::Bucket"),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "http-listener-forwards",
        "Resource HttpListener",
        template(
            {
                "HttpListener": listener("HTTP", FORWARD),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "http-listener-rule-forwards",
        "Resource ApiRule",
        template(
            {
                "HttpListener": listener("HTTP", REDIRECT_TO_HTTPS),
                "ApiRule": res(
                    "AWS::ElasticLoadBalancingV2::ListenerRule",
                    ListenerArn=ref("HttpListener"),
                    Priority=1,
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
                    Actions=FORWARD,
                ),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "https-listener-with-default-policy",
        "Resource HttpsListener",
        template(
            {
                "HttpsListener": listener("HTTPS", FORWARD, Certificates=[{"CertificateArn": ref("CertificateArn")}]),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "https-listener-accepting-tls10",
        "Resource HttpsListener",
        template(
            {
                "HttpsListener": listener(
                    "HTTPS",
                    FORWARD,
                    SslPolicy="ELBSecurityPolicy-TLS13-1-0-2021-06",
                    Certificates=[{"CertificateArn": ref("CertificateArn")}],
                ),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "cloudfront-behavior-allows-http",
        "Resource Distribution",
        template(
            {
                "Distribution": distribution("redirect-to-https", "allow-all", "TLSv1.2_2021"),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "cloudfront-certificate-default-minimum",
        "Resource Distribution",
        template(
            {
                "Distribution": distribution("https-only", "https-only", None),
            },
            Parameters=LISTENER_PARAMETERS,
        ),
    ),
    fails(
        "E9006",
        "bucket-without-policy",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket"),
            }
        ),
    ),
    fails(
        "E9006",
        "bucket-policy-allows-instead-of-denying",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket"),
                "SiteBucketPolicy": bucket_policy("SiteBucket", effect="Allow"),
            }
        ),
    ),
]

ALARM_COVERAGE = [
    passes(
        "E9007",
        "alb-cluster-instance-and-dlq-alarmed",
        template(
            {
                "Alb": alb(),
                **alb_alarms(),
                **monitored_cluster(ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2}),
                "CapacityAlarm": alarm("AWS/RDS", "ACUUtilization", DBClusterIdentifier=ref("Cluster")),
                # the cluster's member: watched through the cluster
                "Writer": res(
                    "AWS::RDS::DBInstance",
                    Engine="aurora-postgresql",
                    DBInstanceClass="db.serverless",
                    DBClusterIdentifier=ref("Cluster"),
                ),
                "Database": rds_instance(),
                **instance_alarms(),
                **queues(dlq_alarm=True),
            }
        ),
    ),
    fails(
        "E9007",
        "alb-health-alarm-on-another-balancer",
        "Resource Alb",
        template(
            {
                "Alb": alb(),
                **alb_alarms(unhealthy_on="app/other-alb/0123456789abcdef"),
            }
        ),
    ),
    fails(
        "E9007",
        "serverless-cluster-without-capacity-alarm",
        "Resource Cluster",
        template(monitored_cluster(ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2})),
    ),
    fails(
        "E9007",
        "cluster-without-connection-failure-alarm",
        "Resource Cluster",
        template(
            {name: resource for name, resource in monitored_cluster().items() if name != "ConnectionFailureAlarm"}
        ),
    ),
    fails(
        "E9007",
        "instance-without-cpu-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceCpuAlarm")}),
    ),
    fails(
        "E9007",
        "instance-without-free-storage-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceFreeStorageAlarm")}),
    ),
    fails(
        "E9007",
        "instance-without-connection-failure-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceConnectionFailureAlarm")}),
    ),
    fails(
        "E9007",
        "instance-alarms-watch-another-instance",
        "Resource Replica",
        template(
            {
                "Database": rds_instance(),
                **instance_alarms(),
                "Replica": rds_instance(DBInstanceIdentifier=f"{APP}-{ENV}-replica"),
            }
        ),
    ),
    fails(
        "E9007", "dead-letter-queue-without-alarm", "Resource JobsDeadLetterQueue", template(queues(dlq_alarm=False))
    ),
    passes("E9007", "ecs-service-with-running-task-alarm", template(ecs_service(task_alarm_on="Name"))),
    passes("E9007", "ecs-service-alarmed-by-its-literal-name", template(ecs_service(task_alarm_on=f"{APP}-{ENV}-api"))),
    fails(
        "E9007", "ecs-service-without-running-task-alarm", "Resource Service", template(ecs_service(task_alarm_on=None))
    ),
    fails(
        "E9007",
        "ecs-service-alarmed-on-cpu-only",
        "Resource Service",
        template(
            {
                **ecs_service(task_alarm_on=None),
                "CpuAlarm": alarm(
                    "AWS/ECS", "CPUUtilization", ClusterName=ref("Cluster"), ServiceName=getatt("Service", "Name")
                ),
            }
        ),
    ),
]

TAGGING_COMPLETENESS = [
    passes(
        "E9008",
        "standard-tags-and-untaggable-resources",
        template(
            {
                "AppLogs": res("AWS::Logs::LogGroup", RetentionInDays=30),
                "SshFromAdmin": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId="sg-0123456789abcdef0",
                    **tcp(22, CidrIp="203.0.113.10/32"),
                ),
                "UserPool": res(
                    "AWS::Cognito::UserPool", UserPoolTags={tag["Key"]: tag["Value"] for tag in STANDARD_TAGS}
                ),
            }
        ),
    ),
    fails(
        "E9008",
        "missing-owner-and-managed-by",
        "Resource AppLogs",
        template(
            {
                "AppLogs": res("AWS::Logs::LogGroup", Tags=STANDARD_TAGS[:3]),
            }
        ),
    ),
    fails(
        "E9008",
        "tagged-for-another-environment",
        "Resource AppLogs",
        template(
            {
                "AppLogs": res(
                    "AWS::Logs::LogGroup",
                    Tags=[*STANDARD_TAGS[:1], {"Key": "Environment", "Value": "prod"}, *STANDARD_TAGS[2:]],
                ),
            }
        ),
    ),
    fails(
        "E9008",
        "user-pool-without-tags",
        "Resource UserPool",
        template(
            {
                "UserPool": res("AWS::Cognito::UserPool"),
            }
        ),
    ),
]

ENVIRONMENT_ISOLATION = [
    passes(
        "E9009",
        "own-exports-imports-and-names",
        template(
            {
                "AppSecurityGroup": group(),
                "JobsQueue": res("AWS::SQS::Queue", QueueName=f"{APP}-{ENV}-jobs"),
                "AppLogs": res("AWS::Logs::LogGroup", LogGroupName=f"/{APP}/{ENV}/app"),
                "QueueAgeAlarm": named(
                    alarm("AWS/SQS", "ApproximateAgeOfOldestMessage"), AlarmName=f"{APP}-{ENV} jobs waiting too long"
                ),
                "SiteBucket": res("AWS::S3::Bucket", BucketName={"Fn::Sub": f"{APP}-{ENV}-site-${{AWS::AccountId}}"}),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            },
            Outputs={"QueueUrl": output(ref("JobsQueue"), export=f"{APP}-{ENV}-QueueUrl")},
        ),
    ),
    fails(
        "E9009",
        "export-of-another-environment",
        "Output QueueUrl",
        template(
            {
                "JobsQueue": res("AWS::SQS::Queue"),
            },
            Outputs={"QueueUrl": output(ref("JobsQueue"), export=f"{APP}-prod-QueueUrl")},
        ),
    ),
    fails(
        "E9009",
        "import-from-another-environment",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": res(
                    "AWS::EC2::SecurityGroup", GroupDescription="app", VpcId=imported(f"{APP}-prod-VpcId")
                ),
            }
        ),
    ),
    fails(
        "E9009",
        "environment-not-a-whole-word",
        "Resource JobsQueue",
        template(
            {
                "JobsQueue": res("AWS::SQS::Queue", QueueName=f"{APP}-{ENV}ing-jobs"),
            }
        ),
    ),
    fails(
        "E9009",
        "name-from-stack-name-only",
        "Resource SiteBucket",
        template(
            {
                "SiteBucket": res("AWS::S3::Bucket", BucketName={"Fn::Sub": "${AWS::StackName}-site"}),
                "SiteBucketPolicy": bucket_policy("SiteBucket"),
            }
        ),
    ),
]

TEMPLATE_VALIDITY = [
    passes(
        "E9010",
        "complete-template",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Outputs={"TopicArn": output(ref("Topic"))},
        ),
    ),
    fails(
        "E9010",
        "no-description",
        "Template",
        {key: value for key, value in template({"Topic": res("AWS::SNS::Topic")}).items() if key != "Description"},
    ),
    fails(
        "E9010",
        "output-without-description",
        "Output TopicArn",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Outputs={"TopicArn": output(ref("Topic"), description=None)},
        ),
    ),
    fails(
        "E9010",
        "over-the-parameter-quota",
        "Template",
        template(
            {
                "Topic": res("AWS::SNS::Topic"),
            },
            Parameters={f"Parameter{index}": {"Type": "String"} for index in range(201)},
        ),
    ),
]

IAM_LEAST_PRIVILEGE = [
    passes(
        "E9011",
        "wildcards-only-on-named-resources",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": ["s3:*"],
                                        "Resource": ["arn:aws:s3:::shop-test-data"],
                                    },
                                    {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": "*"},
                                    {"Effect": "Deny", "Action": "*", "Resource": "*"},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "service-wildcard-on-everything-inline",
        "Resource Role",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": ["*"]},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "pass-any-role",
        "Resource Role",
        template(
            {
                "Role": res(
                    "AWS::IAM::Role",
                    AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                    Policies=[
                        {
                            "PolicyName": "app",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": ["ecs:RunTask", "iam:PassRole"], "Resource": "*"},
                                ],
                            },
                        }
                    ],
                ),
            }
        ),
    ),
    fails(
        "E9011",
        "everything-on-everything-managed-policy",
        "Resource Policy",
        template(
            {
                "Policy": res(
                    "AWS::IAM::ManagedPolicy",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    },
                ),
            }
        ),
    ),
]

TABLES = [
    MULTI_AZ,
    SECURITY_GROUP_LEAST_PRIVILEGE,
    DATABASE_ISOLATION,
    SECRET_ENCRYPTION,
    BACKUP_CONFIGURATION,
    HTTPS_ENFORCEMENT,
    ALARM_COVERAGE,
    TAGGING_COMPLETENESS,
    ENVIRONMENT_ISOLATION,
    TEMPLATE_VALIDITY,
    IAM_LEAST_PRIVILEGE,
]
CASES = [case for table in TABLES for case in table]


# --- linting ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cfn_lint():
    config = ConfigMixIn([], append_rules=[str(RULES_DIR)])
    return config, Runner(config).rules


@pytest.fixture
def lint(cfn_lint, tmp_path):
    """Lint a document as a file; the project's findings as (rule id, message), in order."""
    config, rules = cfn_lint

    def run(document: dict[str, Any], name: str = "snippet") -> list[tuple[str, str]]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document, indent=1))
        matches = list(run_template_by_file_path(str(path), config, rules, ignore_bad_template=False))
        crashes = [match.message for match in matches if match.rule.id == RULE_CRASHED]
        assert not crashes, crashes
        return [(match.rule.id, match.message) for match in matches if PROJECT_RULE.match(match.rule.id)]

    return run


@pytest.mark.parametrize("case", CASES, ids=[f"{case.rule}-{case.name}" for case in CASES])
def test_rule_on_snippet(lint, case):
    findings = lint(case.document)
    if case.expected_subject is None:
        assert findings == []
        return
    assert {rule for rule, _ in findings} == {case.rule}, findings
    for _, message in findings:
        assert message.startswith(f"{case.expected_subject}:"), message
        assert "Fix:" in message, message


def test_every_rule_has_a_passing_and_a_failing_case():
    for table in TABLES:
        assert {case.rule for case in table} == {table[0].rule}
        assert {case.expected_subject is None for case in table} == {True, False}, table[0].rule


def test_rule_ids_are_unique_and_numbered_from_e9001():
    rules = load_plugins(str(RULES_DIR))
    ids = [rule.id for rule in rules]
    assert sorted(ids) == [f"E90{number:02d}" for number in range(1, len(ids) + 1)]
    assert sorted(case.rule for case in (table[0] for table in TABLES)) == sorted(ids)
    for rule in rules:
        assert rule.shortdesc and rule.description and rule.source_url and rule.tags, rule.id


def test_missing_stackyard_metadata_is_reported_by_isolation_and_validity(lint):
    document = template({"Topic": res("AWS::SNS::Topic")})
    del document["Metadata"]
    findings = lint(document)
    assert sorted(rule for rule, _ in findings) == ["E9009", "E9010"]
    assert all(message.startswith("Template:") for _, message in findings)


def test_resource_level_ignore_checks_waives_only_that_resource(lint):
    waived = {**listener("HTTP", FORWARD), "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["E9006"]}}}}
    findings = lint(
        template({"WaivedListener": waived, "HttpListener": listener("HTTP", FORWARD)}, Parameters=LISTENER_PARAMETERS)
    )
    assert [(rule, message.split(":")[0]) for rule, message in findings] == [("E9006", "Resource HttpListener")]


def test_rules_keep_nothing_between_templates(lint):
    failing = template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])})
    passing = template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(443, CidrIp="0.0.0.0/0")])})
    first = lint(failing, "first")
    assert lint(passing, "second") == []
    assert lint(failing, "third") == first != []


def test_project_lint_finds_them_in_forked_workers(tmp_path):
    """stackyard/lint.py loads the rules once and, given two cores or more, forks workers that inherit them."""
    failing, passing = tmp_path / "failing.json", tmp_path / "passing.json"
    failing.write_text(
        json.dumps(template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])}))
    )
    passing.write_text(json.dumps(template({"AppSecurityGroup": group()})))
    jobs = [stackyard_lint.LintJob(path, stackyard_lint.digest(path.read_bytes())) for path in (failing, passing)]
    report = stackyard_lint.lint(jobs, tmp_path / "cache.json", rules_dirs=[RULES_DIR])
    project = [finding for finding in report.findings if PROJECT_RULE.match(finding.rule)]
    assert [(finding.location.file, finding.rule) for finding in project] == [(failing, "E9002")]


def test_plain_cfn_lint_cli_loads_the_rules_folder(tmp_path):
    """cfn-lint imports each rule file by path, outside any package: the shared helper must load that way."""
    snippet = tmp_path / "snippet.json"
    snippet.write_text(
        json.dumps(template({"AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")])}))
    )
    cli = Path(sys.executable).with_name("cfn-lint")
    # --append-rules takes one or more folders, so the templates go before it
    result = subprocess.run(
        [str(cli), str(snippet), "--append-rules", "lint_rules", "--format", "parseable"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # parseable: file:line:column:end line:end column:rule:message
    rules = {line.split(":")[5] for line in result.stdout.splitlines()}
    assert result.stderr == "" and sorted(filter(PROJECT_RULE.match, rules)) == ["E9002"], result.stdout + result.stderr


# --- the real build ---------------------------------------------------------------------------


class BuildLint(NamedTuple):
    manifest_templates: set[str]  # every template the manifests list, relative to the build folder
    linted: set[str]
    findings: list[tuple[str, str, str]]  # (template, rule id, message)


@pytest.fixture(scope="module")
def generated_build(cfn_lint, tmp_path_factory) -> BuildLint:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "generate.py", "--skip-lint", "--build-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    config, rules = cfn_lint
    linted, findings = set(), []
    for path in sorted(path for path in out.rglob("*.json") if path.name != "manifest.json"):
        linted.add(str(path.relative_to(out)))
        for match in run_template_by_file_path(str(path), config, rules, ignore_bad_template=False):
            if PROJECT_RULE.match(match.rule.id) or match.rule.id == RULE_CRASHED:
                findings.append((str(path.relative_to(out)), match.rule.id, match.message))
    return BuildLint(_manifest_templates(out), linted, findings)


def _manifest_templates(out: Path) -> set[str]:
    templates = set()
    for manifest_file in out.glob(f"*/{MANIFEST_FILE}"):
        environment = manifest_file.parent.name
        for stack in load(manifest_file).stacks.values():
            templates.update(f"{environment}/{template}" for template, _ in stack.template_files())
    return templates


@pytest.mark.slow
def test_generated_build_has_no_project_findings(generated_build):
    assert generated_build.linted == generated_build.manifest_templates != set()
    assert generated_build.findings == []
