"""E9001: the network spans two Availability Zones, and what sits in it uses both; in a production-grade
environment, so does the database (a writer and a reader, or a Multi-AZ instance)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# resource type -> the property holding its subnets
SUBNET_LISTS = {
    "AWS::RDS::DBSubnetGroup": "SubnetIds",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Subnets",
}


class MultiAz(CloudFormationLintRule):
    id = "E9001"
    shortdesc = "Subnets, subnet groups and load balancers span two Availability Zones"
    description = (
        "Seed 001 Property 5 (Multi-AZ Deployment): the subnets a template defines span at least two "
        "distinct AvailabilityZone expressions, and a DB subnet group or load balancer given a literal "
        "list of subnets lists at least two (a Fn::Split of an imported list is accepted). In a template "
        "whose Metadata.Stackyard.ProductionGrade is true, every Aurora cluster has a writer and a reader "
        "pinned to two distinct zones, and every RDS instance outside a cluster is MultiAZ."
    )
    source_url = "docs/rules.md#e9001"
    tags = ["stackyard", "availability", "subnets"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = [*_single_zone_subnets(cfn), *_short_subnet_lists(cfn)]
        if _production_grade(cfn.template):
            matches += [*_single_zone_clusters(cfn), *_single_zone_instances(cfn)]
        return matches


def _single_zone_subnets(cfn: Template) -> Iterator[RuleMatch]:
    subnets = cfn.get_resources("AWS::EC2::Subnet")
    if not subnets or len({_zone_expression(subnet) for subnet in subnets.values()}) >= 2:
        return
    first = next(iter(subnets))
    zone = facts.properties(subnets[first]).get("AvailabilityZone")
    where = "no AvailabilityZone" if zone is None else f"AvailabilityZone {facts.describe(zone)}"
    yield RuleMatch(
        ["Resources", first, "Properties", "AvailabilityZone"],
        f"Resource {first}: every subnet of this template ({', '.join(subnets)}) has {where}, so the "
        f"network lives in one Availability Zone. Fix: add subnets in a second zone, e.g. "
        f"AvailabilityZone Fn::Select [1, Fn::GetAZs ''].",
    )


def _short_subnet_lists(cfn: Template) -> Iterator[RuleMatch]:
    for resource_type, key in SUBNET_LISTS.items():
        for name, resource in cfn.get_resources(resource_type).items():
            count = _literal_subnet_count(facts.properties(resource), key)
            if count is not None and count < 2:
                yield RuleMatch(
                    ["Resources", name, "Properties", key],
                    f"Resource {name}: {key} lists {count} distinct subnet(s); it must span at least two "
                    f"Availability Zones. Fix: list a subnet in each of two zones, or use "
                    f'Fn::Split [",", Fn::ImportValue <app>-<env>-PublicSubnetIds] (load balancers) or '
                    f"...-PrivateSubnetIds (databases).",
                )


def _zone_expression(subnet: Any) -> str:
    props = facts.properties(subnet)
    return facts.canonical([props.get("AvailabilityZone"), props.get("AvailabilityZoneId")])


def _literal_subnet_count(props: dict[str, Any], key: str) -> int | None:
    """Distinct subnets of a literal list; None when the list is not literal (nothing to count)."""
    subnets = props.get(key)
    if subnets is None and key == "Subnets" and isinstance(props.get("SubnetMappings"), list):
        subnets = [
            mapping.get("SubnetId") if isinstance(mapping, dict) else mapping for mapping in props["SubnetMappings"]
        ]
    if not isinstance(subnets, list):
        return None
    return len({facts.canonical(subnet) for subnet in subnets})


def _production_grade(template: dict[str, Any]) -> bool:
    """Metadata.Stackyard.ProductionGrade: the environment's params say `production_grade: true`."""
    metadata = template.get("Metadata")
    stackyard = metadata.get("Stackyard") if isinstance(metadata, dict) else None
    return isinstance(stackyard, dict) and facts.is_true(stackyard.get("ProductionGrade"))


def _single_zone_clusters(cfn: Template) -> Iterator[RuleMatch]:
    instances = cfn.get_resources("AWS::RDS::DBInstance")
    for name, cluster in cfn.get_resources("AWS::RDS::DBCluster").items():
        identifier = facts.properties(cluster).get("DBClusterIdentifier")
        members = [
            facts.properties(instance)
            for instance in instances.values()
            if _member_of(facts.properties(instance).get("DBClusterIdentifier"), name, identifier)
        ]
        zones = {facts.canonical(props.get("AvailabilityZone")) for props in members if "AvailabilityZone" in props}
        if len(members) < 2:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: {len(members)} DB instance(s) in a production-grade environment, so the "
                f"database goes down with its writer's Availability Zone. Fix: add a reader in a second zone "
                f"(params: database.reader_instances: 1 or more).",
            )
        elif len(zones) < 2 or any("AvailabilityZone" not in props for props in members):
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: its {len(members)} DB instances are not pinned to two distinct "
                f"AvailabilityZone expressions (RDS places an instance without one at random, possibly beside "
                f"the writer). Fix: set AvailabilityZone on each, the writer and a reader in different zones, "
                f'e.g. Fn::Select [0, Fn::GetAZs ""] and Fn::Select [1, Fn::GetAZs ""].',
            )


def _member_of(cluster_identifier: Any, cluster_name: str, literal_identifier: Any) -> bool:
    if facts.ref_target(cluster_identifier) == cluster_name:
        return True
    return isinstance(cluster_identifier, str) and cluster_identifier == literal_identifier


def _single_zone_instances(cfn: Template) -> Iterator[RuleMatch]:
    for name, instance in cfn.get_resources("AWS::RDS::DBInstance").items():
        props = facts.properties(instance)
        if not facts.rds_instance_in_cluster(props) and not facts.is_true(props.get("MultiAZ")):
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: a single-AZ DB instance in a production-grade environment goes down with "
                f"its Availability Zone. Fix: set MultiAZ to true (params: database.instance.multi_az: true).",
            )
