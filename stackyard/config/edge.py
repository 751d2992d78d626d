"""params `edge`: CloudFront in front of the site (and the API through the load balancer), its domain,
certificates and web ACL.

The check: the domain, certificate, routing and API settings fit together, and edge-global and
storage are listed exactly when the edge needs them.

`edge.domain` is the one place the site's name is written: the values that must name it (sign-in
callback and sign-out URLs, CORS origins, cookie domains, redirect URIs in the app's variables)
write `${Domain}` or `${ApiDomain}` (`<api_subdomain>.<domain>`), which the templates fill in
(`with_domain`), and a URL there naming a host outside the domain is refused.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from stackyard.config.fields import DNS_NAME_MAX, BucketKey, DnsLabel, DnsName, LogRetentionDays, Model, matching
from stackyard.config.network import HTTPS_PORT, STACK_SECURITY_GROUPS
from stackyard.config.problems import problem_at
from stackyard.config.stacks import app_behind_load_balancer
from stackyard.errors import ParamsProblem
from stackyard.params import KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

DOMAIN, API_DOMAIN = "${Domain}", "${ApiDomain}"
URL = re.compile(r"https?://[^\s\"',\]\[]+")
LOCAL_HOSTS = ("localhost", "127.0.0.1")  # a developer's machine: no domain of the environment's
DomainName = DnsName  # RFC 1035 labels and lengths, checked here rather than by cfn-lint after writing
HostedZoneId = Annotated[str, matching(r"Z[A-Z0-9]{5,31}", "a Route 53 hosted zone id such as Z0123456789ABC")]


class Edge(Model):
    domain: DomainName | None
    # The domain's Route 53 zone: validates the certificates and holds the site's and API's records. null
    # with a domain whose DNS lives elsewhere (seed 002 §2.6): the certificates wait for validation records
    # created by hand, and the records to point at CloudFront and the load balancer are stack outputs.
    hosted_zone_id: HostedZoneId | None
    api_subdomain: DnsLabel = "api"
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
    if edge.domain is None and edge.hosted_zone_id is not None:
        found.append(
            (
                ("edge", "hosted_zone_id"),
                "a hosted zone holds a domain's records, and edge.domain is null; expected edge.domain (the zone's "
                "domain), or hosted_zone_id: null",
            )
        )
    if edge.domain is not None and len(f"{edge.api_subdomain}.{edge.domain}") > DNS_NAME_MAX:
        found.append(
            (
                ("edge", "api_subdomain"),
                f"the API's name {edge.api_subdomain}.<domain> would be {len(edge.api_subdomain) + 1 + len(edge.domain)} "
                f"characters; a DNS name has at most {DNS_NAME_MAX}. Expected a shorter api_subdomain or domain",
            )
        )
    if edge.domain is None and edge.wildcard_certificate:
        found.append(
            (
                ("edge", "wildcard_certificate"),
                "a certificate needs a name; expected edge.domain, or wildcard_certificate: false",
            )
        )
    if edge.domain is None and app and not edge.api_via_cloudfront:
        found.append(
            (
                ("edge", "api_via_cloudfront"),
                "an API served by its load balancer directly needs a name and a certificate; expected edge.domain "
                "(the API is then <api_subdomain>.<domain>), or api_via_cloudfront: true",
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


def with_domain(text: str, edge: Edge | None) -> str:
    """`text` with ${Domain} and ${ApiDomain} filled in from edge.domain (validate_domain_references has
    refused them where there is no domain)."""
    if edge is None or edge.domain is None:
        return text
    return text.replace(API_DOMAIN, edge.api_domain or "").replace(DOMAIN, edge.domain)


def validate_domain_references(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Values naming the site take it from edge.domain: a placeholder needs a domain, and a URL names the
    domain (or a name under it) or a developer's machine, never another domain."""
    edge = config.edge if "edge" in config.stacks else None
    domain = edge.domain if edge is not None else None
    found: list[tuple[KeyPath, str]] = []
    for path, text in _domain_values(config):
        if DOMAIN in text or API_DOMAIN in text:
            if domain is None:
                found.append(
                    (
                        path,
                        f"{text!r} names the site's domain, and this environment has none (edge.domain is null or "
                        f"edge is not in stacks); expected edge.domain, or a value without ${{Domain}} and "
                        f"${{ApiDomain}}",
                    )
                )
            continue
        if domain is None:
            continue
        for host in _foreign_hosts(text, domain):
            found.append(
                (
                    path,
                    f"{text!r} names {host}, outside edge.domain {domain}, so changing edge.domain would leave it "
                    f"behind; expected the URL written with ${{Domain}} or ${{ApiDomain}} (such as "
                    f"https://${{ApiDomain}}/auth/callback), or a host under {domain}",
                )
            )
    return [problem_at(params, path, message) for path, message in found]


def _domain_values(config: EnvironmentConfig) -> Iterator[tuple[KeyPath, str]]:
    """Every value that may name the site: sign-in URLs, and the app's and functions' plain variables."""
    if config.auth is not None and "auth" in config.stacks:
        for key, client in config.auth.clients.items():
            for field in ("callback_urls", "logout_urls"):
                for index, url in enumerate(getattr(client, field)):
                    yield ("auth", "clients", key, field, index), url
    if config.containers is not None and "containers" in config.stacks:
        for variable, reference in config.containers.environment.items():
            if reference.value is not None:
                yield ("containers", "environment", variable), reference.value
    if config.functions is not None and "functions" in config.stacks:
        for key, function in config.functions.items():
            for variable, reference in function.environment.items():
                if reference.value is not None:
                    yield ("functions", key, "environment", variable), reference.value


def _foreign_hosts(text: str, domain: str) -> list[str]:
    hosts = [urllib.parse.urlsplit(url).hostname or "" for url in URL.findall(text)]
    return [
        host
        for host in hosts
        if host and host != domain and not host.endswith(f".{domain}") and host not in LOCAL_HOSTS
    ]
