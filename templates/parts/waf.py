"""WAF web ACLs as the edge stacks make them: AWS managed rule groups and a per-IP rate limit, the same
rules whether the ACL guards CloudFront (CLOUDFRONT scope, in us-east-1) or a load balancer that faces
the internet itself (REGIONAL scope, beside it); and each ACL's log, where an incident responder finds
what it blocked and why."""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template
from troposphere.logs import LogGroup
from troposphere.wafv2 import (
    AllowAction,
    BlockAction,
    DefaultAction,
    LoggingConfiguration,
    LoggingConfigurationFieldToMatch,
    ManagedRuleGroupStatement,
    OverrideAction,
    RateBasedStatement,
    RuleAction,
    SingleHeader,
    Statement,
    VisibilityConfig,
    WebACL,
    WebACLRule,
)

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import kept_log_group

# Request headers that carry credentials: logged as REDACTED, so no token or session reaches the log.
REDACTED_HEADERS = ("authorization", "cookie")
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


def log_requests(template: Template, config: EnvironmentConfig, acl: WebACL, which: str) -> LogGroup:
    """The ACL's log: a log group named aws-waf-logs-* (WAF accepts no other) in the ACL's own region,
    kept edge.log_retention_days, with the credential headers redacted."""
    group = kept_log_group(
        template,
        config,
        f"{acl.title}LogGroup",
        names.waf_log_group_name(config, which),
        config.edge.log_retention_days,
    )
    template.add_resource(
        LoggingConfiguration(
            f"{acl.title}Logging",
            ResourceArn=GetAtt(acl, "Arn"),
            # The log group's ARN without the ':*' its Arn attribute ends in, which WAF refuses.
            LogDestinationConfigs=[
                Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}", Group=Ref(group))
            ],
            RedactedFields=[
                LoggingConfigurationFieldToMatch(SingleHeader=SingleHeader(Name=header)) for header in REDACTED_HEADERS
            ],
        )
    )
    return group
