"""Integration (moto, in-process): verify's checks that read AWS (docs/deploy.md, "Verify") against real-behaving
S3, CloudWatch, DynamoDB and CloudFormation. Stacks are created in moto's CloudFormation from small templates
of the types it builds (a bucket, a table); its CloudFormation does not build alarms, so the alarms stack's
listing is given (VerifyContext.listed) and the alarms themselves are moto's."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from stackyard.aws import Aws, StackResource
from stackyard.config.verify import PlannedCheck
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.verify.context import VerifyContext
from stackyard.deploy.verify.probes import Probes
from stackyard.deploy.verify.runner import CheckResult, run_check
from tests.helpers.manifests import manifest, stack_entry

REGION = "ap-southeast-1"
PRIVATE, OPEN = "vfy-test-data", "vfy-test-open"
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def storage_template(*buckets: str) -> str:
    resources: dict = {
        f"Bucket{index}": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}
        for index, name in enumerate(buckets)
    }
    resources["Jobs"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": "vfy-test-jobs",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "job_id", "AttributeType": "S"},
                {"AttributeName": "user_id", "AttributeType": "S"},
            ],
            "KeySchema": [{"AttributeName": "job_id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "user-id-index",
                    "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        },
    }
    return json.dumps({"Resources": resources})


def tls_only(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": ["s3:*"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


@pytest.fixture
def aws(monkeypatch):
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield Aws(region=REGION)


def deployed(aws: Aws, *buckets: str, alarms: tuple[str, ...] = ()) -> VerifyContext:
    """Stacks storage (the buckets, a table) and alerts (a topic; the alarms, when given) deployed; a context
    reading them."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="vfy-test-storage", TemplateBody=storage_template(*buckets))
    topic = {"Resources": {"Critical": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "vfy-test-critical"}}}}
    alerts_id = cloudformation.create_stack(StackName="vfy-test-alerts", TemplateBody=json.dumps(topic))["StackId"]
    stacks = {
        "storage": stack_entry("vfy-test-storage", REGION),
        "alerts": stack_entry("vfy-test-alerts", REGION),
    }
    environment = Environment(manifest("test", REGION, stacks, app="vfy"), Path("."))
    context = VerifyContext(aws, environment, DeployOptions(), Probes(bucket_url=None), 5)
    context.read_stacks()
    if alarms:
        context.listed[alerts_id] = [
            StackResource(f"Alarm{index}", "AWS::CloudWatch::Alarm", name, "CREATE_COMPLETE")
            for index, name in enumerate(alarms)
        ]
    return context


def alarm(name: str) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=name,
        MetricName="ApproximateNumberOfMessagesVisible",
        Namespace="AWS/SQS",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )


def check(context: VerifyContext, kind: str) -> CheckResult:
    return run_check(PlannedCheck(kind, kind, "", ""), context)


def test_private_tls_only_buckets_pass_and_an_open_one_fails_naming_what_is_off(aws):
    context = deployed(aws, PRIVATE, OPEN)
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_public_access_block(Bucket=PRIVATE, PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_policy(Bucket=PRIVATE, Policy=tls_only(PRIVATE))
    s3.put_public_access_block(Bucket=OPEN, PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False})
    private = check(context, "buckets-private")
    assert (private.result, private.evidence) == ("FAIL", f"{OPEN}: BlockPublicPolicy off")
    tls = check(context, "buckets-tls-only")
    assert (tls.result, tls.evidence) == ("FAIL", f"{OPEN}: no policy statement denies requests without TLS")
    s3.put_public_access_block(Bucket=OPEN, PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_policy(Bucket=OPEN, Policy=tls_only(OPEN))
    assert check(context, "buckets-private") == CheckResult(
        "buckets-private", "pass", "2 buckets block all public access (no anonymous read: an emulator)"
    )
    assert check(context, "buckets-tls-only").evidence == (
        "2 buckets deny every request without TLS (aws:SecureTransport false)"
    )


def test_a_bucket_without_any_public_access_block_fails_on_all_four_settings(aws):
    context = deployed(aws, OPEN)
    result = check(context, "buckets-private")
    assert result.result == "FAIL"
    assert result.evidence.split("; ") == [
        f"{OPEN}: {name} off"
        for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    ]


def test_alarms_pass_while_quiet_and_fail_firing_or_missing(aws):
    for name in ("vfy-test dlq", "vfy-test latency"):
        alarm(name)
    context = deployed(aws, PRIVATE, alarms=("vfy-test dlq", "vfy-test latency", "vfy-test gone"))
    result = check(context, "alarms")
    assert (result.result, result.evidence) == ("FAIL", "3 alarms: 2 OK; missing: vfy-test gone")
    alarm("vfy-test gone")
    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
        AlarmName="vfy-test latency", StateValue="ALARM", StateReason="p95 above 5 s"
    )
    result = check(context, "alarms")
    assert (result.result, result.evidence) == (
        "FAIL",
        "3 alarms: 1 ALARM, 2 OK; in ALARM: vfy-test latency",
    )
    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
        AlarmName="vfy-test latency", StateValue="INSUFFICIENT_DATA", StateReason="no data yet"
    )
    assert check(context, "alarms") == CheckResult("alarms", "pass", "3 alarms: 1 INSUFFICIENT_DATA, 2 OK")


def test_tables_and_their_indexes_are_active_and_every_stack_is_complete(aws):
    context = deployed(aws, PRIVATE)
    assert check(context, "tables") == CheckResult("tables", "pass", "1 tables ACTIVE, with 1 indexes ACTIVE")
    stacks = check(context, "stacks")
    assert (stacks.result, stacks.evidence) == ("pass", "2 stacks, 3 resources, all complete")


def test_a_stack_not_deployed_fails_the_stacks_check(aws):
    context = deployed(aws, PRIVATE)
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName="vfy-test-alerts")
    context.read_stacks()
    result = check(context, "stacks")
    assert (result.result, result.evidence) == ("FAIL", "2 stacks, 2 resources: alerts: not deployed")


def test_databases_in_sync_with_their_parameter_groups_pass(aws):
    """moto's RDS answers every member and instance `in-sync` (a parameter change waiting for a reboot, which it
    cannot play, is tests/unit/deploy/test_reboots.py's)."""
    rds = boto3.client("rds", region_name=REGION)
    login = {"MasterUsername": "app", "MasterUserPassword": "not-a-real-password-1"}
    rds.create_db_cluster(DBClusterIdentifier="vfy-test-db", Engine="aurora-postgresql", **login)
    rds.create_db_instance(
        DBInstanceIdentifier="vfy-test-db-1",
        DBClusterIdentifier="vfy-test-db",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="vfy-test-solo",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        **login,
    )
    context = deployed(aws, PRIVATE)
    context.listed[context.deployed["storage"].stack_id] = [
        StackResource("Cluster", "AWS::RDS::DBCluster", "vfy-test-db", "CREATE_COMPLETE"),
        StackResource("Writer", "AWS::RDS::DBInstance", "vfy-test-db-1", "CREATE_COMPLETE"),
        StackResource("Solo", "AWS::RDS::DBInstance", "vfy-test-solo", "CREATE_COMPLETE"),
    ]
    assert check(context, "database-parameters") == CheckResult(
        "database-parameters", "pass", "2 database instances in-sync with their parameters"
    )
