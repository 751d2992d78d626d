"""Fault matrix rows: exports whose value is a nested stack's output (issue 11 item 7), all of a network
stack's: the export check follows Fn::GetAtt <NestedStack>.Outputs.X into the nested stack and its
nested change set, before ExecuteChangeSet, and names the importers (ListImports)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.faults.scenarios.common import NO_WRITES, Expect, Scenario, both
from tests.faults.world import APP_TEMPLATE, NESTED_NETWORK_TEMPLATE, VPC_TEMPLATE, World

NESTED_EXPORT = (
    "An export in use cannot change (User Guide, 'Exporting stack output values'); with IncludeNestedStacks a "
    "nested stack's changes are in its own change set, named by the ChangeSetId of its resource change "
    "(DescribeChangeSet API reference)"
)


def copied(template: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(template)))


def vpc_replaced(replacement: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        vpc = copied(VPC_TEMPLATE)
        vpc["Resources"]["Vpc"]["Properties"]["CidrBlock"] = "10.1.0.0/16"
        world.change("network/vpc", vpc)
        world.fake.faults.replacements["Vpc/Vpc"] = replacement

    return setup


def vpc_name_passed_down(name: str) -> Callable[[World], None]:
    """network passes its VpcName parameter to the nested stack, which outputs it; network exports it, app imports it."""

    def setup(world: World) -> None:
        network = copied(NESTED_NETWORK_TEMPLATE)
        network["Parameters"] = {"VpcName": {"Type": "String", "Default": name}}
        network["Resources"]["Vpc"]["Properties"]["Parameters"] = {"VpcName": {"Ref": "VpcName"}}
        network["Outputs"]["VpcName"] = {
            "Value": {"Fn::GetAtt": ["Vpc", "Outputs.VpcName"]},
            "Export": {"Name": "app-test-VpcName"},
        }
        vpc = copied(VPC_TEMPLATE)
        vpc["Parameters"] = {"VpcName": {"Type": "String"}}
        vpc["Resources"]["Vpc"]["Properties"]["Tags"] = [{"Key": "Name", "Value": {"Ref": "VpcName"}}]
        vpc["Outputs"]["VpcName"] = {"Value": {"Ref": "VpcName"}}
        app = copied(APP_TEMPLATE)
        app["Resources"]["Group"]["Properties"]["Tags"] = [
            {"Key": "Vpc", "Value": {"Fn::ImportValue": "app-test-VpcName"}}
        ]
        world.templates |= {"network": network, "network/vpc": vpc, "app": app}
        world.write_build()

    return setup


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "an-export-from-a-nested-stack-whose-resource-is-replaced-stops-the-update",
        NESTED_EXPORT,
        ("deploy",),
        Expect(
            1,
            says=(
                "export app-test-VpcId (changed: Vpc/Vpc (AWS::EC2::VPC) is replaced) is imported by app-test-app",
                "Fix, in two steps",
            ),
            must=("DescribeChangeSet~app-test-network-Vpc-", "ListImports~app-test-VpcId", "DeleteChangeSet"),
            must_not=("ExecuteChangeSet",),
            before=(("ListImports~app-test-VpcId", "DeleteChangeSet"),),
        ),
        setup=vpc_replaced("True"),
        nested=True,
    ),
    Scenario(
        "a-conditional-replacement-inside-a-nested-stack-may-change-its-export",
        NESTED_EXPORT + "; Replacement Conditional may replace the resource",
        ("plan",),
        Expect(
            1,
            says=(
                "network  blocked",
                "REFUSED: export app-test-VpcId (may change: Vpc/Vpc (AWS::EC2::VPC) may be replaced) is imported by "
                "app-test-app",
            ),
            must=("ListImports~app-test-VpcId", "PutObject~templates/"),  # a plan uploads content-addressed templates
            must_not=tuple(call for call in NO_WRITES if call != "PutObject"),
        ),
        setup=vpc_replaced("Conditional"),
        nested=True,
    ),
    Scenario(
        "an-export-a-changing-parameter-reaches-through-a-nested-stack-may-change",
        NESTED_EXPORT + "; a nested stack's parameter takes the value its parent passes",
        ("deploy",),
        Expect(
            1,
            says=(
                "export app-test-VpcName (may change: parameter VpcName of Vpc may change (parameter VpcName changes)) "
                "is imported by app-test-app",
            ),
            must=("ListImports~app-test-VpcName",),
            must_not=("ExecuteChangeSet", "ListImports~app-test-VpcId"),
        ),
        prepare=vpc_name_passed_down("main"),
        setup=both(vpc_name_passed_down("renamed")),
        nested=True,
    ),
)
