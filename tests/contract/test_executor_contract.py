"""Contract (botocore Stubber): how the executor drives CloudFormation through what goes wrong.

Each test scripts the exact calls the executor must make, in order, with AWS's responses:
recovering stacks an earlier run left stuck, a no-op change set, a change set that would lose
data or break an import, and a failure reported with its resources' reasons.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from stackyard.aws import CLIENT_CONFIG, ChangeSet, CloudFormation, Ec2, ResourceChange
from stackyard.errors import StackyardError
from stackyard.executor import Deployer, DeployOptions, Environment
from stackyard.manifest import ManagedPrefixList
from stackyard.progress import Progress
from stackyard.status import StackState, classify
from tests.helpers.manifests import manifest, stack_entry

REGION = "ap-southeast-1"
NAME = "one-system-test-messaging"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/{NAME}/abc"
CHANGE_SET_ID = f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/stackyard-run/abc"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class StubbedAws:
    def __init__(self, client):
        self.client = client

    def cloudformation(self, region):
        return CloudFormation(self.client)


@pytest.fixture
def stubbed(tmp_path):
    client = boto3.client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y", config=CLIENT_CONFIG
    )
    environment = manifest("test", REGION, {"messaging": stack_entry(NAME, REGION)})
    out = io.StringIO()
    with (
        Progress("test", ["messaging"], tmp_path / "run.log", out=out, live=False) as progress,
        Stubber(client) as stubber,
    ):

        def deployer(**options):
            return Deployer(
                StubbedAws(client),
                Environment(environment, tmp_path),
                progress,
                DeployOptions(**options),
                sleep=lambda seconds: None,
                run_id="run",
            )

        yield deployer, stubber, out
        stubber.assert_no_pending_responses()


def stacks(status, **extra):
    return {
        "Stacks": [{"StackName": NAME, "StackId": STACK_ID, "StackStatus": status, "CreationTime": LONG_AGO, **extra}]
    }


def missing(stubber):
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack with id {NAME} does not exist")


def events(stubber, *items):
    now = datetime.now(UTC) + timedelta(seconds=5)
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": STACK_ID,
                    "EventId": f"e{index}",
                    "StackName": NAME,
                    "LogicalResourceId": logical_id,
                    "ResourceType": resource_type,
                    "Timestamp": now - timedelta(milliseconds=index),
                    "ResourceStatus": status,
                    **({"ResourceStatusReason": reason} if reason else {}),
                }
                for index, (logical_id, resource_type, status, reason) in enumerate(items)
            ]
        },
        {"StackName": NAME},
    )


def test_a_failed_first_create_is_deleted_and_then_created_again(stubbed):
    deployer, stubber, out = stubbed
    stubber.add_response("describe_stacks", stacks("ROLLBACK_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "delete_stack", {}, {"StackName": NAME, "ClientRequestToken": "stackyard-run-messaging-delete-failed-create"}
    )
    stubber.add_response("describe_stack_events", {"StackEvents": []}, {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", stacks("DELETE_COMPLETE"), {"StackName": STACK_ID})  # watched by id
    missing(stubber)  # the recovery looks again by name: nothing left, so create
    deployer_ = deployer()
    assert deployer_._recover("messaging", NAME, deployer_.aws.cloudformation(REGION)) == (None, False)
    assert "ROLLBACK_COMPLETE: delete the failed first create, then create again" in out.getvalue()


def test_a_plan_only_reports_a_failed_first_create_and_deletes_nothing(stubbed):
    deployer, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stacks("ROLLBACK_COMPLETE"), {"StackName": NAME})
    outcome = deployer(plan_only=True).deploy_stack("messaging")
    assert (outcome.result, outcome.detail) == (
        "planned",
        "would delete the failed first create (ROLLBACK_COMPLETE) and create it",
    )


def test_a_failed_update_rollback_is_continued_until_the_stack_is_ready(stubbed):
    deployer, stubber, _out = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_FAILED"), {"StackName": NAME})
    stubber.add_response("continue_update_rollback", {}, {"StackName": NAME, "ClientRequestToken": ANY})
    events(stubber)
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": NAME})
    events(stubber, (NAME, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_COMPLETE"), {"StackName": NAME})
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_COMPLETE"), {"StackName": NAME})
    deployer_ = deployer()
    current, recreate = deployer_._recover("messaging", NAME, deployer_.aws.cloudformation(REGION))
    assert (current.status, recreate) == ("UPDATE_ROLLBACK_COMPLETE", False)
    assert classify(NAME, current.status) is StackState.READY


def test_a_stack_another_run_is_changing_is_waited_for_not_fought(stubbed):
    deployer, stubber, out = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": NAME})
    events(stubber, ("Queue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": NAME})
    events(stubber, ("Queue", "AWS::SQS::Queue", "UPDATE_COMPLETE", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    deployer_ = deployer()
    current, _ = deployer_._recover("messaging", NAME, deployer_.aws.cloudformation(REGION))
    assert current.status == "UPDATE_COMPLETE"
    assert "UPDATE_IN_PROGRESS: wait for the running operation" in out.getvalue()
    assert "Queue" in out.getvalue() and "UPDATE_COMPLETE" in out.getvalue()  # its events were shown


def change_set(status="CREATE_COMPLETE", reason=None, changes=()):
    return {
        "ChangeSetId": CHANGE_SET_ID,
        "Status": status,
        "ExecutionStatus": "AVAILABLE",
        **({"StatusReason": reason} if reason else {}),
        "Changes": [
            {
                "Type": "Resource",
                "ResourceChange": {
                    "Action": action,
                    "LogicalResourceId": logical_id,
                    "ResourceType": resource_type,
                    **({"Replacement": replacement} if replacement else {}),
                },
            }
            for action, logical_id, resource_type, replacement in changes
        ],
    }


def test_a_change_set_without_changes_is_deleted_and_the_stack_reported_unchanged(stubbed):
    deployer, stubber, _ = stubbed
    stubber.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID},
        {
            "StackName": NAME,
            "ChangeSetName": "stackyard-run",
            "ChangeSetType": "UPDATE",
            "Description": ANY,
            "TemplateBody": "{}",
            "Parameters": [],
            "Tags": [],
            "Capabilities": ANY,
            "IncludeNestedStacks": True,
        },
    )
    stubber.add_response("describe_change_set", change_set("CREATE_PENDING"), {"ChangeSetName": CHANGE_SET_ID})
    stubber.add_response(
        "describe_change_set",
        change_set(
            "FAILED",
            "The submitted information didn't contain changes. Submit different information to create a change set.",
        ),
        {"ChangeSetName": CHANGE_SET_ID},
    )
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    deployer_ = deployer()
    packaged = type("Packaged", (), {"source": {"TemplateBody": "{}"}})()
    from stackyard.plan import Action

    assert (
        deployer_._change_set("messaging", NAME, deployer_.aws.cloudformation(REGION), packaged, {}, {}, Action.UPDATE)
        is None
    )


def review(deployer_, changes, old=None, new=None):
    found = ChangeSet(CHANGE_SET_ID, "CREATE_COMPLETE", None, "AVAILABLE", changes)
    return deployer_._review("messaging", NAME, deployer_.aws.cloudformation(REGION), found, old or {}, new or {})


def test_a_change_set_that_would_replace_a_queue_is_deleted_and_the_run_stops(stubbed):
    deployer, stubber, _ = stubbed
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    with pytest.raises(
        StackyardError,
        match="the change would lose data: LineWebhookQueue \\(AWS::SQS::Queue\\) "
        "replaced. Fix: if that is intended, rerun with --allow-replace",
    ):
        review(deployer(), [ResourceChange("Modify", "LineWebhookQueue", "AWS::SQS::Queue", "True")])


def test_allow_replace_lets_it_through_without_asking_when_not_interactive(stubbed):
    deployer, _, _ = stubbed
    described = review(
        deployer(allow_replace=True), [ResourceChange("Modify", "LineWebhookQueue", "AWS::SQS::Queue", "True")]
    )
    assert described == "LineWebhookQueue (AWS::SQS::Queue) replaced"


def test_removing_an_export_another_stack_imports_stops_before_execution(stubbed):
    deployer, stubber, _ = stubbed
    stubber.add_response(
        "list_imports", {"Imports": ["one-system-test-compute"]}, {"ExportName": "one-system-test-QueueUrl"}
    )
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    old = {"Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": "one-system-test-QueueUrl"}}}}
    with pytest.raises(
        StackyardError,
        match="export one-system-test-QueueUrl \\(removed\\) is imported by one-system-test-compute.*Fix, in two steps",
    ):
        review(deployer(), [ResourceChange("Remove", "Queue", "AWS::SQS::Queue", "")], old, {"Outputs": {}})


def test_a_failed_execution_names_the_failing_resources_and_their_reasons(stubbed):
    deployer, stubber, _ = stubbed
    stubber.add_response(
        "execute_change_set",
        {},
        {"ChangeSetName": CHANGE_SET_ID, "ClientRequestToken": "stackyard-run-messaging-execute"},
    )
    failure = (
        "ReportsQueue",
        "AWS::SQS::Queue",
        "CREATE_FAILED",
        "A queue already exists with the same name and a different value for attribute VisibilityTimeout",
    )
    events(stubber, failure)
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_COMPLETE"), {"StackName": NAME})
    events(stubber, failure)
    deployer_ = deployer()
    found = ChangeSet(CHANGE_SET_ID, "CREATE_COMPLETE", None, "AVAILABLE", [])
    with pytest.raises(StackyardError) as raised:
        deployer_._execute("messaging", NAME, deployer_.aws.cloudformation(REGION), found)
    assert str(raised.value) == (
        f"stack {NAME}: UPDATE_ROLLBACK_COMPLETE: ReportsQueue (AWS::SQS::Queue): A queue "
        "already exists with the same name and a different value for attribute "
        "VisibilityTimeout"
    )


def test_a_failure_inside_a_nested_stack_is_named_by_the_resource_that_failed_there(stubbed):
    deployer, stubber, _ = stubbed
    nested_id = f"arn:aws:cloudformation:{REGION}:123456789012:stack/{NAME}-Vpc-X/def"
    now = datetime.now(UTC) + timedelta(seconds=5)

    def page(stack_id, *items):
        return {
            "StackEvents": [
                {
                    "StackId": stack_id,
                    "EventId": f"{stack_id}-{index}",
                    "StackName": NAME,
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "Timestamp": now - timedelta(milliseconds=index),
                    "ResourceStatus": status,
                    "ResourceStatusReason": reason,
                }
                for index, (logical, physical, kind, status, reason) in enumerate(items)
            ]
        }

    stubber.add_response(
        "describe_stack_events",
        page(
            STACK_ID,
            (
                "Vpc",
                nested_id,
                "AWS::CloudFormation::Stack",
                "CREATE_FAILED",
                "Embedded stack was not successfully created: The following resource(s) failed to create: [PrivateSubnet1]",
            ),
        ),
        {"StackName": NAME},
    )
    stubber.add_response(
        "describe_stack_events",
        page(
            nested_id,
            (
                "PrivateSubnet1",
                "",
                "AWS::EC2::Subnet",
                "CREATE_FAILED",
                "The CIDR '10.0.0.0/20' conflicts with another subnet",
            ),
            (
                f"{NAME}-Vpc-X",
                nested_id,
                "AWS::CloudFormation::Stack",
                "ROLLBACK_IN_PROGRESS",
                "The following resource(s) failed to create: [PrivateSubnet1]",
            ),
        ),
        {"StackName": nested_id},
    )
    deployer_ = deployer()
    reasons = deployer_._failure_reasons(NAME, deployer_.aws.cloudformation(REGION), LONG_AGO)
    assert reasons == "Vpc/PrivateSubnet1 (AWS::EC2::Subnet): The CIDR '10.0.0.0/20' conflicts with another subnet"


def test_a_managed_prefix_list_parameter_gets_the_lists_id_in_the_stacks_region(tmp_path):
    """The edge stack's CloudFrontOriginFacingPrefixListId: looked up by name where the stack deploys."""
    client = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    name = "com.amazonaws.global.cloudfront.origin-facing"
    entry = stack_entry(
        "one-system-test-edge", REGION, prefix_lists={"CloudFrontOriginFacingPrefixListId": ManagedPrefixList(name)}
    )
    regions = []

    class Aws:
        def ec2(self, region):
            regions.append(region)
            return Ec2(client)

    with (
        Progress("test", ["edge"], tmp_path / "run.log", out=io.StringIO(), live=False) as progress,
        Stubber(client) as stubber,
    ):
        stubber.add_response(
            "describe_managed_prefix_lists",
            {"PrefixLists": [{"PrefixListId": "pl-31a34658", "PrefixListName": name}]},
            {"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
        )
        deployer = Deployer(
            Aws(), Environment(manifest("test", REGION, {"edge": entry}), tmp_path), progress, DeployOptions()
        )
        assert deployer._parameters("edge", entry) == {"CloudFrontOriginFacingPrefixListId": "pl-31a34658"}
    assert regions == [REGION]
