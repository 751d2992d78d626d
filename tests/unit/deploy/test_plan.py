"""Pure unit: status classification, recovery decisions and planning (what a deploy would do)."""

from __future__ import annotations

import pytest

from stackyard.aws import DeployedStack, ResourceChange
from stackyard.errors import StackyardError
from stackyard.plan import Action, ExportChange, action_for, export_changes, is_risky, referenced
from stackyard.status import (
    Recovery,
    StackState,
    UnknownStatusError,
    change_set_has_no_changes,
    classify,
    recovery_before_deploy,
    succeeded,
)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (None, StackState.MISSING),
        ("DELETE_COMPLETE", StackState.MISSING),
        ("CREATE_COMPLETE", StackState.READY),
        ("UPDATE_ROLLBACK_COMPLETE", StackState.READY),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", StackState.BUSY),
        ("CREATE_IN_PROGRESS", StackState.BUSY),
        ("ROLLBACK_COMPLETE", StackState.FIRST_CREATE_FAILED),
        ("ROLLBACK_FAILED", StackState.FIRST_CREATE_FAILED),
        ("UPDATE_ROLLBACK_FAILED", StackState.UPDATE_ROLLBACK_FAILED),
        ("REVIEW_IN_PROGRESS", StackState.REVIEW),
        ("DELETE_FAILED", StackState.DELETE_FAILED),
    ],
)
def test_stack_statuses_are_classified(status, state):
    assert classify("app", status) is state


def test_an_unknown_status_is_an_error_never_a_success():
    with pytest.raises(UnknownStatusError, match="stack app: status SOMETHING_NEW is unknown"):
        classify("app", "SOMETHING_NEW")


@pytest.mark.parametrize(
    ("state", "recovery"),
    [
        (StackState.MISSING, Recovery.CREATE),
        (StackState.REVIEW, Recovery.CREATE),
        (StackState.READY, Recovery.NONE),
        (StackState.BUSY, Recovery.WAIT),
        (StackState.FIRST_CREATE_FAILED, Recovery.DELETE_AND_CREATE),
        (StackState.UPDATE_ROLLBACK_FAILED, Recovery.CONTINUE_ROLLBACK),
    ],
)
def test_each_state_has_its_recovery_before_a_deploy(state, recovery):
    assert recovery_before_deploy("app", state) is recovery


def test_a_stack_stuck_in_delete_failed_is_not_updated_and_the_fix_is_named():
    with pytest.raises(StackyardError, match="failed to delete earlier and is stuck.*Fix:"):
        recovery_before_deploy("app", StackState.DELETE_FAILED)


def test_a_rollback_is_not_a_success():
    assert succeeded("UPDATE_COMPLETE") and not succeeded("UPDATE_ROLLBACK_COMPLETE")
    assert not succeeded("ROLLBACK_COMPLETE")


@pytest.mark.parametrize(
    ("status", "reason", "empty"),
    [
        ("FAILED", "The submitted information didn't contain changes. Submit different information.", True),
        ("FAILED", "No updates are to be performed.", True),
        ("FAILED", "Template format error: unresolved resource dependencies", False),
        ("CREATE_COMPLETE", None, False),
    ],
)
def test_a_change_set_without_changes_is_recognised(status, reason, empty):
    assert change_set_has_no_changes(status, reason) is empty


def deployed(parameters=None, tags=None) -> DeployedStack:
    return DeployedStack("s", "arn:s", "UPDATE_COMPLETE", None, parameters or {}, tags or {"Env": "test"}, {}, False)


TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}


def test_an_undeployed_stack_is_created():
    assert action_for(TEMPLATE, {}, {}, None, None) is Action.CREATE


def test_a_stack_is_unchanged_only_when_template_parameters_and_tags_all_match():
    assert action_for(TEMPLATE, {}, {"Env": "test"}, deployed(), TEMPLATE) is Action.UNCHANGED
    other = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1}}}}
    assert action_for(other, {}, {"Env": "test"}, deployed(), TEMPLATE) is Action.UPDATE
    assert action_for(TEMPLATE, {"P": "1"}, {"Env": "test"}, deployed({"P": "2"}), TEMPLATE) is Action.UPDATE
    assert action_for(TEMPLATE, {}, {"Env": "prod"}, deployed(), TEMPLATE) is Action.UPDATE


def test_a_stack_whose_last_update_rolled_back_is_never_skipped():
    rolled_back = DeployedStack("s", "arn:s", "UPDATE_ROLLBACK_COMPLETE", None, {}, {"Env": "test"}, {}, False)
    assert action_for(TEMPLATE, {}, {"Env": "test"}, rolled_back, TEMPLATE) is Action.UPDATE


@pytest.mark.parametrize(
    ("change", "risky"),
    [
        (ResourceChange("Modify", "Db", "AWS::RDS::DBCluster", "True"), True),
        (ResourceChange("Modify", "Db", "AWS::RDS::DBCluster", "Conditional"), True),
        (ResourceChange("Modify", "Db", "AWS::RDS::DBCluster", "False"), False),
        (ResourceChange("Remove", "Bucket", "AWS::S3::Bucket", ""), True),
        (ResourceChange("Remove", "Queue", "AWS::SQS::Queue", "", nested_in="Messaging"), True),
        (ResourceChange("Remove", "Child", "AWS::CloudFormation::Stack", ""), True),
        (ResourceChange("Modify", "Role", "AWS::IAM::Role", "True"), False),
        (ResourceChange("Add", "Bucket", "AWS::S3::Bucket", ""), False),
    ],
)
def test_replacing_or_removing_stateful_resources_is_risky(change, risky):
    assert is_risky(change) is risky


OLD = {
    "Outputs": {
        "VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "a-test-VpcId"}},
        "Cidr": {"Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "Export": {"Name": "a-test-Cidr"}},
        "Subnets": {"Value": {"Fn::Join": [",", [{"Ref": "A"}]]}, "Export": {"Name": "a-test-Subnets"}},
        "Plain": {"Value": "x"},
    }
}


def test_removed_and_changed_exports_are_found_before_execution():
    new = {
        "Outputs": {
            "VpcId": OLD["Outputs"]["VpcId"],
            "Cidr": OLD["Outputs"]["Cidr"],
            "Subnets": {
                "Value": {"Fn::Join": [",", [{"Ref": "A"}, {"Ref": "B"}]]},
                "Export": {"Name": "a-test-Subnets"},
            },
        }
    }
    assert export_changes(OLD, new, []) == [ExportChange("a-test-Subnets", "Subnets", "changed")]
    assert export_changes(OLD, {"Outputs": {}}, []) == [
        ExportChange("a-test-VpcId", "VpcId", "removed"),
        ExportChange("a-test-Cidr", "Cidr", "removed"),
        ExportChange("a-test-Subnets", "Subnets", "removed"),
    ]


def test_an_export_changes_when_the_resource_it_refers_to_is_replaced():
    replaced = [ResourceChange("Modify", "Vpc", "AWS::EC2::VPC", "True")]
    assert {change.output for change in export_changes(OLD, OLD, replaced)} == {"VpcId", "Cidr"}
    in_place = [ResourceChange("Modify", "Vpc", "AWS::EC2::VPC", "False")]
    assert export_changes(OLD, OLD, in_place) == []


def test_references_are_found_in_every_form():
    value = {
        "Fn::Join": [
            "",
            [
                {"Ref": "A"},
                {"Fn::GetAtt": ["B", "Arn"]},
                {"Fn::GetAtt": "C.Arn"},
                {"Fn::Sub": "${D}/${E.Arn}/${AWS::Region}/${!Literal}"},
                {"Fn::Sub": ["${X}", {"X": {"Ref": "F"}}]},
            ],
        ]
    }
    assert referenced(value) == {"A", "B", "C", "D", "E", "F"}  # X is Sub's own variable, not a resource
