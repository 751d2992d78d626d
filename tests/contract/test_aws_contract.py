"""Contract (botocore Stubber): the CloudFormation, S3 and EC2 calls stackyard makes, with the shapes AWS
accepts, and how AWS errors reach the user. No network; botocore validates every request and
stubbed response against the service models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from stackyard.aws import (
    S3,
    Aws,
    AwsError,
    CloudFormation,
    Ec2,
    ExportInUseError,
    ResourceChange,
    translated,
)
from stackyard.errors import EXIT_BAD_INPUT, BadInputError
from tests.helpers.stubs import stubbed

REGION = "ap-southeast-1"
STACK = "one-system-test-network"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/{STACK}/abc"
CHANGE_SET_ID = f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/stackyard-1/abc"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture
def cloudformation():
    yield from stubbed("cloudformation", CloudFormation, REGION)


@pytest.fixture
def s3():
    yield from stubbed("s3", S3, REGION)


@pytest.fixture
def ec2():
    yield from stubbed("ec2", Ec2, REGION)


def stack(status="UPDATE_COMPLETE", **extra):
    return {"StackName": STACK, "StackId": STACK_ID, "StackStatus": status, "CreationTime": NOW, **extra}


def test_describe_reads_status_parameters_tags_outputs_and_protection(cloudformation):
    api, stubber = cloudformation
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                stack(
                    Parameters=[
                        {"ParameterKey": "ImageId", "ParameterValue": "/aws/service/ami", "ResolvedValue": "ami-1"}
                    ],
                    Tags=[{"Key": "Environment", "Value": "test"}],
                    Outputs=[{"OutputKey": "VpcId", "OutputValue": "vpc-1"}],
                    EnableTerminationProtection=True,
                )
            ]
        },
        {"StackName": STACK},
    )
    found = api.describe(STACK)
    assert (found.status, found.parameters, found.tags, found.outputs, found.termination_protection) == (
        "UPDATE_COMPLETE",
        {"ImageId": "/aws/service/ami"},
        {"Environment": "test"},
        {"VpcId": "vpc-1"},
        True,
    )


def test_a_stack_that_does_not_exist_is_none_not_an_error(cloudformation):
    api, stubber = cloudformation
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    assert api.describe(STACK) is None


def test_change_sets_are_created_with_nested_stacks_capabilities_parameters_and_tags(cloudformation):
    api, stubber = cloudformation
    stubber.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID, "StackId": STACK_ID},
        {
            "StackName": STACK,
            "ChangeSetName": "stackyard-1",
            "ChangeSetType": "UPDATE",
            "Description": "run 1",
            "TemplateBody": "{}",
            "IncludeNestedStacks": True,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Parameters": [{"ParameterKey": "WebAclArn", "ParameterValue": "arn:waf"}],
            "Tags": [{"Key": "Environment", "Value": "test"}],
        },
    )
    assert (
        api.create_change_set(
            STACK,
            "stackyard-1",
            "UPDATE",
            {"TemplateBody": "{}"},
            {"WebAclArn": "arn:waf"},
            {"Environment": "test"},
            "run 1",
        )
        == CHANGE_SET_ID
    )


def test_a_change_set_includes_the_changes_inside_its_nested_stacks(cloudformation):
    api, stubber = cloudformation
    nested_id = CHANGE_SET_ID + "-nested"
    stubber.add_response(
        "describe_change_set",
        {
            "ChangeSetId": CHANGE_SET_ID,
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Changes": [
                {
                    "Type": "Resource",
                    "ResourceChange": {
                        "Action": "Modify",
                        "LogicalResourceId": "Vpc",
                        "ResourceType": "AWS::CloudFormation::Stack",
                        "Replacement": "False",
                        "ChangeSetId": nested_id,
                    },
                }
            ],
        },
        {"ChangeSetName": CHANGE_SET_ID},
    )
    stubber.add_response(
        "describe_change_set",
        {
            "ChangeSetId": nested_id,
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Changes": [
                {
                    "Type": "Resource",
                    "ResourceChange": {
                        "Action": "Modify",
                        "LogicalResourceId": "FlowLogGroup",
                        "ResourceType": "AWS::Logs::LogGroup",
                        "Replacement": "True",
                    },
                }
            ],
        },
        {"ChangeSetName": nested_id},
    )
    found = api.change_set(CHANGE_SET_ID)
    assert found.changes == [
        ResourceChange("Modify", "Vpc", "AWS::CloudFormation::Stack", "False"),
        ResourceChange("Modify", "FlowLogGroup", "AWS::Logs::LogGroup", "True", nested_in="Vpc"),
    ]


def test_execute_and_delete_carry_a_request_token(cloudformation):
    api, stubber = cloudformation
    stubber.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET_ID, "ClientRequestToken": "t1"})
    stubber.add_response("delete_stack", {}, {"StackName": STACK, "ClientRequestToken": "t2"})
    stubber.add_response("continue_update_rollback", {}, {"StackName": STACK, "ClientRequestToken": "t3"})
    api.execute_change_set(CHANGE_SET_ID, "t1")
    api.delete_stack(STACK, "t2")
    api.continue_update_rollback(STACK, "t3")


def event(number: int, seconds: int, status: str, logical_id: str = "Vpc", reason: str | None = None):
    found = {
        "StackId": STACK_ID,
        "EventId": f"e{number}",
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::EC2::VPC",
        "Timestamp": NOW + timedelta(seconds=seconds),
        "ResourceStatus": status,
    }
    return {**found, "ResourceStatusReason": reason} if reason else found


def test_events_come_oldest_first_and_stop_at_the_start_of_the_operation(cloudformation):
    api, stubber = cloudformation
    # newest first, across two pages; the second page reaches events from before `after`
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event(3, 30, "CREATE_COMPLETE"), event(2, 20, "CREATE_IN_PROGRESS")], "NextToken": "more"},
        {"StackName": STACK},
    )
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event(1, 10, "CREATE_IN_PROGRESS"), event(0, -60, "DELETE_COMPLETE")]},
        {"StackName": STACK, "NextToken": "more"},
    )
    found = api.events(STACK, after=NOW)
    assert [item.event_id for item in found] == ["e1", "e2", "e3"]


def test_events_since_the_last_seen_id_read_one_page_and_ignore_timestamps(cloudformation):
    """A poll reads back only to the last event it showed: one page between two polls, however many the
    operation made, and an event stamped before `after` (AWS's clock behind ours) is still shown."""
    api, stubber = cloudformation
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event(5, -5, "CREATE_COMPLETE"), event(4, 40, "CREATE_IN_PROGRESS")], "NextToken": "more"},
        {"StackName": STACK},
    )  # no second page is read: e4 was the last shown
    found, newest = api.events_since(STACK, after=NOW, last_seen="e4")
    assert [item.event_id for item in found] == ["e5"]
    assert newest == "e5"


def test_events_since_with_nothing_new_keep_the_last_seen_id(cloudformation):
    api, stubber = cloudformation
    stubber.add_response(
        "describe_stack_events", {"StackEvents": [event(4, 40, "CREATE_COMPLETE")]}, {"StackName": STACK}
    )
    stubber.add_response("describe_stack_events", {"StackEvents": []}, {"StackName": STACK})
    assert api.events_since(STACK, after=NOW, last_seen="e4") == ([], "e4")
    assert api.events_since(STACK, after=NOW, last_seen="e4") == ([], "e4")


def test_exports_nobody_imports_have_no_importers(cloudformation):
    api, stubber = cloudformation
    stubber.add_client_error("list_imports", "ValidationError", "Export 'a-test-X' is not imported by any stack.")
    stubber.add_response("list_imports", {"Imports": ["one-system-test-database"]}, {"ExportName": "a-test-Y"})
    assert api.importers("a-test-X") == []
    assert api.importers("a-test-Y") == ["one-system-test-database"]


def test_an_export_in_use_is_reported_with_the_two_step_fix(cloudformation):
    api, stubber = cloudformation
    stubber.add_client_error(
        "execute_change_set",
        "ValidationError",
        "Export one-system-test-VpcId cannot be updated as it is in use by one-system-test-db",
    )
    with pytest.raises(ExportInUseError, match="in use by one-system-test-db. Fix: first deploy the importing"):
        api.execute_change_set(CHANGE_SET_ID, "t")


def test_every_client_retries_in_adaptive_mode(monkeypatch):
    """Throttles are retried by botocore (Stubber skips its retry handler, so this checks the wiring)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    aws = Aws(region=REGION)
    for client in (aws.cloudformation(REGION).client, aws.client("s3", "us-east-1")):
        retries = client.meta.config.retries
        assert retries["mode"] == "adaptive" and retries["total_max_attempts"] == 11  # 1 try + 10 retries
    assert aws.cloudformation(REGION).client is aws.cloudformation(REGION).client  # one client per region


@pytest.mark.parametrize(
    ("code", "kind", "says"),
    [
        (
            "Throttling",
            AwsError,
            "kept throttling after retries (Rate exceeded). Fix: deploy with a lower --concurrency",
        ),
        ("ExpiredToken", BadInputError, "AWS rejected the credentials (ExpiredToken: Rate exceeded). Fix: renew them"),
        ("AccessDenied", AwsError, "access denied (Rate exceeded). Fix: the deploying identity needs CloudFormation"),
        ("InternalFailure", AwsError, "describing: InternalFailure: Rate exceeded"),
    ],
)
def test_aws_errors_become_the_projects_with_the_fix(code, kind, says):
    error = ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "DescribeStacks")
    with pytest.raises(kind) as raised, translated("describing"):
        raise error
    assert says in str(raised.value)


def test_missing_credentials_are_bad_input_before_anything_is_called(no_credentials):
    with pytest.raises(BadInputError, match="no AWS credentials found. Fix: set AWS_PROFILE") as raised:
        Aws(region=REGION).account_id(REGION)
    assert raised.value.exit_code == EXIT_BAD_INPUT


def test_an_unreachable_endpoint_is_bad_input_and_fails_fast(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    with pytest.raises(BadInputError, match="cannot reach http://127.0.0.1:9"):
        Aws(region=REGION).account_id(REGION)


def test_an_unknown_profile_is_bad_input():
    with pytest.raises(BadInputError, match="AWS profile 'nobody-has-this' not found"):
        Aws(profile="nobody-has-this")


def test_uploads_skip_keys_that_are_there_and_report_missing_ones(s3):
    api, stubber = s3
    stubber.add_response("head_object", {}, {"Bucket": "b", "Key": "templates/1.json"})
    stubber.add_client_error("head_object", "404", "Not Found", http_status_code=404)
    stubber.add_response(
        "put_object",
        {},
        {
            "Bucket": "b",
            "Key": "templates/2.json",
            "Body": b"{}",
            "ContentType": "application/json",
            "IfNoneMatch": "*",
        },
    )
    assert api.exists("b", "templates/1.json") is True
    assert api.exists("b", "templates/2.json") is False
    assert api.upload("b", "templates/2.json", b"{}", "application/json") is True


def test_every_artifact_bucket_call_names_the_expected_owner_and_a_412_upload_is_already_there():
    client = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    api = S3(client, expected_owner="123456789012")
    owner = {"ExpectedBucketOwner": "123456789012"}
    with Stubber(client) as stubber:
        stubber.add_response("head_bucket", {}, {"Bucket": "b", **owner})
        stubber.add_client_error(
            "head_object", "404", "Not Found", 404, expected_params={"Bucket": "b", "Key": "k", **owner}
        )
        put = {"Bucket": "b", "Key": "k", "Body": b"{}", "ContentType": "application/zip", "IfNoneMatch": "*", **owner}
        stubber.add_client_error(
            "put_object", "PreconditionFailed", "At least one of the pre-conditions", 412, expected_params=put
        )
        stubber.add_client_error(
            "get_object", "AccessDenied", "Access Denied", 403, expected_params={"Bucket": "b", "Key": "k", **owner}
        )
        assert api.bucket_exists("b") is True
        assert api.exists("b", "k") is False
        assert api.upload("b", "k", b"{}", "application/zip") is False  # 412: a run before put it there
        with pytest.raises(AwsError, match="Bucket b is not account 123456789012's \\(ExpectedBucketOwner\\)"):
            api.read("b", "k")
        stubber.assert_no_pending_responses()


def test_emptying_deletes_every_version_and_delete_marker(s3):
    api, stubber = s3
    stubber.add_response(
        "list_object_versions",
        {
            "Versions": [{"Key": "a", "VersionId": "1"}, {"Key": "a", "VersionId": "2"}],
            "DeleteMarkers": [{"Key": "b", "VersionId": "3"}],
        },
        {"Bucket": "b", "MaxKeys": 1000},
    )
    stubber.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "b",
            "Delete": {
                "Quiet": True,
                "Objects": [
                    {"Key": "a", "VersionId": "1"},
                    {"Key": "a", "VersionId": "2"},
                    {"Key": "b", "VersionId": "3"},
                ],
            },
        },
    )
    stubber.add_response("list_object_versions", {}, {"Bucket": "b", "MaxKeys": 1000})
    assert api.empty("b") == 3


def test_emptying_a_bucket_already_gone_is_fine(s3):
    api, stubber = s3
    stubber.add_client_error("list_object_versions", "NoSuchBucket", "The specified bucket does not exist")
    assert api.empty("gone") == 0


def test_object_lock_is_read_from_the_bucket(s3):
    api, stubber = s3
    stubber.add_response(
        "get_object_lock_configuration",
        {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}},
        {"Bucket": "locked"},
    )
    stubber.add_client_error("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError", "none")
    assert api.object_lock_enabled("locked") is True
    assert api.object_lock_enabled("plain") is False


ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def test_a_managed_prefix_list_id_is_looked_up_by_its_name(ec2):
    """The edge stack's CloudFrontOriginFacingPrefixListId: the same name in every region, another id."""
    api, stubber = ec2
    stubber.add_response(
        "describe_managed_prefix_lists",
        {"PrefixLists": [{"PrefixListId": "pl-31a34658", "PrefixListName": ORIGIN_FACING, "OwnerId": "AWS"}]},
        {"Filters": [{"Name": "prefix-list-name", "Values": [ORIGIN_FACING]}]},
    )
    assert api.managed_prefix_list_id(ORIGIN_FACING) == "pl-31a34658"


def test_a_region_without_the_prefix_list_is_a_deploy_failure_naming_it_and_the_fix(ec2):
    api, stubber = ec2
    stubber.add_response("describe_managed_prefix_lists", {"PrefixLists": []})
    with pytest.raises(AwsError, match=f"managed prefix list {ORIGIN_FACING}: this region has none.*Fix:"):
        api.managed_prefix_list_id(ORIGIN_FACING)
