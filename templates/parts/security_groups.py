"""The network stack's `network/security-groups.json` (templates/network.py): the groups of
network.security_groups (seed 000 §1.2), each with explicit egress, their rules, and their outputs.
"""

from __future__ import annotations

from troposphere import Output, Parameter, Ref, Template
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule

from stackyard.config import EnvironmentConfig
from stackyard.config.network import GroupRule
from templates import names
from templates.names import name_tag, pascal
from templates.parts.common import new_template


def security_groups(config: EnvironmentConfig) -> Template:
    """The groups of network.security_groups, each with explicit egress (a group without any gets
    allow-all).

    Egress to another group is inline (config refuses egress cycles); ingress from another group is
    a separate resource, so the references never form a cycle.
    """
    groups = config.network.security_groups
    template = new_template(config, f"security groups ({', '.join(groups)})")
    vpc_id = template.add_parameter(
        Parameter("VpcId", Type="AWS::EC2::VPC::Id", Description="The VPC to create the groups in")
    )
    for key in _creation_order(groups):
        group = groups[key]
        template.add_resource(
            SecurityGroup(
                group_title(key),
                GroupDescription=group.description,
                VpcId=Ref(vpc_id),
                SecurityGroupIngress=[_rule(config, rule) for rule in group.ingress if rule.cidr],
                SecurityGroupEgress=[_rule(config, rule) for rule in group.egress] or [no_egress()],
                Tags=name_tag(config, key),
            )
        )
        template.add_output(
            Output(names.security_group_output(key), Description=group.description, Value=Ref(group_title(key)))
        )
    for key, group in groups.items():
        for rule in group.ingress:
            if rule.group:
                template.add_resource(
                    SecurityGroupIngress(
                        f"{group_title(key)}From{group_title(rule.group)}",
                        GroupId=Ref(group_title(key)),
                        SourceSecurityGroupId=Ref(group_title(rule.group)),
                        Description=rule.description,
                        **_ports(rule),
                    )
                )
    return template


def group_title(key: str) -> str:
    return f"{pascal(key)}SecurityGroup"


def _creation_order(groups: dict) -> list[str]:
    """Groups after the groups their egress rules point at (inline references)."""
    ordered: list[str] = []

    def place(key: str) -> None:
        if key not in ordered:
            for rule in groups[key].egress:
                if rule.group:
                    place(rule.group)
            ordered.append(key)

    for key in groups:
        place(key)
    return ordered


def _rule(config: EnvironmentConfig, rule: GroupRule) -> SecurityGroupRule:
    if rule.group:
        peer = {"DestinationSecurityGroupId": Ref(group_title(rule.group))}
    else:
        peer = {"CidrIp": config.network.vpc_cidr if rule.cidr == "vpc" else rule.cidr}
    return SecurityGroupRule(**_ports(rule), **peer, Description=rule.description)


def _ports(rule: GroupRule) -> dict:
    if rule.protocol == "all":
        return {"IpProtocol": "-1"}
    return {"IpProtocol": rule.protocol, "FromPort": rule.port, "ToPort": rule.port}


def no_egress() -> SecurityGroupRule:
    """A rule that matches nothing: a group with no egress rules would get 'allow all' instead."""
    return SecurityGroupRule(
        IpProtocol="icmp",
        FromPort=252,
        ToPort=86,
        CidrIp="255.255.255.255/32",
        Description="Disallow all egress",
    )
