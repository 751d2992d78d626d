"""E9002: security groups admit the internet only on 80/443, and never open every port."""

from __future__ import annotations

from collections.abc import Iterator

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

ANYWHERE = {"0.0.0.0/0", "::/0"}
WEB_PORTS = {80, 443}


class SecurityGroupLeastPrivilege(CloudFormationLintRule):
    id = "E9002"
    shortdesc = "Security group ingress is least privilege"
    description = (
        "Seed 001 Property 8 (Security Group Least Privilege): no ingress from 0.0.0.0/0 or ::/0 except "
        "TCP 80 or 443 (a load balancer's), and no ingress opening every protocol or more than one port. "
        "Inline SecurityGroupIngress and AWS::EC2::SecurityGroupIngress are checked; egress is not."
    )
    source_url = "docs/rules.md#e9002"
    tags = ["stackyard", "security", "ec2", "securitygroup"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches: list[RuleMatch] = []
        for ingress in facts.ingress_rules(cfn):
            matches.extend(_internet_ingress(ingress))
            matches.extend(_wide_ingress(ingress))
        return matches


def _internet_ingress(ingress: facts.Ingress) -> Iterator[RuleMatch]:
    for cidr in ingress.cidr_sources:
        if cidr in ANYWHERE and not _is_web_port(ingress):
            yield RuleMatch(
                ingress.path,
                f"{facts.ingress_subject(ingress)}: ingress from {cidr} on {ingress.port_text()}; only a load "
                f"balancer may accept the internet, on TCP 80/443. Fix: admit a security group "
                f"(SourceSecurityGroupId) or a narrow CIDR.",
            )


def _wide_ingress(ingress: facts.Ingress) -> Iterator[RuleMatch]:
    ports = ingress.ports
    if ingress.carries_ports and ports is not None and ports[0] != ports[1]:
        yield RuleMatch(
            ingress.path,
            f"{facts.ingress_subject(ingress)}: ingress on {ingress.port_text()} from {ingress.source()} opens "
            f"more than the one port of a service. Fix: name the protocol (tcp/udp) and the single port "
            f"the service listens on, one ingress rule per port.",
        )


def _is_web_port(ingress: facts.Ingress) -> bool:
    ports = ingress.ports
    return ingress.protocol in facts.TCP and ports is not None and ports[0] == ports[1] and ports[0] in WEB_PORTS
