"""Facts the project's lint rules read from a template, the way Stackyard writes templates.

Rule files import it as `from lint_rules import _template_facts as facts`: cfn-lint loads each
rule file by its path, outside any package, so a relative import could not reach it, while the
installed `lint_rules` package can (pip install -e . puts it on the path). The leading underscore
keeps cfn-lint from loading this file as a rule. Everything here is a pure function of the
template; nothing is kept between templates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from cfnlint.template import Template

# --- metadata --------------------------------------------------------------------------------


def stackyard_metadata(template: dict[str, Any]) -> dict[str, str] | None:
    """Metadata.Stackyard when it names both the application and the environment."""
    metadata = template.get("Metadata")
    stackyard = metadata.get("Stackyard") if isinstance(metadata, dict) else None
    if not isinstance(stackyard, dict):
        return None
    if not all(isinstance(stackyard.get(key), str) and stackyard[key] for key in ("Application", "Environment")):
        return None
    return {"Application": str(stackyard["Application"]), "Environment": str(stackyard["Environment"])}


# --- resources and values ---------------------------------------------------------------------


def properties(resource: Any) -> dict[str, Any]:
    props = resource.get("Properties") if isinstance(resource, dict) else None
    return props if isinstance(props, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A property CloudFormation accepts as one object or a list of them, as a list."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def is_true(value: Any) -> bool:
    """CloudFormation reads booleans from JSON booleans and from the strings "true"/"false"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def as_int(value: Any) -> int | None:
    """A literal integer (JSON number or numeric string); None for intrinsic functions."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def rds_instance_in_cluster(props: dict[str, Any]) -> bool:
    """A DBInstance that is a member of an Aurora cluster, whose cluster holds its storage, backups and alarms."""
    engine = props.get("Engine")
    return "DBClusterIdentifier" in props or (isinstance(engine, str) and engine.startswith("aurora"))


def canonical(value: Any) -> str:
    """One string per distinct template expression, to compare or count expressions."""
    return json.dumps(value, sort_keys=True, default=str)


def ref_target(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    return None


def getatt(value: Any) -> tuple[str, str] | None:
    """(logical id, attribute) of a Fn::GetAtt, in its list or its dotted-string form."""
    if not isinstance(value, dict) or len(value) != 1 or "Fn::GetAtt" not in value:
        return None
    target = value["Fn::GetAtt"]
    if isinstance(target, str) and "." in target:
        target = target.split(".", 1)
    if isinstance(target, list) and len(target) == 2 and all(isinstance(part, str) for part in target):
        return str(target[0]), str(target[1])
    return None


def import_name(value: Any) -> str | None:
    """The export name of a Fn::ImportValue of a literal string."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::ImportValue"), str):
        return str(value["Fn::ImportValue"])
    return None


def split_import_name(value: Any) -> str | None:
    """The export name of `Fn::Split [",", Fn::ImportValue <name>]`, how lists cross stacks."""
    if not isinstance(value, dict) or len(value) != 1 or "Fn::Split" not in value:
        return None
    arguments = value["Fn::Split"]
    if isinstance(arguments, list) and len(arguments) == 2 and arguments[0] == ",":
        return import_name(arguments[1])
    return None


def name_text(value: Any) -> str | None:
    """The text of a literal string or of a Fn::Sub string (placeholders kept as `${...}`)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        if isinstance(sub, list) and sub:
            sub = sub[0]
        if isinstance(sub, str):
            return str(sub)
    return None


def describe(value: Any) -> str:
    """A short human form of a template expression, for messages."""
    if (target := ref_target(value)) is not None:
        return target
    if (attribute := getatt(value)) is not None:
        return f"{attribute[0]}.{attribute[1]}"
    if (name := import_name(value)) is not None:
        return f"import {name}"
    if isinstance(value, (str, int, float)):
        return str(value)
    return canonical(value)


# --- security group ingress ------------------------------------------------------------------

ALL_PROTOCOLS = {"-1", "all"}
TCP = {"tcp", "6"}
UDP = {"udp", "17"}


class Ingress(NamedTuple):
    """One ingress rule, inline in a security group or an AWS::EC2::SecurityGroupIngress."""

    resource: str  # the logical id the rule is written in
    group: str  # the group it opens, for messages
    path: list[str | int]
    rule: dict[str, Any]

    @property
    def protocol(self) -> str:
        return str(self.rule.get("IpProtocol", "")).lower()

    @property
    def ports(self) -> tuple[int, int] | None:
        """The literal FromPort-ToPort range (ICMP: type and code); None when not literal."""
        if self.protocol in ALL_PROTOCOLS:
            return 0, 65535
        if "FromPort" not in self.rule and "ToPort" not in self.rule:
            # EC2 reads a TCP/UDP rule without ports as every port
            return (0, 65535) if self.protocol in TCP | UDP else None
        low, high = as_int(self.rule.get("FromPort")), as_int(self.rule.get("ToPort"))
        if low is None or high is None:
            return None
        if low == -1 and high == -1:
            return 0, 65535
        return low, high

    @property
    def carries_ports(self) -> bool:
        """TCP, UDP or every protocol: the rules whose FromPort/ToPort are ports, not ICMP types."""
        return self.protocol in ALL_PROTOCOLS | TCP | UDP

    def admits_port(self, port: int) -> bool:
        ports = self.ports
        return self.protocol in ALL_PROTOCOLS | TCP and ports is not None and ports[0] <= port <= ports[1]

    @property
    def cidr_sources(self) -> list[str]:
        """The literal CIDR blocks this rule admits."""
        return [str(self.rule[key]) for key in ("CidrIp", "CidrIpv6") if isinstance(self.rule.get(key), str)]

    @property
    def from_security_group(self) -> bool:
        return "SourceSecurityGroupId" in self.rule or "SourceSecurityGroupName" in self.rule

    def source(self) -> str:
        for key in ("CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId", "SourceSecurityGroupName"):
            if key in self.rule:
                return f"{key} {describe(self.rule[key])}"
        return "no source"

    def port_text(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "every protocol and port"
        if not self.carries_ports:
            return f"protocol {self.protocol}"
        ports = self.ports
        if ports is None:
            return f"{self.protocol} ports given by intrinsic functions"
        return (
            f"{self.protocol} port {ports[0]}"
            if ports[0] == ports[1]
            else f"{self.protocol} ports {ports[0]}-{ports[1]}"
        )


def ingress_rules(cfn: Template) -> Iterator[Ingress]:
    """Every ingress rule of the template, with the path to it."""
    for name, group in cfn.get_resources("AWS::EC2::SecurityGroup").items():
        inline = properties(group).get("SecurityGroupIngress")
        if isinstance(inline, list):
            for index, rule in enumerate(inline):
                if isinstance(rule, dict):
                    yield Ingress(name, name, ["Resources", name, "Properties", "SecurityGroupIngress", index], rule)
    for name, resource in cfn.get_resources("AWS::EC2::SecurityGroupIngress").items():
        rule = properties(resource)
        target = rule.get("GroupId", rule.get("GroupName"))
        group = describe(target) if target is not None else "an unnamed group"
        yield Ingress(name, group, ["Resources", name, "Properties"], rule)


def ingress_subject(ingress: Ingress) -> str:
    """`Resource X` for inline rules, `Resource X (ingress to G)` for separate ingress resources."""
    if ingress.resource == ingress.group:
        return f"Resource {ingress.resource}"
    return f"Resource {ingress.resource} (ingress to {ingress.group})"
