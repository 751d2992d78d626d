"""params `network`: the VPC, its subnets and NAT, and the security groups every stack's resources sit in.

Its checks: each rule names a group that exists, egress rules form no cycle, each stack's group is
defined, and the traffic the stacks need is allowed at both ends.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackyard.config.database import AURORA, DATABASE_PORT
from stackyard.config.fields import Cidr, LogRetentionDays, Model, matching
from stackyard.config.problems import problem_at
from stackyard.config.stacks import app_behind_load_balancer, app_port
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

NatMode = Literal["none", "single", "per_az"]
SecurityGroupKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
HTTPS_PORT = 443
# Ports that administer a host: never open to more than a /16.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
# The security group each stack puts its resources in, by key in network.security_groups.
STACK_SECURITY_GROUPS = {"database": "database", "compute": "app", "containers": "app", "edge": "alb"}
# Stacks whose resources live in the private subnets.
PRIVATE_SUBNET_STACKS = ("database", "compute", "containers")

# Address space no one routes on the internet: RFC 1918, and RFC 6598's shared space, which AWS allows
# for VPCs. A VPC elsewhere shadows someone's public addresses (8.8.0.0/16 would hide Google's DNS).
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

# What EC2 accepts in a security group's description and its rules' descriptions.
GroupText = Annotated[
    str,
    Field(max_length=255),
    matching(
        r"[A-Za-z0-9. _\-:/()#,@\[\]+=&;{}!$*]+",
        "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 refuses other characters, such as apostrophes)",
    ),
]


class FlowLogs(Model):
    retention_days: LogRetentionDays
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class GroupRule(Model):
    """One ingress or egress rule: a port (or all traffic) to or from a CIDR, the VPC, or a group."""

    description: GroupText
    protocol: Literal["tcp", "udp", "all"] = "tcp"
    port: int | None = Field(default=None, ge=0, le=65535)
    cidr: Cidr | Literal["vpc"] | None = None
    group: SecurityGroupKey | None = None

    @model_validator(mode="after")
    def _one_peer_and_a_port(self) -> GroupRule:
        if (self.cidr is None) == (self.group is None):
            raise ValueError("expected exactly one of cidr (a.b.c.d/n, or vpc) or group (a security group key)")
        if self.protocol == "all" and self.port is not None:
            raise ValueError(f"protocol all covers every port; expected no port beside it (got {self.port})")
        if self.protocol in ("tcp", "udp") and self.port is None:
            raise ValueError(f"expected a port for {self.protocol}, or protocol: all")
        return self

    def allows(self, peer: str | None, port: int) -> bool:
        """Whether the rule covers `port` to or from group `peer` (None: addresses outside the VPC)."""
        reaches = self.group == peer if peer else self.cidr not in (None, "vpc")
        return reaches and (self.port == port or self.protocol == "all")


class IngressRule(GroupRule):
    @model_validator(mode="after")
    def _admin_ports_stay_narrow(self) -> IngressRule:
        admin_port = ADMIN_PORTS.get(self.port) if self.port is not None else None
        opens = admin_port or ("every port" if self.protocol == "all" else None)
        if self.cidr not in (None, "vpc") and opens and ipaddress.IPv4Network(self.cidr).prefixlen < 16:
            addresses = ipaddress.IPv4Network(self.cidr).num_addresses
            raise ValueError(
                f"got {self.cidr!r}, which opens {opens} to {addresses:,} addresses; expected the "
                f"admin network with a prefix length of 16 or more, e.g. 203.0.113.10/32"
            )
        return self


class SecurityGroup(Model):
    description: GroupText
    ingress: list[IngressRule] = Field(default_factory=list)
    egress: list[GroupRule] = Field(default_factory=list)  # none: the group may not send anything


class Network(Model):
    # true: a VPC CIDR outside PRIVATE_RANGES, for address space the organisation owns. Declared before
    # vpc_cidr, whose check reads it.
    allow_public_vpc_cidr: bool = False
    vpc_cidr: Cidr
    availability_zones: Literal[2, 3]

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, cidr: str, info: ValidationInfo) -> str:
        # cfn-lint does not check this; EC2 refuses any other size at deploy time.
        network = ipaddress.IPv4Network(cidr)
        if not 16 <= network.prefixlen <= 28:
            raise ValueError(f"got {cidr!r}; a VPC's prefix length must be from /16 to /28, e.g. 10.0.0.0/16")
        if not info.data.get("allow_public_vpc_cidr") and not any(network.subnet_of(r) for r in PRIVATE_RANGES):
            raise ValueError(
                f"got {cidr!r}, which is not private address space: the VPC would shadow those public addresses "
                f"for everything in it. Expected a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or "
                f"100.64.0.0/10, or allow_public_vpc_cidr: true for addresses your organisation owns"
            )
        return cidr

    # Subnets are either listed, one per AZ, or cut from the VPC at this prefix length: public
    # ones from its lower half, private ones from its upper half.
    subnet_prefix_length: int | None = Field(default=None, ge=16, le=28)
    public_subnets: list[Cidr] | None = None
    private_subnets: list[Cidr] | None = None  # []: no private tier (and so no NAT)
    # Instances launched into the public subnets get a public address (tasks and hosts of a VPC with no
    # private tier reach the internet this way); off, only the ALB and NAT have one.
    public_ip_on_launch: bool = False
    nat: NatMode
    # S3 (gateway) and Secrets Manager (interface) endpoints: how the migrator and the secret
    # rotation reach them from the private subnets without a NAT.
    vpc_endpoints: bool
    flow_logs: FlowLogs | None
    security_groups: dict[SecurityGroupKey, SecurityGroup] = Field(default_factory=dict)

    @field_validator("subnet_prefix_length")
    @classmethod
    def _subnets_fit(cls, prefix: int | None, info: ValidationInfo) -> int | None:
        vpc = info.data.get("vpc_cidr")
        zones = info.data.get("availability_zones")
        if vpc is None or zones is None or prefix is None:
            return prefix
        half = ipaddress.IPv4Network(vpc).prefixlen + 1
        fits = 2 ** (prefix - half) if prefix >= half else 0
        if fits < zones:
            largest = half + (zones - 1).bit_length()
            raise ValueError(
                f"/{prefix} subnets do not fit: {zones} public and {zones} private subnets need each half "
                f"of {vpc} to hold {zones}; expected a prefix length from {largest} to 28"
            )
        return prefix

    @field_validator("public_subnets", "private_subnets")
    @classmethod
    def _one_per_zone_inside_the_vpc(cls, cidrs: list[str] | None, info: ValidationInfo) -> list[str] | None:
        vpc, zones = info.data.get("vpc_cidr"), info.data.get("availability_zones")
        if cidrs is None or vpc is None or zones is None:
            return cidrs
        allowed = (zones,) if info.field_name == "public_subnets" else (0, zones)
        if len(cidrs) not in allowed:
            raise ValueError(
                f"got {len(cidrs)} subnets; expected one per availability zone ({zones})"
                + (", or [] for none" if 0 in allowed else "")
            )
        outside = [cidr for cidr in cidrs if not ipaddress.IPv4Network(cidr).subnet_of(ipaddress.IPv4Network(vpc))]
        if outside:
            raise ValueError(f"{', '.join(outside)} is not inside the VPC {vpc}; expected subnets of it")
        earlier = info.data.get("public_subnets") or [] if info.field_name == "private_subnets" else []
        for index, cidr in enumerate(cidrs):
            clash = next((other for other in [*earlier, *cidrs[:index]] if _overlap(other, cidr)), None)
            if clash:
                raise ValueError(f"subnets {clash} and {cidr} overlap; expected separate ranges")
        return cidrs

    @field_validator("nat")
    @classmethod
    def _tiers_are_complete(cls, nat: str, info: ValidationInfo) -> str:
        data = info.data
        computed = [tier for tier in ("public_subnets", "private_subnets") if tier in data and data[tier] is None]
        if computed and "subnet_prefix_length" in data and data["subnet_prefix_length"] is None:
            raise ValueError(
                f"{' and '.join(computed)} are not listed, so they are cut from the VPC; expected "
                f"subnet_prefix_length, or the subnets listed"
            )
        if data.get("private_subnets") == [] and nat != "none":
            raise ValueError(f"got {nat!r} with no private subnets; a NAT serves private subnets, expected none")
        return nat

    @property
    def has_private_subnets(self) -> bool:
        return self.private_subnets != []

    def public_subnet_cidrs(self) -> list[str]:
        return self.public_subnets if self.public_subnets is not None else self._subnet_cidrs(half=0)

    def private_subnet_cidrs(self) -> list[str]:
        return self.private_subnets if self.private_subnets is not None else self._subnet_cidrs(half=1)

    def _subnet_cidrs(self, half: int) -> list[str]:
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        halves = list(vpc.subnets(prefixlen_diff=1))
        subnets = halves[half].subnets(new_prefix=self.subnet_prefix_length)
        return [str(next(subnets)) for _ in range(self.availability_zones)]


def _overlap(first: str, second: str) -> bool:
    return ipaddress.IPv4Network(first).overlaps(ipaddress.IPv4Network(second))


def validate_network(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Private subnets without a NAT: what must reach the internet or AWS from them can."""
    network = config.network
    if network is None or network.nat != "none" or not network.has_private_subnets:
        return []  # without private subnets, validate_security_groups says which stacks need them
    problems = []
    if "compute" in config.stacks:
        problems.append(
            problem_at(
                params,
                ("network", "nat"),
                "the app server in the private subnets installs Docker and pulls images through a NAT; "
                "expected single or per_az",
            )
        )
    database = config.database if "database" in config.stacks else None
    if (
        database is not None
        and database.engine == AURORA
        and database.secret_rotation_days is not None
        and not network.vpc_endpoints
    ):
        problems.append(
            problem_at(
                params,
                ("database", "secret_rotation_days"),
                "secret rotation runs in the private subnets and must reach Secrets Manager; expected network.nat: "
                "single or per_az, or network.vpc_endpoints: true, or secret_rotation_days: null",
            )
        )
    return problems


def validate_security_groups(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """The groups hold together, each stack finds its own, and the stacks' traffic gets through."""
    network = config.network
    if network is None:
        return []
    return [
        *_unknown_groups(network.security_groups, params),
        *_egress_cycle_problems(network.security_groups, params),
        *_missing_stack_groups(config, params),
        *_traffic_path_problems(config, network.security_groups, params),
        *_private_subnets_missing(config, network, params),
    ]


def _unknown_groups(groups: dict[str, SecurityGroup], params: SourcedParams) -> list[ParamsProblem]:
    return [
        problem_at(
            params,
            ("network", "security_groups", key, direction, index, "group"),
            f"no security group {rule.group!r}; expected one of: {', '.join(groups)}",
        )
        for key, group in groups.items()
        for direction, rules in (("ingress", group.ingress), ("egress", group.egress))
        for index, rule in enumerate(rules)
        if rule.group is not None and rule.group not in groups
    ]


def _egress_cycle_problems(groups: dict[str, SecurityGroup], params: SourcedParams) -> list[ParamsProblem]:
    cycle = _egress_cycle(groups)
    if not cycle:
        return []
    return [
        problem_at(
            params,
            ("network", "security_groups", cycle[0], "egress"),
            f"egress rules form a cycle ({' -> '.join(cycle)}); egress to a group is part of the group itself, "
            f"so CloudFormation could create neither first. Expected the return direction as ingress on the "
            f"other group",
        )
    ]


def _egress_cycle(groups: dict[str, SecurityGroup]) -> list[str] | None:
    """A chain of groups each sending to the next by an egress rule, back to its start; or None."""
    targets = {
        key: [rule.group for rule in group.egress if rule.group is not None and rule.group in groups]
        for key, group in groups.items()
    }

    def visit(key: str, path: list[str]) -> list[str] | None:
        if key in path:
            return [*path[path.index(key) :], key]
        return next(filter(None, (visit(target, [*path, key]) for target in targets[key])), None)

    return next(filter(None, (visit(key, []) for key in groups)), None)


def _missing_stack_groups(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    groups = config.network.security_groups if config.network else {}
    return [
        problem_at(
            params,
            ("network", "security_groups"),
            f"stack {stack} puts its resources in security group {key!r}, which is "
            f"not defined; expected network.security_groups.{key}",
        )
        for stack, key in STACK_SECURITY_GROUPS.items()
        if stack in config.stacks and key not in groups and (stack != "edge" or app_behind_load_balancer(config))
    ]


def _traffic_paths(config: EnvironmentConfig) -> list[tuple[str, str, str | None, int]]:
    """The paths the stacks need open, as (what, from group, to group or None for anywhere, port): the
    load balancer to the app on its port, the app to the database on 5432, and the app out on 443
    (images, logs, secrets, AWS APIs)."""
    port = app_port(config)
    if not app_behind_load_balancer(config) or port is None:
        return []
    paths: list[tuple[str, str, str | None, int]] = []
    if "edge" in config.stacks:
        paths.append(("the load balancer reaches the app", "alb", "app", port))
    if "database" in config.stacks:
        paths.append(("the app reaches the database", "app", "database", DATABASE_PORT))
    paths.append(("the app reaches AWS APIs and its registries", "app", None, HTTPS_PORT))
    return paths


def _traffic_path_problems(
    config: EnvironmentConfig, groups: dict[str, SecurityGroup], params: SourcedParams
) -> list[ParamsProblem]:
    """Each path is checked at both ends: egress where it leaves, ingress where it arrives."""
    problems = []
    for what, source, target, port in _traffic_paths(config):
        if source not in groups or (target is not None and target not in groups):
            continue  # _missing_stack_groups names the missing group
        ends = [(source, "egress", target)] + ([(target, "ingress", source)] if target else [])
        for key, direction, peer in ends:
            rules: list[GroupRule] = [*(groups[key].ingress if direction == "ingress" else groups[key].egress)]
            if not any(rule.allows(peer, port) for rule in rules):
                wanted = f"group: {peer}" if peer else "cidr: 0.0.0.0/0"
                problems.append(
                    problem_at(
                        params,
                        ("network", "security_groups", key, direction),
                        f"{what} on port {port}, and no {direction} rule of group {key} "
                        f"{'admits it from' if direction == 'ingress' else 'sends it to'} "
                        f"{f'group {peer}' if peer else 'the internet'}; expected {{port: {port}, {wanted}, "
                        f"description: ...}}",
                    )
                )
    return problems


def _private_subnets_missing(config: EnvironmentConfig, network: Network, params: SourcedParams) -> list[ParamsProblem]:
    if network.has_private_subnets:
        return []
    return [
        problem_at(
            params,
            ("network", "private_subnets"),
            f"stack {stack} runs in the private subnets, and there are none; "
            f"expected a private subnet per availability zone",
        )
        for stack in PRIVATE_SUBNET_STACKS
        if stack in config.stacks
    ]
