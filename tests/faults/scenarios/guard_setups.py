"""What the guards' fault-matrix rows (tests/faults/scenarios/guards.py) set up and check: guarded builds,
alarms that fire, drift the fake reports, and the calls each guard must make."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from stackyard.manifest import Guards
from tests.faults.fake_aws import Trigger
from tests.faults.world import APP_STACK, APP_TEMPLATE, NETWORK, REGION, STORAGE, VPC_TEMPLATE, Result, World

ROLE = "arn:aws:iam::123456789012:role/app-test-cloudformation"
OTHER_ROLE = "arn:aws:iam::123456789012:role/platform-cloudformation"
ALARM_NAME = "app-test queue backlog"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{ALARM_NAME}"
PROTECT = Guards(stack_policy="protect")
GUARD_WRITES = ("SetStackPolicy", "RollbackStack")
LOCK_RELEASED = "DeleteObject~locks/app-test.json"
RETENTION_DRIFT = [
    {
        "PropertyPath": "/MessageRetentionPeriod",
        "ExpectedValue": "4",
        "ActualValue": "1209600",
        "DifferenceType": "NOT_EQUAL",
    }
]

POLICY = (
    "A stack policy denies update actions on the resources it names, whoever updates the stack; it is set with "
    "SetStackPolicy (CreateChangeSet takes none) and can only be replaced, not removed (User Guide, 'Prevent "
    "updates to stack resources'; SetStackPolicy API reference)"
)
POLICY_DENIES = (
    "An update a stack policy denies fails on that resource, 'Action denied by stack policy: Statement [#2] does "
    "not allow [Update:Replace] for resource [LogicalResourceId/…]', and rolls back; ExecuteChangeSet takes no "
    "StackPolicyDuringUpdateBody (ExecuteChangeSet API reference), so the override is set before the update"
)
NESTED_POLICY = (
    "A parent's stack policy does not reach the resources of its nested stacks: each nested stack is a stack with "
    "a policy of its own (User Guide, 'Prevent updates to stack resources'; aws-toolbox Set-ATCFNStackProtectionPolicy)"
)
TRIGGERS = (
    "Rollback triggers: CloudFormation watches the alarms during the update and for MonitoringTimeInMinutes after "
    "its resources are done, and rolls the update back when one goes into ALARM; a trigger that does not exist "
    "fails the whole operation (User Guide, 'Roll back your CloudFormation stack on alarm breach'; RollbackTrigger "
    "API reference)"
)
DRIFT = (
    "DetectStackDrift runs asynchronously (DescribeStackDriftDetectionStatus), never covers nested stacks, and "
    "DescribeStackResourceDrifts gives each MODIFIED or DELETED resource's property differences (DetectStackDrift "
    "API reference)"
)
SERVICE_ROLE = (
    "A CloudFormation service role is passed as RoleARN to CreateChangeSet, DeleteStack, ContinueUpdateRollback and "
    "RollbackStack; ExecuteChangeSet runs as the change set's role (User Guide, 'CloudFormation service role')"
)
NO_ROLLBACK = (
    "With rollback disabled a failed update ends UPDATE_FAILED; from there CloudFormation takes only an update with "
    "rollback disabled again, or RollbackStack; replacements are refused while rollback is disabled "
    "(aws/aws-cdk#30546; RollbackStack API reference)"
)


# --- setups ---------------------------------------------------------------------------------------


def guarded(guards: Guards = PROTECT, holds_role: frozenset[str] = frozenset()) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.guards, world.holds_role = guards, holds_role
        world.write_build()

    return setup


def app_with_alarm(retention: int = 4, alarm: bool = True) -> dict[str, Any]:
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Parameters"]["Retention"]["Default"] = retention
    if alarm:
        template["Resources"]["BacklogAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": ALARM_NAME,
                "AlarmDescription": "CRITICAL: messages waiting in the queue",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Namespace": "AWS/SQS",
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 100,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        }
    return template


def alarm_deployed_then_changed(world: World) -> None:
    """The alarm exists (deployed by the first run); the next run's update of the app stack is watched by it."""
    world.change("app", app_with_alarm())
    world.fake.on(LOCK_RELEASED, lambda: world.change("app", app_with_alarm(retention=5)))


def triggers_then_turned_off(world: World) -> None:
    """Run 1 creates the app stack with its alarm; run 2 updates it with the alarm as a trigger; then params turn
    triggers off (guards.rollback_triggers: false) and the alarm fires during run 3's update."""
    world.change("app", app_with_alarm())
    steps = [
        lambda: world.change("app", app_with_alarm(retention=5)),
        lambda: _triggers_off_and_alarm_firing(world),
    ]
    world.fake.triggers.append(Trigger(LOCK_RELEASED, lambda: steps.pop(0)(), times=len(steps)))


def _triggers_off_and_alarm_firing(world: World) -> None:
    world.guards = Guards(rollback_triggers=False)
    world.change("app", app_with_alarm(retention=6))
    world.cloudformation.guard_faults.alarms_firing[ALARM_NAME] = 30


def drift(**entries: Any) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.cloudformation.guard_faults.drift.update(entries)

    return setup


def drift_of(key: str, differences: Any) -> Callable[[World], None]:
    return lambda world: world.cloudformation.guard_faults.drift.update({key: differences})


def alarm_fires(seconds: float) -> Callable[[World], None]:
    return lambda world: world.cloudformation.guard_faults.alarms_firing.update({ALARM_NAME: seconds})


def logs_in_vpc(world: World) -> None:
    template = json.loads(json.dumps(VPC_TEMPLATE))
    template["Resources"]["FlowLogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}
    world.templates["network/vpc"] = template
    world.write_build()


def queue_fails_once(world: World) -> None:
    """The update fails on the queue; the failure is fixed before the next run."""
    world.fake.faults.failing["app-test-app/Queue"] = "Value 5 for MessageRetentionPeriod is invalid"
    world.fake.on(LOCK_RELEASED, lambda: world.fake.faults.failing.clear())


# --- checks ---------------------------------------------------------------------------------------


def policy_of(world: World, stack: str) -> dict[str, Any]:
    cloudformation = world.cloudformation
    return json.loads(cloudformation.policies[cloudformation.stack(stack).stack_id])


def protects_data(world: World, result: Result) -> None:
    for stack in (STORAGE, APP_STACK):
        deny = policy_of(world, stack)["Statement"][1]
        assert deny["Effect"] == "Deny" and deny["Resource"] == "*", deny
        assert {"AWS::S3::Bucket", "AWS::SQS::Queue"} <= set(deny["Condition"]["StringEquals"]["ResourceType"])
    assert world.cloudformation.stack(NETWORK).stack_id not in world.cloudformation.policies


def a_teammates_replacement_is_denied(world: World, result: Result) -> None:
    """Outside stackyard (aws cloudformation execute-change-set): the policy still holds the queue."""
    client = world.fake.client("cloudformation", REGION)
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Resources"]["Queue"]["Properties"]["FifoQueue"] = True
    world.fake.faults.replacements["Queue"] = "True"
    made = client.create_change_set(
        StackName=APP_STACK,
        ChangeSetName="teammate",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "DataBucket", "ParameterValue": "app-test-data"}],
    )
    world.fake.clock.advance(10)
    client.execute_change_set(ChangeSetName=made["Id"])
    world.fake.clock.advance(30)
    world.fake.tick()
    stack = world.cloudformation.stack(APP_STACK)
    reasons = [event.get("ResourceStatusReason", "") for event in stack.events]
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE", stack.status
    assert any("Action denied by stack policy" in reason and "LogicalResourceId/Queue" in reason for reason in reasons)


def policy_put_back(world: World, result: Result) -> None:
    deny = policy_of(world, APP_STACK)["Statement"][1]
    assert deny["Resource"] == "*" and "NotResource" not in deny, deny


def every_write_as(role: str, not_for: tuple[str, ...] = ()) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        writes = [
            call
            for call in result.calls
            if call.operation in ("CreateChangeSet", "DeleteStack", "ContinueUpdateRollback", "RollbackStack")
        ]
        assert writes
        for call in writes:
            stack = call.params.get("StackName", "")
            wanted = None if any(name in stack for name in not_for) else role
            assert call.params.get("RoleARN") == wanted, call

    return check


def status_is(stack: str, value: str) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        assert world.cloudformation.stack(stack).status == value

    return check


def triggers_passed(arns: list[str], minutes: int) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        made = [call for call in result.calls if call.matches("CreateChangeSet~app-test-app")]
        assert made and made[-1].params["RollbackConfiguration"] == {
            "RollbackTriggers": [{"Arn": arn, "Type": "AWS::CloudWatch::Alarm"} for arn in arns],
            "MonitoringTimeInMinutes": minutes,
        }

    return check
