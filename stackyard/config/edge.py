"""params `edge`: CloudFront in front of the site (and the API through the load balancer), its domain,
certificates and web ACL.

The check: the domain, certificate, routing and API settings fit together, and edge-global and
storage are listed exactly when the edge needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from stackyard.config.fields import BucketKey, LogRetentionDays, Model, matching
from stackyard.config.network import HTTPS_PORT, STACK_SECURITY_GROUPS
from stackyard.config.problems import problem_at
from stackyard.config.stacks import app_behind_load_balancer
from stackyard.errors import ParamsProblem
from stackyard.params import KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

DomainName = Annotated[str, matching(r"([a-z0-9-]+\.)+[a-z]{2,}", "a lowercase DNS name such as app.example.com")]
HostedZoneId = Annotated[str, matching(r"Z[A-Z0-9]{5,31}", "a Route 53 hosted zone id such as Z0123456789ABC")]


class Edge(Model):
    domain: DomainName | None
    hosted_zone_id: HostedZoneId | None
    api_subdomain: Annotated[str, matching(r"[a-z0-9-]{1,63}", "one DNS label such as api")] = "api"
    health_check_path: Annotated[str, matching(r"/[A-Za-z0-9_./-]*", "a path such as /health")] = "/health"
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    # The CLOUDFRONT-scope web ACL in edge-global (AWS managed rules and a per-IP rate limit).
    waf: bool = True
    waf_rate_limit_per_5_minutes: int = Field(default=2000, ge=100, le=2_000_000_000)
    # How long the web ACLs' logs (aws-waf-logs-* log groups) keep what they blocked and why.
    log_retention_days: LogRetentionDays = 90
    # true: CloudFront sends /api/* to the load balancer; false: CloudFront serves only the site and the API
    # is <api_subdomain>.<domain> on the load balancer itself (seed 002 §2.6), which needs a domain.
    api_via_cloudfront: bool = True
    # One certificate for <domain> and *.<domain> (seed 002 §2.6), CloudFront's and the load balancer's.
    wildcard_certificate: bool = False
    # How a route of the SPA gets the app shell: a CloudFront Function rewriting paths without a file
    # extension; 403/404 error responses serving /index.html with 200 (only where CloudFront does not
    # carry the API, whose own 403/404 they would rewrite); or none, for a plain static site.
    spa_routing: Literal["function", "error_responses", "none"] = "function"
    # A storage bucket CloudFront serves instead of the edge's own frontend bucket (seed 004 §1.3).
    site_bucket: BucketKey | None = None

    @property
    def api_domain(self) -> str | None:
        return f"{self.api_subdomain}.{self.domain}" if self.domain else None

    @property
    def needs_edge_global(self) -> bool:
        """What only us-east-1 holds: the web ACL, and CloudFront's certificate for a domain."""
        return self.waf or self.domain is not None


def validate_edge(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """The edge's settings fit together, and the stacks it needs are listed."""
    edge = config.edge
    if edge is None:
        return []
    found = _settings_problems(edge, app_behind_load_balancer(config))
    found += [(("stacks",), message) for message in _stack_problems(edge, config.stacks)]
    found += _internal_balancer_problems(config)
    return [problem_at(params, path, message) for path, message in found]


def _settings_problems(edge: Edge, app: bool) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    if (edge.domain is None) != (edge.hosted_zone_id is None):
        found.append(
            (
                ("edge", "domain" if edge.domain else "hosted_zone_id"),
                "expected domain and hosted_zone_id together (the zone validates the certificates and holds the "
                "records), or both null",
            )
        )
    if edge.domain is None and edge.wildcard_certificate:
        found.append(
            (
                ("edge", "wildcard_certificate"),
                "a certificate needs a name; expected edge.domain and hosted_zone_id, or wildcard_certificate: false",
            )
        )
    if edge.domain is None and app and not edge.api_via_cloudfront:
        found.append(
            (
                ("edge", "api_via_cloudfront"),
                "an API served by its load balancer directly needs a name and a certificate; expected edge.domain "
                "and hosted_zone_id (the API is then <api_subdomain>.<domain>), or api_via_cloudfront: true",
            )
        )
    if app and not edge.api_via_cloudfront and not edge.waf:
        found.append(
            (
                ("edge", "waf"),
                "the API at <api_subdomain>.<domain> faces the internet on its own load balancer, which a "
                "REGIONAL web ACL guards (docs/security.md); expected waf: true, or api_via_cloudfront: true",
            )
        )
    if edge.spa_routing == "error_responses" and app and edge.api_via_cloudfront:
        found.append(
            (
                ("edge", "spa_routing"),
                "the 403/404 error responses would also turn the API's own 403 and 404 answers under /api/* into "
                "index.html; expected spa_routing: function, or api_via_cloudfront: false",
            )
        )
    return found


def _internal_balancer_problems(config: EnvironmentConfig) -> list[tuple[KeyPath, str]]:
    """Behind CloudFront the load balancer is internal, and its group admits CloudFront's origin-facing
    prefix list only (the edge stack adds that rule): an address range there would be a way around it.
    On its own name the load balancer faces the internet, which must reach it on 443."""
    groups = config.network.security_groups if config.network else {}
    key = STACK_SECURITY_GROUPS["edge"]
    if config.edge is None or not app_behind_load_balancer(config) or key not in groups:
        return []
    if not config.edge.api_via_cloudfront:
        if any(rule.allows(None, HTTPS_PORT) for rule in groups[key].ingress):
            return []
        return [
            (
                ("network", "security_groups", key, "ingress"),
                f"the API at <api_subdomain>.<domain> is reached from the internet on its load balancer, and no "
                f"ingress rule of group {key} admits it; expected {{port: {HTTPS_PORT}, cidr: 0.0.0.0/0, "
                f"description: ...}} (and port 80, which only redirects)",
            )
        ]
    return [
        (
            ("network", "security_groups", key, "ingress", index, "cidr"),
            f"the load balancer is internal, reached only through CloudFront's VPC origin, whose origin-facing "
            f"prefix list the edge stack admits itself; {rule.cidr} would reach the API around CloudFront and "
            f"its web ACL. Expected no cidr ingress on group {key}",
        )
        for index, rule in enumerate(groups[key].ingress)
        if rule.cidr is not None
    ]


def _stack_problems(edge: Edge, stacks: list[str]) -> list[str]:
    """edge-global and storage are listed exactly when the edge needs them."""
    found = []
    if "edge-global" in stacks and not edge.needs_edge_global:
        found.append(
            "stack edge-global would be empty: it holds only CloudFront's web ACL (edge.waf is false) and its "
            "certificate (edge.domain is null), which must live in us-east-1; expected edge-global left out of "
            "stacks, or edge.waf: true"
        )
    if "edge" not in stacks:
        return found
    if edge.needs_edge_global and "edge-global" not in stacks:
        needed = " and ".join(
            part for part, wanted in (("the web ACL", edge.waf), ("CloudFront's certificate", edge.domain)) if wanted
        )
        found.append(
            f"stack edge takes {needed} from stack edge-global (us-east-1), which is not listed; expected "
            f"edge-global in stacks, or edge.waf: false and no edge.domain"
        )
    if "storage" not in stacks:
        found.append(
            "stack edge logs its buckets' requests (and its load balancer's) to the access-log bucket of stack "
            "storage, which is not listed; expected storage in stacks (storage: {buckets: {}, "
            "access_logs_expire_after_days: 90} holds that bucket alone)"
        )
    return found
