"""Pure unit: seed 003 (Plot Palette, phase 1 tasks 1-4) as examples/plot-palette, fact by task."""

from __future__ import annotations

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from tests.helpers import ROOT, json_resource, picked, properties, resources

SYSTEM = ROOT / "examples" / "plot-palette"
ENVS = ("production", "test")


@pytest.fixture(scope="module")
def builds():
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def document(builds, env, stack, child=None):
    built = builds[env].stacks[stack]
    path = f"{stack}/{child}.json" if child else f"{stack}.json"
    return next(rendered.document for rendered in built.templates if rendered.path == path)


def granted(role: dict) -> set[tuple[str, str]]:
    [policy] = role["Policies"]
    return {
        (action, json_resource(resource))
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
    }


def bucket_arn(env: str) -> str:
    return f"arn:${{AWS::Partition}}:s3:::plot-palette-{env}-data-${{AWS::AccountId}}-${{AWS::Region}}"


def table_arn(env: str, key: str) -> str:
    return f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/plot-palette-{env}-{key}"


def test_phase_1_is_the_network_the_bucket_the_tables_and_the_roles():
    configs = load_configs(SYSTEM / "params")
    assert {env: config.stacks for env, config in configs.items()} == {
        "production": ["network", "storage", "tables", "roles"],
        "test": ["network", "storage", "tables", "roles"],
        "local": ["network", "storage", "roles"],
    }
    assert configs["production"].termination_protection and not configs["test"].retain_data


@pytest.mark.parametrize("env", ENVS)
def test_task_1_three_public_subnets_in_three_azs_routed_to_the_internet_and_nothing_private(builds, env):
    vpc = document(builds, env, "network", "vpc")
    assert properties(vpc, "Vpc")["CidrBlock"] == "10.0.0.0/16"
    assert properties(vpc, "Vpc")["EnableDnsHostnames"] is True
    subnets = resources(vpc, "AWS::EC2::Subnet")
    assert [
        (subnet["Properties"]["CidrBlock"], subnet["Properties"]["AvailabilityZone"]) for subnet in subnets.values()
    ] == [(f"10.0.{zone + 1}.0/24", {"Fn::Select": [zone, {"Fn::GetAZs": ""}]}) for zone in range(3)]
    assert [
        association["Properties"]["RouteTableId"]
        for association in resources(vpc, "AWS::EC2::SubnetRouteTableAssociation").values()
    ] == [{"Ref": "PublicRouteTable"}] * 3
    assert properties(vpc, "PublicDefaultRoute")["GatewayId"] == {"Ref": "InternetGateway"}
    assert {subnet["Properties"]["MapPublicIpOnLaunch"] for subnet in subnets.values()} == {True}  # reach 8.8.8.8
    assert not resources(vpc, "AWS::EC2::NatGateway")
    assert set(vpc["Outputs"]) == {
        "VpcId",
        "VpcCidr",
        "PublicSubnetIds",
        "AvailabilityZones",
        *(f"PublicSubnet{zone}Id" for zone in (1, 2, 3)),
    }


@pytest.mark.parametrize("env", ENVS)
def test_task_1_the_task_group_takes_nothing_in_and_the_endpoint_group_takes_https_from_the_vpc(builds, env):
    groups = document(builds, env, "network", "security-groups")
    task, endpoint = properties(groups, "EcsTaskSecurityGroup"), properties(groups, "VpcEndpointSecurityGroup")
    assert task["SecurityGroupIngress"] == []
    assert [picked(rule, "IpProtocol", "CidrIp") for rule in task["SecurityGroupEgress"]] == [
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}
    ]
    assert [
        picked(rule, "IpProtocol", "FromPort", "ToPort", "CidrIp") for rule in endpoint["SecurityGroupIngress"]
    ] == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/16"}]
    exports = builds[env].manifest().stacks["network"].exports
    assert {
        f"plot-palette-{env}-{name}"
        for name in (
            "VpcId",
            "PublicSubnetIds",
            "AvailabilityZones",
            "EcsTaskSecurityGroupId",
            "VpcEndpointSecurityGroupId",
        )
    } <= set(exports)


@pytest.mark.parametrize("env", ENVS)
def test_task_2_the_data_bucket_is_versioned_private_and_archives_job_outputs(builds, env):
    bucket = properties(document(builds, env, "storage"), "DataBucket")
    assert bucket["BucketName"] == {"Fn::Sub": f"plot-palette-{env}-data-${{AWS::AccountId}}-${{AWS::Region}}"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    # Only job outputs archive (issue 14): jobs/ also holds checkpoints, so the rule takes the objects under
    # jobs/ the workers tag kind=job-output (S3 ANDs a rule's prefix and tags).
    assert picked(
        rules["archive-job-outputs"], "Prefix", "TagFilters", "Transitions", "NoncurrentVersionTransitions"
    ) == {
        "Prefix": "jobs/",
        "TagFilters": [{"Key": "kind", "Value": "job-output"}],
        "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 3}],
        "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER", "TransitionInDays": 1}],
    }
    # No rule the plan did not ask for: nothing expires old versions bucket-wide.
    assert set(rules) == {"abort-incomplete-multipart-uploads", "archive-job-outputs", "tier-seed-data"}
    assert not [rule for rule in rules.values() if "NoncurrentVersionExpiration" in rule]
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert picked(rules["tier-seed-data"], "Prefix", "Transitions", "ExpirationInDays") == {
        "Prefix": "seed-data/",
        "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}],
        "ExpirationInDays": None,
    }


@pytest.mark.parametrize("env", ENVS)
def test_task_2_browsers_may_use_presigned_urls_from_any_origin_for_an_hour(builds, env):
    [cors] = properties(document(builds, env, "storage"), "DataBucket")["CorsConfiguration"]["CorsRules"]
    assert cors == {
        "AllowedOrigins": ["*"],
        "AllowedMethods": ["GET", "PUT", "POST", "DELETE"],
        "AllowedHeaders": ["*"],
        "MaxAge": 3600,
    }


@pytest.mark.parametrize("env", ENVS)
def test_task_3_four_on_demand_tables_with_their_keys_indexes_and_ttl(builds, env):
    tables = document(builds, env, "tables")
    keys = {
        name: [(key["AttributeName"], key["KeyType"]) for key in table["Properties"]["KeySchema"]]
        for name, table in resources(tables, "AWS::DynamoDB::Table").items()
    }
    assert keys == {
        "JobsTable": [("job_id", "HASH")],
        "QueueTable": [("status", "HASH"), ("job_id#timestamp", "RANGE")],
        "TemplatesTable": [("template_id", "HASH"), ("version", "RANGE")],
        "CostTrackingTable": [("job_id", "HASH"), ("timestamp", "RANGE")],
    }
    jobs, templates = properties(tables, "JobsTable"), properties(tables, "TemplatesTable")
    assert [
        (index["IndexName"], index["KeySchema"], index["Projection"]) for index in jobs["GlobalSecondaryIndexes"]
    ] == [
        (
            "user-id-index",
            [{"AttributeName": "user_id", "KeyType": "HASH"}, {"AttributeName": "created_at", "KeyType": "RANGE"}],
            {"ProjectionType": "ALL"},
        )
    ]
    assert [index["IndexName"] for index in templates["GlobalSecondaryIndexes"]] == ["user-id-index"]
    assert {"AttributeName": "version", "AttributeType": "N"} in templates["AttributeDefinitions"]
    assert properties(tables, "CostTrackingTable")["TimeToLiveSpecification"] == {
        "AttributeName": "ttl",
        "Enabled": True,
    }
    for table in resources(tables, "AWS::DynamoDB::Table").values():
        assert picked(table["Properties"], "BillingMode", "SSESpecification", "PointInTimeRecoverySpecification") == {
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        }


@pytest.mark.parametrize("env", ENVS)
def test_task_4_the_ecs_task_role_reaches_bedrock_its_prefixes_and_two_tables_only(builds, env):
    role = properties(document(builds, env, "roles"), "EcsTaskRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    access = granted(role)
    assert ("bedrock:InvokeModel", "arn:${AWS::Partition}:bedrock:*::foundation-model/*") in access
    assert {
        ("s3:PutObject", f"{bucket_arn(env)}/jobs/*"),
        ("s3:PutObjectTagging", f"{bucket_arn(env)}/jobs/*"),  # outputs are written with kind=job-output
        ("s3:DeleteObject", f"{bucket_arn(env)}/jobs/*"),
        ("s3:GetObject", f"{bucket_arn(env)}/seed-data/*"),
        ("s3:GetObject", f"{bucket_arn(env)}/sample-datasets/*"),
    } <= access
    assert not {
        (action, resource)
        for action, resource in access
        if action == "s3:PutObject" and not resource.endswith("/jobs/*")
    }
    assert {resource for action, resource in access if action == "dynamodb:PutItem"} == {
        table_arn(env, "jobs"),
        table_arn(env, "jobs") + "/index/*",
        table_arn(env, "cost-tracking"),
        table_arn(env, "cost-tracking") + "/index/*",
    }
    # The plan's /aws/ecs/plot-palette-*, narrowed to this environment's own log groups.
    assert ("logs:PutLogEvents", f"arn:${{AWS::Partition}}:logs:*:*:log-group:/aws/ecs/plot-palette-{env}-*") in access


@pytest.mark.parametrize("env", ENVS)
def test_task_4_the_lambda_role_has_the_bucket_the_four_tables_and_the_listed_services(builds, env):
    """Task 4 grants s3:* and dynamodb:*; the role gets objects and items (issue 13, docs/security.md), and
    iam:PassRole on the worker role alone, which ecs:RunTask needs to start the workers."""
    roles = document(builds, env, "roles")
    role = properties(roles, "LambdaRole")
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
    ]
    access = granted(role)
    assert {("s3:GetObject", f"{bucket_arn(env)}/*"), ("s3:PutObject", f"{bucket_arn(env)}/*")} <= access
    assert ("s3:ListBucket", bucket_arn(env)) in access
    assert {resource for action, resource in access if action == "dynamodb:PutItem" and "/index/" not in resource} == {
        table_arn(env, key) for key in ("jobs", "queue", "templates", "cost-tracking")
    }
    assert not [action for action, _ in access if action.endswith(":*")]  # no bucket or table settings
    assert ("sts:AssumeRole", f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/plot-palette-{env}-*") in access
    assert {("cognito-idp:ListUsers", "*"), ("ecs:RunTask", "*"), ("ecs:StopTask", "*")} <= access
    assert not [action for action, resource in access if resource == "*" and action.endswith("*")]
    [passing] = [statement for statement in role["Policies"][0]["PolicyDocument"]["Statement"] if "Sid" in statement]
    assert passing == {
        "Sid": "PassRoles",
        "Effect": "Allow",
        "Action": ["iam:PassRole"],
        "Resource": [{"Fn::GetAtt": ["EcsTaskRole", "Arn"]}],
        "Condition": {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}},
    }


@pytest.mark.parametrize("env", ENVS)
def test_task_4_the_amplify_role_reads_stacks_and_the_roles_are_exported(builds, env):
    roles = document(builds, env, "roles")
    assert granted(properties(roles, "AmplifyRole")) == {
        ("cloudformation:DescribeStacks", "*"),
        ("cloudformation:DescribeStackResources", "*"),
    }
    exports = builds[env].manifest().stacks["roles"].exports
    assert {f"plot-palette-{env}-{key}RoleArn" for key in ("EcsTask", "Lambda", "Amplify")} <= set(exports)


@pytest.mark.parametrize("env", ENVS)
def test_task_1_2_3_outputs_each_subnet_the_buckets_regional_domain_name_and_the_index_names(builds, env):
    """Task 1 "All 3 subnet IDs (export with names for cross-stack reference)", task 2 "Bucket regional
    domain name", task 3 "GSI names"."""

    def exported(stack):
        outputs = document(builds, env, stack)["Outputs"]
        return {output["Export"]["Name"]: output["Value"] for output in outputs.values() if "Export" in output}

    network = exported("network")
    assert [network[f"plot-palette-{env}-PublicSubnet{zone}Id"] for zone in (1, 2, 3)] == [
        {"Fn::GetAtt": ["Vpc", f"Outputs.PublicSubnet{zone}Id"]} for zone in (1, 2, 3)
    ]
    assert not [name for name in network if "PrivateSubnet" in name]  # no private tier
    assert exported("storage")[f"plot-palette-{env}-DataBucketRegionalDomainName"] == {
        "Fn::GetAtt": ["DataBucket", "RegionalDomainName"]
    }
    tables = exported("tables")
    assert {name: value for name, value in tables.items() if name.endswith("IndexName")} == {
        f"plot-palette-{env}-JobsTableUserIdIndexName": "user-id-index",
        f"plot-palette-{env}-TemplatesTableUserIdIndexName": "user-id-index",
    }
