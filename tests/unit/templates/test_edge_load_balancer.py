"""Pure unit: the edge stack's load balancer (seed 000 §1.8, seed 001 task 6): internal behind CloudFront's
VPC origin, its access logs, target group and listeners, and the alarms beside it. The distribution, the
site's bucket, DNS and the exports are in test_edge.py.
"""

from __future__ import annotations

import pytest

from tests.helpers import ENVS, picked, properties, resources, template
from tests.helpers.edge import DOMAIN, FULL_NAME, NO_DOMAIN, ZONE, edge


def imported(env, name):
    return {"Fn::ImportValue": f"one-system-{env}-{name}"}


def listeners(document):
    return {
        name: listener["Properties"]
        for name, listener in resources(document, "AWS::ElasticLoadBalancingV2::Listener").items()
    }


def alarm(builds, env, name):
    return properties(edge(builds, env), name)


@pytest.mark.parametrize("env", ENVS)
def test_load_balancer_is_internal_in_the_private_subnets_behind_the_alb_group(builds, env):
    """Seed 000 §1.8 puts it in the public subnets; behind CloudFront that was a way around the WAF (issue 13)."""
    balancer = properties(edge(builds, env), "LoadBalancer")
    assert picked(balancer, "Type", "Scheme", "Subnets", "SecurityGroups") == {
        "Type": "application",
        "Scheme": "internal",
        "Subnets": {"Fn::Split": [",", imported(env, "PrivateSubnetIds")]},
        "SecurityGroups": [imported(env, "AlbSecurityGroupId")],
    }
    assert not resources(edge(builds, env), "AWS::WAFv2::WebACL")  # CloudFront's web ACL guards it


@pytest.mark.parametrize(("env", "port"), [("dev", 80), ("test", 80), ("prod", 443)])
def test_only_cloudfronts_vpc_origin_reaches_the_load_balancer_on_the_one_port_it_uses(builds, env, port):
    document = edge(builds, env)
    assert properties(document, "LoadBalancerFromCloudFront") == {
        "GroupId": imported(env, "AlbSecurityGroupId"),
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "SourcePrefixListId": {"Ref": "CloudFrontOriginFacingPrefixListId"},
        "Description": f"{'HTTPS' if port == 443 else 'HTTP'} from the CloudFront VPC origin only",
    }
    assert document["Parameters"]["CloudFrontOriginFacingPrefixListId"]["AllowedPattern"] == "pl-[0-9a-f]+"
    # deploy fills the parameter with the id of the list of that name in the region
    entry = builds[env].manifest().stacks["edge"]
    assert entry.prefix_lists["CloudFrontOriginFacingPrefixListId"].name == (
        "com.amazonaws.global.cloudfront.origin-facing"
    )
    group = properties(template(builds, env, "network/security-groups.json"), "AlbSecurityGroup")
    assert group.get("SecurityGroupIngress", []) == []  # nothing from an address range


@pytest.mark.parametrize(("env", "protected"), [("dev", "false"), ("test", "true"), ("prod", "true")])
def test_load_balancer_logs_to_the_access_log_bucket_under_alb_where_storage_lets_it(builds, env, protected):
    attributes = {
        attribute["Key"]: attribute["Value"]
        for attribute in properties(edge(builds, env), "LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes == {
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": imported(env, "AccessLogsBucketName"),
        "access_logs.s3.prefix": "alb",
        "deletion_protection.enabled": protected,
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }
    storage = template(builds, env, "storage.json")
    policy = properties(storage, "AccessLogsBucketPolicy")["PolicyDocument"]["Statement"]
    delivery = next(s for s in policy if s["Sid"] == "AllowLoadBalancerAccessLogDelivery")
    bucket_arn = {"Fn::GetAtt": ["AccessLogsBucket", "Arn"]}
    assert delivery["Resource"] == [{"Fn::Join": ["", [bucket_arn, "/alb/AWSLogs/", {"Ref": "AWS::AccountId"}, "/*"]]}]
    # ap-southeast-1 delivers ALB logs from its regional Elastic Load Balancing account.
    assert delivery["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", "114774131450", ":root"]]}
    }


@pytest.mark.parametrize("env", ENVS)
def test_target_group_sends_port_8000_to_the_app_server_and_checks_get_health(builds, env):
    group = properties(edge(builds, env), "AppTargetGroup")
    assert picked(
        group, "TargetType", "Protocol", "Port", "VpcId", "Targets", "HealthCheckProtocol", "HealthCheckPath", "Matcher"
    ) == {
        "TargetType": "instance",
        "Protocol": "HTTP",
        "Port": 8000,
        "VpcId": imported(env, "VpcId"),
        "Targets": [{"Id": {"Ref": "AppInstanceId"}, "Port": 8000}],
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPath": "/health",
        "Matcher": {"HttpCode": "200"},
    }
    assert "HealthCheckPort" not in group  # the traffic port, 8000


def test_with_a_domain_https_443_forwards_with_the_api_certificate_and_tls_1_2_or_newer(builds):
    document = edge(builds, "prod")
    https = listeners(document)["HttpsListener"]
    assert picked(https, "LoadBalancerArn", "Protocol", "Port", "Certificates", "DefaultActions") == {
        "LoadBalancerArn": {"Ref": "LoadBalancer"},
        "Protocol": "HTTPS",
        "Port": 443,
        "Certificates": [{"CertificateArn": {"Ref": "ApiCertificate"}}],
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "AppTargetGroup"}}],
    }
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only
    assert properties(document, "ApiCertificate") == {
        "DomainName": f"api.{DOMAIN}",
        "ValidationMethod": "DNS",
        "DomainValidationOptions": [{"DomainName": f"api.{DOMAIN}", "HostedZoneId": ZONE}],
        "Tags": properties(document, "ApiCertificate")["Tags"],
    }


def test_with_a_domain_the_internal_load_balancer_listens_on_https_443_alone(builds):
    """CloudFront's VPC origin uses 443 only, and nobody else reaches the load balancer to be redirected."""
    assert set(listeners(edge(builds, "prod"))) == {"HttpsListener"}


@pytest.mark.parametrize("env", NO_DOMAIN)
def test_without_a_domain_a_single_http_listener_forwards_and_no_certificate_is_made(builds, env):
    document = edge(builds, env)
    listener = document["Resources"]["HttpListener"]
    assert list(listeners(document)) == ["HttpListener"]
    assert picked(listener["Properties"], "Protocol", "Port", "DefaultActions") == {
        "Protocol": "HTTP",
        "Port": 80,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "AppTargetGroup"}}],
    }
    # Nothing waived: E9006 accepts plain HTTP on an internal load balancer, which only the VPC origin reaches.
    assert "Metadata" not in listener
    assert not resources(document, "AWS::CertificateManager::Certificate")


@pytest.mark.parametrize("env", ENVS)
def test_p95_latency_above_2_seconds_warns(builds, env):
    assert picked(
        alarm(builds, env, "LatencyAlarm"),
        "Namespace",
        "MetricName",
        "Dimensions",
        "ExtendedStatistic",
        "ComparisonOperator",
        "Threshold",
        "AlarmActions",
    ) == {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "TargetResponseTime",
        "Dimensions": [{"Name": "LoadBalancer", "Value": FULL_NAME}],
        "ExtendedStatistic": "p95",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 2,
        "AlarmActions": [imported(env, "WarningTopicArn")],
    }


@pytest.mark.parametrize("env", ENVS)
def test_5xx_above_5_percent_of_requests_pages(builds, env):
    props = alarm(builds, env, "ServerErrorRateAlarm")
    assert picked(props, "ComparisonOperator", "Threshold", "AlarmActions") == {
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5,
        "AlarmActions": [imported(env, "CriticalTopicArn")],
    }
    queries = {query["Id"]: query for query in props["Metrics"]}
    sums = {query_id: query["MetricStat"] for query_id, query in queries.items() if "MetricStat" in query}
    assert sums == {
        query_id: {
            "Metric": {
                "Namespace": "AWS/ApplicationELB",
                "MetricName": metric,
                "Dimensions": [{"Name": "LoadBalancer", "Value": FULL_NAME}],
            },
            "Period": 300,
            "Stat": "Sum",
        }
        for query_id, metric in (
            ("app_errors", "HTTPCode_Target_5XX_Count"),
            ("balancer_errors", "HTTPCode_ELB_5XX_Count"),
            ("requests", "RequestCount"),
        )
    }
    assert [query["Id"] for query in props["Metrics"] if query["ReturnData"]] == ["error_rate"]
    assert queries["error_rate"]["Expression"] == "100 * (FILL(app_errors, 0) + FILL(balancer_errors, 0)) / requests"
    assert "MetricName" not in props and "Statistic" not in props


@pytest.mark.parametrize("env", ENVS)
def test_an_unhealthy_app_server_pages(builds, env):
    assert picked(
        alarm(builds, env, "UnhealthyHostAlarm"),
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "ComparisonOperator",
        "Threshold",
        "AlarmActions",
    ) == {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "UnHealthyHostCount",
        "Dimensions": [
            {"Name": "TargetGroup", "Value": {"Fn::GetAtt": ["AppTargetGroup", "TargetGroupFullName"]}},
            {"Name": "LoadBalancer", "Value": FULL_NAME},
        ],
        "Statistic": "Maximum",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "AlarmActions": [imported(env, "CriticalTopicArn")],
    }
