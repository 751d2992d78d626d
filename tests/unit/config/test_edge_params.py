"""Pure unit: the edge shapes params cannot combine (an edge-global with nothing to hold, an edge without
the edge-global it takes from ...), refused through the generate CLI with file:line, the key and the fix,
nothing written. The shapes that do work are in tests/unit/templates/test_edge_variants.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import EXIT_BAD_INPUT
from tests.helpers import base_line, run_generate

STACKS_LINE = base_line("stacks:")
REFUSED = {
    "edge-global with nothing to hold": (
        "edge:\n  waf: false\n",
        [
            f"params/base.yaml:{STACKS_LINE}: stacks: stack edge-global would be empty: it holds only CloudFront's "
            "web ACL (edge.waf is false) and its certificate (edge.domain is null), which must live in us-east-1; "
            "expected edge-global left out of stacks, or edge.waf: true"
        ],
    ),
    "edge without the edge-global it takes from": (
        "stacks: [network, storage, alerts, messaging, auth, database, compute, edge, dashboard]\n",
        [
            "params/test.yaml:1: stacks: stack edge takes the web ACL from stack edge-global (us-east-1), which is not "
            "listed; expected edge-global in stacks, or edge.waf: false and no edge.domain"
        ],
    ),
    "edge without storage's access-log bucket": (
        "stacks: [network, alerts, messaging, auth, database, compute, edge-global, edge]\n",
        [
            "params/test.yaml:1: stacks: stack edge logs its buckets' requests (and its load balancer's) to the "
            "access-log bucket of stack storage, which is not listed; expected storage in stacks (storage: "
            "{buckets: {}, access_logs_expire_after_days: 90} holds that bucket alone)"
        ],
    ),
    "API beside CloudFront without a domain": (
        "edge:\n  api_via_cloudfront: false\n",
        [
            f"params/base.yaml:{base_line('ingress: []')}: network.security_groups.alb.ingress: the API at "
            "<api_subdomain>.<domain> is reached from the internet on its load balancer, and no ingress rule of "
            "group alb admits it; expected {port: 443, cidr: 0.0.0.0/0, description: ...} (and port 80, which only "
            "redirects)",
            "params/test.yaml:2: edge.api_via_cloudfront: an API served by its load balancer directly needs a name "
            "and a certificate; expected edge.domain (the API is then <api_subdomain>.<domain>), "
            "or api_via_cloudfront: true",
        ],
    ),
    "API beside CloudFront without a web ACL": (
        "edge:\n  api_via_cloudfront: false\n  domain: one-system.example.com\n  hosted_zone_id: Z0123456789EXAMPLE\n"
        "  waf: false\nnetwork:\n  security_groups:\n    alb:\n      ingress:\n"
        "        - {port: 443, cidr: 0.0.0.0/0, description: HTTPS}\n",
        [
            "params/test.yaml:5: edge.waf: the API at <api_subdomain>.<domain> faces the internet on its own load "
            "balancer, which a REGIONAL web ACL guards (docs/security.md); expected waf: true, or "
            "api_via_cloudfront: true"
        ],
    ),
    "an address range on the load balancer CloudFront reaches privately": (
        "network:\n  security_groups:\n    alb:\n      ingress:\n"
        "        - {port: 443, cidr: 0.0.0.0/0, description: HTTPS}\n",
        [
            "params/test.yaml:5: network.security_groups.alb.ingress[0].cidr: the load balancer is internal, reached "
            "only through CloudFront's VPC origin, whose origin-facing prefix list the edge stack admits itself; "
            "0.0.0.0/0 would reach the API around CloudFront and its web ACL. Expected no cidr ingress on group alb"
        ],
    ),
    "wildcard certificate without a domain": (
        "edge:\n  wildcard_certificate: true\n",
        [
            "params/test.yaml:2: edge.wildcard_certificate: a certificate needs a name; expected edge.domain, or "
            "wildcard_certificate: false"
        ],
    ),
    "error pages while CloudFront carries the API": (
        "edge:\n  spa_routing: error_responses\n",
        [
            "params/test.yaml:2: edge.spa_routing: the 403/404 error responses would also turn the API's own 403 and "
            "404 answers under /api/* into index.html; expected spa_routing: function, or api_via_cloudfront: false"
        ],
    ),
    "a site bucket storage does not have": (
        "edge:\n  site_bucket: website\n",
        [
            "params/test.yaml:2: edge.site_bucket: no bucket 'website'; expected one of: attachments, audit-logs, "
            "exports, processed-zone, raw-landing"
        ],
    ),
    "SPA routing nobody offers": (
        "edge:\n  spa_routing: lambda-edge\n",
        ["params/test.yaml:2: edge.spa_routing: got 'lambda-edge'; expected 'function', 'error_responses' or 'none'"],
    ),
}


@pytest.mark.parametrize("override, expected", REFUSED.values(), ids=REFUSED.keys())
def test_combinations_that_cannot_work_are_refused_with_file_line_and_fix(params_copy, capsys, override, expected):
    (params_copy / "test.yaml").write_text(override)
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    assert errors == [f"error: {line}" for line in expected] + [
        f"{len(expected)} problem{'s' if len(expected) > 1 else ''} in the params; nothing was written"
    ]
    assert not Path("build").exists()
