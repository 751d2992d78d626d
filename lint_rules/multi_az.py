"""E9001: the network spans two Availability Zones, and what sits in it uses both."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

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
        "list of subnets lists at least two (a Fn::Split of an imported list is accepted)."
    )
    source_url = "docs/rules.md#e9001"
    tags = ["stackyard", "availability", "subnets"]

    def match(self, cfn):
        return [*_single_zone_subnets(cfn), *_short_subnet_lists(cfn)]


def _single_zone_subnets(cfn):
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


def _short_subnet_lists(cfn):
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


def _zone_expression(subnet) -> str:
    props = facts.properties(subnet)
    return facts.canonical([props.get("AvailabilityZone"), props.get("AvailabilityZoneId")])


def _literal_subnet_count(props, key) -> int | None:
    """Distinct subnets of a literal list; None when the list is not literal (nothing to count)."""
    subnets = props.get(key)
    if subnets is None and key == "Subnets" and isinstance(props.get("SubnetMappings"), list):
        subnets = [
            mapping.get("SubnetId") if isinstance(mapping, dict) else mapping for mapping in props["SubnetMappings"]
        ]
    if not isinstance(subnets, list):
        return None
    return len({facts.canonical(subnet) for subnet in subnets})
