"""params `verify`: the checks `deploy.py verify` runs against a deployed environment, from the seeds' test plans.

The environment's stacks imply most of them (`planned_checks`): the site over HTTPS through CloudFront
and plain HTTP redirected; the app's health through the API's URL (CloudFront's /api, or the API's own
name); the web ACL answering a SQL-injection probe 403 (seed 000's test plan); the database endpoint not
reachable from outside the VPC and running its parameter group (none waiting for a reboot); every bucket
refusing public reads and requests without TLS; every alarm present and OK or INSUFFICIENT_DATA; the schema
migration the database stack reports equal to the last file of `database.migrations`. The section tunes them (paths, the probe, a timeout), leaves some
out with a reason, and adds the system's own HTTP checks. What each check does is
stackyard/deploy/verify/; this module only says which checks an environment has and with what targets.

Targets name stack outputs as `${<stack>.<Output>}` (`${edge.SiteUrl}`), filled in from the deployed
stacks when verify runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from stackyard.config.database import MIGRATIONS_PATTERN
from stackyard.config.fields import Model, matching
from stackyard.config.problems import problem_at
from stackyard.config.stacks import app_behind_load_balancer
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

CheckName = Annotated[str, matching(r"[a-z][a-z0-9-]{1,62}", "a check name: lowercase letters, digits and -")]
UrlPath = Annotated[str, matching(r"/[A-Za-z0-9_./~%?&=+:,;@!*'()$-]*", "a path such as /health")]
OUTPUT_REFERENCE = re.compile(r"\$\{([a-z][a-z0-9-]*)\.([A-Za-z][A-Za-z0-9]*)\}")
Url = Annotated[
    str,
    matching(
        r"(https?://|\$\{)\S+",
        "an http:// or https:// URL, or one starting with a stack output such as ${edge.ApiUrl}/docs",
    ),
]

# A SQL injection in a query parameter, which AWSManagedRulesSQLiRuleSet blocks (seed 000 §1.8 test plan).
SQL_INJECTION_PROBE = "/?id=1%27%20OR%20%271%27%3D%271"


class HttpCheck(Model):
    """One of the system's own checks: a GET of `url` answered with `status`."""

    name: CheckName
    url: Url
    status: int = Field(default=200, ge=100, le=599)


class Verify(Model):
    site_path: UrlPath = "/"
    health_path: UrlPath | None = None  # None: edge.health_check_path, the path the load balancer checks
    sql_injection_probe: UrlPath = SQL_INJECTION_PROBE
    timeout_seconds: int = Field(default=10, ge=1, le=120)
    skip: dict[CheckName, str] = Field(default_factory=dict)  # check name -> why this environment leaves it out
    http: list[HttpCheck] = Field(default_factory=list)


@dataclass(frozen=True)
class PlannedCheck:
    """A check an environment has: its kind (what stackyard/deploy/verify/ runs), target and expectation."""

    name: str
    kind: str  # what stackyard/deploy/verify/checks.py runs: https, status, not-reachable, alarms, ...
    target: str  # a URL or host:port with ${stack.Output} references, or "" for checks over every stack
    expect: str  # the status a URL must answer, the schema version, or "" when the kind says it
    skipped: str = ""  # why the environment leaves it out (verify.skip)

    def outputs(self) -> list[tuple[str, str]]:
        """The (stack, output) pairs the target names."""
        return OUTPUT_REFERENCE.findall(self.target)


def planned_checks(config: EnvironmentConfig) -> list[PlannedCheck]:
    """Every check the environment has, in the order verify runs and shows them."""
    settings = config.verify or Verify()
    # The seeds' CLI checks (describe-table, get-role, get-function ...) ask first whether what the stacks
    # declare exists: every stack complete, every resource in it complete.
    deployed = [PlannedCheck("stacks-deployed", "stacks", "", "")]
    checks = [*deployed, *_edge_checks(config, settings), *_data_checks(config), *_own_checks(settings)]
    return [
        PlannedCheck(check.name, check.kind, check.target, check.expect, settings.skip.get(check.name, ""))
        for check in checks
    ]


def _edge_checks(config: EnvironmentConfig, settings: Verify) -> list[PlannedCheck]:
    edge = config.edge
    if "edge" not in config.stacks or edge is None:
        return []
    site = "${edge.SiteUrl}"
    checks = [
        PlannedCheck("site-https", "https", site + settings.site_path, ""),  # 001 task 5.3, 002 §4
        PlannedCheck("site-http-redirects", "redirects-to-https", site, ""),  # 000 test plan: HTTPS redirect
    ]
    if edge.waf:  # 000 test plan: an OWASP request is blocked (403)
        checks.append(
            PlannedCheck("site-waf-blocks-sql-injection", "status", site + settings.sql_injection_probe, "403")
        )
    if app_behind_load_balancer(config):  # 000 test plan: GET /health returns 200; 002 §4: /health after deploy
        health = "${edge.ApiUrl}" + (settings.health_path or edge.health_check_path)
        checks.append(PlannedCheck("api-health", "status", health, "200"))
        if not edge.api_via_cloudfront:  # the API's own internet-facing load balancer (002 §2.3)
            api = "${edge.ApiUrl}"
            checks.append(PlannedCheck("api-http-redirects", "redirects-to-https", api, ""))
            if edge.waf:
                checks.append(
                    PlannedCheck("api-waf-blocks-sql-injection", "status", api + settings.sql_injection_probe, "403")
                )
    return checks


def _data_checks(config: EnvironmentConfig) -> list[PlannedCheck]:
    checks = []
    database = config.database
    if "database" in config.stacks and database is not None:
        # 000 test plan: direct database access from outside the VPC is refused; 001 property 2
        checks.append(
            PlannedCheck(
                "database-not-public", "not-reachable", "${database.DatabaseEndpoint}:${database.DatabasePort}", ""
            )
        )
        # RDS applies a static parameter (pgaudit's shared_preload_libraries) only at a reboot a deploy never does
        checks.append(PlannedCheck("database-parameters-applied", "database-parameters", "", ""))
        if database.migrations is not None:  # 000 §1.9: the schema is applied
            files = sorted((config.project_dir / database.migrations).glob(MIGRATIONS_PATTERN))
            latest = files[-1].name if files else ""
            checks.append(PlannedCheck("schema-version", "schema", "${database.SchemaVersion}", latest))
    if "storage" in config.stacks or "edge" in config.stacks:
        # 000 §1.4 and 003 task 2: public access blocked, "cannot access bucket without credentials";
        # 001 task 6.1 and 002 §2.5: private buckets, TLS only
        checks.append(PlannedCheck("buckets-refuse-public-reads", "buckets-private", "", ""))
        checks.append(PlannedCheck("buckets-refuse-plain-http", "buckets-tls-only", "", ""))
    if "tables" in config.stacks:  # 003 task 3 and 004 1.4: the tables and their indexes are in service
        checks.append(PlannedCheck("tables-active", "tables", "", ""))
    if "alerts" in config.stacks:  # 001 task 7.2: the alarms exist; after a deploy none is firing
        checks.append(PlannedCheck("alarms-ok", "alarms", "", ""))
    return checks


def _own_checks(settings: Verify) -> list[PlannedCheck]:
    return [PlannedCheck(check.name, "status", check.url, str(check.status)) for check in settings.http]


def validate_verify(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Skipped checks are checks the environment has; the system's own have names of their own and name outputs
    of stacks it lists."""
    if config.verify is None:
        return []
    found = []
    implied = [check.name for check in planned_checks(config.model_copy(update={"verify": Verify()}))]
    for index, check in enumerate(config.verify.http):
        if check.name in implied or [own.name for own in config.verify.http].index(check.name) != index:
            found.append(
                problem_at(
                    params,
                    ("verify", "http", index, "name"),
                    f"got {check.name!r}, which another check of this environment is called; expected a name of its own",
                )
            )
        for stack, _ in OUTPUT_REFERENCE.findall(check.url):
            if stack not in config.stacks:
                found.append(
                    problem_at(
                        params,
                        ("verify", "http", index, "url"),
                        f"${{{stack}...}} names stack {stack!r}, which this environment does not list; expected "
                        f"one of: {', '.join(config.stacks)}",
                    )
                )
    known = [*implied, *(check.name for check in config.verify.http)]
    for name in config.verify.skip:
        if name not in known:
            found.append(
                problem_at(
                    params,
                    ("verify", "skip", name),
                    f"this environment has no check {name!r}; its checks: {', '.join(known) or 'none'}",
                )
            )
    return found
