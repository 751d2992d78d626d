"""E9006: clients reach load balancers, CloudFront and S3 over TLS 1.2 or newer only; nothing crosses the
internet in plain text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# ELB policy names carry their minimum TLS version: TLS13-1-2-* and TLS13-1-3-* (including the
# -Res, -Ext, -FIPS and -PQ variants), TLS-1-2-* and FS-1-2-* accept TLS 1.2 and newer only, while
# ELBSecurityPolicy-2016-08 (CloudFormation's default), TLS13-1-0/1-1, TLS-1-1 and FS-1-1 accept older.
TLS12_ELB_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)(-[A-Za-z0-9]+)*-\d{4}-\d{2}$")
TLS12_CLOUDFRONT_MINIMUM = {"TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}
HTTPS_VIEWER_POLICIES = {"redirect-to-https", "https-only"}
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"


class HttpsEnforcement(CloudFormationLintRule):
    id = "E9006"
    shortdesc = "HTTP only redirects to HTTPS, and HTTPS uses TLS 1.2 or newer"
    description = (
        "Seed 001 Property 6 (HTTPS Enforcement): an ELBv2 HTTP listener (and its listener rules) only "
        "redirects to HTTPS, unless its load balancer, in the same template, is internal; HTTPS/TLS listeners "
        "use a TLS 1.2+ security policy; every CloudFront cache behavior redirects to or requires HTTPS, a "
        "custom certificate has MinimumProtocolVersion TLSv1.2_2019 or newer, and a custom origin (reached "
        "across the internet) is https-only; every S3 bucket has a bucket policy in the same template denying "
        "requests where aws:SecureTransport is false."
    )
    source_url = "docs/rules.md#e9006"
    tags = ["stackyard", "security", "elbv2", "cloudfront", "s3", "tls"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        return [*_listeners(cfn), *_listener_rules(cfn), *_distributions(cfn), *_buckets(cfn)]


# --- load balancers ---------------------------------------------------------------------------


def _listeners(cfn: Template) -> Iterator[RuleMatch]:
    internal = _internal_load_balancers(cfn)
    for name, listener in cfn.get_resources(LISTENER).items():
        props = facts.properties(listener)
        protocol = props.get("Protocol")
        on_internal = facts.ref_target(props.get("LoadBalancerArn")) in internal
        if protocol == "HTTP" and not on_internal and _serves_plain_http(props.get("DefaultActions")):
            yield RuleMatch(
                ["Resources", name, "Properties", "DefaultActions"],
                f"Resource {name}: an HTTP listener of a load balancer that may face the internet serves "
                f"traffic instead of only redirecting it. Fix: make its only default action a redirect with "
                f"RedirectConfig Protocol HTTPS, Port 443, StatusCode HTTP_301 (or put it on an internal load "
                f"balancer of this template).",
            )
        if protocol in ("HTTPS", "TLS") and not _is_tls12_policy(props.get("SslPolicy")):
            policy = props.get("SslPolicy", "no SslPolicy (CloudFormation's default ELBSecurityPolicy-2016-08)")
            yield RuleMatch(
                ["Resources", name, "Properties"],
                f"Resource {name}: {protocol} listener with {facts.describe(policy)}, which accepts TLS older "
                f"than 1.2. Fix: set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ "
                f"policy).",
            )


def _internal_load_balancers(cfn: Template) -> set[str]:
    """Load balancers of this template with Scheme internal: no address on the internet."""
    return {
        name
        for name, balancer in cfn.get_resources(LOAD_BALANCER).items()
        if facts.properties(balancer).get("Scheme") == "internal"
    }


def _listener_rules(cfn: Template) -> Iterator[RuleMatch]:
    internal = _internal_load_balancers(cfn)
    http_listeners = {
        name
        for name, listener in cfn.get_resources(LISTENER).items()
        if facts.properties(listener).get("Protocol") == "HTTP"
        and facts.ref_target(facts.properties(listener).get("LoadBalancerArn")) not in internal
    }
    for name, rule in cfn.get_resources(LISTENER_RULE).items():
        props = facts.properties(rule)
        listener = facts.ref_target(props.get("ListenerArn"))
        if listener in http_listeners and _serves_plain_http(props.get("Actions")):
            yield RuleMatch(
                ["Resources", name, "Properties", "Actions"],
                f"Resource {name}: a rule of the HTTP listener {listener} serves traffic instead of only "
                f"redirecting it. Fix: give it only a redirect action to HTTPS, or attach it to the HTTPS "
                f"listener.",
            )


def _serves_plain_http(actions: Any) -> bool:
    """Some action does more than redirect to HTTPS (actions given by an intrinsic function cannot be read)."""
    return isinstance(actions, list) and not all(
        isinstance(action, dict)
        and action.get("Type") == "redirect"
        and isinstance(action.get("RedirectConfig"), dict)
        and action["RedirectConfig"].get("Protocol") == "HTTPS"
        for action in actions
    )


def _is_tls12_policy(policy: Any) -> bool:
    if policy is None:
        return False
    # a policy chosen by an intrinsic function cannot be read here
    return not isinstance(policy, str) or bool(TLS12_ELB_POLICY.match(policy))


# --- CloudFront -------------------------------------------------------------------------------


def _distributions(cfn: Template) -> Iterator[RuleMatch]:
    for name, distribution in cfn.get_resources("AWS::CloudFront::Distribution").items():
        config = facts.properties(distribution).get("DistributionConfig")
        if not isinstance(config, dict):
            continue
        base = ["Resources", name, "Properties", "DistributionConfig"]
        yield from _cache_behaviors(name, config, base)
        yield from _viewer_certificate(name, config, base)
        yield from _custom_origins(name, config, base)


def _cache_behaviors(name: str, config: dict[str, Any], base: list[str | int]) -> Iterator[RuleMatch]:
    behaviors = [("default cache behavior", [*base, "DefaultCacheBehavior"], config.get("DefaultCacheBehavior"))]
    others = config.get("CacheBehaviors")
    for index, behavior in enumerate(others if isinstance(others, list) else []):
        pattern = behavior.get("PathPattern") if isinstance(behavior, dict) else None
        behaviors.append((f"cache behavior {facts.describe(pattern)}", [*base, "CacheBehaviors", index], behavior))
    for label, path, behavior in behaviors:
        if not isinstance(behavior, dict):
            continue
        policy = behavior.get("ViewerProtocolPolicy")
        if isinstance(policy, str) and policy not in HTTPS_VIEWER_POLICIES:
            yield RuleMatch(
                [*path, "ViewerProtocolPolicy"],
                f"Resource {name}: the {label} has ViewerProtocolPolicy {policy}, which serves plain HTTP. "
                f"Fix: set ViewerProtocolPolicy to redirect-to-https (or https-only).",
            )


def _viewer_certificate(name: str, config: dict[str, Any], base: list[str | int]) -> Iterator[RuleMatch]:
    certificate = config.get("ViewerCertificate")
    if not isinstance(certificate, dict) or facts.is_true(certificate.get("CloudFrontDefaultCertificate")):
        return
    minimum = certificate.get("MinimumProtocolVersion")
    if minimum is None or (isinstance(minimum, str) and minimum not in TLS12_CLOUDFRONT_MINIMUM):
        shown = (
            f"MinimumProtocolVersion {minimum}" if minimum else "no MinimumProtocolVersion (CloudFront's default TLSv1)"
        )
        yield RuleMatch(
            [*base, "ViewerCertificate"],
            f"Resource {name}: the viewer certificate has {shown}, which accepts TLS older than 1.2. Fix: set "
            f"MinimumProtocolVersion to TLSv1.2_2021 (or TLSv1.2_2019 or newer).",
        )


def _custom_origins(name: str, config: dict[str, Any], base: list[str | int]) -> Iterator[RuleMatch]:
    """A custom origin is reached across the internet: https-only. A VPC origin (VpcOriginConfig) stays on
    AWS's network, and an S3 origin is signed over HTTPS by Origin Access Control."""
    origins = config.get("Origins")
    for index, origin in enumerate(origins if isinstance(origins, list) else []):
        custom = origin.get("CustomOriginConfig") if isinstance(origin, dict) else None
        if not isinstance(custom, dict):
            continue
        policy = custom.get("OriginProtocolPolicy")
        if isinstance(policy, str) and policy != "https-only":
            yield RuleMatch(
                [*base, "Origins", index, "CustomOriginConfig", "OriginProtocolPolicy"],
                f"Resource {name}: origin {facts.describe(origin.get('Id'))} has OriginProtocolPolicy {policy}, "
                f"so requests may cross the internet to it in plain text. Fix: set https-only (the origin "
                f"needs a certificate for its domain name), or reach a load balancer through a VPC origin.",
            )


# --- S3 ---------------------------------------------------------------------------------------


def _buckets(cfn: Template) -> Iterator[RuleMatch]:
    secured = {
        facts.ref_target(facts.properties(policy).get("Bucket"))
        for policy in cfn.get_resources("AWS::S3::BucketPolicy").values()
        if _denies_insecure_transport(facts.properties(policy).get("PolicyDocument"))
    }
    for name in cfn.get_resources("AWS::S3::Bucket"):
        if name not in secured:
            yield RuleMatch(
                ["Resources", name],
                f"Resource {name}: no AWS::S3::BucketPolicy in this template denies its requests made "
                f"without TLS. Fix: add a bucket policy (Bucket: Ref {name}) with a Deny statement on s3:* "
                f"for the bucket and its objects, Condition Bool aws:SecureTransport false.",
            )


def _denies_insecure_transport(document: Any) -> bool:
    statements = document.get("Statement") if isinstance(document, dict) else None
    return any(
        isinstance(statement, dict)
        and statement.get("Effect") == "Deny"
        and _requires_secure_transport(statement.get("Condition"))
        for statement in facts.as_list(statements)
    )


def _requires_secure_transport(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if not str(operator).startswith("Bool") or not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            if str(key).lower() == "aws:securetransport" and any(facts.is_false(v) for v in facts.as_list(value)):
                return True
    return False
