"""Pure unit: which checks `deploy.py verify` runs for each system (the stacks imply them, params `verify:`
tunes them), and the params problems of a `verify:` section (stackyard/config/verify.py)."""

from __future__ import annotations

import pytest

from stackyard.config import load_config
from stackyard.config.verify import planned_checks
from stackyard.errors import EXIT_BAD_INPUT
from tests.helpers import PARAMS_DIR, ROOT, run_generate

SITE_CHECKS = ["site-https", "site-http-redirects"]
BUCKET_CHECKS = ["buckets-refuse-public-reads", "buckets-refuse-plain-http"]


@pytest.mark.parametrize(
    "params, env, names",
    [
        (  # seed 000: CloudFront with the WAF in front of the site and the app, Aurora with sql/, alarms
            PARAMS_DIR,
            "dev",
            [
                "stacks-deployed",
                *SITE_CHECKS,
                "site-waf-blocks-sql-injection",
                "api-health",
                "database-not-public",
                "database-parameters-applied",
                "schema-version",
                *BUCKET_CHECKS,
                "alarms-ok",
            ],
        ),
        (  # seed 002: the API on its own load balancer at api.<domain>, with a REGIONAL web ACL
            ROOT / "examples/tap/params",
            "poc",
            [
                "stacks-deployed",
                *SITE_CHECKS,
                "site-waf-blocks-sql-injection",
                "api-health",
                "api-http-redirects",
                "api-waf-blocks-sql-injection",
                "database-not-public",
                "database-parameters-applied",
                *BUCKET_CHECKS,
                "alarms-ok",
            ],
        ),
        (ROOT / "examples/plot-palette/params", "production", ["stacks-deployed", *BUCKET_CHECKS, "tables-active"]),
        (
            ROOT / "examples/goldsport-scheduler/params",
            "dev",
            ["stacks-deployed", *SITE_CHECKS, *BUCKET_CHECKS, "tables-active", "alarms-ok"],
        ),
        (PARAMS_DIR, "local", ["stacks-deployed", *BUCKET_CHECKS, "alarms-ok"]),  # what LocalStack builds
    ],
)
def test_each_system_gets_the_checks_its_stacks_imply(params, env, names):
    assert [check.name for check in planned_checks(load_config(params, env))] == names


def test_the_targets_name_the_outputs_verify_reads_and_what_they_must_answer():
    checks = {check.name: check for check in planned_checks(load_config(ROOT / "examples/tap/params", "poc"))}
    assert (checks["api-health"].target, checks["api-health"].expect) == ("${edge.ApiUrl}/health", "200")
    assert checks["api-waf-blocks-sql-injection"].target == "${edge.ApiUrl}/?id=1%27%20OR%20%271%27%3D%271"
    assert checks["api-waf-blocks-sql-injection"].expect == "403"
    assert checks["database-not-public"].outputs() == [
        ("database", "DatabaseEndpoint"),
        ("database", "DatabasePort"),
    ]
    default = {check.name: check for check in planned_checks(load_config(PARAMS_DIR, "dev"))}
    assert (default["schema-version"].target, default["schema-version"].expect) == (
        "${database.SchemaVersion}",
        "0003_reference_data.sql",  # the last file of sql/
    )


def test_verify_tunes_paths_skips_with_a_reason_and_adds_the_systems_own(params_copy):
    (params_copy / "test.yaml").write_text(
        "verify:\n"
        "  health_path: /api/health\n"
        "  skip:\n"
        "    site-waf-blocks-sql-injection: the test web ACL counts only\n"
        "  http:\n"
        "    - {name: api-docs, url: '${edge.ApiUrl}/docs', status: 200}\n"
    )
    checks = {check.name: check for check in planned_checks(load_config(params_copy, "test"))}
    assert checks["api-health"].target == "${edge.ApiUrl}/api/health"
    assert checks["site-waf-blocks-sql-injection"].skipped == "the test web ACL counts only"
    assert (checks["api-docs"].kind, checks["api-docs"].target, checks["api-docs"].expect) == (
        "status",
        "${edge.ApiUrl}/docs",
        "200",
    )


@pytest.mark.parametrize(
    "verify, problem",
    [
        (
            "  skip: {site-waf: why}\n",
            "params/test.yaml:2: verify.skip.site-waf: this environment has no check 'site-waf'; its checks: "
            "stacks-deployed, site-https, site-http-redirects, site-waf-blocks-sql-injection, api-health, "
            "database-not-public, database-parameters-applied, schema-version, buckets-refuse-public-reads, buckets-refuse-plain-http, alarms-ok",
        ),
        (
            "  http: [{name: api-health, url: 'https://example.com/'}]\n",
            "params/test.yaml:2: verify.http[0].name: got 'api-health', which another check of this environment is "
            "called; expected a name of its own",
        ),
        (
            "  http: [{name: docs, url: '${containers.ApiUrl}/docs'}]\n",
            "params/test.yaml:2: verify.http[0].url: ${containers...} names stack 'containers', which this "
            "environment does not list; expected one of: network, storage, alerts, messaging, auth, database, "
            "compute, edge-global, edge, dashboard",
        ),
        (
            "  http: [{name: docs, url: 'ftp://example.com/'}]\n",
            "params/test.yaml:2: verify.http[0].url: got 'ftp://example.com/'; expected an http:// or https:// URL, "
            "or one starting with a stack output such as ${edge.ApiUrl}/docs",
        ),
    ],
)
def test_a_verify_section_naming_what_is_not_there_is_refused_at_its_line(params_copy, capsys, verify, problem):
    (params_copy / "test.yaml").write_text("verify:\n" + verify)
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    assert errors[0] == f"error: {problem}"
