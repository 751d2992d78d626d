"""Pure unit: seed 004 (the Goldsport scheduler) as examples/goldsport-scheduler, fact by section."""

from __future__ import annotations

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.generate import generate
from stackyard.manifest import LambdaPackage
from tests.helpers import ROOT, json_resource, picked, properties, resources

SYSTEM = ROOT / "examples" / "goldsport-scheduler"
ENVS = ("dev", "prod")


@pytest.fixture(scope="module")
def builds():
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def document(builds, env, stack):
    return builds[env].stacks[stack].template.document


@pytest.mark.parametrize("env", ENVS)
def test_the_system_is_its_buckets_table_function_and_website_edge_and_nothing_else(builds, env):
    # storage after the function it notifies, the edge after the bucket it serves; alerts (not in the plan)
    # before the function whose failed uploads it pages about (issue 13)
    assert list(builds[env].stacks) == ["alerts", "tables", "functions", "storage", "edge"]


@pytest.mark.parametrize("env", ENVS)
def test_1_3_cloudfront_serves_the_private_website_bucket_the_processor_writes(builds, env):
    edge = document(builds, env, "edge")
    [origin] = properties(edge, "Distribution")["DistributionConfig"]["Origins"]
    assert origin["DomainName"] == {
        "Fn::Sub": [
            "${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}",
            {"Bucket": {"Fn::ImportValue": f"goldsport-scheduler-{env}-WebBucketName"}},
        ]
    }
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["FrontendOriginAccess", "Id"]}
    # no second website bucket beside storage's: the edge's one bucket holds CloudFront's access logs (issue 13)
    assert set(resources(edge, "AWS::S3::Bucket")) == {"CdnLogsBucket"}
    web = properties(document(builds, env, "storage"), "WebBucket")
    assert web["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


@pytest.mark.parametrize("env", ENVS)
def test_1_3_only_this_distribution_reads_the_website_bucket_and_only_its_objects(builds, env):
    """The site bucket's policy admits the one distribution serving it (issue 14), so it lives in the edge
    stack, which creates that distribution after storage has created the bucket."""
    policy = properties(document(builds, env, "edge"), "SiteBucketPolicy")
    assert policy["Bucket"] == {"Fn::ImportValue": f"goldsport-scheduler-{env}-WebBucketName"}
    statements = policy["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "AllowCloudFrontToReadTheSite"]
    assert picked(statements[1], "Principal", "Action", "Condition") == {
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": ["s3:GetObject"],
        "Condition": {
            "StringEquals": {
                "AWS:SourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                }
            }
        },
    }
    storage = document(builds, env, "storage")
    assert "WebBucketPolicy" not in storage["Resources"]  # one policy per bucket: the edge's
    input_policy = properties(storage, "InputBucketPolicy")["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in input_policy] == ["DenyInsecureTransport"]  # the uploads stay private


@pytest.mark.parametrize("env", ENVS)
def test_1_5_the_processor_may_invalidate_the_distribution_serving_what_it_writes_and_nothing_else(builds, env):
    """Issue 14: the processor writes the website bucket behind a caching distribution."""
    edge = document(builds, env, "edge")
    policy = properties(edge, "SiteWritersInvalidate")
    assert policy["Roles"] == [{"Fn::ImportValue": f"goldsport-scheduler-{env}-ProcessorFunctionRoleName"}]
    invalidate, read_id = policy["PolicyDocument"]["Statement"]
    assert picked(invalidate, "Action", "Resource") == {
        "Action": ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}],
    }
    assert read_id["Action"] == ["ssm:GetParameter"]
    parameter = properties(edge, "DistributionIdParameter")
    assert picked(parameter, "Name", "Value") == {
        "Name": f"/goldsport-scheduler/{env}/edge/distribution-id",
        "Value": {"Ref": "Distribution"},
    }
    variables = properties(document(builds, env, "functions"), "ProcessorFunction")["Environment"]["Variables"]
    assert variables["SITE_DISTRIBUTION_ID_PARAMETER"] == parameter["Name"]
    # edge deploys after functions (it imports the role), so no cycle: functions -> storage -> edge
    assert "functions" in builds[env].manifest().stacks["edge"].depends_on


@pytest.mark.parametrize("env", ENVS)
def test_1_3_the_website_is_plain_files_at_cloudfronts_own_name_without_waf_or_load_balancer(builds, env):
    edge = document(builds, env, "edge")
    config = properties(edge, "Distribution")["DistributionConfig"]
    assert picked(
        config,
        "DefaultRootObject",
        "PriceClass",
        "ViewerCertificate",
        "WebACLId",
        "CacheBehaviors",
        "CustomErrorResponses",
    ) == {
        "DefaultRootObject": "index.html",
        "PriceClass": "PriceClass_100",
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "WebACLId": None,
        "CacheBehaviors": None,
        "CustomErrorResponses": None,
    }
    assert "FunctionAssociations" not in config["DefaultCacheBehavior"]  # no SPA rewriting of its pages
    assert {resource["Type"] for resource in edge["Resources"].values()} == {
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::S3::BucketPolicy",  # the site bucket's, scoped to this distribution; the access-log bucket's, TLS only
        "AWS::IAM::Policy",  # the processor invalidates it
        "AWS::SSM::Parameter",  # and finds its id here
        "AWS::S3::Bucket",  # CloudFront's access logs (issue 13 §4)
    }
    assert "Parameters" not in edge and "edge-global" not in builds[env].stacks


def test_local_keeps_to_its_buckets_and_the_website_bucket_stays_private_there(builds):
    assert list(builds["local"].stacks) == ["storage"]
    statements = properties(document(builds, "local", "storage"), "WebBucketPolicy")["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport"]


@pytest.mark.parametrize("env", ENVS)
def test_1_2_the_input_bucket_is_unversioned_and_retained(builds, env):
    resource = document(builds, env, "storage")["Resources"]["InputBucket"]
    assert "VersioningConfiguration" not in resource["Properties"]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert resource["Properties"]["BucketName"] == {
        "Fn::Sub": f"goldsport-scheduler-{env}-input-${{AWS::AccountId}}-${{AWS::Region}}"
    }


@pytest.mark.parametrize("env", ENVS)
def test_1_4_the_data_table_is_on_demand_with_pk_and_sk_retained(builds, env):
    table = document(builds, env, "tables")["Resources"]["DataTable"]
    assert picked(table["Properties"], "TableName", "BillingMode", "KeySchema") == {
        "TableName": f"goldsport-scheduler-{env}-data",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    }
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert (table["DeletionPolicy"], table["Properties"]["DeletionProtectionEnabled"]) == ("Retain", True)


@pytest.mark.parametrize("env", ENVS)
def test_1_5_the_processor_runs_python_3_11_for_5_minutes_with_512_mb_and_its_environment(builds, env):
    function = properties(document(builds, env, "functions"), "ProcessorFunction")
    assert picked(function, "FunctionName", "Runtime", "Handler", "Timeout", "MemorySize") == {
        "FunctionName": f"goldsport-scheduler-{env}-processor",
        "Runtime": "python3.11",
        "Handler": "handler.main",
        "Timeout": 300,
        "MemorySize": 512,
    }
    assert function["Environment"]["Variables"] == {
        "DATA_TABLE": f"goldsport-scheduler-{env}-data",
        "WEBSITE_BUCKET": {"Fn::Sub": f"goldsport-scheduler-{env}-web-${{AWS::AccountId}}-${{AWS::Region}}"},
        "SITE_DISTRIBUTION_ID_PARAMETER": f"/goldsport-scheduler/{env}/edge/distribution-id",
    }
    assert builds[env].manifest().stacks["functions"].packages == {
        "ProcessorCode": LambdaPackage("lambdas/processor", {}, "python3.11", "x86_64")
    }


def test_1_5_the_processor_reads_input_writes_the_website_and_the_table_and_nothing_more(builds):
    [policy] = properties(document(builds, "dev", "functions"), "ProcessorRole")["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    granted = {
        (action, json_resource(resource))
        for statement in statements
        for action in statement["Action"]
        for resource in statement["Resource"]
    }

    def bucket(key):
        return f"arn:${{AWS::Partition}}:s3:::goldsport-scheduler-dev-{key}-${{AWS::AccountId}}-${{AWS::Region}}/*"

    assert ("s3:GetObject", bucket("input")) in granted
    assert ("s3:PutObject", bucket("input")) not in granted
    assert ("s3:PutObject", bucket("web")) in granted
    assert ("s3:GetObject", bucket("web")) in granted
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/goldsport-scheduler-dev-data"
    assert ("dynamodb:PutItem", table) in granted and ("dynamodb:Query", table) in granted
    assert not [action for action, _ in granted if action.endswith(":*") or action == "*"]


@pytest.mark.parametrize("env", ENVS)
def test_1_6_uploads_under_orders_and_instructors_invoke_the_processor(builds, env):
    storage = document(builds, env, "storage")
    configurations = properties(storage, "InputBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    assert [(item["Event"], item["Filter"]["S3Key"]["Rules"], item["Function"]) for item in configurations] == [
        (
            "s3:ObjectCreated:*",
            [{"Name": "prefix", "Value": prefix}],
            {"Fn::ImportValue": f"goldsport-scheduler-{env}-ProcessorFunctionArn"},
        )
        for prefix in ("orders/", "instructors/")
    ]
    [permission] = resources(document(builds, env, "functions"), "AWS::Lambda::Permission").values()
    assert picked(permission["Properties"], "Principal", "SourceArn", "SourceAccount") == {
        "Principal": "s3.amazonaws.com",
        "SourceArn": {
            "Fn::Sub": f"arn:${{AWS::Partition}}:s3:::goldsport-scheduler-{env}-input-"
            f"${{AWS::AccountId}}-${{AWS::Region}}"
        },
        "SourceAccount": {"Ref": "AWS::AccountId"},
    }


@pytest.mark.parametrize(("env", "kept"), [("dev", "Retain"), ("prod", "Retain")])
def test_1_6_an_upload_the_processor_fails_on_is_kept_and_pages_after_lambdas_two_retries(builds, env, kept):
    """S3 invokes asynchronously: a failed event goes to a queue, not away (issue 13 §4, rule E9015)."""
    functions = document(builds, env, "functions")
    assert properties(functions, "ProcessorAsyncInvokeConfig") == {
        "FunctionName": {"Ref": "ProcessorFunction"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["ProcessorFailuresQueue", "Arn"]}}},
    }
    queue = functions["Resources"]["ProcessorFailuresQueue"]
    assert picked(queue["Properties"], "QueueName", "MessageRetentionPeriod", "SqsManagedSseEnabled") == {
        "QueueName": f"goldsport-scheduler-{env}-processor-failures",
        "MessageRetentionPeriod": 14 * 86_400,
        "SqsManagedSseEnabled": True,
    }
    assert (queue["DeletionPolicy"], queue["UpdateReplacePolicy"]) == (kept, kept)
    [policy] = properties(functions, "ProcessorRole")["Policies"]
    assert {
        "Sid": "SendFailedEvents",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [{"Fn::GetAtt": ["ProcessorFailuresQueue", "Arn"]}],
    } in policy["PolicyDocument"]["Statement"]
    failed = properties(functions, "ProcessorFailedEventsAlarm")
    errors = properties(functions, "ProcessorErrorsAlarm")
    assert (failed["MetricName"], failed["Dimensions"]) == (
        "ApproximateNumberOfMessagesVisible",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ProcessorFailuresQueue", "QueueName"]}}],
    )
    assert failed["AlarmActions"] == [{"Fn::ImportValue": f"goldsport-scheduler-{env}-CriticalTopicArn"}]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["AlarmActions"] == [{"Fn::ImportValue": f"goldsport-scheduler-{env}-WarningTopicArn"}]


def test_the_processor_source_is_a_real_handler(builds):
    source = (SYSTEM / "lambdas" / "processor" / "handler.py").read_text()
    assert "def main(event, context)" in source


@pytest.mark.slow
def test_every_environment_is_clean_under_cfn_lint_and_the_projects_rules(tmp_path):
    result = generate(SYSTEM / "params", tmp_path / "build")
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)
