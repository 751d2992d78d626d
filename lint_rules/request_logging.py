"""E9014: every distribution, web ACL and load balancer logs its requests, and every log group expires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

WAF_LOG_PREFIX = "aws-waf-logs-"  # WAF logs only to destinations named so


class RequestLogging(CloudFormationLintRule):
    id = "E9014"
    shortdesc = "Distributions, web ACLs and load balancers log their requests; log groups expire"
    description = (
        "Issue 13 section 4: every CloudFront distribution has standard logging (DistributionConfig.Logging "
        "with a Bucket) or an AWS::Logs::DeliverySource for it; every WAFv2 web ACL has an "
        "AWS::WAFv2::LoggingConfiguration in the same template to an aws-waf-logs-* destination; every "
        "application load balancer has access_logs.s3.enabled true; every log group states RetentionInDays."
    )
    source_url = "docs/rules.md#e9014"
    tags = ["stackyard", "logging", "cloudfront", "waf", "elbv2", "logs"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_distributions(cfn), *_web_acls(cfn), *_load_balancers(cfn), *_log_groups(cfn)]


def _distributions(cfn: Template) -> Iterator[RuleMatch]:
    delivered = {
        facts.canonical(facts.properties(source).get("ResourceArn"))
        for source in cfn.get_resources("AWS::Logs::DeliverySource").values()
    }
    for name, distribution in cfn.get_resources("AWS::CloudFront::Distribution").items():
        config = facts.properties(distribution).get("DistributionConfig")
        logging = config.get("Logging") if isinstance(config, dict) else None
        if isinstance(logging, dict) and logging.get("Bucket") is not None:
            continue
        if any(name in arn for arn in delivered):  # a v2 delivery source naming it (Sub or Join)
            continue
        yield RuleMatch(
            ["Resources", name, "Properties", "DistributionConfig"],
            f"Resource {name}: a distribution that logs no request, so an incident leaves no trace of who "
            f"asked for what. Fix: set DistributionConfig.Logging (Bucket: a log bucket's DomainName, Prefix), "
            f"or deliver its access logs with an AWS::Logs::DeliverySource.",
        )


def _web_acls(cfn: Template) -> Iterator[RuleMatch]:
    log_groups = {
        name: facts.name_text(facts.properties(group).get("LogGroupName"))
        for name, group in cfn.get_resources("AWS::Logs::LogGroup").items()
    }
    logged = {}
    for config in cfn.get_resources("AWS::WAFv2::LoggingConfiguration").values():
        props = facts.properties(config)
        target = facts.getatt(props.get("ResourceArn"))
        if target is not None:
            logged[target[0]] = facts.as_list(props.get("LogDestinationConfigs"))
    for name in cfn.get_resources("AWS::WAFv2::WebACL"):
        destinations = logged.get(name)
        if destinations is None:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: a web ACL with no logging configuration, so what it blocked, and why, is "
                f"lost. Fix: add an AWS::WAFv2::LoggingConfiguration (ResourceArn: !GetAtt {name}.Arn) to a "
                f"log group named {WAF_LOG_PREFIX}... in the ACL's region.",
            )
        elif not destinations or not all(_waf_destination(value, log_groups) for value in destinations):
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: its logging configuration names a destination WAF refuses (not "
                f"{WAF_LOG_PREFIX}...). Fix: log to a log group, bucket or stream whose name starts with "
                f"{WAF_LOG_PREFIX}.",
            )


def _waf_destination(value: Any, log_groups: dict[str, str | None]) -> bool:
    """An ARN (literal, or Fn::Sub of a log group of this template) naming an aws-waf-logs-* destination."""
    text = facts.name_text(value)
    if text is None:
        return True  # built by other intrinsic functions: cannot be read here
    if f":{WAF_LOG_PREFIX}" in text or f"/{WAF_LOG_PREFIX}" in text:
        return True
    sub = value.get("Fn::Sub") if isinstance(value, dict) else None
    variables = sub[1] if isinstance(sub, list) and len(sub) == 2 and isinstance(sub[1], dict) else {}
    for variable in variables.values():
        group = facts.ref_target(variable)
        name = log_groups.get(group) if group else None
        if name is not None and name.startswith(WAF_LOG_PREFIX):
            return True
    return False


def _load_balancers(cfn: Template) -> Iterator[RuleMatch]:
    for name, balancer in cfn.get_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        props = facts.properties(balancer)
        if props.get("Type", "application") != "application":
            continue
        attributes = {
            attribute.get("Key"): attribute.get("Value")
            for attribute in facts.as_list(props.get("LoadBalancerAttributes"))
            if isinstance(attribute, dict)
        }
        if not facts.is_true(attributes.get("access_logs.s3.enabled")):
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: a load balancer without access logs. Fix: set the attributes "
                f"access_logs.s3.enabled true and access_logs.s3.bucket (a bucket whose policy admits ELB's "
                f"log delivery).",
            )


def _log_groups(cfn: Template) -> Iterator[RuleMatch]:
    for name, group in cfn.get_resources("AWS::Logs::LogGroup").items():
        if facts.properties(group).get("RetentionInDays") is None:
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: a log group kept forever, paid for forever and never reviewed against a "
                f"retention policy. Fix: set RetentionInDays from params (the environment's *_retention_days).",
            )
