"""Contract (botocore Stubber): the exact CloudFormation calls the planner and the appliers make, in
order, with the shapes botocore validates against the service model: recovering stacks an earlier
run left stuck, waiting on another run's operation by stack id, a no-op change set, an export in
use, and a failure reported with the stack's reason and its resources' reasons.
(tests/faults/ plays the same behaviours, and many more, through whole runs.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from stackyard.aws import CLIENT_CONFIG, Aws, StackReader
from stackyard.deploy.deployment import Deployment
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.progress import Progress
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.stack_plan import Action, Desired
from stackyard.deploy.watch import failures
from stackyard.errors import StackyardError
from tests.helpers.manifests import manifest, stack_entry

REGION = "ap-southeast-1"
NAME = "one-system-test-messaging"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/{NAME}/abc"
CHANGE_SET_ID = f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/stackyard-run/abc"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
TEMPLATE = b'{"Outputs":{"QueueUrl":{"Export":{"Name":"one-system-test-QueueUrl"},"Value":{"Ref":"Queue"}}},"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}'
NO_QUEUE = '{"Resources":{}}'


class NoSleep:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds, wake=None) -> None:
        pass


@pytest.fixture
def stubbed(tmp_path):
    client = boto3.client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y", config=CLIENT_CONFIG
    )
    (tmp_path / "messaging.json").write_bytes(TEMPLATE)
    entry = stack_entry(NAME, REGION, template="messaging.json", sha256=hashlib.sha256(TEMPLATE).hexdigest())
    environment = manifest("test", REGION, {"messaging": entry})
    out = io.StringIO()
    with (
        Progress("test", ["messaging"], tmp_path / "run.log", out=out, live=False) as progress,
        Stubber(client) as stubber,
    ):

        def deployment(**options):
            aws = Aws(client_factory=lambda service, region, config: client)
            return Deployment(
                aws, Environment(environment, tmp_path), progress, DeployOptions(**options), "run", NoSleep()
            )

        yield deployment, stubber, out
        stubber.assert_no_pending_responses()


def stacks(status, stack_id=STACK_ID, **extra):
    return {
        "Stacks": [{"StackName": NAME, "StackId": stack_id, "StackStatus": status, "CreationTime": LONG_AGO, **extra}]
    }


EVENT_IDS = itertools.count()  # unique, as CloudFormation's: a poll reads back to the last id it saw


def events(stubber, *items, stack=STACK_ID):
    now = datetime.now(UTC) + timedelta(seconds=5)
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": STACK_ID,
                    "EventId": f"e{next(EVENT_IDS)}",
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
        {"StackName": stack},
    )


def test_a_failed_first_create_is_deleted_by_stack_id_then_created_again(stubbed):
    deployment, stubber, out = stubbed
    stubber.add_response("describe_stacks", stacks("ROLLBACK_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "delete_stack", {}, {"StackName": NAME, "ClientRequestToken": "stackyard-run-messaging-delete-failed-create"}
    )
    events(stubber)
    stubber.add_response("describe_stacks", stacks("DELETE_COMPLETE"), {"StackName": STACK_ID})  # watched by id
    engine = deployment()
    plan = engine.planner.assess("messaging")
    assert (plan.recovery, plan.action) == (Recovery.DELETE_AND_CREATE, None)
    assert engine.applier.recover(plan) is None
    assert "ROLLBACK_COMPLETE: delete the failed first create, then create again" in out.getvalue()


def test_a_plan_only_reports_a_failed_first_create_and_deletes_nothing(stubbed):
    deployment, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stacks("ROLLBACK_COMPLETE"), {"StackName": NAME})
    outcome = deployment(plan_only=True).deploy_stack("messaging")
    assert (outcome.result, outcome.detail) == (
        "planned",
        "would delete the failed first create, then create again (ROLLBACK_COMPLETE: its first create failed; "
        "only a delete can follow)",
    )


def failed_queue(stubber):
    summary = {
        "LogicalResourceId": "Queue",
        "PhysicalResourceId": "https://sqs/queue",
        "ResourceType": "AWS::SQS::Queue",
        "LastUpdatedTimestamp": LONG_AGO,
        "ResourceStatus": "UPDATE_FAILED",
        "ResourceStatusReason": "deleted outside CloudFormation",
    }
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": [summary]}, {"StackName": STACK_ID})


def test_a_failed_update_rollback_is_continued_with_a_token_of_this_run_skipping_what_the_user_names(stubbed):
    deployment, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_FAILED"), {"StackName": NAME})
    failed_queue(stubber)  # the plan names the resources whose rollback failed
    failed_queue(stubber)  # --skip-resources is checked against them
    stubber.add_response(
        "continue_update_rollback",
        {},
        {
            "StackName": NAME,
            "ClientRequestToken": "stackyard-run-messaging-continue-rollback",
            "ResourcesToSkip": ["Queue"],
        },
    )
    events(stubber)
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK_ID})
    events(stubber, (NAME, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK_ID})
    engine = deployment(skip_resources=("Queue",))
    plan = engine.planner.assess("messaging")
    assert plan.reasons[1] == "failed to roll back: Queue (AWS::SQS::Queue): deleted outside CloudFormation"
    assert engine.applier.recover(plan) is None


def test_a_stack_another_run_is_changing_is_waited_for_by_stack_id_not_fought(stubbed):
    deployment, stubber, out = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": NAME})
    events(stubber, ("Queue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": STACK_ID})
    events(stubber, ("Queue", "AWS::SQS::Queue", "UPDATE_COMPLETE", None))  # no end yet: events only
    events(stubber, (NAME, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", None))  # its own: now described
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "get_template", {"TemplateBody": TEMPLATE.decode()}, {"StackName": NAME, "TemplateStage": "Original"}
    )
    plan = deployment().planner.assess("messaging")
    assert (plan.recovery, plan.action) == (Recovery.NONE, Action.UNCHANGED)
    assert "UPDATE_IN_PROGRESS: wait for the running operation" in out.getvalue()
    assert "Queue" in out.getvalue() and "UPDATE_COMPLETE" in out.getvalue()  # its events were shown


def test_a_stack_whose_description_lags_its_end_event_is_described_again_until_it_ends(stubbed):
    """The stack's own end event comes once; DescribeStacks may still say IN_PROGRESS then."""
    deployment, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": NAME})
    events(stubber)
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": STACK_ID})
    events(stubber, (NAME, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", None))
    stubber.add_response("describe_stacks", stacks("UPDATE_IN_PROGRESS"), {"StackName": STACK_ID})  # lags
    events(stubber)  # nothing new
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": STACK_ID})
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "get_template", {"TemplateBody": TEMPLATE.decode()}, {"StackName": NAME, "TemplateStage": "Original"}
    )
    plan = deployment().planner.assess("messaging")
    assert (plan.recovery, plan.action) == (Recovery.NONE, Action.UNCHANGED)


def change_set(status="CREATE_COMPLETE", reason=None, changes=()):
    return {
        "ChangeSetId": CHANGE_SET_ID,
        "StackId": STACK_ID,
        "Status": status,
        "ExecutionStatus": "AVAILABLE",
        **({"StatusReason": reason} if reason else {}),
        "Changes": [
            {
                "Type": "Resource",
                "ResourceChange": {"Action": action, "LogicalResourceId": logical_id, "ResourceType": resource_type},
            }
            for action, logical_id, resource_type in changes
        ],
    }


def expect_change_set(stubber, template: str) -> None:
    stubber.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID},
        {
            "StackName": NAME,
            "ChangeSetName": "stackyard-run",
            "ChangeSetType": "UPDATE",
            "Description": "stackyard run run",
            "TemplateBody": template,
            "Parameters": [],
            "Tags": [],
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "IncludeNestedStacks": True,
            # guards.rollback_triggers off: the empty configuration removes triggers set earlier (docs/deploy.md)
            "RollbackConfiguration": {"RollbackTriggers": [], "MonitoringTimeInMinutes": 0},
        },
    )


def assessed_update(stubber, deployed_template: str):
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "get_template", {"TemplateBody": deployed_template}, {"StackName": NAME, "TemplateStage": "Original"}
    )


def test_a_change_set_without_changes_is_deleted_and_the_stack_reported_unchanged(stubbed):
    deployment, stubber, _ = stubbed
    assessed_update(stubber, NO_QUEUE)
    expect_change_set(stubber, TEMPLATE.decode())
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
    engine = deployment()
    plan = engine.planner.propose(engine.planner.assess("messaging"))
    assert (plan.action, plan.change_set) == (Action.UNCHANGED, None)
    assert plan.reasons[-1] == "CloudFormation's change set found no changes"


def test_removing_an_export_another_stack_imports_is_refused_before_execution(stubbed):
    deployment, stubber, _ = stubbed
    stubber.add_response("describe_stacks", stacks("UPDATE_COMPLETE"), {"StackName": NAME})
    stubber.add_response(
        "get_template", {"TemplateBody": TEMPLATE.decode()}, {"StackName": NAME, "TemplateStage": "Original"}
    )
    engine = deployment()
    assessed = engine.planner.assess("messaging")
    # The deploy would remove the queue and its export (a template without them).
    emptied = Desired({"Resources": {}}, {"TemplateBody": NO_QUEUE}, {}, {})
    expect_change_set(stubber, NO_QUEUE)
    stubber.add_response(
        "describe_change_set",
        change_set(changes=[("Remove", "Queue", "AWS::SQS::Queue")]),
        {"ChangeSetName": CHANGE_SET_ID},
    )
    stubber.add_response(
        "list_imports", {"Imports": ["one-system-test-compute"]}, {"ExportName": "one-system-test-QueueUrl"}
    )
    stubber.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    plan = engine.planner.propose(dataclasses.replace(assessed, action=Action.UPDATE, desired=emptied))
    with pytest.raises(
        StackyardError,
        match="export one-system-test-QueueUrl \\(removed\\) is imported by one-system-test-compute.*Fix, in two steps",
    ):
        engine.applier.apply(plan)


def test_a_failed_execution_names_the_stack_reason_and_the_failing_resources(stubbed):
    deployment, stubber, _ = stubbed
    assessed_update(stubber, NO_QUEUE)
    expect_change_set(stubber, TEMPLATE.decode())
    stubber.add_response(
        "describe_change_set",
        change_set(changes=[("Add", "Queue", "AWS::SQS::Queue")]),
        {"ChangeSetName": CHANGE_SET_ID},
    )
    stubber.add_response(
        "execute_change_set",
        {},
        {"ChangeSetName": CHANGE_SET_ID, "ClientRequestToken": "stackyard-run-messaging-execute"},
    )
    failure = ("Queue", "AWS::SQS::Queue", "CREATE_FAILED", "A queue already exists with the same name")
    events(stubber, failure)
    reason = "The following resource(s) failed to create: [Queue]. "
    stubber.add_response(
        "describe_stacks", stacks("UPDATE_ROLLBACK_COMPLETE", StackStatusReason=reason), {"StackName": STACK_ID}
    )
    events(stubber, failure)
    engine = deployment()
    plan = engine.planner.propose(engine.planner.assess("messaging"))
    with pytest.raises(StackyardError) as raised:
        engine.applier.apply(plan)
    assert str(raised.value) == (
        f"stack {NAME}: UPDATE_ROLLBACK_COMPLETE ({reason}): Queue (AWS::SQS::Queue): A queue already exists with "
        "the same name"
    )


def test_a_failure_inside_a_nested_stack_is_named_by_the_resource_that_failed_there():
    client = boto3.client("cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
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

    embedded = "Embedded stack was not successfully created: The following resource(s) failed to create: [Subnet1]"
    with Stubber(client) as stubber:
        stubber.add_response(
            "describe_stack_events",
            page(STACK_ID, ("Vpc", nested_id, "AWS::CloudFormation::Stack", "CREATE_FAILED", embedded)),
            {"StackName": STACK_ID},
        )
        stubber.add_response(
            "describe_stack_events",
            page(
                nested_id,
                ("Subnet1", "", "AWS::EC2::Subnet", "CREATE_FAILED", "The CIDR '10.0.0.0/20' conflicts"),
                (f"{NAME}-Vpc-X", nested_id, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", "failed: [Subnet1]"),
            ),
            {"StackName": nested_id},
        )
        found = failures(STACK_ID, StackReader(client), LONG_AGO)
    assert found == ["Vpc/Subnet1 (AWS::EC2::Subnet): The CIDR '10.0.0.0/20' conflicts"]
