"""Pure unit: the decisions a stack's plan is made of, without AWS: status classification, the
recovery a deploy starts with, data loss and exports in use, and whether a change set may run."""

from __future__ import annotations

import pytest

from stackyard.aws import ChangeSet, DeployedStack, ResourceChange
from stackyard.deploy.exports import BlockedExport, ExportChange, blocked_exports, export_changes, referenced
from stackyard.deploy.recovery import Recovery, decide_recovery
from stackyard.deploy.review import Review, Verdict, review
from stackyard.deploy.risk import is_risky
from stackyard.deploy.stack_plan import Action, StackPlan, Target
from stackyard.deploy.status import (
    StackState,
    UnknownStatusError,
    change_set_has_no_changes,
    classify,
    deleted,
    succeeded,
)
from stackyard.errors import StackyardError


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


def stack(status: str, reason: str | None = None) -> DeployedStack:
    return DeployedStack("app", "arn:app", status, reason, {}, {}, {}, False)


@pytest.mark.parametrize(
    ("status", "recovery", "reason"),
    [
        (None, Recovery.CREATE, "not deployed yet"),
        ("REVIEW_IN_PROGRESS", Recovery.CREATE, "REVIEW_IN_PROGRESS: a change set made it but was never executed"),
        ("UPDATE_COMPLETE", Recovery.NONE, "UPDATE_COMPLETE: ready"),
        ("UPDATE_IN_PROGRESS", Recovery.WAIT, "UPDATE_IN_PROGRESS: another operation is running"),
        ("ROLLBACK_COMPLETE", Recovery.DELETE_AND_CREATE, "ROLLBACK_COMPLETE: its first create failed"),
        ("UPDATE_ROLLBACK_FAILED", Recovery.CONTINUE_ROLLBACK, "UPDATE_ROLLBACK_FAILED (Queue failed to roll back)"),
    ],
)
def test_each_state_has_its_recovery_before_a_deploy_with_the_reason(status, recovery, reason):
    decision = decide_recovery("app", stack(status, "Queue failed to roll back") if status else None)
    assert decision.recovery is recovery and decision.reason.startswith(reason)


def test_only_deleting_a_failed_create_continuing_or_starting_a_rollback_and_adopting_write():
    assert {recovery for recovery in Recovery if recovery.writes} == {
        Recovery.DELETE_AND_CREATE,
        Recovery.CONTINUE_ROLLBACK,
        Recovery.ADOPT,
        Recovery.ROLLBACK_KEPT_FAILURE,
    }


def test_a_stack_stuck_in_delete_failed_is_not_updated_and_the_fix_is_named():
    with pytest.raises(StackyardError, match="failed to delete earlier and is stuck \\(bucket not empty\\).*Fix:"):
        decide_recovery("app", stack("DELETE_FAILED", "bucket not empty"))


def test_a_delete_succeeded_only_when_the_stack_is_gone():
    assert deleted("DELETE_COMPLETE") and deleted(None)
    assert not deleted("UPDATE_COMPLETE")  # a refused delete leaves the previous status
    assert not deleted("DELETE_FAILED")


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
    assert export_changes(OLD, new, []) == [
        ExportChange("a-test-Subnets", "Subnets", "changed", "its expression changes")
    ]
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


def test_blocked_exports_are_the_changed_ones_someone_imports():
    changes = [ExportChange("a-test-VpcId", "VpcId", "removed"), ExportChange("a-test-Cidr", "Cidr", "changed")]
    found = blocked_exports(changes, {"a-test-VpcId": ["a-test-app"], "a-test-Cidr": []})
    assert found == (BlockedExport("a-test-VpcId", "VpcId", "removed", ("a-test-app",)),)
    assert str(found[0]) == "export a-test-VpcId (removed) is imported by a-test-app"


def proposed(risky=(), blocked=()) -> StackPlan:
    change_set = ChangeSet("arn:cs", "CREATE_COMPLETE", None, "AVAILABLE", list(risky))
    return StackPlan(
        Target("storage", "a-test-storage", "ap-southeast-1"),
        stack("UPDATE_COMPLETE"),
        Recovery.NONE,
        Action.UPDATE,
        ("parameter P differs",),
        change_set=change_set,
        risky=tuple(risky),
        blocked_exports=tuple(blocked),
    )


QUEUE_REPLACED = ResourceChange("Modify", "Queue", "AWS::SQS::Queue", "True")
IN_USE = BlockedExport("a-test-QueueUrl", "QueueUrl", "changed", ("a-test-app",))


@pytest.mark.parametrize(
    ("plan", "allow_replace", "ask", "verdict", "says"),
    [
        (proposed(), False, True, Verdict.PROCEED, ""),
        (proposed([QUEUE_REPLACED]), False, False, Verdict.REFUSE, "would lose data: Queue (AWS::SQS::Queue) replaced"),
        (proposed([QUEUE_REPLACED]), True, False, Verdict.PROCEED, ""),
        (
            proposed([QUEUE_REPLACED]),
            True,
            True,
            Verdict.CONFIRM,
            "a-test-storage would lose data: Queue (AWS::SQS::Queue) replaced",
        ),
        (proposed(blocked=[IN_USE]), True, False, Verdict.REFUSE, "export a-test-QueueUrl (changed) is imported"),
    ],
)
def test_a_change_set_runs_only_without_exports_in_use_and_with_data_loss_allowed(
    plan, allow_replace, ask, verdict, says
):
    found: Review = review(plan, allow_replace, ask)
    assert found.verdict is verdict and says in found.message


def test_a_plan_summary_names_the_action_the_changes_the_data_loss_and_the_refusal():
    assert proposed([QUEUE_REPLACED], [IN_USE]).summary() == (
        "would update: 1 changes; LOSES DATA: Queue (AWS::SQS::Queue) replaced; REFUSED: export a-test-QueueUrl "
        "(changed) is imported by a-test-app"
    )
