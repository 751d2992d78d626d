"""Unit, against a web server on loopback (tests/helpers/local_web.py: HTTPS with a self-signed certificate,
plain HTTP beside it) and sockets of its own: each of verify's network checks passes on what the seeds'
test plans ask for and fails, with its evidence, on what they guard against (stackyard/deploy/verify/)."""

from __future__ import annotations

import io
import socket
import ssl
from pathlib import Path

import pytest

from stackyard.aws import Aws, DeployedStack
from stackyard.config.verify import PlannedCheck
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.verify.checks import denies_plain_http
from stackyard.deploy.verify.context import VerifyContext
from stackyard.deploy.verify.probes import Probes
from stackyard.deploy.verify.runner import CheckResult, report, run_check
from tests.helpers.local_web import LocalWeb
from tests.helpers.manifests import manifest, stack_entry

PROBE = "/?id=1%27%20OR%20%271%27%3D%271"


def context(outputs: dict[str, str], probes: Probes) -> VerifyContext:
    """The environment's edge stack deployed with `outputs`; no AWS call is made by these checks."""
    built = manifest("test", "us-east-1", {"edge": stack_entry("app-test-edge", "us-east-1")})
    found = VerifyContext(
        Aws(client_factory=lambda *_: None), Environment(built, Path(".")), DeployOptions(), probes, 2
    )
    found.deployed["edge"] = DeployedStack("app-test-edge", "arn:edge", "CREATE_COMPLETE", None, {}, {}, outputs, False)
    return found


@pytest.fixture
def web(tmp_path):
    with LocalWeb(tmp_path) as running:
        yield running


def check(web: LocalWeb, name: str, kind: str, target: str, expect: str = "", trust: bool = True) -> CheckResult:
    probes = Probes(ssl_context=web.trusting if trust else ssl.create_default_context(), plain_http_port=web.http_port)
    found = context({"SiteUrl": web.https_url, "ApiUrl": f"{web.https_url}/api"}, probes)
    return run_check(PlannedCheck(name, kind, target, expect), found)


def test_https_passes_over_verified_tls_and_says_what_answered(web):
    web.routes["/"] = (200, {})
    result = check(web, "site-https", "https", "${edge.SiteUrl}/")
    assert result.result == "pass", result
    assert result.evidence.startswith(f"200 from {web.https_url}/ in ") and result.evidence.endswith("TLS verified")


def test_https_fails_on_a_certificate_the_system_does_not_trust(web):
    web.routes["/"] = (200, {})
    result = check(web, "site-https", "https", "${edge.SiteUrl}/", trust=False)
    assert result.result == "FAIL"
    assert result.evidence == f"{web.https_url}/: certificate not trusted (self-signed certificate)"


def test_https_fails_on_a_server_error_and_hints_at_an_empty_site_on_403(web):
    web.routes["/"] = (502, {})
    assert check(web, "site-https", "https", "${edge.SiteUrl}/").result == "FAIL"
    web.routes["/"] = (403, {})
    result = check(web, "site-https", "https", "${edge.SiteUrl}/")
    assert (result.result, result.evidence.endswith("TLS verified (nothing published there yet?)")) == ("pass", True)


def test_health_through_the_api_url_must_answer_200(web):
    web.routes["/api/health"] = (200, {})
    assert check(web, "api-health", "status", "${edge.ApiUrl}/health", "200").result == "pass"
    web.routes["/api/health"] = (503, {})
    result = check(web, "api-health", "status", "${edge.ApiUrl}/health", "200")
    assert result.result == "FAIL"
    assert result.evidence.startswith(f"503 from {web.https_url}/api/health in ") and result.evidence.endswith(
        "; expected 200"
    )


def test_the_waf_check_passes_only_when_the_sql_injection_probe_is_refused_403(web):
    web.routes[PROBE] = (403, {})
    assert check(web, "site-waf", "status", "${edge.SiteUrl}" + PROBE, "403").result == "pass"
    web.routes[PROBE] = (200, {})
    result = check(web, "site-waf", "status", "${edge.SiteUrl}" + PROBE, "403")
    assert (result.result, result.evidence.endswith("; expected 403")) == ("FAIL", True)
    assert PROBE in web.requests


def test_plain_http_must_redirect_to_https_on_the_same_host(web):
    web.plain_routes["/"] = (301, {"Location": "https://localhost/"})
    result = check(web, "site-http-redirects", "redirects-to-https", "${edge.SiteUrl}")
    assert result.result == "pass", result
    assert result.evidence == f"301 from http://localhost:{web.http_port}/ to https://localhost/"


@pytest.mark.parametrize(
    "answer, says",
    [
        ((200, {}), "200 from http://localhost:{port}/: not redirected to https://localhost"),
        ((301, {"Location": "http://localhost/"}), "to http://localhost/: not redirected"),
        ((302, {"Location": "https://elsewhere.example/"}), "to https://elsewhere.example/: not redirected"),
    ],
)
def test_plain_http_served_or_sent_elsewhere_fails(web, answer, says):
    web.plain_routes["/"] = answer
    result = check(web, "site-http-redirects", "redirects-to-https", "${edge.SiteUrl}")
    assert result.result == "FAIL"
    assert says.format(port=web.http_port) in result.evidence


def test_a_url_naming_an_output_the_stack_lacks_fails_naming_it(web):
    result = check(web, "docs", "status", "${edge.DocsUrl}/docs", "200")
    assert (result.result, result.evidence) == ("FAIL", "stack app-test-edge has no output DocsUrl")


def database(endpoint: str, port: int) -> VerifyContext:
    found = context({}, Probes())
    found.deployed["database"] = DeployedStack(
        "app-test-database",
        "arn:db",
        "CREATE_COMPLETE",
        None,
        {},
        {},
        {"DatabaseEndpoint": endpoint, "DatabasePort": str(port)},
        False,
    )
    return found


def not_reachable(endpoint: str, port: int) -> CheckResult:
    target = "${database.DatabaseEndpoint}:${database.DatabasePort}"
    return run_check(PlannedCheck("database-not-public", "not-reachable", target, ""), database(endpoint, port))


def test_a_database_port_that_accepts_connections_from_here_fails():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        result = not_reachable("127.0.0.1", port)
    assert result.result == "FAIL"
    assert (
        result.evidence
        == f"127.0.0.1 resolves to 127.0.0.1 (private); port {port} accepts connections from here (127.0.0.1)"
    )


def test_a_private_endpoint_refusing_connections_passes():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]  # bound and closed again: nothing listens there
    result = not_reachable("127.0.0.1", port)
    assert result.result == "pass", result
    assert (
        result.evidence
        == f"127.0.0.1 resolves to 127.0.0.1 (private); port {port} not reachable from here: connection refused"
    )


def test_a_name_that_does_not_resolve_from_here_passes():
    result = not_reachable("app-test.cluster-abc.invalid", 5432)
    assert (result.result, result.evidence) == ("pass", "app-test.cluster-abc.invalid does not resolve from here")


def test_a_publicly_resolvable_endpoint_fails_even_when_its_port_is_closed(monkeypatch):
    monkeypatch.setattr(Probes, "resolve", lambda self, host: ["54.23.1.9"])
    monkeypatch.setattr(Probes, "connect", lambda self, address, port, timeout: "no answer within 3 s")
    result = not_reachable("app-test.abc.rds.amazonaws.com", 5432)
    assert result.result == "FAIL"
    assert result.evidence == (
        "app-test.abc.rds.amazonaws.com resolves to public 54.23.1.9 (publicly resolvable); port 5432: no answer within 3 s"
    )


def schema(reported: str | None, last_file: str) -> CheckResult:
    found = database("db.internal", 5432)
    if reported is not None:
        found.deployed["database"].outputs["SchemaVersion"] = reported
    return run_check(PlannedCheck("schema-version", "schema", "${database.SchemaVersion}", last_file), found)


def test_the_schema_version_passes_only_when_it_is_the_last_migration_file():
    assert schema("0003_reference_data.sql", "0003_reference_data.sql") == CheckResult(
        "schema-version", "pass", "the database reports 0003_reference_data.sql, the last file of its migrations"
    )
    behind = schema("0002_tables.sql", "0003_reference_data.sql")
    assert behind.result == "FAIL"
    assert "the migrations end with 0003_reference_data.sql. Fix: deploy again" in behind.evidence


def test_the_schema_version_fails_without_a_migration_to_compare_or_a_reported_version():
    assert schema("0001.sql", "").evidence == "database.migrations holds no .sql file to compare with"
    missing = schema(None, "0001.sql")
    assert (missing.result, missing.evidence) == ("FAIL", "stack app-test-database has no output SchemaVersion")


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


DENY_PLAIN_HTTP = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["s3:*"],
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


@pytest.mark.parametrize(
    "document, denies",
    [
        (policy(DENY_PLAIN_HTTP), True),
        (policy({**DENY_PLAIN_HTTP, "Principal": {"AWS": "*"}, "Action": "s3:*"}), True),
        (policy({**DENY_PLAIN_HTTP, "Condition": {"Bool": {"aws:SecureTransport": False}}}), True),
        (None, False),  # no policy at all
        (policy({**DENY_PLAIN_HTTP, "Effect": "Allow"}), False),
        (policy({**DENY_PLAIN_HTTP, "Resource": ["arn:aws:s3:::data"]}), False),  # the objects are not covered
        (policy({**DENY_PLAIN_HTTP, "Action": ["s3:GetObject"]}), False),
        (policy({**DENY_PLAIN_HTTP, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}), False),
        (policy({**DENY_PLAIN_HTTP, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), False),
    ],
)
def test_a_bucket_refuses_plain_http_only_with_a_deny_for_everyone_on_it_and_its_objects(document, denies):
    assert denies_plain_http(document, "data") is denies


def test_the_table_lists_each_check_and_a_failure_exits_1(capsys):
    results = [
        CheckResult("site-https", "pass", "200 from https://x/"),
        CheckResult("alarms-ok", "FAIL", "in ALARM: x"),
        CheckResult("site-waf-blocks-sql-injection", "skipped", "params verify.skip: no WAF here"),
    ]
    out = io.StringIO()
    assert report("dev", results, out) == 1
    assert out.getvalue().splitlines() == [
        "check                          result   evidence",
        "site-https                     pass     200 from https://x/",
        "alarms-ok                      FAIL     in ALARM: x",
        "site-waf-blocks-sql-injection  skipped  params verify.skip: no WAF here",
        "verify dev: 1 passed, 1 failed, 1 skipped",
    ]
    assert report("dev", results[:1], io.StringIO()) == 0
