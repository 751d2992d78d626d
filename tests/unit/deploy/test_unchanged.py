"""Pure unit: whether a deployed stack already is what a deploy would make it (no change set is made
for it then), with parameter defaults filled in as CloudFormation stores them, and why not."""

from __future__ import annotations

from stackyard.aws import DeployedStack
from stackyard.deploy.stack_plan import Action, Desired
from stackyard.deploy.unchanged import decide_action, differences, effective_parameters

TEMPLATE = {
    "Parameters": {
        "Retention": {"Type": "Number", "Default": 7},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "a,b"},
        "Password": {"Type": "String", "NoEcho": True},
        "TopicArn": {"Type": "String"},
    },
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
}
PASSED = {"TopicArn": "arn:topic", "Password": "s3cret"}
STORED = {"Retention": "7", "Subnets": "a,b", "Password": "****", "TopicArn": "arn:topic"}


def desired(template=TEMPLATE, parameters=PASSED, tags=None) -> Desired:
    return Desired(template, {"TemplateBody": "{}"}, parameters, tags or {"Env": "test"})


def deployed(status="UPDATE_COMPLETE", parameters=None, tags=None) -> DeployedStack:
    stored = STORED if parameters is None else parameters
    return DeployedStack("s", "arn:s", status, None, stored, tags or {"Env": "test"}, {}, False)


WITHOUT_NO_ECHO = {**TEMPLATE, "Parameters": {k: v for k, v in TEMPLATE["Parameters"].items() if k != "Password"}}
STORED_WITHOUT_NO_ECHO = {k: v for k, v in STORED.items() if k != "Password"}
PASSED_WITHOUT_NO_ECHO = {"TopicArn": "arn:topic"}


def test_defaults_the_deploy_does_not_pass_are_compared_as_cloudformation_stores_them():
    assert effective_parameters(TEMPLATE, {"TopicArn": "x"}) == {"Retention": "7", "Subnets": "a,b", "TopicArn": "x"}
    assert effective_parameters({"Parameters": {"Flag": {"Default": True}, "L": {"Default": ["a", "b"]}}}, {}) == {
        "Flag": "true",
        "L": "a,b",
    }


def test_a_stack_whose_parameters_only_take_their_defaults_is_unchanged():
    wanted = desired(WITHOUT_NO_ECHO, PASSED_WITHOUT_NO_ECHO)
    stack = deployed(parameters=STORED_WITHOUT_NO_ECHO)
    assert decide_action(wanted, stack, WITHOUT_NO_ECHO) == (
        Action.UNCHANGED,
        ("template, parameters and tags match the deployed stack",),
    )


def test_each_difference_is_named():
    template = {**WITHOUT_NO_ECHO, "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Dlq": {"Type": "X"}}}
    wanted = desired(template, {"TopicArn": "arn:new", "Extra": "1"}, {"Env": "test", "Owner": "me"})
    stack = deployed(parameters={**STORED_WITHOUT_NO_ECHO, "Old": "x"})
    assert differences(wanted, stack, WITHOUT_NO_ECHO) == [
        "template Resources: added Dlq",
        "parameter Extra is new",
        "parameter Old is no longer passed",
        "parameter TopicArn differs: deployed 'arn:topic', now 'arn:new'",
        "tag Owner is new",
    ]


def test_a_no_echo_parameter_cannot_be_compared_and_its_value_is_never_shown():
    found = differences(desired(), deployed(), TEMPLATE)
    assert found == ["parameter Password is NoEcho, so its deployed value cannot be compared"]
    assert "s3cret" not in " ".join(found)


def test_long_lists_of_changed_resources_are_cut():
    old = {"Resources": {f"R{index}": {"Type": "A"} for index in range(5)}}
    new = {"Resources": {f"R{index}": {"Type": "B"} for index in range(5)}}
    assert differences(desired(new, {}), deployed(parameters={}), old) == [
        "template Resources: changed R0, R1, R2 and 2 more"
    ]


def test_an_undeployed_or_review_only_stack_is_created():
    assert decide_action(desired(), None, None) == (Action.CREATE, ("not deployed yet",))
    assert decide_action(desired(), deployed("REVIEW_IN_PROGRESS"), None)[0] is Action.CREATE


def test_a_stack_whose_last_update_rolled_back_is_never_skipped():
    action, reasons = decide_action(
        desired(WITHOUT_NO_ECHO, PASSED_WITHOUT_NO_ECHO),
        deployed("UPDATE_ROLLBACK_COMPLETE", STORED_WITHOUT_NO_ECHO),
        WITHOUT_NO_ECHO,
    )
    assert action is Action.UPDATE
    assert reasons == (
        "its last operation rolled back (UPDATE_ROLLBACK_COMPLETE); CloudFormation's change set decides",
    )
