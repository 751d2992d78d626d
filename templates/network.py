"""Network stack (seed 000 §1.2): a VPC and its security groups, composed as two nested stacks.

`network.json` nests `network/vpc.json` (VPC, subnets, routing, NAT, flow logs) and
`network/security-groups.json` (the four groups of §1.2), and exports every output of both. The security
groups' template is built in templates/parts/security_groups.py.
"""

from __future__ import annotations

from awacs import logs
from awacs.aws import Allow, Statement
from troposphere import GetAtt, GetAZs, Join, Output, Ref, Select, Sub, Template
from troposphere.ec2 import (
    EIP,
    VPC,
    FlowLog,
    InternetGateway,
    NatGateway,
    Route,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    SubnetRouteTableAssociation,
    VPCEndpoint,
    VPCGatewayAttachment,
)
from troposphere.iam import Policy, Role

from stackyard.config import EnvironmentConfig
from templates import names
from templates.names import name_tag
from templates.parts.common import (
    ANYWHERE,
    StackTemplates,
    kept_log_group,
    nested_stack,
    new_template,
    reexport_children_outputs,
    tag_resources,
)
from templates.parts.policies import document, service_role_trust
from templates.parts.security_groups import no_egress, security_groups

NAME = names.NETWORK
# Session Manager's endpoints: how the app server's SSM agent reaches it from a private subnet without
# going through the NAT (seed 000 §1.7 runbook: shells through Session Manager, no SSH).
SESSION_MANAGER_ENDPOINTS = {"Ssm": "ssm", "SsmMessages": "ssmmessages", "Ec2Messages": "ec2messages"}


def build(config: EnvironmentConfig) -> StackTemplates:
    children = {"Vpc": ("vpc", _vpc(config), {})}
    if config.network.security_groups:
        children["SecurityGroups"] = (
            "security-groups",
            security_groups(config),
            {"VpcId": GetAtt("Vpc", f"Outputs.{names.VPC_ID}")},
        )
    network = config.network
    parts = (
        ["VPC", "subnets"]
        + ["NAT"] * (network.nat != "none")
        + ["flow logs"] * bool(network.flow_logs)
        + ["security groups"] * bool(network.security_groups)
    )
    parent = new_template(config, f"network ({', '.join(parts)})")
    for title, (child, _, parameters) in children.items():
        parent.add_resource(nested_stack(title, NAME, child, parameters or None))
    reexport_children_outputs(parent, config, {title: template for title, (_, template, _) in children.items()})
    return StackTemplates(
        NAME,
        tag_resources(parent, config),
        {child: tag_resources(template, config) for child, template, _ in children.values()},
    )


# --- vpc.json ----------------------------------------------------------------------------------


def _vpc(config: EnvironmentConfig) -> Template:
    network = config.network
    template = new_template(config, f"VPC {network.vpc_cidr} across {network.availability_zones} AZs")
    vpc = template.add_resource(
        VPC(
            "Vpc",
            CidrBlock=network.vpc_cidr,
            EnableDnsSupport=True,
            EnableDnsHostnames=True,
            Tags=name_tag(config, "vpc"),
        )
    )
    gateway = template.add_resource(InternetGateway("InternetGateway", Tags=name_tag(config, "igw")))
    attachment = template.add_resource(
        VPCGatewayAttachment(
            "InternetGatewayAttachment",
            VpcId=Ref(vpc),
            InternetGatewayId=Ref(gateway),
        )
    )
    public_routes = template.add_resource(
        RouteTable(
            "PublicRouteTable",
            VpcId=Ref(vpc),
            Tags=name_tag(config, "public"),
        )
    )
    template.add_resource(
        Route(
            "PublicDefaultRoute",
            RouteTableId=Ref(public_routes),
            DestinationCidrBlock=ANYWHERE,
            GatewayId=Ref(gateway),
            DependsOn=attachment.title,
        )
    )
    public = [
        _subnet(template, config, "Public", zone, cidr, Ref(public_routes))
        for zone, cidr in enumerate(network.public_subnet_cidrs())
    ]
    nat_gateways = _nat_gateways(template, config, public, attachment.title)
    private = []
    for zone, cidr in enumerate(network.private_subnet_cidrs() if network.has_private_subnets else []):
        routes = template.add_resource(
            RouteTable(
                f"PrivateRouteTable{zone + 1}",
                VpcId=Ref(vpc),
                Tags=name_tag(config, f"private-{zone + 1}"),
            )
        )
        if nat_gateways:
            template.add_resource(
                Route(
                    f"PrivateDefaultRoute{zone + 1}",
                    RouteTableId=Ref(routes),
                    DestinationCidrBlock=ANYWHERE,
                    NatGatewayId=Ref(nat_gateways[zone % len(nat_gateways)]),
                )
            )
        private.append(_subnet(template, config, "Private", zone, cidr, Ref(routes)))
    if network.vpc_endpoints:
        # Where the private tier is, its route tables and subnets; without one, the public ones.
        route_tables = [Ref(f"PrivateRouteTable{zone + 1}") for zone in range(len(private))] or [Ref(public_routes)]
        _endpoints(template, config, vpc, private or public, route_tables)
    if network.flow_logs:
        _flow_logs(template, config, vpc)
    _vpc_outputs(template, vpc, public, private)
    return template


def _subnet(template: Template, config: EnvironmentConfig, tier: str, zone: int, cidr: str, route_table) -> Subnet:
    subnet = template.add_resource(
        Subnet(
            f"{tier}Subnet{zone + 1}",
            VpcId=Ref("Vpc"),
            CidrBlock=cidr,
            AvailabilityZone=Select(zone, GetAZs("")),
            # The ALB and NAT get their addresses; instances only where params say (a VPC without a private tier).
            MapPublicIpOnLaunch=tier == "Public" and config.network.public_ip_on_launch,
            Tags=name_tag(config, f"{tier.lower()}-{zone + 1}"),
        )
    )
    template.add_resource(
        SubnetRouteTableAssociation(
            f"{subnet.title}RouteTableAssociation",
            SubnetId=Ref(subnet),
            RouteTableId=route_table,
        )
    )
    return subnet


def _nat_gateways(template: Template, config: EnvironmentConfig, public: list[Subnet], attachment: str) -> list:
    count = {"none": 0, "single": 1, "per_az": len(public)}[config.network.nat]
    gateways = []
    for zone in range(count):
        address = template.add_resource(
            EIP(
                f"NatAddress{zone + 1}",
                Domain="vpc",
                DependsOn=attachment,
                Tags=name_tag(config, f"nat-{zone + 1}"),
            )
        )
        gateways.append(
            template.add_resource(
                NatGateway(
                    f"NatGateway{zone + 1}",
                    AllocationId=GetAtt(address, "AllocationId"),
                    SubnetId=Ref(public[zone]),
                    Tags=name_tag(config, f"nat-{zone + 1}"),
                )
            )
        )
    return gateways


def _endpoints(
    template: Template, config: EnvironmentConfig, vpc: VPC, subnets: list[Subnet], route_tables: list[Ref]
) -> None:
    """What Lambdas in the private subnets reach without a NAT: S3 (CloudFormation's pre-signed
    response URLs, same region) through a gateway, Secrets Manager through an interface; with an app
    server, Session Manager's three interfaces."""
    template.add_resource(
        VPCEndpoint(
            "S3Endpoint",
            VpcId=Ref(vpc),
            VpcEndpointType="Gateway",
            ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
            RouteTableIds=route_tables,
        )
    )
    group = template.add_resource(
        SecurityGroup(
            "EndpointSecurityGroup",
            GroupDescription="Interface endpoints: HTTPS from inside the VPC",
            VpcId=Ref(vpc),
            SecurityGroupIngress=[
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=443,
                    ToPort=443,
                    CidrIp=config.network.vpc_cidr,
                    Description="HTTPS from the VPC",
                )
            ],
            SecurityGroupEgress=[no_egress()],
            Tags=name_tag(config, "endpoints"),
        )
    )
    interfaces = {"SecretsManager": "secretsmanager"}
    if names.COMPUTE in config.stacks:
        interfaces.update(SESSION_MANAGER_ENDPOINTS)
    for title, service in interfaces.items():
        template.add_resource(
            VPCEndpoint(
                f"{title}Endpoint",
                VpcId=Ref(vpc),
                VpcEndpointType="Interface",
                ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                PrivateDnsEnabled=True,
                SubnetIds=[Ref(subnet) for subnet in subnets],
                SecurityGroupIds=[Ref(group)],
            )
        )


def _flow_logs(template: Template, config: EnvironmentConfig, vpc: VPC) -> None:
    flow_logs = config.network.flow_logs
    log_group = kept_log_group(
        template, config, "FlowLogGroup", names.flow_log_group_name(config), flow_logs.retention_days
    )
    role = template.add_resource(
        Role(
            "FlowLogRole",
            Description="Lets VPC Flow Logs write to this VPC's flow log group",
            AssumeRolePolicyDocument=service_role_trust("vpc-flow-logs.amazonaws.com"),
            Policies=[
                Policy(
                    PolicyName="deliver-to-flow-log-group",
                    PolicyDocument=document(
                        Statement(
                            Effect=Allow,
                            Action=[logs.CreateLogStream, logs.PutLogEvents, logs.DescribeLogStreams],
                            Resource=[GetAtt(log_group, "Arn")],
                        )
                    ),
                )
            ],
        )
    )
    template.add_resource(
        FlowLog(
            "FlowLog",
            ResourceId=Ref(vpc),
            ResourceType="VPC",
            TrafficType=flow_logs.traffic_type,
            LogDestinationType="cloud-watch-logs",
            LogGroupName=Ref(log_group),
            DeliverLogsPermissionArn=GetAtt(role, "Arn"),
        )
    )


def _vpc_outputs(template: Template, vpc: VPC, public: list[Subnet], private: list[Subnet]) -> None:
    template.add_output(
        [
            Output(names.VPC_ID, Description="VPC id", Value=Ref(vpc)),
            Output("VpcCidr", Description="VPC IPv4 CIDR block", Value=GetAtt(vpc, "CidrBlock")),
            Output(
                names.PUBLIC_SUBNET_IDS,
                Description="Public subnet ids, comma-separated, one per AZ",
                Value=Join(",", [Ref(subnet) for subnet in public]),
            ),
            Output(
                "AvailabilityZones",
                Description="The availability zones of the subnets, comma-separated",
                Value=Join(",", [GetAtt(subnet, "AvailabilityZone") for subnet in public]),
            ),
        ]
    )
    # Each subnet on its own too (seed 003 task 1: "All 3 subnet IDs (export with names ...)").
    template.add_output(
        [
            Output(f"{subnet.title}Id", Description=f"{subnet.title}'s id", Value=Ref(subnet))
            for subnet in [*public, *private]
        ]
    )
    if private:
        template.add_output(
            [
                Output(
                    names.PRIVATE_SUBNET_IDS,
                    Description="Private subnet ids, comma-separated, one per AZ",
                    Value=Join(",", [Ref(subnet) for subnet in private]),
                ),
                Output(
                    "PrivateRouteTableIds",
                    Description="Private route table ids, comma-separated, one per AZ",
                    Value=Join(",", [Ref(f"PrivateRouteTable{zone + 1}") for zone in range(len(private))]),
                ),
            ]
        )
