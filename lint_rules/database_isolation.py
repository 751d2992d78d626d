"""E9003: databases are private, in private subnets, reachable only from security groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# PostgreSQL, MySQL/MariaDB, SQL Server, Oracle, MongoDB/DocumentDB
DATABASE_PORTS = (5432, 3306, 1433, 1521, 27017)
DATABASES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")


class DatabaseIsolation(CloudFormationLintRule):
    id = "E9003"
    shortdesc = "Databases are not public and are reached only from security groups"
    description = (
        "Seed 001 Property 2 (Database Network Isolation): no DBInstance/DBCluster is PubliclyAccessible; "
        "no DBSubnetGroup lists a public subnet (a Subnet with MapPublicIpOnLaunch, a logical id starting "
        "'Public', an import whose name says Public); ingress on a database port "
        f"({', '.join(map(str, DATABASE_PORTS))}) comes from a security group, never a CIDR or prefix list."
    )
    source_url = "docs/rules.md#e9003"
    tags = ["stackyard", "security", "rds", "securitygroup"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_public_databases(cfn), *_public_subnet_groups(cfn), *_address_ingress(cfn)]


def _public_databases(cfn: Template) -> Iterator[RuleMatch]:
    for name, database in cfn.get_resources(list(DATABASES)).items():
        if facts.is_true(facts.properties(database).get("PubliclyAccessible")):
            yield RuleMatch(
                ["Resources", name, "Properties", "PubliclyAccessible"],
                f"Resource {name}: PubliclyAccessible is true, which gives the database a public address. "
                f"Fix: set PubliclyAccessible to false (or leave it out) and reach it from inside the VPC.",
            )


def _public_subnet_groups(cfn: Template) -> Iterator[RuleMatch]:
    subnets = cfn.get_resources("AWS::EC2::Subnet")
    for name, group in cfn.get_resources("AWS::RDS::DBSubnetGroup").items():
        for path, subnet in _subnet_entries(name, facts.properties(group).get("SubnetIds")):
            if (why := _public_subnet_reason(subnet, subnets)) is not None:
                yield RuleMatch(
                    path,
                    f"Resource {name}: the database subnet group lists {why}. Fix: list only private subnets, "
                    f'e.g. Fn::Split [",", Fn::ImportValue <app>-<env>-PrivateSubnetIds].',
                )


def _subnet_entries(name: str, subnet_ids: Any) -> list[tuple[list[str | int], Any]]:
    """(path, expression) of each subnet of a group; a list imported whole is one entry."""
    path: list[str | int] = ["Resources", name, "Properties", "SubnetIds"]
    if isinstance(subnet_ids, list):
        return [([*path, index], subnet) for index, subnet in enumerate(subnet_ids)]
    return [(path, subnet_ids)]


def _public_subnet_reason(subnet: Any, subnets: dict[str, Any]) -> str | None:
    imported = facts.import_name(subnet) or facts.split_import_name(subnet)
    if imported is not None:
        return f"the import {imported}, whose name says it is public" if "public" in imported.lower() else None
    target = facts.ref_target(subnet)
    if target is None:
        return None
    if target.startswith("Public"):
        return f"{target}, a public subnet"
    if target in subnets and facts.is_true(facts.properties(subnets[target]).get("MapPublicIpOnLaunch")):
        return f"{target}, a subnet with MapPublicIpOnLaunch"
    return None


def _address_ingress(cfn: Template) -> Iterator[RuleMatch]:
    for ingress in facts.ingress_rules(cfn):
        ports = [port for port in DATABASE_PORTS if ingress.admits_port(port)]
        if ports and not ingress.from_security_group:
            yield RuleMatch(
                ingress.path,
                f"{facts.ingress_subject(ingress)}: ingress on database port {ports[0]} from {ingress.source()}; "
                f"a database is reached from security groups only. Fix: admit the client's security group "
                f"with SourceSecurityGroupId instead of an address range.",
            )
