"""Pure unit: the edge's shapes chosen by params, each built from a small params set written here.

Site only, without an app (seed 004 §1.3, seed 002 §2.5-2.6 SPA hosting); the API on its own
name beside CloudFront, one wildcard certificate and 403/404 error responses (seed 002 §2.1,
§2.6); no WAF; a wildcard certificate outside us-east-1. Each is clean under cfn-lint and the
project's rules (`slow`), and the combinations that cannot work are refused with file:line and
the fix (tests/unit/config/test_edge_params.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stackyard.build import build_environment
from stackyard.config import load_configs, sections_needed
from stackyard.generate import generate
from stackyard.manifest import ParameterSource
from tests.helpers import PARAMS_DIR, picked, properties, resources

ZONE = "Z0123456789EXAMPLE"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
CERTIFICATE = "AWS::CertificateManager::Certificate"
DEFAULT_STACKS = [
    "network",
    "storage",
    "alerts",
    "messaging",
    "auth",
    "database",
    "compute",
    "edge-global",
    "edge",
    "dashboard",
]

# A static site and nothing else: the storage stack holds only the access-log bucket.
SITE = {
    "app": "site",
    "region": "eu-west-1",
    "stacks": ["storage", "edge"],
    "retain_data": False,
    "termination_protection": False,
    "tags": {"cost_center": "site", "owner": "web@example.com"},
    "storage": {"access_logs_expire_after_days": 30, "buckets": {}},
    "edge": {"domain": None, "hosted_zone_id": None, "price_class": "PriceClass_100", "waf": False},
}
# Each variant: (base.yaml, or None for the default system's, and the environment file over it).
VARIANTS = {
    "site": (SITE, {}),
    "site-with-waf-and-domain": (
        SITE,
        {
            "stacks": ["storage", "edge-global", "edge"],
            "edge": {"domain": "site.example.com", "hosted_zone_id": ZONE, "waf": True},
        },
    ),
    # seed 002: us-east-1, the SPA at <domain>, the API at api.<domain> on its load balancer, which faces
    # the internet behind a REGIONAL web ACL (issue 13)
    "api-direct": (
        None,
        {
            "region": "us-east-1",
            "network": {
                "security_groups": {
                    "alb": {
                        "ingress": [
                            {"port": 443, "cidr": "0.0.0.0/0", "description": "HTTPS from the internet"},
                            {"port": 80, "cidr": "0.0.0.0/0", "description": "HTTP to redirect"},
                        ]
                    }
                }
            },
            "edge": {
                "domain": "tap.example.com",
                "hosted_zone_id": ZONE,
                "api_via_cloudfront": False,
                "wildcard_certificate": True,
                "spa_routing": "error_responses",
                "price_class": "PriceClass_100",
            },
        },
    ),
    "wildcard": (
        None,
        {"edge": {"domain": "one-system.example.com", "hosted_zone_id": ZONE, "wildcard_certificate": True}},
    ),
    "no-waf": (None, {"stacks": [stack for stack in DEFAULT_STACKS if stack != "edge-global"], "edge": {"waf": False}}),
    # seed 002 §2.6: a domain whose DNS is not (yet) in Route 53
    "domain-without-zone": (None, {"edge": {"domain": "one-system.example.com", "hosted_zone_id": None}}),
}
ENV = "dev"


def write_system(project: Path, base: dict | None, override: dict) -> Path:
    """A project folder with params/base.yaml (the default system's when `base` is None) and dev.yaml."""
    params = project / "params"
    params.mkdir(parents=True)
    if base is None:
        shutil.copy(PARAMS_DIR / "base.yaml", params / "base.yaml")
        shutil.copytree(PARAMS_DIR.parent / "sql", project / "sql")
    else:
        (params / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    (params / f"{ENV}.yaml").write_text(yaml.safe_dump(override, sort_keys=False))
    return params


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    built = {}
    for name, (base, override) in VARIANTS.items():
        params = write_system(tmp_path_factory.mktemp(name), base, override)
        built[name] = build_environment(load_configs(params)[ENV])
    return built


def document(variants, name: str, stack: str) -> dict:
    return variants[name].stacks[stack].template.document


def distribution(variants, name: str) -> dict:
    return properties(document(variants, name, "edge"), "Distribution")["DistributionConfig"]


def exported(variants, name: str, stack: str = "edge") -> dict:
    return {
        output["Export"]["Name"].removeprefix(f"{variants[name].config.app}-{ENV}-"): output["Value"]
        for output in document(variants, name, stack).get("Outputs", {}).values()
        if "Export" in output
    }


# --- site only (seed 004 §1.3, seed 002 §2.5-2.6) ----------------------------------------------


def test_without_an_app_the_edge_is_cloudfront_the_bucket_spa_routing_and_headers_only(variants):
    edge = document(variants, "site", "edge")
    assert sorted({resource["Type"] for resource in edge["Resources"].values()}) == [
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
    ]
    assert "Parameters" not in edge  # no web ACL, no certificate, no app server to take from other stacks


def test_without_an_app_cloudfront_has_the_site_origin_alone_and_no_api_behavior(variants):
    config = distribution(variants, "site")
    assert [origin["Id"] for origin in config["Origins"]] == ["frontend"]
    assert picked(config, "CacheBehaviors", "WebACLId", "PriceClass", "DefaultRootObject") == {
        "CacheBehaviors": None,
        "WebACLId": None,
        "PriceClass": "PriceClass_100",
        "DefaultRootObject": "index.html",
    }
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["SpaRouting", "FunctionARN"]}}
    ]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeaders"}


def test_without_an_app_only_the_site_is_exported_and_there_are_no_alarms(variants):
    assert set(exported(variants, "site")) == {"SiteUrl", "DistributionId", "FrontendBucketName"}
    assert not resources(document(variants, "site", "edge"), "AWS::CloudWatch::Alarm")


def test_a_site_needs_only_the_storage_stack_holding_the_access_log_bucket(variants):
    build = variants["site"]
    assert list(build.stacks) == ["storage", "edge"]
    assert build.manifest().stacks["edge"].depends_on == ("storage",)
    storage = document(variants, "site", "storage")
    assert list(resources(storage, "AWS::S3::Bucket")) == ["AccessLogsBucket"]
    logging = properties(document(variants, "site", "edge"), "FrontendBucket")["LoggingConfiguration"]
    assert logging == {
        "DestinationBucketName": {"Fn::ImportValue": "site-dev-AccessLogsBucketName"},
        "LogFilePrefix": "frontend/",
    }


def test_only_an_edge_with_a_load_balancer_needs_the_monitoring_section_for_its_alarms(variants, configs):
    assert sections_needed(variants["site"].config, "edge") == ("edge",)
    assert sections_needed(configs["test"], "edge") == ("edge", "monitoring")
    assert variants["site"].config.monitoring is None


def test_a_site_with_a_domain_gets_its_certificate_web_acl_and_records_but_no_api_record(variants):
    edge = document(variants, "site-with-waf-and-domain", "edge")
    assert set(edge["Parameters"]) == {"WebAclArn", "CloudFrontCertificateArn"}
    assert set(resources(edge, "AWS::Route53::RecordSet")) == {"SiteARecord", "SiteAAAARecord"}
    edge_global = document(variants, "site-with-waf-and-domain", "edge-global")
    assert set(edge_global["Outputs"]) == {"WebAclArn", "CertificateArn"}


# --- the API on its own name, beside CloudFront (seed 002 §2.1, §2.6) ---------------------------


def test_api_direct_cloudfront_serves_only_the_spa_from_s3(variants):
    config = distribution(variants, "api-direct")
    assert [origin["Id"] for origin in config["Origins"]] == ["frontend"]
    assert "CacheBehaviors" not in config
    assert picked(config, "Aliases", "PriceClass", "DefaultRootObject", "WebACLId") == {
        "Aliases": ["tap.example.com"],
        "PriceClass": "PriceClass_100",
        "DefaultRootObject": "index.html",
        "WebACLId": {"Ref": "WebAclArn"},
    }
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"  # optimized


def test_api_direct_spa_fallback_is_403_and_404_answered_with_index_html_and_200(variants):
    config = distribution(variants, "api-direct")
    assert config["CustomErrorResponses"] == [
        {"ErrorCode": code, "ResponseCode": 200, "ResponsePagePath": "/index.html"} for code in (403, 404)
    ]
    assert "FunctionAssociations" not in config["DefaultCacheBehavior"]
    assert not resources(document(variants, "api-direct", "edge"), "AWS::CloudFront::Function")


def test_api_direct_the_load_balancer_answers_https_for_api_domain_and_redirects_http(variants):
    edge = document(variants, "api-direct", "edge")
    listeners = {name: listener["Properties"] for name, listener in resources(edge, LISTENER).items()}
    assert set(listeners) == {"HttpsListener", "HttpRedirectListener"}
    assert listeners["HttpsListener"]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    record = properties(edge, "ApiARecord")
    assert picked(record, "Name", "Type", "HostedZoneId") == {
        "Name": "api.tap.example.com",
        "Type": "A",
        "HostedZoneId": ZONE,
    }
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}
    exports = exported(variants, "api-direct")
    assert exports["ApiUrl"] == "https://api.tap.example.com"
    assert exports["SiteUrl"] == {"Fn::Join": ["", ["https://", "tap.example.com"]]}


def test_api_direct_in_us_east_1_one_wildcard_certificate_serves_cloudfront_and_the_load_balancer(variants):
    edge = document(variants, "api-direct", "edge")
    assert not resources(edge, CERTIFICATE)
    https = properties(edge, "HttpsListener")
    assert https["Certificates"] == [{"CertificateArn": {"Ref": "CloudFrontCertificateArn"}}]
    [(_name, certificate)] = resources(document(variants, "api-direct", "edge-global"), CERTIFICATE).items()
    assert picked(certificate["Properties"], "DomainName", "SubjectAlternativeNames", "DomainValidationOptions") == {
        "DomainName": "tap.example.com",
        "SubjectAlternativeNames": ["*.tap.example.com"],
        # *.<domain> shares <domain>'s validation record: listing it too would write that record twice
        "DomainValidationOptions": [{"DomainName": "tap.example.com", "HostedZoneId": ZONE}],
    }


def test_api_direct_the_internet_facing_load_balancer_has_its_own_regional_web_acl(variants):
    """Same managed rule groups and rate limit as CloudFront's (issue 13): nothing reaches the API unfiltered."""
    edge = document(variants, "api-direct", "edge")
    balancer = properties(edge, "LoadBalancer")
    assert (balancer["Scheme"], balancer["Subnets"]["Fn::Split"][1]) == (
        "internet-facing",
        {"Fn::ImportValue": "one-system-dev-PublicSubnetIds"},
    )
    acl = properties(edge, "ApiWebAcl")
    cloudfront_acl = properties(document(variants, "api-direct", "edge-global"), "WebAcl")
    assert (acl["Scope"], acl["Name"]) == ("REGIONAL", "one-system-dev-api")
    assert [rule["Statement"] for rule in acl["Rules"]] == [rule["Statement"] for rule in cloudfront_acl["Rules"]]
    assert properties(edge, "ApiWebAclAssociation") == {
        "ResourceArn": {"Ref": "LoadBalancer"},
        "WebACLArn": {"Fn::GetAtt": ["ApiWebAcl", "Arn"]},
    }
    assert properties(edge, "ApiWebAclLogGroup")["LogGroupName"] == "aws-waf-logs-one-system-dev-api"  # its region
    assert properties(edge, "ApiWebAclLogging")["ResourceArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert not resources(edge, "AWS::CloudFront::VpcOrigin")
    assert variants["api-direct"].manifest().stacks["edge"].parameters == {
        "AppInstanceId": ParameterSource("compute", "AppInstanceId"),
        "CloudFrontCertificateArn": ParameterSource("edge-global", "CertificateArn"),
        "WebAclArn": ParameterSource("edge-global", "WebAclArn"),
    }
    assert variants["api-direct"].manifest().stacks["edge"].prefix_lists == {}


def test_api_direct_keeps_the_load_balancer_alarms_and_their_dashboard_row(variants):
    alarms = resources(document(variants, "api-direct", "edge"), "AWS::CloudWatch::Alarm")
    assert set(alarms) == {"LatencyAlarm", "ServerErrorRateAlarm", "UnhealthyHostAlarm"}
    body = properties(document(variants, "api-direct", "dashboard"), "ApiDashboard")["DashboardBody"]["Fn::Sub"]
    assert "API p95 latency (s)" in body[0] and set(body[1]) == {"LoadBalancerFullName", "TargetGroupFullName"}


# --- a wildcard certificate outside us-east-1 (seed 002 §2.6) -----------------------------------


def test_outside_us_east_1_the_load_balancer_gets_its_own_wildcard_certificate_in_region(variants):
    edge = document(variants, "wildcard", "edge")
    certificate = properties(edge, "ApiCertificate")
    assert picked(certificate, "DomainName", "SubjectAlternativeNames", "DomainValidationOptions") == {
        "DomainName": "one-system.example.com",
        "SubjectAlternativeNames": ["*.one-system.example.com"],
        "DomainValidationOptions": [{"DomainName": "one-system.example.com", "HostedZoneId": ZONE}],
    }
    assert properties(edge, "HttpsListener")["Certificates"] == [{"CertificateArn": {"Ref": "ApiCertificate"}}]
    cloudfront = properties(document(variants, "wildcard", "edge-global"), "CloudFrontCertificate")
    assert cloudfront["SubjectAlternativeNames"] == ["*.one-system.example.com"]


def test_the_api_still_goes_through_cloudfront_unless_params_say_otherwise(variants):
    config = distribution(variants, "wildcard")
    assert [origin["Id"] for origin in config["Origins"]] == ["frontend", "api"]
    assert [behavior["PathPattern"] for behavior in config["CacheBehaviors"]] == ["/api/*"]
    assert exported(variants, "wildcard")["ApiUrl"]["Fn::Join"][1][-1] == "/api"  # under the site's origin


# --- no WAF -------------------------------------------------------------------------------------


def test_without_waf_there_is_no_web_acl_parameter_and_no_edge_global_without_a_domain(variants):
    build = variants["no-waf"]
    edge = document(variants, "no-waf", "edge")
    assert "WebACLId" not in distribution(variants, "no-waf")
    assert set(edge["Parameters"]) == {"AppInstanceId", "CloudFrontOriginFacingPrefixListId"}
    assert "edge-global" not in build.stacks
    assert "edge-global" not in build.manifest().stacks["edge"].depends_on


def test_without_waf_the_dashboard_has_no_waf_graph(variants):
    body = properties(document(variants, "no-waf", "dashboard"), "FrontendDashboard")["DashboardBody"]["Fn::Sub"][0]
    assert "CloudFront requests" in body and "WAF requests" not in body and "AWS/WAFV2" not in body


# --- a domain without a Route 53 zone (seed 002 §2.6) -------------------------------------------


def test_2_6_without_a_zone_the_certificates_wait_for_records_created_by_hand(variants):
    certificates = {
        name: certificate["Properties"]
        for stack in ("edge-global", "edge")
        for name, certificate in resources(document(variants, "domain-without-zone", stack), CERTIFICATE).items()
    }
    assert certificates == {
        "CloudFrontCertificate": {
            "DomainName": "one-system.example.com",
            "ValidationMethod": "DNS",
            "Tags": certificates["CloudFrontCertificate"]["Tags"],
        },
        "ApiCertificate": {
            "DomainName": "api.one-system.example.com",
            "ValidationMethod": "DNS",
            "Tags": certificates["ApiCertificate"]["Tags"],
        },
    }
    stacks = variants["domain-without-zone"].manifest().stacks
    assert stacks["edge-global"].manual_validation == {"CloudFrontCertificate": "one-system.example.com"}
    assert stacks["edge"].manual_validation == {"ApiCertificate": "api.one-system.example.com"}
    assert variants["wildcard"].manifest().stacks["edge-global"].manual_validation == {}  # its zone validates


def test_2_6_without_a_zone_no_records_are_written_and_the_outputs_say_where_to_point_the_names(variants):
    edge = document(variants, "domain-without-zone", "edge")
    assert not resources(edge, "AWS::Route53::RecordSet")
    outputs = {name: output["Value"] for name, output in edge["Outputs"].items() if "Export" not in output}
    # The API goes through CloudFront's VPC origin: its internal load balancer has no name to point at,
    # but its certificate (the name CloudFront expects of the origin) still waits for its records.
    assert outputs == {
        "SiteDnsTarget": {"Fn::GetAtt": ["Distribution", "DomainName"]},
        "ApiCertificateArn": {"Ref": "ApiCertificate"},
    }
    assert distribution(variants, "domain-without-zone")["Aliases"] == ["one-system.example.com"]
    with_zone = document(variants, "wildcard", "edge")
    assert "SiteDnsTarget" not in with_zone["Outputs"] and resources(with_zone, "AWS::Route53::RecordSet")


# --- lint ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_is_clean_under_cfn_lint_and_the_projects_rules(tmp_path, name):
    base, override = VARIANTS[name]
    result = generate(write_system(tmp_path, base, override), tmp_path / "build")
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)


# --- combinations refused -----------------------------------------------------------------------
