"""Pure unit: lint_rules/_template_facts.py, the facts every project rule reads from a template.

CloudFormation accepts several spellings of one thing (booleans as strings, GetAtt as a list or a
dotted string, a port range of -1 for "all"); each function here must read every spelling the same
way and refuse to guess at intrinsic functions, or a rule would miss (or invent) a finding.
"""

from __future__ import annotations

import pytest

from lint_rules import _template_facts as facts


class FakeTemplate:
    """What the rules use of cfn-lint's template object: resources by type."""

    def __init__(self, resources: dict):
        self.resources = resources

    def get_resources(self, resource_type: str) -> dict:
        return {name: res for name, res in self.resources.items() if res["Type"] == resource_type}


@pytest.mark.parametrize(
    "metadata, expected",
    [
        ({"Stackyard": {"Application": "shop", "Environment": "test"}}, {"Application": "shop", "Environment": "test"}),
        ({"Stackyard": {"Application": "shop"}}, None),
        ({"Stackyard": {"Application": "", "Environment": "test"}}, None),
        ({"Stackyard": "shop-test"}, None),
        ("not a mapping", None),
    ],
)
def test_stackyard_metadata_needs_both_names(metadata, expected):
    assert facts.stackyard_metadata({"Metadata": metadata}) == expected
    assert facts.stackyard_metadata({}) is None


@pytest.mark.parametrize(
    "value, true, false",
    [
        (True, True, False),
        ("true", True, False),
        ("TRUE", True, False),
        (False, False, True),
        ("false", False, True),
        ({"Ref": "Flag"}, False, False),
        (None, False, False),
    ],
)
def test_booleans_read_as_cloudformation_reads_them(value, true, false):
    assert (facts.is_true(value), facts.is_false(value)) == (true, false)


@pytest.mark.parametrize(
    "value, expected",
    [(5, 5), ("443", 443), (" 22 ", 22), (3.0, 3), (2.5, None), (True, None), ({"Ref": "Port"}, None), ("x", None)],
)
def test_as_int_takes_literal_numbers_only(value, expected):
    assert facts.as_int(value) == expected


def test_getatt_reads_both_forms_and_nothing_else():
    assert facts.getatt({"Fn::GetAtt": ["Db", "Endpoint.Address"]}) == ("Db", "Endpoint.Address")
    assert facts.getatt({"Fn::GetAtt": "Db.Endpoint.Address"}) == ("Db", "Endpoint.Address")
    assert facts.getatt({"Fn::GetAtt": ["Db"]}) is None
    assert facts.getatt({"Ref": "Db"}) is None


def test_import_names_only_of_literal_exports():
    assert facts.import_name({"Fn::ImportValue": "shop-test-VpcId"}) == "shop-test-VpcId"
    assert facts.import_name({"Fn::ImportValue": {"Fn::Sub": "${App}-VpcId"}}) is None
    listed = {"Fn::Split": [",", {"Fn::ImportValue": "shop-test-PrivateSubnetIds"}]}
    assert facts.split_import_name(listed) == "shop-test-PrivateSubnetIds"
    assert facts.split_import_name({"Fn::Split": [";", {"Fn::ImportValue": "x"}]}) is None


def test_name_text_keeps_sub_placeholders_and_describe_names_expressions():
    assert facts.name_text({"Fn::Sub": ["shop-${Env}-jobs", {"Env": "test"}]}) == "shop-${Env}-jobs"
    assert facts.name_text({"Ref": "Name"}) is None
    assert facts.describe({"Ref": "Vpc"}) == "Vpc"
    assert facts.describe({"Fn::GetAtt": ["Db", "Port"]}) == "Db.Port"
    assert facts.describe({"Fn::ImportValue": "shop-test-AlbSg"}) == "import shop-test-AlbSg"


def test_rds_instance_in_cluster_by_cluster_or_aurora_engine():
    assert facts.rds_instance_in_cluster({"DBClusterIdentifier": {"Ref": "Cluster"}})
    assert facts.rds_instance_in_cluster({"Engine": "aurora-postgresql"})
    assert not facts.rds_instance_in_cluster({"Engine": "postgres"})


@pytest.mark.parametrize(
    "rule, ports, text",
    [
        ({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}, (443, 443), "tcp port 443"),
        ({"IpProtocol": "tcp", "FromPort": "80", "ToPort": "90"}, (80, 90), "tcp ports 80-90"),
        ({"IpProtocol": "-1"}, (0, 65535), "every protocol and port"),
        ({"IpProtocol": "tcp"}, (0, 65535), "tcp ports 0-65535"),  # EC2 reads no ports as all of them
        ({"IpProtocol": "tcp", "FromPort": -1, "ToPort": -1}, (0, 65535), "tcp ports 0-65535"),
        (
            {"IpProtocol": "tcp", "FromPort": {"Ref": "Port"}, "ToPort": 1},
            None,
            "tcp ports given by intrinsic functions",
        ),
        ({"IpProtocol": "icmp", "FromPort": 8, "ToPort": 0}, (8, 0), "protocol icmp"),
    ],
)
def test_ingress_ports_in_every_spelling(rule, ports, text):
    ingress = facts.Ingress("Group", "Group", [], rule)
    assert ingress.ports == ports
    assert ingress.port_text() == text


def test_ingress_admits_a_port_only_within_a_tcp_range():
    web = facts.Ingress(
        "Group", "Group", [], {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
    )
    assert web.admits_port(443) and not web.admits_port(22)
    assert not facts.Ingress("G", "G", [], {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53}).admits_port(53)
    assert web.cidr_sources == ["0.0.0.0/0"] and web.source() == "CidrIp 0.0.0.0/0"


def test_ingress_rules_found_inline_and_as_separate_resources_with_their_paths():
    template = FakeTemplate(
        {
            "AppGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]},
            },
            "FromAlb": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Ref": "AppGroup"},
                    "IpProtocol": "tcp",
                    "FromPort": 8000,
                    "ToPort": 8000,
                    "SourceSecurityGroupId": {"Fn::ImportValue": "shop-test-AlbSg"},
                },
            },
        }
    )
    found = list(facts.ingress_rules(template))
    assert [(rule.resource, rule.group, rule.path) for rule in found] == [
        ("AppGroup", "AppGroup", ["Resources", "AppGroup", "Properties", "SecurityGroupIngress", 0]),
        ("FromAlb", "AppGroup", ["Resources", "FromAlb", "Properties"]),
    ]
    assert [facts.ingress_subject(rule) for rule in found] == [
        "Resource AppGroup",
        "Resource FromAlb (ingress to AppGroup)",
    ]
    assert found[1].from_security_group
