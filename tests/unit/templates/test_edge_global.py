"""Pure unit: the us-east-1 edge stack holds what CloudFront takes only from there (seed 000 §1.8),
and the manifest hands its outputs to the regional edge stack."""

from __future__ import annotations

import pytest

from stackyard.manifest import ParameterSource
from tests.helpers import ENVS, picked, properties, resources, template

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


def edge_global(builds, env):
    return template(builds, env, "edge-global.json")


def rules(builds, env):
    return {rule["Name"]: rule for rule in properties(edge_global(builds, env), "WebAcl")["Rules"]}


@pytest.mark.parametrize("env", ENVS)
def test_stack_is_pinned_to_us_east_1(builds, env):
    assert builds[env].stacks["edge-global"].region == "us-east-1"
    assert builds[env].manifest().stacks["edge-global"].region == "us-east-1"
    assert edge_global(builds, env)["Metadata"]["cfn-lint"]["config"]["regions"] == ["us-east-1"]


@pytest.mark.parametrize("env", ENVS)
def test_web_acl_protects_cloudfront_and_lets_through_what_no_rule_blocks(builds, env):
    acl = properties(edge_global(builds, env), "WebAcl")
    assert picked(acl, "Name", "Scope", "DefaultAction") == {
        "Name": f"one-system-{env}-cloudfront",
        "Scope": "CLOUDFRONT",
        "DefaultAction": {"Allow": {}},
    }
    assert acl["VisibilityConfig"] == {
        "CloudWatchMetricsEnabled": True,
        "MetricName": f"one-system-{env}-cloudfront",
        "SampledRequestsEnabled": True,
    }


@pytest.mark.parametrize(
    ("env", "days", "kept"), [("dev", 7, "Delete"), ("test", 90, "Retain"), ("prod", 365, "Retain")]
)
def test_the_web_acl_logs_to_an_aws_waf_logs_group_in_us_east_1_without_credentials(builds, env, days, kept):
    """WAF logs a CLOUDFRONT-scope ACL only to a destination named aws-waf-logs-* in us-east-1 (issue 13 §4)."""
    document = edge_global(builds, env)
    group = document["Resources"]["WebAclLogGroup"]
    assert group["Properties"]["LogGroupName"] == f"aws-waf-logs-one-system-{env}-cloudfront"
    assert group["Properties"]["RetentionInDays"] == days  # edge.log_retention_days
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == (kept, kept)
    assert properties(document, "WebAclLogging") == {
        "ResourceArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
        "LogDestinationConfigs": [
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                    {"Group": {"Ref": "WebAclLogGroup"}},
                ]
            }
        ],
        "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"SingleHeader": {"Name": "cookie"}}],
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_four_aws_managed_rule_groups_block_with_their_own_actions(builds, env):
    found = rules(builds, env)
    for priority, group in enumerate(MANAGED_RULE_GROUPS):
        # OverrideAction None keeps each group's blocks; Count would only log the SQL injection of §1.8's test.
        assert picked(found[group], "Priority", "OverrideAction", "Statement", "Action") == {
            "Priority": priority,
            "OverrideAction": {"None": {}},
            "Action": None,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
        }
        assert found[group]["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert set(found) == {*MANAGED_RULE_GROUPS, "rate-limit-per-ip"}


@pytest.mark.parametrize(("env", "limit"), [("dev", 2000), ("test", 2000), ("prod", 2000)])
def test_an_ip_over_the_environments_rate_limit_is_blocked(builds, env, limit):
    rule = rules(builds, env)["rate-limit-per-ip"]
    assert picked(rule, "Priority", "Action", "Statement", "OverrideAction") == {
        "Priority": len(MANAGED_RULE_GROUPS),
        "Action": {"Block": {}},
        "OverrideAction": None,
        "Statement": {"RateBasedStatement": {"Limit": limit, "AggregateKeyType": "IP"}},
    }


@pytest.mark.parametrize("env", ENVS)
def test_rule_priorities_are_distinct(builds, env):
    priorities = [rule["Priority"] for rule in rules(builds, env).values()]
    assert sorted(priorities) == list(range(len(MANAGED_RULE_GROUPS) + 1))


@pytest.mark.parametrize("env", ENVS)
def test_web_acl_arn_is_an_output_not_an_export(builds, env):
    outputs = edge_global(builds, env)["Outputs"]
    assert outputs["WebAclArn"] == {
        "Description": "CLOUDFRONT-scope web ACL",
        "Value": {"Fn::GetAtt": ["WebAcl", "Arn"]},
    }
    # Exports cannot cross from us-east-1 to the regional edge stack; deploy passes outputs as parameters.
    assert not [name for name, output in outputs.items() if "Export" in output]


def test_with_a_domain_a_dns_validated_certificate_for_cloudfront_is_made_and_output(builds):
    document = edge_global(builds, "prod")
    [(name, certificate)] = resources(document, "AWS::CertificateManager::Certificate").items()
    assert name == "CloudFrontCertificate"
    assert picked(certificate["Properties"], "DomainName", "ValidationMethod", "DomainValidationOptions") == {
        "DomainName": "one-system.example.com",
        "ValidationMethod": "DNS",
        "DomainValidationOptions": [{"DomainName": "one-system.example.com", "HostedZoneId": "Z0123456789EXAMPLE"}],
    }
    assert document["Outputs"]["CertificateArn"]["Value"] == {"Ref": "CloudFrontCertificate"}


@pytest.mark.parametrize("env", ("dev", "test"))
def test_without_a_domain_there_is_no_certificate(builds, env):
    document = edge_global(builds, env)
    assert not resources(document, "AWS::CertificateManager::Certificate")
    assert set(document["Outputs"]) == {"WebAclArn"}


@pytest.mark.parametrize(
    ("env", "parameters"),
    [
        ("dev", {"WebAclArn": ParameterSource("edge-global", "WebAclArn")}),
        ("test", {"WebAclArn": ParameterSource("edge-global", "WebAclArn")}),
        (
            "prod",
            {
                "WebAclArn": ParameterSource("edge-global", "WebAclArn"),
                "CloudFrontCertificateArn": ParameterSource("edge-global", "CertificateArn"),
            },
        ),
    ],
)
def test_regional_edge_stack_takes_edge_globals_outputs_and_deploys_after_it(builds, env, parameters):
    manifest = builds[env].manifest()
    entry = manifest.stacks["edge"]
    from_edge_global = {name: source for name, source in entry.parameters.items() if source.stack == "edge-global"}
    assert from_edge_global == parameters
    assert "edge-global" in entry.depends_on
    assert manifest.deploy_order.index("edge-global") < manifest.deploy_order.index("edge")
    assert set(parameters) <= set(template(builds, env, "edge.json")["Parameters"])


def test_rate_limit_follows_the_params(configs):
    from templates import edge_global as module

    config = configs["test"].model_copy(
        update={"edge": configs["test"].edge.model_copy(update={"waf_rate_limit_per_5_minutes": 500})}
    )
    [rule] = [
        rule
        for rule in module.build(config).template.to_dict()["Resources"]["WebAcl"]["Properties"]["Rules"]
        if rule["Name"] == "rate-limit-per-ip"
    ]
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == 500
