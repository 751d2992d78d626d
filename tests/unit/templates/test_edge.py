"""Pure unit: the edge stack's template holds the facts of seed 000 §1.8 and seed 001 task 6: the CloudFront
distribution (origins, behaviors, headers, certificate, web ACL, logs), the site's bucket, DNS and the
exports (one test runs the SPA routing function's JavaScript under node, and skips without it). The load
balancer and its alarms are in test_edge_load_balancer.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers import ENVS, picked, properties, resources
from tests.helpers.edge import DOMAIN, FULL_NAME, NO_DOMAIN, ZONE, edge

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def distribution(builds, env):
    return properties(edge(builds, env), "Distribution")["DistributionConfig"]


@pytest.mark.parametrize(
    ("env", "days", "kept"), [("dev", 30, "Delete"), ("test", 365, "Retain"), ("prod", 365, "Retain")]
)
def test_cloudfront_logs_every_request_to_its_own_bucket_kept_as_long_as_the_access_logs(builds, env, days, kept):
    """Standard logging delivers through the bucket's ACL, so that bucket alone has ACLs on (issue 13 §4)."""
    document = edge(builds, env)
    assert distribution(builds, env)["Logging"] == {
        "Bucket": {"Fn::GetAtt": ["CdnLogsBucket", "DomainName"]},
        "Prefix": "cloudfront/",
        "IncludeCookies": False,
    }
    bucket = document["Resources"]["CdnLogsBucket"]
    assert bucket["Properties"]["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert set(bucket["Properties"]["PublicAccessBlockConfiguration"].values()) == {True}
    expiry = [rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in rule]
    assert [rule["ExpirationInDays"] for rule in expiry] == [days]  # storage.access_logs_expire_after_days
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == (kept, kept)
    assert properties(document, "CdnLogsBucketPolicy")["Bucket"] == {"Ref": "CdnLogsBucket"}  # TLS only


@pytest.mark.parametrize("env", ENVS)
def test_cloudfront_reads_the_frontend_bucket_through_origin_access_control_only(builds, env):
    document = edge(builds, env)
    origins = {origin["Id"]: origin for origin in distribution(builds, env)["Origins"]}
    assert set(origins) == {"frontend", "api"}
    assert origins["frontend"] == {
        "Id": "frontend",
        "DomainName": {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]},
        "OriginAccessControlId": {"Fn::GetAtt": ["FrontendOriginAccess", "Id"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    assert picked(
        properties(document, "FrontendOriginAccess")["OriginAccessControlConfig"],
        "Name",
        "OriginAccessControlOriginType",
        "SigningBehavior",
        "SigningProtocol",
    ) == {
        "Name": f"one-system-{env}-frontend",
        "OriginAccessControlOriginType": "s3",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }


@pytest.mark.parametrize(
    ("env", "api_origin"),
    [
        ("dev", {"DomainName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}, "Protocol": "http-only"}),
        ("test", {"DomainName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}, "Protocol": "http-only"}),
        ("prod", {"DomainName": f"api.{DOMAIN}", "Protocol": "https-only"}),  # the name on the ALB's certificate
    ],
)
def test_cloudfront_reaches_the_load_balancer_through_its_vpc_origin_as_securely_as_its_listeners_allow(
    builds, env, api_origin
):
    [origin] = [origin for origin in distribution(builds, env)["Origins"] if origin["Id"] == "api"]
    assert origin == {
        "Id": "api",
        "DomainName": api_origin["DomainName"],
        "VpcOriginConfig": {"VpcOriginId": {"Fn::GetAtt": ["ApiVpcOrigin", "Id"]}},
    }
    assert properties(edge(builds, env), "ApiVpcOrigin")["VpcOriginEndpointConfig"] == {
        "Name": f"one-system-{env}-api",
        "Arn": {"Ref": "LoadBalancer"},
        "HTTPPort": 80,
        "HTTPSPort": 443,
        "OriginProtocolPolicy": api_origin["Protocol"],
        "OriginSSLProtocols": ["TLSv1.2"],
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_spa_is_served_over_https_compressed_cached_and_routed_by_the_function(builds, env):
    behavior = distribution(builds, env)["DefaultCacheBehavior"]
    assert picked(
        behavior, "TargetOriginId", "ViewerProtocolPolicy", "Compress", "CachePolicyId", "FunctionAssociations"
    ) == {
        "TargetOriginId": "frontend",
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": True,
        "CachePolicyId": CACHING_OPTIMIZED,
        "FunctionAssociations": [
            {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["SpaRouting", "FunctionARN"]}}
        ],
    }
    function = properties(edge(builds, env), "SpaRouting")
    assert picked(function, "Name", "AutoPublish", "FunctionConfig") == {
        "Name": f"one-system-{env}-spa-routing",
        "AutoPublish": True,
        "FunctionConfig": {"Comment": "Serve the SPA shell for the app's own routes", "Runtime": "cloudfront-js-2.0"},
    }


@pytest.mark.parametrize("env", ENVS)
def test_api_requests_go_uncached_to_the_load_balancer_over_https_with_every_method(builds, env):
    [behavior] = distribution(builds, env)["CacheBehaviors"]
    assert picked(
        behavior,
        "PathPattern",
        "TargetOriginId",
        "ViewerProtocolPolicy",
        "CachePolicyId",
        "OriginRequestPolicyId",
        "AllowedMethods",
    ) == {
        "PathPattern": "/api/*",
        "TargetOriginId": "api",
        "ViewerProtocolPolicy": "https-only",
        "CachePolicyId": CACHING_DISABLED,
        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
    }
    assert "FunctionAssociations" not in behavior  # the API's own 404s are never rewritten to the SPA shell


@pytest.mark.parametrize("env", ENVS)
def test_both_behaviors_add_the_security_headers(builds, env):
    config = distribution(builds, env)
    for behavior in (config["DefaultCacheBehavior"], *config["CacheBehaviors"]):
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeaders"}
    headers = properties(edge(builds, env), "SecurityHeaders")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers == {
        "StrictTransportSecurity": {"AccessControlMaxAgeSec": 31_536_000, "IncludeSubdomains": True, "Override": True},
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": "DENY", "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True},
        "XSSProtection": {"Protection": True, "ModeBlock": True, "Override": True},
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_web_acl_is_the_one_edge_global_passes_in(builds, env):
    document = edge(builds, env)
    assert distribution(builds, env)["WebACLId"] == {"Ref": "WebAclArn"}
    assert document["Parameters"]["WebAclArn"]["Type"] == "String"
    assert "Default" not in document["Parameters"]["WebAclArn"]  # deploy must pass it; no distribution without WAF


def test_with_a_domain_cloudfront_answers_for_it_with_its_us_east_1_certificate(builds):
    config = distribution(builds, "prod")
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": "CloudFrontCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert "CloudFrontCertificateArn" in edge(builds, "prod")["Parameters"]


@pytest.mark.parametrize("env", NO_DOMAIN)
def test_without_a_domain_cloudfront_uses_its_default_certificate(builds, env):
    config = distribution(builds, env)
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Aliases" not in config
    assert set(edge(builds, env)["Parameters"]) == {"WebAclArn", "AppInstanceId", "CloudFrontOriginFacingPrefixListId"}


@pytest.mark.parametrize("env", ENVS)
def test_frontend_bucket_admits_only_this_distribution_and_only_over_tls(builds, env):
    document = edge(builds, env)
    policy = properties(document, "FrontendBucketPolicy")
    assert policy["Bucket"] == {"Ref": "FrontendBucket"}
    arn = {"Fn::GetAtt": ["FrontendBucket", "Arn"]}
    objects = {"Fn::Join": ["", [arn, "/*"]]}
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*"],
            "Resource": [arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AllowCloudFrontToReadAssets",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["s3:GetObject"],
            "Resource": [objects],
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                    }
                }
            },
        },
    ]
    bucket = properties(document, "FrontendBucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}  # a bad release can be rolled back


def test_with_a_domain_route_53_points_the_site_at_cloudfront_and_nothing_at_the_internal_load_balancer(builds):
    """The VPC origin routes by the load balancer's ARN; api.<domain> only names its certificate."""
    records = {
        name: record["Properties"]
        for name, record in resources(edge(builds, "prod"), "AWS::Route53::RecordSet").items()
    }
    site_alias = {"HostedZoneId": CLOUDFRONT_ZONE, "DNSName": {"Fn::GetAtt": ["Distribution", "DomainName"]}}
    assert records == {
        "SiteARecord": {"HostedZoneId": ZONE, "Name": DOMAIN, "Type": "A", "AliasTarget": site_alias},
        "SiteAAAARecord": {"HostedZoneId": ZONE, "Name": DOMAIN, "Type": "AAAA", "AliasTarget": site_alias},
    }


@pytest.mark.parametrize("env", NO_DOMAIN)
def test_without_a_domain_there_are_no_dns_records(builds, env):
    assert not resources(edge(builds, env), "AWS::Route53::RecordSet")


@pytest.mark.parametrize(
    ("env", "site"),
    [
        ("dev", {"Fn::GetAtt": ["Distribution", "DomainName"]}),
        ("test", {"Fn::GetAtt": ["Distribution", "DomainName"]}),
        ("prod", DOMAIN),
    ],
)
def test_site_and_api_urls_distribution_bucket_and_metric_names_are_exported(builds, env, site):
    outputs = edge(builds, env)["Outputs"]
    exports = {output["Export"]["Name"]: output["Value"] for output in outputs.values() if "Export" in output}
    # The load balancer's own certificate (a domain outside us-east-1) is an output deploy reads, not an export.
    assert [name for name, output in outputs.items() if "Export" not in output] == (
        ["ApiCertificateArn"] if env == "prod" else []
    )
    assert exports == {
        f"one-system-{env}-SiteUrl": {"Fn::Join": ["", ["https://", site]]},
        f"one-system-{env}-ApiUrl": {"Fn::Join": ["", ["https://", site, "/api"]]},  # through CloudFront
        f"one-system-{env}-DistributionId": {"Ref": "Distribution"},
        f"one-system-{env}-FrontendBucketName": {"Ref": "FrontendBucket"},
        f"one-system-{env}-LoadBalancerFullName": FULL_NAME,
        f"one-system-{env}-TargetGroupFullName": {"Fn::GetAtt": ["AppTargetGroup", "TargetGroupFullName"]},
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH: cannot run the CloudFront Function")
def test_spa_routing_serves_the_shell_for_app_routes_and_files_as_they_are(builds, tmp_path):
    code = properties(edge(builds, "test"), "SpaRouting")["FunctionCode"]
    uris = {
        "/": "/index.html",
        "/cases/12": "/index.html",
        "/cases/12/": "/index.html",
        "/assets/app.js": "/assets/app.js",
        "/index.html": "/index.html",
        "/favicon.ico": "/favicon.ico",
        "/fonts/inter.woff2": "/fonts/inter.woff2",
    }
    script = tmp_path / "spa_routing.js"
    script.write_text(
        code + "\nconst uris = JSON.parse(process.argv[2]);\n"
        "const served = uris.map(uri => handler({request: {uri: uri, headers: {}}}).uri);\n"
        "console.log(JSON.stringify(served));\n"
    )
    result = subprocess.run(
        ["node", str(script), json.dumps(list(uris))], capture_output=True, text=True, check=True, timeout=30
    )
    assert dict(zip(uris, json.loads(result.stdout), strict=False)) == uris
