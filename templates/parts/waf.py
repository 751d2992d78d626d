"""WAF web ACLs as the edge stacks make them: AWS managed rule groups and a per-IP rate limit, the same
rules whether the ACL guards CloudFront (CLOUDFRONT scope, in us-east-1) or a load balancer that faces
the internet itself (REGIONAL scope, beside it)."""

from __future__ import annotations

from troposphere.wafv2 import (
    AllowAction,
    BlockAction,
    DefaultAction,
    ManagedRuleGroupStatement,
    OverrideAction,
    RateBasedStatement,
    RuleAction,
    Statement,
    VisibilityConfig,
    WebACL,
    WebACLRule,
)

from stackyard.config import EnvironmentConfig

# AWS managed rule groups, in evaluation order (seed 000 §1.8; its WAF test sends an SQL injection).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


def web_acl(title: str, config: EnvironmentConfig, name: str, scope: str, description: str) -> WebACL:
    """The managed rule groups, then the rate limit."""
    rules = [
        WebACLRule(
            Name=group,
            Priority=priority,
            OverrideAction=OverrideAction(**{"None": {}}),  # keep each group's own block actions
            Statement=Statement(ManagedRuleGroupStatement=ManagedRuleGroupStatement(VendorName="AWS", Name=group)),
            VisibilityConfig=_visibility(f"{name}-{group}"),
        )
        for priority, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        WebACLRule(
            Name="rate-limit-per-ip",
            Priority=len(rules),
            Action=RuleAction(Block=BlockAction()),
            Statement=Statement(
                RateBasedStatement=RateBasedStatement(
                    Limit=config.edge.waf_rate_limit_per_5_minutes,
                    AggregateKeyType="IP",
                )
            ),
            VisibilityConfig=_visibility(f"{name}-rate-limit"),
        )
    )
    return WebACL(
        title,
        Name=name,
        Scope=scope,
        Description=description,
        DefaultAction=DefaultAction(Allow=AllowAction()),
        Rules=rules,
        VisibilityConfig=_visibility(name),
    )


def _visibility(metric: str) -> VisibilityConfig:
    return VisibilityConfig(CloudWatchMetricsEnabled=True, MetricName=metric, SampledRequestsEnabled=True)
