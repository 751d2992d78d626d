"""Contract (botocore Stubber): the calls of the guards (docs/deploy.md, "Guards") with the shapes AWS accepts and
answers: stack policies, drift detection, RollbackStack, and the guards' arguments to CreateChangeSet,
ExecuteChangeSet, DeleteStack and ContinueUpdateRollback. No network; botocore validates every request and
stubbed response against the CloudFormation service model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from stackyard import stack_policy
from stackyard.aws import CloudFormation, GuardWriter
from stackyard.aws.errors import AwsError
from stackyard.aws.guards import DriftDetection, PropertyDifference, ResourceDrift
from stackyard.deploy.guards import no_rollback, triggers
from tests.contract.test_aws_contract import CHANGE_SET_ID, REGION, STACK, STACK_ID
from tests.helpers.stubs import stubbed

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/one-system-test-cloudformation"


@pytest.fixture
def guards():
    yield from stubbed("cloudformation", GuardWriter, REGION)


@pytest.fixture
def cloudformation():
    yield from stubbed("cloudformation", CloudFormation, REGION)


def test_a_stack_policy_is_set_as_its_json_text_and_read_back(guards):
    api, stubber = guards
    policy = json.dumps(stack_policy.protective({"AWS::S3::Bucket"}), sort_keys=True)
    stubber.add_response("set_stack_policy", {}, {"StackName": STACK_ID, "StackPolicyBody": policy})
    stubber.add_response("get_stack_policy", {"StackPolicyBody": policy}, {"StackName": STACK_ID})
    api.set_stack_policy(STACK_ID, policy)
    assert stack_policy.same(api.stack_policy(STACK_ID), stack_policy.protective({"AWS::S3::Bucket"}))


def test_a_stack_without_a_policy_answers_none(guards):
    api, stubber = guards
    stubber.add_response("get_stack_policy", {}, {"StackName": STACK})
    assert api.stack_policy(STACK) is None


def test_drift_detection_is_started_waited_for_and_its_drifts_read(guards):
    api, stubber = guards
    stubber.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-1"}, {"StackName": STACK_ID})
    stubber.add_response(
        "describe_stack_drift_detection_status",
        {
            "StackId": STACK_ID,
            "StackDriftDetectionId": "d-1",
            "DetectionStatus": "DETECTION_FAILED",
            "DetectionStatusReason": "Failed to detect drift on resource [Key]",
            "StackDriftStatus": "DRIFTED",
            "Timestamp": NOW,
        },
        {"StackDriftDetectionId": "d-1"},
    )
    stubber.add_response(
        "describe_stack_resource_drifts",
        {
            "StackResourceDrifts": [
                {
                    "StackId": STACK_ID,
                    "LogicalResourceId": "Queue",
                    "PhysicalResourceId": "https://sqs/queue",
                    "ResourceType": "AWS::SQS::Queue",
                    "StackResourceDriftStatus": "MODIFIED",
                    "Timestamp": NOW,
                    "PropertyDifferences": [
                        {
                            "PropertyPath": "/MessageRetentionPeriod",
                            "ExpectedValue": "345600",
                            "ActualValue": "1209600",
                            "DifferenceType": "NOT_EQUAL",
                        }
                    ],
                }
            ]
        },
        {"StackName": STACK_ID, "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"]},
    )
    assert api.detect_drift(STACK_ID) == "d-1"
    assert api.drift_detection("d-1") == DriftDetection(
        "DETECTION_FAILED", "DRIFTED", "Failed to detect drift on resource [Key]"
    )
    assert api.drifted_resources(STACK_ID) == [
        ResourceDrift(
            "Queue",
            "AWS::SQS::Queue",
            "MODIFIED",
            (PropertyDifference("/MessageRetentionPeriod", "345600", "1209600", "NOT_EQUAL"),),
        )
    ]


def test_a_kept_failure_is_rolled_back_with_the_role_and_a_token(guards):
    api, stubber = guards
    stubber.add_response(
        "rollback_stack", {"StackId": STACK_ID}, {"StackName": STACK, "ClientRequestToken": "t1", "RoleARN": ROLE}
    )
    stubber.add_response("rollback_stack", {"StackId": STACK_ID}, {"StackName": STACK, "ClientRequestToken": "t2"})
    api.rollback_stack(STACK, "t1", ROLE)
    api.rollback_stack(STACK, "t2", None)


def test_a_change_set_carries_the_role_the_triggers_and_keeping_a_failed_create(cloudformation):
    api, stubber = cloudformation
    arn = triggers.alarm_arn(STACK_ID, REGION, "one-system-test database above 90%")
    configuration = triggers.rollback_configuration([arn], 10)
    stubber.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID, "StackId": STACK_ID},
        {
            "StackName": STACK,
            "ChangeSetName": "stackyard-1",
            "ChangeSetType": "CREATE",
            "Description": "run 1",
            "TemplateBody": "{}",
            "IncludeNestedStacks": True,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Parameters": [],
            "Tags": [],
            "RoleARN": ROLE,
            "RollbackConfiguration": configuration,
            "OnStackFailure": "DO_NOTHING",
        },
    )
    arguments = {"RoleARN": ROLE, "RollbackConfiguration": configuration} | no_rollback.create_arguments(True, "CREATE")
    api.create_change_set(STACK, "stackyard-1", "CREATE", {"TemplateBody": "{}"}, {}, {}, "run 1", **arguments)
    assert arn == "arn:aws:cloudwatch:ap-southeast-1:123456789012:alarm:one-system-test database above 90%"


def test_writes_carry_the_role_and_an_update_keeps_its_failure(cloudformation):
    api, stubber = cloudformation
    stubber.add_response(
        "execute_change_set", {}, {"ChangeSetName": CHANGE_SET_ID, "ClientRequestToken": "t1", "DisableRollback": True}
    )
    stubber.add_response("delete_stack", {}, {"StackName": STACK, "ClientRequestToken": "t2", "RoleARN": ROLE})
    stubber.add_response(
        "continue_update_rollback", {}, {"StackName": STACK, "ClientRequestToken": "t3", "RoleARN": ROLE}
    )
    api.execute_change_set(CHANGE_SET_ID, "t1", **no_rollback.execute_arguments(True, "UPDATE"))
    api.delete_stack(STACK, "t2", role_arn=ROLE)
    api.continue_update_rollback(STACK, "t3", role_arn=ROLE)


def test_an_update_of_a_kept_failure_with_rollback_is_refused_naming_both_ways_on(cloudformation):
    """aws/aws-cdk#30546: the answer to executing a rollback-enabled change set on an UPDATE_FAILED stack."""
    api, stubber = cloudformation
    message = (
        "This stack is currently in a non-terminal [UPDATE_FAILED] state. To update the stack from this state, please "
        "use the disable-rollback parameter with update-stack API. To rollback to the last known good state, use the "
        "rollback-stack API"
    )
    stubber.add_client_error("execute_change_set", "ValidationError", message)
    with pytest.raises(AwsError, match="executing a change set: ValidationError: This stack is currently") as error:
        api.execute_change_set(CHANGE_SET_ID, "t1")
    assert error.value.code == "ValidationError"
