"""Pure unit: seed 002 (TAP) as examples/tap, fact by section of its technical specification."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import generate
from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.errors import EXIT_BAD_INPUT
from stackyard.manifest import ContainerImage
from tests.helpers import ROOT, json_resource, picked, properties, resources

SYSTEM = ROOT / "examples" / "tap"


@pytest.fixture(scope="module")
def build():
    return build_environment(load_configs(SYSTEM / "params")["poc"])


def document(build, stack, child=None):
    path = f"{stack}/{child}.json" if child else f"{stack}.json"
    return next(rendered.document for rendered in build.stacks[stack].templates if rendered.path == path)


def test_1_one_poc_environment_in_us_east_1_with_the_plans_parts(build):
    assert build.config.region == "us-east-1"
    assert set(build.stacks) == {
        "network",
        "storage",
        "alerts",
        "auth",
        "database",
        "containers",
        "edge-global",
        "edge",
        "ci",
    }


def test_2_2_the_subnets_and_one_nat(build):
    vpc = document(build, "network", "vpc")
    assert {subnet["Properties"]["CidrBlock"] for subnet in resources(vpc, "AWS::EC2::Subnet").values()} == {
        "10.0.1.0/24",
        "10.0.2.0/24",
        "10.0.10.0/24",
        "10.0.11.0/24",
    }
    assert list(resources(vpc, "AWS::EC2::NatGateway")) == ["NatGateway1"]


def test_2_2_alb_sg_ecs_sg_and_rds_sg_chain(build):
    groups = document(build, "network", "security-groups")
    assert [
        picked(rule, "FromPort", "CidrIp") for rule in properties(groups, "AlbSecurityGroup")["SecurityGroupIngress"]
    ] == [{"FromPort": 443, "CidrIp": "0.0.0.0/0"}, {"FromPort": 80, "CidrIp": "0.0.0.0/0"}]
    admitted = {
        (
            rule["Properties"]["GroupId"]["Ref"],
            rule["Properties"]["FromPort"],
            rule["Properties"]["SourceSecurityGroupId"]["Ref"],
        )
        for rule in resources(groups, "AWS::EC2::SecurityGroupIngress").values()
    }
    assert admitted == {
        ("AppSecurityGroup", 8000, "AlbSecurityGroup"),
        ("DatabaseSecurityGroup", 5432, "AppSecurityGroup"),
    }


def test_2_3_the_backend_task_is_a_quarter_vcpu_and_half_a_gigabyte_on_port_8000(build):
    containers = document(build, "containers")
    task = properties(containers, "TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("256", "512")
    [container] = task["ContainerDefinitions"]
    assert container["PortMappings"][0]["ContainerPort"] == 8000
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert picked(environment, "CORS_ORIGINS", "COOKIE_DOMAIN", "COOKIE_SECURE") == {
        "CORS_ORIGINS": '["https://tap.example.com"]',
        "COOKIE_DOMAIN": ".tap.example.com",
        "COOKIE_SECURE": "true",
    }
    secrets = {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}
    assert set(secrets) == {
        "DATABASE_USER",
        "DATABASE_PASSWORD",
        "JWT_SECRET_KEY",
        "COGNITO_USER_POOL_ID",
        "COGNITO_CLIENT_ID",
        "COGNITO_DOMAIN",
        "COGNITO_CLIENT_SECRET",
    }
    assert secrets["COGNITO_CLIENT_ID"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tap/poc/cognito/client-id"
    }
    # The managed secret holds no host: the stack sets it, so the app can build its database URL.
    assert {"Name": "DATABASE_HOST", "Value": {"Fn::ImportValue": "tap-poc-DatabaseEndpoint"}} in container[
        "Environment"
    ]
    service = properties(containers, "Service")
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"


def test_2_3_the_client_secret_comes_from_the_auth_stack_and_only_its_key_decrypts_it(build):
    [policy] = properties(document(build, "containers"), "ExecutionRole")["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert {"Fn::ImportValue": "tap-poc-CognitoClientSecretArn"} in statements["ReadSecrets"]["Resource"]
    assert statements["DecryptAuthClientSecret"]["Resource"] == [
        {"Fn::ImportValue": "tap-poc-CognitoClientSecretKeyArn"}
    ]


def test_2_4_one_db_t4g_micro_postgresql_16_with_20_gb_gp3_and_a_managed_password(build):
    database = document(build, "database")
    [instance] = resources(database, "AWS::RDS::DBInstance").values()
    assert picked(
        instance["Properties"],
        "DBInstanceClass",
        "Engine",
        "AllocatedStorage",
        "StorageType",
        "ManageMasterUserPassword",
        "PubliclyAccessible",
        "BackupRetentionPeriod",
    ) == {
        "DBInstanceClass": "db.t4g.micro",
        "Engine": "postgres",
        "AllocatedStorage": 20,
        "StorageType": "gp3",
        "ManageMasterUserPassword": True,
        "PubliclyAccessible": False,
        "BackupRetentionPeriod": 7,
    }
    assert instance["Properties"]["EngineVersion"].startswith("16")


def test_2_5_the_files_bucket_is_versioned_and_private(build):
    bucket = properties(document(build, "storage"), "FilesBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())


def test_2_6_cloudfront_serves_only_the_spa_with_error_fallback_price_class_100_and_a_wildcard_certificate(build):
    edge = document(build, "edge")
    config = properties(edge, "Distribution")["DistributionConfig"]
    assert [origin["Id"] for origin in config["Origins"]] == ["frontend"]
    assert config["PriceClass"] == "PriceClass_100"
    assert {
        (response["ErrorCode"], response["ResponseCode"], response["ResponsePagePath"])
        for response in config["CustomErrorResponses"]
    } == {(403, 200, "/index.html"), (404, 200, "/index.html")}
    [certificate] = resources(document(build, "edge-global"), "AWS::CertificateManager::Certificate").values()
    assert picked(certificate["Properties"], "DomainName", "SubjectAlternativeNames") == {
        "DomainName": "tap.example.com",
        "SubjectAlternativeNames": ["*.tap.example.com"],
    }
    outputs = {output["Export"]["Name"]: output["Value"] for output in edge["Outputs"].values() if "Export" in output}
    assert outputs["tap-poc-ApiUrl"] == "https://api.tap.example.com"


def test_2_3_the_api_load_balancer_faces_the_internet_behind_a_regional_web_acl(build):
    """Not in the plan (no WAF there): issue 13 puts one on every public way in, the API's own name included."""
    edge = document(build, "edge")
    assert properties(edge, "LoadBalancer")["Scheme"] == "internet-facing"
    assert properties(edge, "ApiWebAcl")["Scope"] == "REGIONAL"
    assert properties(edge, "ApiWebAclAssociation")["ResourceArn"] == {"Ref": "LoadBalancer"}
    assert properties(edge, "Distribution")["DistributionConfig"]["WebACLId"] == {"Ref": "WebAclArn"}
    assert properties(edge, "HttpRedirectListener")["DefaultActions"][0]["Type"] == "redirect"


def test_2_7_github_may_deploy_from_main_only(build):
    role = properties(document(build, "ci"), "DeployRole")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": ["repo:tap-org/tap:ref:refs/heads/main"],
    }


def test_2_7_the_task_role_reads_and_writes_files_and_invokes_claude_only(build):
    [policy] = properties(document(build, "containers"), "TaskRole")["Policies"]
    granted = {
        (action, json_resource(resource))
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
    }
    assert {resource for action, resource in granted if action == "bedrock:InvokeModel"} == {
        "arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-*",
        "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/us.anthropic.claude-*",
    }
    assert ("s3:PutObject", "arn:${AWS::Partition}:s3:::tap-poc-files-${AWS::AccountId}-${AWS::Region}/*") in granted


def test_2_8_cognito_signs_in_with_google_through_the_hosted_ui(build):
    auth = document(build, "auth")
    [provider] = resources(auth, "AWS::Cognito::UserPoolIdentityProvider").values()
    assert provider["Properties"]["ProviderName"] == "Google"
    assert "{{resolve:secretsmanager:tap/google-oauth:SecretString:client_secret}}" in str(provider["Properties"])
    [domain] = resources(auth, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == "tap-auth-poc"
    assert {parameter["Properties"]["Name"] for parameter in resources(auth, "AWS::SSM::Parameter").values()} == {
        "/tap/poc/cognito/user-pool-id",
        "/tap/poc/cognito/client-id",
        "/tap/poc/cognito/domain",
    }


def test_2_10_alarms_on_latency_over_5_seconds_unhealthy_hosts_and_rds_cpu_over_80(build):
    alarms = {
        alarm["Properties"].get("MetricName"): alarm["Properties"]
        for stack in ("edge", "database")
        for alarm in resources(document(build, stack), "AWS::CloudWatch::Alarm").values()
    }
    assert alarms["CPUUtilization"]["Threshold"] == 80
    assert alarms["CPUUtilization"]["Period"] * alarms["CPUUtilization"]["EvaluationPeriods"] == 600
    assert picked(alarms["UnHealthyHostCount"], "ComparisonOperator", "Threshold") == {
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
    }
    assert picked(alarms["TargetResponseTime"], "ExtendedStatistic", "ComparisonOperator", "Threshold") == {
        "ExtendedStatistic": "p95",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5,
    }
    # "for 5 min", both of them
    for metric in ("TargetResponseTime", "UnHealthyHostCount"):
        assert alarms[metric]["Period"] * alarms[metric]["EvaluationPeriods"] == 300, metric


def test_2_10_the_backend_log_group_is_the_one_the_params_comment_names_kept_30_days(build):
    [group] = resources(document(build, "containers"), "AWS::Logs::LogGroup").values()
    assert picked(group["Properties"], "LogGroupName", "RetentionInDays") == {
        "LogGroupName": "/tap/poc/app",
        "RetentionInDays": 30,
    }
    [comment] = [
        line
        for line in (SYSTEM / "params" / "base.yaml").read_text().splitlines()
        if "log_retention_days: 30 " in line and "§2.10" in line
    ]
    assert "/tap/poc/app" in comment and "/ecs/tap-backend" in comment


def test_2_3_the_app_gets_database_name_beside_host_port_and_the_secret(build):
    [container] = properties(document(build, "containers"), "TaskDefinition")["ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert picked(environment, "DATABASE_NAME", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_SECRET_ARN") == {
        "DATABASE_NAME": "tap",
        "DATABASE_HOST": {"Fn::ImportValue": "tap-poc-DatabaseEndpoint"},
        "DATABASE_PORT": {"Fn::ImportValue": "tap-poc-DatabasePort"},
        "DATABASE_SECRET_ARN": {"Fn::ImportValue": "tap-poc-DatabaseSecretArn"},
    }


def test_3_the_ci_role_runs_the_migration_task_passing_only_its_two_roles(build):
    """§3 "Add a migration step in the deploy pipeline (ECS run-task ...)"."""
    [policy] = properties(document(build, "ci"), "DeployRole")["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert picked(statements["RunMigrationTask"], "Action", "Resource", "Condition") == {
        "Action": ["ecs:RunTask"],
        "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/tap-poc-app:*"}
        ],
        "Condition": {
            "ArnEquals": {
                "ecs:cluster": {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/tap-poc"}
            }
        },
    }
    assert picked(statements["PassTaskRoles"], "Action", "Resource", "Condition") == {
        "Action": ["iam:PassRole"],
        "Resource": [
            {"Fn::ImportValue": "tap-poc-AppTaskRoleArn"},
            {"Fn::ImportValue": "tap-poc-AppExecutionRoleArn"},
        ],
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    }
    assert statements["FollowMigrationTask"]["Action"] == ["ecs:DescribeTasks", "ecs:StopTask"]
    assert "containers" in build.manifest().stacks["ci"].depends_on


def test_3_ecr_image_not_found_on_first_deploy_leaves_the_service_out_until_latest_is_pushed(build):
    """§3 risk "ECR image not found on first deploy": the params keep `image_tag: latest` (what CI pushes,
    §2.11), and the containers stack waits for tap-poc-app:latest behind its ServiceEnabled parameter."""
    assert build.manifest().stacks["containers"].images == {"ServiceEnabled": ContainerImage("tap-poc-app", "latest")}
    containers = document(build, "containers")
    assert containers["Resources"]["Service"]["Condition"] == "RunsService"
    assert "Condition" not in containers["Resources"]["Repository"]


def test_2_6_dns_outside_route_53_validation_records_are_created_by_hand_and_the_targets_are_outputs(build, tmp_path):
    """§2.6 "DNS validation (records output for manual creation if no Route53 zone yet)"."""
    params = tmp_path / "params"
    shutil.copytree(SYSTEM / "params", params)
    base = (params / "base.yaml").read_text()
    (params / "base.yaml").write_text(base.replace("hosted_zone_id: Z0123456789EXAMPLETAP", "hosted_zone_id: null"))
    zoneless = build_environment(load_configs(params)["poc"])
    [certificate] = resources(document(zoneless, "edge-global"), "AWS::CertificateManager::Certificate").values()
    assert "DomainValidationOptions" not in certificate["Properties"]
    assert zoneless.manifest().stacks["edge-global"].manual_validation == {"CloudFrontCertificate": "tap.example.com"}
    edge = document(zoneless, "edge")
    assert not resources(edge, "AWS::Route53::RecordSet")
    assert {"SiteDnsTarget", "ApiDnsTarget"} <= set(edge["Outputs"])
    # With the zone (the params as shipped), Route 53 validates and holds the records.
    assert build.manifest().stacks["edge-global"].manual_validation == {}


def tap_with(tmp_path, poc_yaml: str) -> Path:
    """TAP's params in a tmp folder with poc.yaml replaced."""
    params = tmp_path / "params"
    shutil.copytree(SYSTEM / "params", params)
    # After poc_yaml, so the line numbers errors name stay: poc.yaml's service role, which ci requires.
    role = "guards:\n  role_arn: arn:aws:iam::123456789012:role/tap-poc-cloudformation\n"
    (params / "poc.yaml").write_text("ci:\n  create_provider: true\n" + poc_yaml + role)
    return params


def test_2_3_and_2_8_the_domain_is_written_once_and_every_url_cookie_and_origin_follows_it(tmp_path):
    """Issue 14: edge.domain alone moves CORS, the cookie domain, Cognito's callback and sign-out URLs and the
    redirect URI (params write them with ${Domain} and ${ApiDomain})."""
    moved = build_environment(load_configs(tap_with(tmp_path, "edge:\n  domain: talent.example.org\n"))["poc"])
    [container] = properties(document(moved, "containers"), "TaskDefinition")["ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert picked(environment, "CORS_ORIGINS", "COOKIE_DOMAIN", "COGNITO_REDIRECT_URI") == {
        "CORS_ORIGINS": '["https://talent.example.org"]',
        "COOKIE_DOMAIN": ".talent.example.org",
        "COGNITO_REDIRECT_URI": "https://api.talent.example.org/auth/callback",
    }
    client = properties(document(moved, "auth"), "WebClient")
    assert picked(client, "CallbackURLs", "LogoutURLs") == {
        "CallbackURLs": ["https://api.talent.example.org/auth/callback"],
        "LogoutURLs": ["https://talent.example.org/login"],
    }


def test_2_8_a_url_naming_another_domain_than_edge_domain_is_refused_with_file_line_key_and_fix(
    tmp_path, monkeypatch, capsys
):
    params = tap_with(
        tmp_path,
        "auth:\n  clients:\n    web:\n      logout_urls: [https://tap.example.com/login]\n"
        "edge:\n  domain: talent.example.org\n",
    )
    monkeypatch.chdir(params.parent)
    code = generate.main(["--params", "params", "--build-dir", "build", "--env", "poc"])
    errors = capsys.readouterr().err.splitlines()
    assert code == EXIT_BAD_INPUT
    assert errors[:-1] == [
        "error: params/poc.yaml:6: auth.clients.web.logout_urls[0]: 'https://tap.example.com/login' names "
        "tap.example.com, outside edge.domain talent.example.org, so changing edge.domain would leave it behind; "
        "expected the URL written with ${Domain} or ${ApiDomain} (such as https://${ApiDomain}/auth/callback), or "
        "a host under talent.example.org"
    ]
    assert not (params.parent / "build").exists()


def test_the_domain_placeholder_needs_a_domain(tmp_path, monkeypatch, capsys):
    params = tap_with(tmp_path, "containers:\n  environment:\n    SITE: https://${Domain}\n")
    base = (params / "base.yaml").read_text()
    (params / "base.yaml").write_text(
        base.replace("  domain: tap.example.com ", "  domain: null ").replace(
            "hosted_zone_id: Z0123456789EXAMPLETAP", "hosted_zone_id: null"
        )
    )
    monkeypatch.chdir(params.parent)
    code = generate.main(["--params", "params", "--build-dir", "build", "--env", "poc"])
    errors = [line for line in capsys.readouterr().err.splitlines() if "${Domain}" in line and "SITE" in line]
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: params/poc.yaml:5: containers.environment.SITE: 'https://${Domain}' names the site's domain, and "
        "this environment has none (edge.domain is null or edge is not in stacks); expected edge.domain, or a "
        "value without ${Domain} and ${ApiDomain}"
    ]
