"""Pure unit: the network stack's generated templates hold the facts of seed 000 §1.2 (and 001 task 2)."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from stackyard.config import Network
from tests.helpers import ENVS, picked, properties, resources, template

EC2_DESCRIPTION = re.compile(r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$")  # what EC2 accepts in SG descriptions


def vpc(builds, env):
    return template(builds, env, "network/vpc.json")


def groups(builds, env):
    return template(builds, env, "network/security-groups.json")


@pytest.mark.parametrize("env", ENVS)
def test_vpc_is_10_0_0_0_16_with_dns(builds, env):
    assert picked(properties(vpc(builds, env), "Vpc"), "CidrBlock", "EnableDnsSupport", "EnableDnsHostnames") == {
        "CidrBlock": "10.0.0.0/16",
        "EnableDnsSupport": True,
        "EnableDnsHostnames": True,
    }


@pytest.mark.parametrize("env", ENVS)
def test_public_and_private_subnets_span_two_zones(builds, env):
    subnets = resources(vpc(builds, env), "AWS::EC2::Subnet")
    zones = {name: subnet["Properties"]["AvailabilityZone"]["Fn::Select"][0] for name, subnet in subnets.items()}
    assert zones == {"PublicSubnet1": 0, "PublicSubnet2": 1, "PrivateSubnet1": 0, "PrivateSubnet2": 1}
    cidrs = {name: subnet["Properties"]["CidrBlock"] for name, subnet in subnets.items()}
    assert cidrs == {
        "PublicSubnet1": "10.0.0.0/20",
        "PublicSubnet2": "10.0.16.0/20",
        "PrivateSubnet1": "10.0.128.0/20",
        "PrivateSubnet2": "10.0.144.0/20",
    }
    assert not any(subnet["Properties"]["MapPublicIpOnLaunch"] for subnet in subnets.values())


@pytest.mark.parametrize("env", ENVS)
def test_internet_gateway_is_attached_and_public_subnets_route_to_it(builds, env):
    document = vpc(builds, env)
    assert properties(document, "InternetGatewayAttachment") == {
        "VpcId": {"Ref": "Vpc"},
        "InternetGatewayId": {"Ref": "InternetGateway"},
    }
    assert properties(document, "PublicDefaultRoute")["GatewayId"] == {"Ref": "InternetGateway"}
    for zone in (1, 2):
        association = properties(document, f"PublicSubnet{zone}RouteTableAssociation")
        assert association["RouteTableId"] == {"Ref": "PublicRouteTable"}


@pytest.mark.parametrize(
    ("env", "nat_for_zone"),
    [
        ("dev", {1: "NatGateway1", 2: "NatGateway1"}),  # single NAT for cost
        ("test", {1: "NatGateway1", 2: "NatGateway1"}),
        ("prod", {1: "NatGateway1", 2: "NatGateway2"}),  # one per AZ
    ],
)
def test_private_subnets_reach_out_through_the_environments_nat(builds, env, nat_for_zone):
    document = vpc(builds, env)
    assert set(resources(document, "AWS::EC2::NatGateway")) == set(nat_for_zone.values())
    for zone, nat in nat_for_zone.items():
        assert properties(document, f"PrivateDefaultRoute{zone}")["NatGatewayId"] == {"Ref": nat}
        assert properties(document, f"PrivateSubnet{zone}RouteTableAssociation")["RouteTableId"] == {
            "Ref": f"PrivateRouteTable{zone}"
        }
    for zone, nat in enumerate(sorted(set(nat_for_zone.values())), 1):
        assert properties(document, nat)["SubnetId"] == {"Ref": f"PublicSubnet{zone}"}


def test_no_nat_leaves_private_subnets_without_a_default_route(configs):
    from templates import network

    config = configs["test"].model_copy(update={"network": configs["test"].network.model_copy(update={"nat": "none"})})
    document = network.build(config).children["vpc"].to_dict()
    assert resources(document, "AWS::EC2::NatGateway") == {}
    assert not [name for name in document["Resources"] if name.startswith("PrivateDefaultRoute")]


def test_three_zones_give_three_subnets_of_each_tier(configs):
    from templates import network

    config = configs["test"].model_copy(
        update={"network": configs["test"].network.model_copy(update={"availability_zones": 3})}
    )
    subnets = resources(network.build(config).children["vpc"].to_dict(), "AWS::EC2::Subnet")
    assert sorted(subnets) == [f"{tier}Subnet{zone}" for tier in ("Private", "Public") for zone in (1, 2, 3)]


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("test", 30), ("prod", 365)])
def test_flow_logs_capture_all_traffic_into_a_retained_log_group(builds, env, days):
    document = vpc(builds, env)
    flow_log = properties(document, "FlowLog")
    assert picked(flow_log, "TrafficType", "ResourceType", "LogDestinationType", "LogGroupName") == {
        "TrafficType": "ALL",
        "ResourceType": "VPC",
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": {"Ref": "FlowLogGroup"},
    }
    assert properties(document, "FlowLogGroup")["RetentionInDays"] == days


def test_flow_log_role_is_trusted_by_flow_logs_only_and_writes_only_its_group(builds):
    role = properties(vpc(builds, "test"), "FlowLogRole")
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    [policy] = role["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Resource"] == [{"Fn::GetAtt": ["FlowLogGroup", "Arn"]}]


def ingress(document, group):
    """(protocol, from, to, source) of every ingress to `group`, inline or separate."""
    rules = {
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"])
        for r in properties(document, group)["SecurityGroupIngress"]
    }
    for rule in resources(document, "AWS::EC2::SecurityGroupIngress").values():
        if rule["Properties"]["GroupId"] == {"Ref": group}:
            props = rule["Properties"]
            rules.add((props["IpProtocol"], props["FromPort"], props["ToPort"], props["SourceSecurityGroupId"]["Ref"]))
    return rules


@pytest.mark.parametrize("env", ENVS)
def test_security_groups_admit_only_what_seed_000_lists(builds, env):
    document = groups(builds, env)
    # Seed 000 §1.2's sg-alb admits 443 from 0.0.0.0/0; the load balancer is internal now, and the edge
    # stack admits CloudFront's origin-facing prefix list alone (issue 13, docs/security.md).
    assert ingress(document, "AlbSecurityGroup") == set()
    assert ingress(document, "AppSecurityGroup") == {("tcp", 8000, 8000, "AlbSecurityGroup")}
    assert ingress(document, "DatabaseSecurityGroup") == {("tcp", 5432, 5432, "AppSecurityGroup")}
    assert ingress(document, "PipelineSecurityGroup") == {("tcp", 22, 22, "203.0.113.10/32")}


def test_every_group_states_its_egress_and_the_database_has_none(builds):
    document = groups(builds, "test")
    for group in resources(document, "AWS::EC2::SecurityGroup").values():
        assert group["Properties"]["SecurityGroupEgress"]
    [database_egress] = properties(document, "DatabaseSecurityGroup")["SecurityGroupEgress"]
    assert database_egress["CidrIp"] == "255.255.255.255/32"
    alb_egress = properties(document, "AlbSecurityGroup")["SecurityGroupEgress"]
    assert [(rule["FromPort"], rule["DestinationSecurityGroupId"]) for rule in alb_egress] == [
        (8000, {"Ref": "AppSecurityGroup"})
    ]


@pytest.mark.parametrize("env", ENVS)
def test_every_group_and_rule_is_described_in_characters_ec2_accepts(builds, env):
    document = groups(builds, env)
    descriptions = []
    for group in resources(document, "AWS::EC2::SecurityGroup").values():
        props = group["Properties"]
        descriptions.append(props["GroupDescription"])
        descriptions += [rule["Description"] for rule in props["SecurityGroupIngress"] + props["SecurityGroupEgress"]]
    descriptions += [
        rule["Properties"]["Description"] for rule in resources(document, "AWS::EC2::SecurityGroupIngress").values()
    ]
    assert all(description and EC2_DESCRIPTION.match(description) for description in descriptions), descriptions


@pytest.mark.parametrize("env", ENVS)
def test_parent_nests_both_children_by_relative_path_and_exports_their_outputs(builds, env):
    parent = template(builds, env, "network.json")
    stacks = resources(parent, "AWS::CloudFormation::Stack")
    assert {name: stack["Properties"]["TemplateURL"] for name, stack in stacks.items()} == {
        "Vpc": "network/vpc.json",
        "SecurityGroups": "network/security-groups.json",
    }
    assert stacks["SecurityGroups"]["Properties"]["Parameters"] == {"VpcId": {"Fn::GetAtt": ["Vpc", "Outputs.VpcId"]}}
    children_outputs = set(vpc(builds, env)["Outputs"]) | set(groups(builds, env)["Outputs"])
    assert {name: output["Export"]["Name"] for name, output in parent["Outputs"].items()} == {
        name: f"one-system-{env}-{name}" for name in children_outputs
    }


@given(
    vpc_prefix=st.integers(min_value=16, max_value=24),
    zones=st.sampled_from([2, 3]),
    extra_bits=st.integers(min_value=0, max_value=4),
    private_range=st.sampled_from(["10.0.0.0", "172.16.0.0", "192.168.0.0"]),  # each /16 or larger
)
def test_subnets_lie_inside_the_vpc_without_overlap_or_are_refused(vpc_prefix, zones, extra_bits, private_range):
    vpc_cidr = str(ipaddress.IPv4Network(f"{private_range}/{vpc_prefix}", strict=False))
    fields = {
        "vpc_cidr": vpc_cidr,
        "availability_zones": zones,
        "subnet_prefix_length": vpc_prefix + extra_bits,
        "nat": "single",
        "vpc_endpoints": False,
        "flow_logs": {"retention_days": 7},
    }
    # One bit splits the VPC into public and private halves; each half needs a subnet per zone.
    if 2 ** (extra_bits - 1) < zones:
        with pytest.raises(ValidationError, match="subnets do not fit"):
            Network(**fields)
        return
    network = Network(**fields)
    subnets = [ipaddress.IPv4Network(cidr) for cidr in network.public_subnet_cidrs() + network.private_subnet_cidrs()]
    assert len(subnets) == 2 * zones
    assert all(subnet.subnet_of(ipaddress.IPv4Network(vpc_cidr)) for subnet in subnets)
    assert not any(a.overlaps(b) for index, a in enumerate(subnets) for b in subnets[index + 1 :])


def test_vpc_endpoints_let_the_private_subnets_reach_s3_and_secrets_manager_without_a_nat(configs):
    from templates import network

    config = configs["test"].model_copy(
        update={"network": configs["test"].network.model_copy(update={"nat": "none", "vpc_endpoints": True})}
    )
    document = network.build(config).children["vpc"].to_dict()
    endpoints = resources(document, "AWS::EC2::VPCEndpoint")
    assert {name: endpoint["Properties"]["ServiceName"] for name, endpoint in endpoints.items()} == {
        "S3Endpoint": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
        "SecretsManagerEndpoint": {"Fn::Sub": "com.amazonaws.${AWS::Region}.secretsmanager"},
        # the app server's Session Manager (test_compute.py)
        "SsmEndpoint": {"Fn::Sub": "com.amazonaws.${AWS::Region}.ssm"},
        "SsmMessagesEndpoint": {"Fn::Sub": "com.amazonaws.${AWS::Region}.ssmmessages"},
        "Ec2MessagesEndpoint": {"Fn::Sub": "com.amazonaws.${AWS::Region}.ec2messages"},
    }
    assert endpoints["S3Endpoint"]["Properties"]["RouteTableIds"] == [
        {"Ref": "PrivateRouteTable1"},
        {"Ref": "PrivateRouteTable2"},
    ]
    secrets = endpoints["SecretsManagerEndpoint"]["Properties"]
    assert secrets["PrivateDnsEnabled"] is True
    assert secrets["SubnetIds"] == [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]
    ingress = properties(document, "EndpointSecurityGroup")["SecurityGroupIngress"]
    assert [(rule["FromPort"], rule["CidrIp"]) for rule in ingress] == [(443, "10.0.0.0/16")]


def test_without_the_option_there_are_no_endpoints(builds):
    assert resources(vpc(builds, "test"), "AWS::EC2::VPCEndpoint") == {}
