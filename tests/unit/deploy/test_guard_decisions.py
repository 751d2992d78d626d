"""Pure unit: the guards' decisions (stackyard/stack_policy.py, stackyard/deploy/guards/), without AWS.

What a stack policy denies and how --allow-replace exempts exactly the reviewed resources; which critical alarms
become rollback triggers and which one rolled an update back; the monitoring window's countdown; which drift
blocks an update; the service role of each write; the recovery of an update --no-rollback kept failed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stackyard import stack_policy
from stackyard.aws.guards import PropertyDifference, ResourceDrift
from stackyard.aws.records import DeployedStack, ResourceChange, StackEvent
from stackyard.cfn import NESTED_STACK, STATEFUL_TYPES
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.guards import drift, no_rollback, triggers
from stackyard.deploy.guards.findings import GuardFindings
from stackyard.deploy.guards.policies import denied_changes, denies, exempted
from stackyard.deploy.guards.service_role import role_created, role_for, role_holder
from stackyard.deploy.recovery import Recovery, decide_recovery
from stackyard.deploy.risk import risky_changes
from stackyard.deploy.status import StackState, classify
from stackyard.manifest import Guards, NestedTemplate, PolicyFile
from tests.helpers.manifests import manifest, stack_entry

STACK_ID = "arn:aws:cloudformation:ap-southeast-1:123456789012:stack/app-test-app/abc"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/app-test-cloudformation"


def change(action: str, logical_id: str, kind: str, replacement: str = "", nested_in: str = "") -> ResourceChange:
    return ResourceChange(action, logical_id, kind, replacement, nested_in)


# --- stack policies -------------------------------------------------------------------------------


def test_a_stack_holding_data_is_protected_and_one_without_gets_no_policy():
    holding = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}, "Topic": {"Type": "AWS::SNS::Topic"}}}
    assert stack_policy.guarded_types(stack_policy.policy_for(holding, "protect")) == STATEFUL_TYPES
    assert stack_policy.policy_for({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}, "protect") is None
    assert stack_policy.policy_for(holding, "allow") == stack_policy.ALLOW_ALL
    assert stack_policy.policy_for(holding, "off") is None
    nested_only = stack_policy.policy_for({"Resources": {"Vpc": {"Type": NESTED_STACK}}}, "protect", ["Vpc"])
    assert NESTED_STACK in stack_policy.guarded_types(nested_only)


@pytest.mark.parametrize(
    "resource_change, denied",
    [
        (change("Modify", "Queue", "AWS::SQS::Queue", "True"), True),
        (change("Modify", "Queue", "AWS::SQS::Queue", "Conditional"), True),
        (change("Modify", "Queue", "AWS::SQS::Queue", "False"), False),
        (change("Remove", "Bucket", "AWS::S3::Bucket"), True),
        (change("Add", "Bucket", "AWS::S3::Bucket"), False),
        (change("Remove", "Topic", "AWS::SNS::Topic"), False),
    ],
)
def test_a_policy_denies_replacing_or_removing_what_it_guards(resource_change, denied):
    assert denies(STATEFUL_TYPES, resource_change) is denied


def test_a_replaced_log_group_is_refused_by_the_data_loss_review_and_denied_by_the_policy(tmp_path: Path):
    """Both read stackyard/cfn.py STATEFUL_TYPES (log groups included): the review asks for --allow-replace, and
    the policy check refuses the update before CloudFormation would fail it."""
    replaced = change("Modify", "AppLogs", "AWS::Logs::LogGroup", "True")
    policy = stack_policy.render(stack_policy.protective(STATEFUL_TYPES))
    (tmp_path / "app.stack-policy.json").write_bytes(policy)
    entry = stack_entry(
        "app-test-app",
        "ap-southeast-1",
        stack_policy=PolicyFile("app.stack-policy.json", hashlib.sha256(policy).hexdigest()),
    )
    assert risky_changes([replaced]) == (replaced,)
    assert denied_changes(entry, tmp_path, [replaced]) == (replaced,)
    refused = GuardFindings(policy_denied=(replaced,))
    assert (
        "STACK POLICY denies: AppLogs (AWS::Logs::LogGroup) replaced (a deploy needs --allow-replace)"
        in refused.summary()
    )


def test_changes_inside_a_nested_stack_are_judged_by_that_stacks_own_policy(tmp_path: Path):
    policy = stack_policy.render(stack_policy.protective(STATEFUL_TYPES))
    (tmp_path / "network").mkdir()
    (tmp_path / "network/vpc.stack-policy.json").write_bytes(policy)
    child = PolicyFile("network/vpc.stack-policy.json", hashlib.sha256(policy).hexdigest())
    entry = stack_entry(
        "app-test-network", "ap-southeast-1", nested={"Vpc": NestedTemplate("network/vpc.json", "", 2, child)}
    )
    inside = change("Modify", "FlowLogGroup", "AWS::Logs::LogGroup", "True", nested_in="Vpc")
    in_parent = change("Modify", "Logs", "AWS::Logs::LogGroup", "True")
    assert denied_changes(entry, tmp_path, [inside, in_parent]) == (inside,)
    assert exempted((inside,)) == {"Vpc": {"FlowLogGroup"}}


def test_the_override_exempts_exactly_the_reviewed_resources():
    overridden = stack_policy.protective({"AWS::SQS::Queue"}, ["Queue", "Dlq"])
    deny = overridden["Statement"][1]
    assert deny["NotResource"] == ["LogicalResourceId/Dlq", "LogicalResourceId/Queue"] and "Resource" not in deny
    assert stack_policy.guarded_types(overridden) == {"AWS::SQS::Queue"}


def test_policies_compare_as_json_not_as_text():
    wanted = stack_policy.protective({"AWS::S3::Bucket"})
    assert stack_policy.same('{"Statement": ' + str(wanted["Statement"]).replace("'", '"') + "}", wanted)
    assert not stack_policy.same(None, wanted)
    assert not stack_policy.same("not json", wanted)


# --- rollback triggers ----------------------------------------------------------------------------


def test_only_alarms_deployed_before_the_update_are_triggers_at_most_five():
    critical = tuple(f"alarm {n}" for n in range(7))
    chosen = triggers.choose(critical, {f"alarm {n}" for n in range(1, 7)})
    assert chosen.watched == ("alarm 1", "alarm 2", "alarm 3", "alarm 4", "alarm 5")
    assert chosen.unwatched == (
        "alarm 0: created by this update, so not watched until it exists",
        "alarm 6: past CloudFormation's 5 triggers",
    )


def test_an_alarm_arn_is_in_the_stacks_partition_and_account():
    china = "arn:aws-cn:cloudformation:cn-north-1:210987654321:stack/app/abc"
    assert triggers.alarm_arn(china, "cn-north-1", "a b") == "arn:aws-cn:cloudwatch:cn-north-1:210987654321:alarm:a b"


def test_the_alarm_that_rolled_back_is_found_by_its_arn_or_name():
    watched = {"backlog": "arn:aws:cloudwatch:r:1:alarm:backlog", "errors": "arn:aws:cloudwatch:r:1:alarm:errors"}
    assert triggers.triggering_alarm(["The following resource(s) failed"], watched) is None
    assert triggers.triggering_alarm(["rolled back: arn:aws:cloudwatch:r:1:alarm:errors in ALARM"], watched) == "errors"
    assert triggers.triggering_alarm(["Rollback trigger alarm:backlog breached"], watched) == "backlog"


def event(seconds: float, logical_id: str, status: str) -> StackEvent:
    return StackEvent(
        f"{logical_id}-{seconds}", NOW + timedelta(seconds=seconds), logical_id, "AWS::SQS::Queue", status, None
    )


class Board:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def state(self, stack: str, text: str) -> None:
        self.shown.append(text)


def test_the_monitoring_window_counts_down_from_the_last_resource_done():
    board = Board()
    window = triggers.RollbackWindow("app", board, 10, ("backlog",))  # type: ignore[arg-type]
    window.observe([event(0, "Queue", "UPDATE_IN_PROGRESS")], NOW)
    assert window.remaining(NOW) is None
    window.observe([event(5, "Queue", "UPDATE_COMPLETE")], NOW + timedelta(seconds=5))
    window.observe([], NOW + timedelta(seconds=65))
    window.observe([], NOW + timedelta(seconds=70))  # same minute: not shown again
    window.observe([], NOW + timedelta(seconds=605))
    assert board.shown == [
        "rollback monitoring: 10 min left, watching alarms backlog",
        "rollback monitoring: 9 min left, watching alarms backlog",
        "rollback monitoring: 0 min left, watching alarms backlog",
    ]


# --- drift ----------------------------------------------------------------------------------------


def report() -> drift.DriftReport:
    retention = PropertyDifference("/MessageRetentionPeriod", "345600", "1209600", "NOT_EQUAL")
    return drift.DriftReport(
        "app",
        (
            drift.StackDrift(
                "",
                STACK_ID,
                "DETECTION_COMPLETE",
                "",
                (ResourceDrift("Queue", "AWS::SQS::Queue", "MODIFIED", (retention,)),),
            ),
            drift.StackDrift(
                "Vpc/",
                "nested",
                "DETECTION_FAILED",
                "no access",
                (ResourceDrift("Route", "AWS::EC2::Route", "DELETED", ()),),
            ),
        ),
    )


def test_only_drifted_stateful_resources_block_the_rest_is_reported():
    assert drift.blocking(report(), ("Queue",)) == ["Queue (AWS::SQS::Queue) MODIFIED: /MessageRetentionPeriod"]
    assert drift.blocking(report(), ("Bucket",)) == []
    assert drift.notes(report(), ("Queue",)) == [
        "drifted: Vpc/Route (AWS::EC2::Route) DELETED",
        "app/Vpc: drift detection failed (no access)",
    ]


def test_the_drift_table_shows_expected_and_actual_per_property():
    assert drift.table([report()]) == [
        "stack  resource   type             drift      property                 expected  actual",
        "app    Queue      AWS::SQS::Queue  NOT_EQUAL  /MessageRetentionPeriod  345600    1209600",
        "app    Vpc/Route  AWS::EC2::Route  DELETED    -                        -         -",
    ]
    assert drift.table([drift.DriftReport("app")]) == []


# --- the service role -------------------------------------------------------------------------------


def environment(**guards: object) -> Environment:
    entries = {
        "app": stack_entry("app-test-app", "ap-southeast-1"),
        "ci": stack_entry("app-test-ci", "ap-southeast-1", holds_service_role=True),
    }
    return Environment(manifest("test", "ap-southeast-1", entries, guards=Guards(**guards)), Path("build/test"))  # type: ignore[arg-type]


def test_every_write_runs_as_the_service_role_but_the_stack_that_creates_it():
    options = DeployOptions()
    assert role_for(environment(role_arn=ROLE), options, "app") == ROLE
    assert role_for(environment(role_arn=ROLE), options, "bootstrap") == ROLE
    assert role_for(environment(role_arn=ROLE), options, "ci") is None
    assert role_for(environment(), options, "app") is None
    assert (
        role_for(environment(role_arn=ROLE), DeployOptions(role_arn="arn:aws:iam::1:role/x"), "app")
        == "arn:aws:iam::1:role/x"
    )
    assert role_for(environment(role_arn=ROLE), DeployOptions(plan_only=True), "app") is None


def test_params_role_waits_for_the_stack_that_creates_it_but_the_command_lines_does_not():
    """An environment's first deploy runs as the caller until ci, which creates the role, is deployed."""
    env = environment(role_arn=ROLE)
    assert role_holder(env) == "ci"
    assert role_for(env, DeployOptions(), "app", holder_deployed=False) is None
    assert role_for(env, DeployOptions(), "bootstrap", holder_deployed=False) is None
    given = "arn:aws:iam::1:role/x"
    assert role_for(env, DeployOptions(role_arn=given), "app", holder_deployed=False) == given


@pytest.mark.parametrize(
    ("status", "created"),
    [
        (None, False),
        ("REVIEW_IN_PROGRESS", False),
        ("CREATE_IN_PROGRESS", False),
        ("ROLLBACK_COMPLETE", False),
        ("CREATE_COMPLETE", True),
        ("UPDATE_IN_PROGRESS", True),
        ("UPDATE_ROLLBACK_COMPLETE", True),
        ("DELETE_IN_PROGRESS", True),  # the role is kept when its stack is deleted
    ],
)
def test_the_role_exists_once_its_stacks_first_create_succeeded(status, created):
    assert role_created(status) is created


# --- --no-rollback ----------------------------------------------------------------------------------


def deployed(status: str) -> DeployedStack:
    return DeployedStack("app-test-app", STACK_ID, status, "Queue failed", {}, {}, {}, False)


def test_an_update_kept_failed_is_rolled_back_first_or_retried_with_no_rollback():
    assert classify("app", "UPDATE_FAILED") is StackState.KEPT_FAILED
    rolled = decide_recovery("app", deployed("UPDATE_FAILED"))
    assert rolled.recovery is Recovery.ROLLBACK_KEPT_FAILURE and rolled.recovery.writes
    assert "To retry it instead, deploy with --no-rollback" in rolled.reason
    retried = decide_recovery("app", deployed("UPDATE_FAILED"), no_rollback=True)
    assert retried.recovery is Recovery.RETRY_KEPT_FAILURE and not retried.recovery.writes
    # A create kept failed is a failed first create: deleted, then created again.
    assert decide_recovery("app", deployed("CREATE_FAILED"), no_rollback=True).recovery is Recovery.DELETE_AND_CREATE


def test_no_rollback_arguments_differ_for_creates_and_updates():
    assert no_rollback.create_arguments(True, "CREATE") == {"OnStackFailure": "DO_NOTHING"}
    assert no_rollback.create_arguments(True, "UPDATE") == {}
    assert no_rollback.execute_arguments(True, "UPDATE") == {"DisableRollback": True}
    assert no_rollback.execute_arguments(True, "CREATE") == {}
    assert no_rollback.execute_arguments(False, "UPDATE") == {}


def test_a_replacement_is_refused_while_rollback_is_disabled():
    replaced = [
        change("Modify", "Queue", "AWS::SQS::Queue", "True"),
        change("Modify", "Topic", "AWS::SNS::Topic", "False"),
    ]
    assert no_rollback.refusal("app-test-app", replaced).startswith("stack app-test-app: the change set replaces Queue")
    assert no_rollback.refusal("app-test-app", replaced[1:]) == ""
    assert "the next deploy rolls it back first" in no_rollback.kept_note("UPDATE_FAILED")
    assert no_rollback.kept_note("UPDATE_ROLLBACK_COMPLETE") == ""
