"""Fault matrix rows: the data-loss guard (issue 11 item 8): the guarded types from one list, an EC2
instance's replacement as downtime, each change's PolicyAction, Dynamic changes; and the app server's
image kept as deployed unless --refresh-images."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.faults.fake_ssm import AL2023
from tests.faults.scenarios.common import Expect, Scenario, assert_equal, both
from tests.faults.world import APP_STACK, APP_TEMPLATE, Result, World

POLICY_ACTION = (
    "DescribeChangeSet's ResourceChange.PolicyAction: Delete/ReplaceAndDelete lose the resource, Retain/Snapshot/"
    "ReplaceAndRetain/ReplaceAndSnapshot keep it (from DeletionPolicy and UpdateReplacePolicy)"
)
DYNAMIC = "ResourceChange.Action Dynamic: CloudFormation cannot tell what it will do until it runs (DescribeChangeSet)"
SSM_TYPES = (
    "An AWS::SSM::Parameter::Value<...> parameter resolves to the parameter's latest value on every update, also with "
    "UsePreviousValue (User Guide, 'Systems Manager parameter types'); `name:version` selects a version (SSM User "
    "Guide, 'Working with parameter versions')"
)
NEW_IMAGE = "ami-0b2"


def app_server_template(retention: int = 4, **changes: dict[str, Any]) -> dict[str, Any]:
    """The app stack with an app server on the public Amazon Linux image, a log group and an SSM parameter."""
    template = json.loads(json.dumps(APP_TEMPLATE))
    template["Parameters"]["Retention"]["Default"] = retention
    template["Parameters"]["ImageId"] = {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": AL2023}
    template["Resources"] |= {
        "AppServer": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Ref": "ImageId"}}},
        "AppLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app/test/app"}},
        "Flag": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/app/test/flag", "Value": "on"}},
    }
    for logical, properties in changes.items():
        template["Resources"][logical]["Properties"] |= properties
    return template


def app_server(retention: int = 4, **changes: dict[str, Any]) -> Callable[[World], None]:
    return lambda world: world.change("app", app_server_template(retention, **changes))


def replaced(*logical_ids: str) -> Callable[[World], None]:
    return lambda world: world.fake.faults.replacements.update(dict.fromkeys(logical_ids, "True"))


def new_image_published(world: World) -> None:
    world.fake.ssm.publish(AL2023, NEW_IMAGE)


def queue_changed(policy: str | None = None) -> Callable[[World], None]:
    def setup(world: World) -> None:
        template = json.loads(json.dumps(APP_TEMPLATE))
        template["Resources"]["Queue"]["Properties"]["FifoQueue"] = True
        if policy:
            template["Resources"]["Queue"]["UpdateReplacePolicy"] = policy
        world.change("app", template)

    return setup


def runs_image(image: str) -> Callable[[World, Result], None]:
    return lambda world, result: assert_equal(world.cloudformation.stack(APP_STACK).resolved["ImageId"], image)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "guarded-types-come-from-one-list",
        "DescribeChangeSet's ResourceChange.Replacement True replaces the resource; stackyard.cfn.STATEFUL_TYPES "
        "(log groups ...) and resources whose identity clients hold (SSM parameters, user-pool clients) are guarded",
        ("deploy",),
        Expect(
            1,
            says=(
                "the change would lose data: AppLogs (AWS::Logs::LogGroup) replaced, Flag (AWS::SSM::Parameter) "
                "replaced. Fix: if that is intended, rerun with --allow-replace",
            ),
            must_not=("ExecuteChangeSet",),
        ),
        prepare=app_server(),
        setup=both(
            app_server(AppLogs={"LogGroupName": "/app/test/application"}, Flag={"Name": "/app/test/flags"}),
            replaced("AppLogs", "Flag"),
        ),
    ),
    Scenario(
        "a-replacement-that-keeps-the-old-resource-is-not-data-loss",
        POLICY_ACTION,
        ("deploy",),
        Expect(0, says=("kept (ReplaceAndRetain)", "app      updated"), must=("ExecuteChangeSet",)),
        setup=both(queue_changed("Retain"), replaced("Queue")),
    ),
    Scenario(
        "a-dynamic-change-to-stateful-data-needs-allow-replace",
        DYNAMIC,
        ("deploy",),
        Expect(
            1,
            says=(
                "the change would possibly lose data: Queue (AWS::SQS::Queue) may be replaced (CloudFormation decides "
                "when it runs: Dynamic)",
            ),
            must_not=("ExecuteChangeSet",),
        ),
        setup=both(queue_changed(), lambda world: world.fake.faults.actions.update(Queue="Dynamic")),
    ),
    Scenario(
        "the-image-stays-as-deployed-when-a-new-one-is-published",
        SSM_TYPES,
        ("deploy",),
        Expect(
            0,
            says=(f"parameter ImageId: kept on the deployed image ami-0a1 ({AL2023}:1); --refresh-images takes",),
            must=(f"GetParameterHistory~{AL2023}", f"CreateChangeSet~{AL2023}:1", "ExecuteChangeSet"),
            check=runs_image("ami-0a1"),
        ),
        prepare=app_server(),
        setup=both(new_image_published, app_server(retention=5)),
        then=((("deploy",), Expect(0, says=("app      unchanged",), must_not=("CreateChangeSet",))),),
    ),
    Scenario(
        "refresh-images-replaces-the-instance-only-with-allow-replace",
        SSM_TYPES + "; replacing an EC2 instance is downtime",
        ("deploy", "--refresh-images"),
        Expect(
            1,
            says=(
                f"parameter ImageId: {AL2023} now holds {NEW_IMAGE} (deployed: ami-0a1)",
                "the change would cause downtime: AppServer (AWS::EC2::Instance) replaced. Fix:",
            ),
            must_not=("ExecuteChangeSet",),
        ),
        prepare=app_server(),
        setup=both(new_image_published, replaced("AppServer")),
        then=(
            (
                ("deploy", "--refresh-images", "--allow-replace", "--yes"),
                Expect(0, says=("app      updated",), must=("ExecuteChangeSet",), check=runs_image(NEW_IMAGE)),
            ),
        ),
    ),
    Scenario(
        "an-image-that-cannot-be-pinned-falls-back-to-the-downtime-guard",
        SSM_TYPES + "; a role without ssm:GetParameterHistory is refused AccessDeniedException",
        ("deploy",),
        Expect(
            1,
            says=(
                f"parameter ImageId: cannot pin {AL2023} to the deployed image ami-0a1",
                "the change would cause downtime: AppServer (AWS::EC2::Instance) replaced",
            ),
            must_not=("ExecuteChangeSet",),
        ),
        prepare=app_server(),
        setup=both(
            new_image_published,
            app_server(retention=5),
            replaced("AppServer"),
            lambda world: setattr(world.fake.faults, "history_denied", True),
        ),
    ),
)
