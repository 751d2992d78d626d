"""Pure unit: an export whose value is a nested stack's output (Fn::GetAtt <NestedStack>.Outputs.X) is
followed into the nested stack (stackyard/deploy/exports.py): a replaced resource there changes it, a
Conditional replacement or a parameter whose value changes may change it."""

from __future__ import annotations

from stackyard.aws import ResourceChange
from stackyard.deploy.exports import (
    CHANGED,
    MAY_CHANGE,
    ExportChange,
    Level,
    exports_changed,
    nested_outputs_used,
    references,
)

PARENT = {
    "Parameters": {"Name": {"Type": "String"}},
    "Resources": {
        "Vpc": {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://b/t.json", "Parameters": {"VpcName": {"Ref": "Name"}}},
        }
    },
    "Outputs": {
        "VpcId": {"Value": {"Fn::GetAtt": ["Vpc", "Outputs.VpcId"]}, "Export": {"Name": "a-VpcId"}},
        "VpcName": {"Value": {"Fn::GetAtt": "Vpc.Outputs.VpcName"}, "Export": {"Name": "a-VpcName"}},
    },
}
CHILD = {
    "Parameters": {"VpcName": {"Type": "String"}},
    "Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}},
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}, "VpcName": {"Value": {"Ref": "VpcName"}}},
}


def level(child_changes=(), parameters=None) -> Level:
    parent = Level(PARENT, PARENT, {}, parameters or {})
    return Level(PARENT, PARENT, {}, parameters or {}, {"Vpc": parent.child("Vpc", CHILD, CHILD, child_changes)})


def test_the_nested_stacks_whose_outputs_exports_take_are_found():
    assert nested_outputs_used(PARENT) == {"Vpc"}
    assert references({"Fn::GetAtt": ["Vpc", "Outputs.VpcId"]}) == {("Vpc", "Outputs.VpcId")}
    assert references({"Fn::Sub": "${Vpc.Outputs.VpcId}-${Name}"}) == {("Vpc", "Outputs.VpcId"), ("Name", "")}


def test_a_resource_replaced_inside_the_nested_stack_changes_the_export():
    replaced = [ResourceChange("Modify", "Vpc", "AWS::EC2::VPC", "True", nested_in="Vpc")]
    assert exports_changed(level(replaced)) == [
        ExportChange("a-VpcId", "VpcId", CHANGED, "Vpc/Vpc (AWS::EC2::VPC) is replaced")
    ]


def test_a_conditional_replacement_inside_the_nested_stack_may_change_the_export():
    conditional = [ResourceChange("Modify", "Vpc", "AWS::EC2::VPC", "Conditional", nested_in="Vpc")]
    assert exports_changed(level(conditional)) == [
        ExportChange("a-VpcId", "VpcId", MAY_CHANGE, "Vpc/Vpc (AWS::EC2::VPC) may be replaced")
    ]


def test_a_parameter_passed_down_to_the_output_may_change_the_export():
    found = exports_changed(level(parameters={"Name": "parameter Name changes"}))
    assert found == [
        ExportChange("a-VpcName", "VpcName", MAY_CHANGE, "parameter VpcName of Vpc may change (parameter Name changes)")
    ]


def test_an_in_place_change_inside_the_nested_stack_leaves_the_exports():
    in_place = [ResourceChange("Modify", "Vpc", "AWS::EC2::VPC", "False", nested_in="Vpc")]
    assert exports_changed(level(in_place)) == []


def test_an_output_the_nested_stack_no_longer_has_changes_the_export():
    without = {**CHILD, "Outputs": {"VpcName": CHILD["Outputs"]["VpcName"]}}
    parent = Level(PARENT, PARENT)
    found = exports_changed(Level(PARENT, PARENT, children={"Vpc": parent.child("Vpc", CHILD, without, [])}))
    assert found == [ExportChange("a-VpcId", "VpcId", CHANGED, "Vpc/VpcId is no longer an output")]
