"""E9012: nothing reaches an application load balancer around a web ACL."""

from __future__ import annotations

from collections.abc import Iterator

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
ASSOCIATION = "AWS::WAFv2::WebACLAssociation"


class WafCoverage(CloudFormationLintRule):
    id = "E9012"
    shortdesc = "Nothing reaches an application load balancer around a web ACL"
    description = (
        "Issue 13 section 1: an internet-facing application load balancer has an AWS::WAFv2::WebACLAssociation "
        "(a REGIONAL web ACL) in the same template; a load balancer CloudFront reaches is internal, through a "
        "VPC origin (AWS::CloudFront::VpcOrigin), never a custom origin across the internet."
    )
    source_url = "docs/rules.md#e9012"
    tags = ["stackyard", "security", "waf", "elbv2", "cloudfront"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        balancers = {
            name: facts.properties(balancer)
            for name, balancer in cfn.get_resources(LOAD_BALANCER).items()
            if facts.properties(balancer).get("Type", "application") == "application"
        }
        public = {name for name, props in balancers.items() if props.get("Scheme") != "internal"}
        return [*_unguarded(cfn, public), *_vpc_origins(cfn, public), *_custom_origins(cfn, set(balancers))]


def _unguarded(cfn: Template, public: set[str]) -> Iterator[RuleMatch]:
    guarded = {
        facts.ref_target(facts.properties(association).get("ResourceArn"))
        for association in cfn.get_resources(ASSOCIATION).values()
    }
    for name in sorted(public - guarded):
        yield RuleMatch(
            ["Resources", name],
            f"Resource {name}: an internet-facing load balancer with no web ACL, so requests reach the app "
            f"unfiltered. Fix: associate a REGIONAL web ACL (AWS::WAFv2::WebACLAssociation with ResourceArn "
            f"Ref {name}), or make it internal behind CloudFront's VPC origin.",
        )


def _vpc_origins(cfn: Template, public: set[str]) -> Iterator[RuleMatch]:
    for name, origin in cfn.get_resources("AWS::CloudFront::VpcOrigin").items():
        endpoint = facts.properties(origin).get("VpcOriginEndpointConfig")
        target = facts.ref_target(endpoint.get("Arn")) if isinstance(endpoint, dict) else None
        if target in public:
            yield RuleMatch(
                ["Resources", name, "Properties", "VpcOriginEndpointConfig", "Arn"],
                f"Resource {name}: CloudFront's VPC origin reaches {target}, which faces the internet too, so "
                f"requests can skip CloudFront and its web ACL. Fix: give {target} Scheme internal and the "
                f"private subnets.",
            )


def _custom_origins(cfn: Template, balancers: set[str]) -> Iterator[RuleMatch]:
    """A distribution reaching a load balancer of this template by its DNS name goes across the internet."""
    for name, distribution in cfn.get_resources("AWS::CloudFront::Distribution").items():
        config = facts.properties(distribution).get("DistributionConfig")
        origins = config.get("Origins") if isinstance(config, dict) else None
        for index, origin in enumerate(origins if isinstance(origins, list) else []):
            if not isinstance(origin, dict) or "VpcOriginConfig" in origin:
                continue
            target = facts.getatt(origin.get("DomainName"))
            if target is not None and target[0] in balancers:
                yield RuleMatch(
                    ["Resources", name, "Properties", "DistributionConfig", "Origins", index],
                    f"Resource {name}: origin {facts.describe(origin.get('Id'))} reaches load balancer "
                    f"{target[0]} across the internet, where anyone may reach it around CloudFront. Fix: make "
                    f"{target[0]} internal and reach it through an AWS::CloudFront::VpcOrigin (VpcOriginConfig).",
                )
