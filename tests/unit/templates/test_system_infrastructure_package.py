"""Pure unit (and one cfn-lint run, marked slow): seed 001 (the Infrastructure Package) as
examples/infrastructure-package, fact by section of the plan, in each of its three environments."""

from __future__ import annotations

import json
import shutil

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.generate import generate
from tests.helpers import ROOT, picked, properties, resources

SYSTEM = ROOT / "examples" / "infrastructure-package"
APP = "infra-package"
ENVS = ("dev", "staging", "production")
STANDARD_TAGS = ("Application", "Environment", "CostCenter", "Owner", "ManagedBy")


@pytest.fixture(scope="module")
def builds():
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def document(builds, env, path):
    """A template of the environment by its build path, e.g. `network/vpc.json`."""
    for stack in builds[env].stacks.values():
        for rendered in stack.templates:
            if rendered.path == path:
                return rendered.document
    raise KeyError(path)


def imported(env, name):
    return {"Fn::ImportValue": f"{APP}-{env}-{name}"}


def exports(builds, env):
    """Export name (without `<app>-<env>-`) -> the stack exporting it."""
    prefix = f"{APP}-{env}-"
    return {
        name.removeprefix(prefix): stack
        for stack, entry in builds[env].manifest().stacks.items()
        for name in entry.exports
    }


# --- §1 and §9: three environments, each isolated and sized on its own ------------------------------


def test_1_three_environments_dev_staging_production(builds):
    assert sorted(builds) == sorted(ENVS)


@pytest.mark.parametrize("env", ENVS)
def test_1_each_environment_is_the_same_stacks_in_dependency_order(builds, env):
    order = builds[env].manifest().deploy_order
    assert sorted(order) == sorted(
        ["network", "storage", "alerts", "database", "containers", "edge-global", "edge", "dashboard"]
    )
    assert order.index("edge") < order.index("containers")  # the service attaches to edge's target group
    assert order.index("database") < order.index("containers")  # it reads the database's secret


@pytest.mark.parametrize("env", ENVS)
def test_9_2_every_stack_is_named_for_its_environment(builds, env):
    assert {entry.stack_name for entry in builds[env].manifest().stacks.values()} == {
        f"{APP}-{env}-{stack}" for stack in builds[env].stacks
    }


# --- §2: network ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "cidr", "nat_gateways", "flow_log_days"),
    [("dev", "10.0.0.0/16", 1, 7), ("staging", "10.1.0.0/16", 1, 30), ("production", "10.2.0.0/16", 2, 365)],
)
def test_2_1_vpc_with_public_and_private_subnets_in_two_azs_nat_and_flow_logs(
    builds, env, cidr, nat_gateways, flow_log_days
):
    vpc = document(builds, env, "network/vpc.json")
    assert properties(vpc, "Vpc")["CidrBlock"] == cidr
    subnets = resources(vpc, "AWS::EC2::Subnet")
    assert sorted(subnets) == ["PrivateSubnet1", "PrivateSubnet2", "PublicSubnet1", "PublicSubnet2"]
    zones = {json.dumps(subnet["Properties"]["AvailabilityZone"]) for subnet in subnets.values()}
    assert len(zones) == 2
    assert len(resources(vpc, "AWS::EC2::NatGateway")) == nat_gateways
    routes = [
        route["Properties"]
        for route in resources(vpc, "AWS::EC2::Route").values()
        if "NatGatewayId" in route["Properties"]
    ]
    assert len(routes) == 2  # each private subnet's default route goes through a NAT
    assert picked(properties(vpc, "FlowLog"), "ResourceType", "TrafficType", "LogDestinationType") == {
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "cloud-watch-logs",
    }
    assert properties(vpc, "FlowLogGroup")["RetentionInDays"] == flow_log_days


@pytest.mark.parametrize("env", ENVS)
def test_2_3_database_from_the_app_only_app_from_the_load_balancer_only_load_balancer_from_cloudfront_only(builds, env):
    """§2.3's AlbSecurityGroup admits HTTPS from the internet; behind CloudFront that was a way around its WAF,
    so the load balancer is internal and admits CloudFront's VPC origin alone (issue 13, docs/security.md)."""
    groups = document(builds, env, "network/security-groups.json")
    assert picked(
        properties(groups, "DatabaseSecurityGroupFromAppSecurityGroup"), "FromPort", "SourceSecurityGroupId"
    ) == {"FromPort": 5432, "SourceSecurityGroupId": {"Ref": "AppSecurityGroup"}}
    assert properties(groups, "DatabaseSecurityGroup")["SecurityGroupIngress"] == []
    assert picked(properties(groups, "AppSecurityGroupFromAlbSecurityGroup"), "FromPort", "SourceSecurityGroupId") == {
        "FromPort": 8000,
        "SourceSecurityGroupId": {"Ref": "AlbSecurityGroup"},
    }
    assert properties(groups, "AppSecurityGroup")["SecurityGroupIngress"] == []
    assert properties(groups, "AlbSecurityGroup")["SecurityGroupIngress"] == []
    origin_facing = properties(document(builds, env, "edge.json"), "LoadBalancerFromCloudFront")
    assert picked(origin_facing, "FromPort", "SourcePrefixListId") == {
        "FromPort": 443 if env == "production" else 80,  # HTTPS where a domain names the certificate
        "SourcePrefixListId": {"Ref": "CloudFrontOriginFacingPrefixListId"},
    }
    # The tasks are in the app group, so this is what reaches them.
    service = properties(document(builds, env, "containers.json"), "Service")
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
        imported(env, "AppSecurityGroupId")
    ]


# --- §3: database ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "low", "high"), [("dev", 0.5, 1), ("staging", 0.5, 2), ("production", 1, 8)])
def test_3_1_aurora_serverless_v2_postgresql_sized_per_environment_in_the_private_subnets(builds, env, low, high):
    database = document(builds, env, "database.json")
    cluster = properties(database, "DatabaseCluster")
    assert picked(cluster, "Engine", "ServerlessV2ScalingConfiguration", "StorageEncrypted") == {
        "Engine": "aurora-postgresql",
        "ServerlessV2ScalingConfiguration": {"MinCapacity": low, "MaxCapacity": high},
        "StorageEncrypted": True,
    }
    assert properties(database, "DatabaseWriter")["DBInstanceClass"] == "db.serverless"
    assert properties(database, "DatabaseWriter")["PubliclyAccessible"] is False
    assert properties(database, "DatabaseSubnetGroup")["SubnetIds"] == {
        "Fn::Split": [",", imported(env, "PrivateSubnetIds")]
    }


@pytest.mark.parametrize(("env", "instances"), [("dev", 1), ("staging", 1), ("production", 2)])
def test_property_5_production_survives_losing_an_az_with_a_reader_in_the_second(builds, env, instances):
    database = document(builds, env, "database.json")
    members = resources(database, "AWS::RDS::DBInstance")
    assert len(members) == instances
    assert database["Metadata"]["Stackyard"].get("ProductionGrade", False) is (env == "production")
    if env == "production":  # pinned to the zones of the private subnets, writer first: never the same zone
        assert {name: props["Properties"]["AvailabilityZone"] for name, props in members.items()} == {
            "DatabaseWriter": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
            "DatabaseReader1": {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
        }
        assert properties(database, "DatabaseReader1")["PromotionTier"] == 1  # the failover target
    else:  # no reader: the writer goes where RDS puts it, as before
        assert "AvailabilityZone" not in properties(database, "DatabaseWriter")


@pytest.mark.parametrize("env", ENVS)
def test_3_1_seven_day_backups_and_point_in_time_recovery_within_them(builds, env):
    # Aurora's continuous backups give point-in-time recovery over the whole retention period.
    assert properties(document(builds, env, "database.json"), "DatabaseCluster")["BackupRetentionPeriod"] == 7


@pytest.mark.parametrize("env", ENVS)
def test_3_4_credentials_generated_encrypted_rotated_every_30_days_and_exported(builds, env):
    database = document(builds, env, "database.json")
    secret = properties(database, "DatabaseSecret")
    assert "GenerateSecretString" in secret
    # A customer-managed key (the seed's AWS-managed key would satisfy §3.1; rule E9004 asks for more).
    assert secret["KmsKeyId"] == {"Ref": "DatabaseKey"}
    assert properties(database, "DatabaseSecretRotation")["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert database["Outputs"]["DatabaseSecretArn"]["Value"] == {"Ref": "DatabaseSecret"}


# --- §5: the API on ECS Fargate behind the load balancer --------------------------------------------


@pytest.mark.parametrize(
    ("env", "cpu", "memory"), [("dev", "256", "512"), ("staging", "512", "1024"), ("production", "1024", "2048")]
)
def test_5_1_fargate_cpu_and_memory_per_environment_image_from_ecr(builds, env, cpu, memory):
    task = properties(document(builds, env, "containers.json"), "TaskDefinition")
    assert (task["RequiresCompatibilities"], task["Cpu"], task["Memory"]) == (["FARGATE"], cpu, memory)
    [container] = task["ContainerDefinitions"]
    assert container["Image"]["Fn::Join"][1][0] == {"Fn::GetAtt": ["Repository", "RepositoryUri"]}
    assert resources(document(builds, env, "containers.json"), "AWS::ECR::Repository")


@pytest.mark.parametrize("env", ENVS)
def test_5_1_environment_variables_and_secrets_with_secrets_manager_access(builds, env):
    containers = document(builds, env, "containers.json")
    [container] = properties(containers, "TaskDefinition")["ContainerDefinitions"]
    assert {variable["Name"]: variable["Value"] for variable in container["Environment"]}["ENVIRONMENT"] == env
    assert container["Secrets"] == [{"Name": "DATABASE_CREDENTIALS", "ValueFrom": imported(env, "DatabaseSecretArn")}]
    [policy] = properties(containers, "ExecutionRole")["Policies"]
    reads = next(statement for statement in policy["PolicyDocument"]["Statement"] if statement["Sid"] == "ReadSecrets")
    assert reads["Action"] == ["secretsmanager:GetSecretValue"]
    assert reads["Resource"] == [imported(env, "DatabaseSecretArn")]


@pytest.mark.parametrize("env", ENVS)
def test_5_2_internal_load_balancer_in_the_private_subnets_health_checked_at_health(builds, env):
    """§5.2 deploys it in the public subnets; it is CloudFront's VPC origin instead (issue 13)."""
    edge = document(builds, env, "edge.json")
    balancer = properties(edge, "LoadBalancer")
    assert (balancer["Scheme"], balancer["Subnets"]) == (
        "internal",
        {"Fn::Split": [",", imported(env, "PrivateSubnetIds")]},
    )
    group = properties(edge, "AppTargetGroup")
    assert picked(group, "TargetType", "Port", "HealthCheckPath") == {
        "TargetType": "ip",
        "Port": 8000,
        "HealthCheckPath": "/health",
    }
    service = properties(document(builds, env, "containers.json"), "Service")
    assert service["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": "AppTargetGroupArn"}  # edge's output


def test_5_2_with_its_domain_production_serves_https_with_an_acm_certificate_to_cloudfront(builds):
    edge = document(builds, "production", "edge.json")
    assert properties(edge, "HttpsListener")["Certificates"] == [{"CertificateArn": {"Ref": "ApiCertificate"}}]
    assert properties(edge, "ApiCertificate")["DomainName"] == "api.infra-package.example.com"
    assert "HttpRedirectListener" not in edge["Resources"]  # only CloudFront reaches it, over HTTPS
    assert properties(edge, "ApiVpcOrigin")["VpcOriginEndpointConfig"]["OriginProtocolPolicy"] == "https-only"


@pytest.mark.parametrize(("env", "low", "high"), [("dev", 1, 2), ("staging", 1, 4), ("production", 2, 10)])
def test_5_4_autoscaling_on_cpu_and_memory_between_task_counts_per_environment(builds, env, low, high):
    containers = document(builds, env, "containers.json")
    target = properties(containers, "ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (low, high)
    metrics = sorted(
        policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for policy in resources(containers, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    )
    assert metrics == ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("staging", 30), ("production", 365)])
def test_5_5_container_logs_to_a_log_group_with_retention_per_environment(builds, env, days):
    containers = document(builds, env, "containers.json")
    assert properties(containers, "AppLogGroup")["RetentionInDays"] == days
    [container] = properties(containers, "TaskDefinition")["ContainerDefinitions"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


# --- §6: the frontend ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_6_1_a_private_versioned_encrypted_bucket_read_by_cloudfront_only(builds, env):
    bucket = properties(document(builds, env, "edge.json"), "FrontendBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "BucketEncryption" in bucket
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert [rule["Id"] for rule in bucket["LifecycleConfiguration"]["Rules"]] == [
        "abort-incomplete-multipart-uploads",
        "expire-old-versions",
    ]
    # Origin Access Control, the successor of the plan's Origin Access Identity.
    [origin] = [
        origin
        for origin in properties(document(builds, env, "edge.json"), "Distribution")["DistributionConfig"]["Origins"]
        if origin["Id"] == "frontend"
    ]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["FrontendOriginAccess", "Id"]}


@pytest.mark.parametrize("env", ENVS)
def test_6_2_cloudfront_compresses_adds_security_headers_and_routes_the_spa(builds, env):
    config = properties(document(builds, env, "edge.json"), "Distribution")["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    assert (default["Compress"], default["ViewerProtocolPolicy"]) == (True, "redirect-to-https")
    assert default["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeaders"}  # a headers policy, not Lambda@Edge
    assert default["FunctionAssociations"][0]["FunctionARN"] == {"Fn::GetAtt": ["SpaRouting", "FunctionARN"]}
    assert config["DefaultRootObject"] == "index.html"


@pytest.mark.parametrize(
    ("env", "aliases"), [("dev", None), ("staging", None), ("production", ["infra-package.example.com"])]
)
def test_6_2_the_custom_domain_and_its_certificate_where_the_environment_has_one(builds, env, aliases):
    config = properties(document(builds, env, "edge.json"), "Distribution")["DistributionConfig"]
    assert config.get("Aliases") == aliases
    assert ("AcmCertificateArn" in config["ViewerCertificate"]) is (aliases is not None)


# --- §7: monitoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_7_1_api_database_and_frontend_dashboards(builds, env):
    names = sorted(
        dashboard["Properties"]["DashboardName"]
        for dashboard in resources(document(builds, env, "dashboard.json"), "AWS::CloudWatch::Dashboard").values()
    )
    assert names == [f"{APP}-{env}-api", f"{APP}-{env}-database", f"{APP}-{env}-frontend"]


def all_alarms(builds, env):
    return {
        name: alarm["Properties"]
        for stack in builds[env].stacks.values()
        for rendered in stack.templates
        for name, alarm in resources(rendered.document, "AWS::CloudWatch::Alarm").items()
    }


@pytest.mark.parametrize(("env", "tasks"), [("dev", 1), ("staging", 1), ("production", 2)])
def test_7_2_the_five_alarms_of_the_plan(builds, env, tasks):
    alarms = all_alarms(builds, env)
    latency = alarms["LatencyAlarm"]
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "TargetResponseTime",
        "p95",
        2,
    )
    assert alarms["ServerErrorRateAlarm"]["Threshold"] == 5
    failures = alarms["DatabaseConnectionFailureAlarm"]
    assert (failures["MetricName"], failures["Period"], failures["Threshold"]) == (
        "DatabaseConnectionFailures",
        300,
        10,
    )
    running = alarms["RunningTasksAlarm"]
    assert (running["MetricName"], running["ComparisonOperator"], running["Threshold"]) == (
        "RunningTaskCount",
        "LessThanThreshold",
        tasks,
    )
    capacity = alarms["DatabaseCapacityAlarm"]
    assert (capacity["MetricName"], capacity["Threshold"]) == ("ACUUtilization", 90)


@pytest.mark.parametrize(("env", "paged"), [("dev", []), ("staging", []), ("production", ["oncall@example.com"])])
def test_7_4_critical_alarms_page_in_production_only_warnings_reach_every_environment(builds, env, paged):
    # Both topics exist everywhere (every alarm has one to notify); only production's critical topic has
    # subscribers.
    alerts = document(builds, env, "alerts.json")
    emails = {
        name: [subscription["Endpoint"] for subscription in topic["Properties"]["Subscription"]]
        for name, topic in resources(alerts, "AWS::SNS::Topic").items()
    }
    assert emails == {"CriticalTopic": paged, "WarningTopic": ["platform-team@example.com"]}


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("staging", 30), ("production", 365)])
def test_7_5_every_log_group_has_a_retention(builds, env, days):
    groups = {
        properties(rendered.document, name)["LogGroupName"]: properties(rendered.document, name).get("RetentionInDays")
        for stack in builds[env].stacks.values()
        for rendered in stack.templates
        for name in resources(rendered.document, "AWS::Logs::LogGroup")
    }
    assert None not in groups.values()
    assert groups[f"/{APP}/{env}/app"] == days


# --- §8: tags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_8_every_tagged_resource_carries_the_five_standard_tags_of_its_environment(builds, env):
    expected = {
        "Application": APP,
        "Environment": env,
        "CostCenter": "infrastructure-package",
        "Owner": "platform-team@example.com",
        "ManagedBy": "stackyard",
    }
    tagged = 0
    for stack in builds[env].stacks.values():
        for rendered in stack.templates:
            for name, resource in rendered.document["Resources"].items():
                tags = resource.get("Properties", {}).get("Tags")
                if tags is None:
                    continue
                tagged += 1
                values = tags if isinstance(tags, dict) else {tag["Key"]: tag["Value"] for tag in tags}
                assert {key: values.get(key) for key in STANDARD_TAGS} == expected, (rendered.path, name)
    assert tagged > 50


# --- §10: outputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_10_1_the_plans_outputs_are_exported(builds, env):
    exported = exports(builds, env)
    assert {
        name: exported.get(name)
        for name in ("VpcId", "DatabaseSecretArn", "SiteUrl", "FrontendBucketName", "EcsClusterName")
    } == {
        "VpcId": "network",
        "DatabaseSecretArn": "database",
        "SiteUrl": "edge",  # SiteUrl: the plan's FrontendUrl
        "FrontendBucketName": "edge",
        "EcsClusterName": "containers",
    }


@pytest.mark.parametrize("env", ENVS)
def test_10_1_the_api_endpoint_is_exported_under_the_site(builds, env):
    assert exports(builds, env)["ApiUrl"] == "edge"
    [value] = [
        output["Value"]
        for output in builds[env].stacks["edge"].template.document["Outputs"].values()
        if output.get("Export", {}).get("Name") == f"{APP}-{env}-ApiUrl"
    ]
    site = "infra-package.example.com" if env == "production" else {"Fn::GetAtt": ["Distribution", "DomainName"]}
    assert value == {"Fn::Join": ["", ["https://", site, "/api"]]}


# --- the whole system: cfn-lint and the project's rules ------------------------------------------------


@pytest.mark.slow
def test_every_environment_generates_lint_clean(tmp_path):
    shutil.copytree(SYSTEM / "params", tmp_path / "params")
    result = generate(tmp_path / "params", tmp_path / "build")
    assert sorted(build.environment for build in result.builds) == sorted(ENVS)
    # every template, nested children included (not the manifests, nor the stack policies beside the templates)
    templates_count = sum(len(stack.templates) for build in result.builds for stack in build.stacks.values())
    assert (result.lint.findings, result.lint.linted) == ([], templates_count)
