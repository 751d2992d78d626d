"""One function per kind of check (stackyard/config/verify.py names the kinds): each reads the deployed
environment or probes it, and returns whether it passed with the evidence a reader needs to believe it.

A check that cannot reach what it checks fails with why (ProbeError, Unresolved, AwsError are turned into
evidence by the runner); none retries: verify reports the state it finds.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections import Counter
from collections.abc import Callable
from typing import Any

from stackyard.aws import ParameterStatus
from stackyard.config.verify import PlannedCheck
from stackyard.deploy.reboots import IN_SYNC, PENDING_REBOOT, reboot_command
from stackyard.deploy.verify.context import Located, VerifyContext
from stackyard.deploy.verify.probes import HttpAnswer

Verdict = tuple[bool, str]  # passed, evidence
REDIRECTS = (301, 302, 303, 307, 308)
QUIET_ALARMS = ("OK", "INSUFFICIENT_DATA")
COMPLETE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
CONNECT_TIMEOUT = 3.0  # a database port: answered at once when open; a firewall drops, so wait a little only
ADDRESSES_TRIED = 3


def https(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """An answer over verified TLS; any status below 500 (a site not published yet answers 403 or 404)."""
    url = context.resolve(check.target)
    if not url.startswith("https://"):
        return False, f"{url} is not an HTTPS URL"
    answer = context.probes.get(url, context.timeout)
    hint = " (nothing published there yet?)" if answer.status in (403, 404) else ""
    return answer.status < 500, f"{_answered(answer)}, TLS verified{hint}"


def status(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """The URL answers exactly the expected status (200 for health, 403 for the WAF's probe)."""
    answer = context.probes.get(context.resolve(check.target), context.timeout)
    if answer.status == int(check.expect):
        return True, _answered(answer)
    return False, f"{_answered(answer)}; expected {check.expect}"


def redirects_to_https(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Plain HTTP to the URL's host is redirected to HTTPS on the same host."""
    parts = urllib.parse.urlsplit(context.resolve(check.target))
    port = context.probes.plain_http_port
    host = f"{parts.hostname}:{port}" if port != 80 else str(parts.hostname)
    plain = urllib.parse.urlunsplit(("http", host, "/", "", ""))
    answer = context.probes.get(plain, context.timeout)
    target = urllib.parse.urlsplit(answer.location)
    if answer.status in REDIRECTS and target.scheme == "https" and target.hostname == parts.hostname:
        return True, f"{answer.status} from {plain} to {answer.location}"
    where = f" to {answer.location}" if answer.location else ""
    return False, f"{answer.status} from {plain}{where}: not redirected to https://{parts.hostname}"


def not_reachable(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """The endpoint resolves to private addresses only (or not at all), and refuses a TCP connection from here."""
    host, _, port = context.resolve(check.target).rpartition(":")
    addresses = context.probes.resolve(host)
    if not addresses:
        return True, f"{host} does not resolve from here"
    public = [address for address in addresses if ipaddress.ip_address(address).is_global]
    reasons = {
        address: context.probes.connect(address, int(port), CONNECT_TIMEOUT) for address in addresses[:ADDRESSES_TRIED]
    }
    accepted = [address for address, reason in reasons.items() if not reason]
    kind = f"public {', '.join(public)}" if public else f"{', '.join(addresses)} (private)"
    if accepted:
        return False, f"{host} resolves to {kind}; port {port} accepts connections from here ({', '.join(accepted)})"
    refused = "; ".join(sorted(set(reasons.values())))
    if public:
        return False, f"{host} resolves to {kind} (publicly resolvable); port {port}: {refused}"
    return True, f"{host} resolves to {kind}; port {port} not reachable from here: {refused}"


def buckets_private(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every bucket blocks all public access, and (on AWS) answers an anonymous read 403."""
    buckets = context.resources("AWS::S3::Bucket")
    problems = [problem for bucket in buckets for problem in _public_access_problems(bucket, context)]
    probed = " and answer an anonymous read 403" if context.probes.bucket_url else " (no anonymous read: an emulator)"
    return _over(buckets, "buckets", problems, f"block all public access{probed}")


def buckets_tls_only(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every bucket's policy denies every request made without TLS."""
    buckets = context.resources("AWS::S3::Bucket")
    problems = [
        f"{bucket.physical_id}: no policy statement denies requests without TLS"
        for bucket in buckets
        if not denies_plain_http(context.aws.s3(bucket.region).policy(bucket.physical_id), bucket.physical_id)
    ]
    return _over(buckets, "buckets", problems, "deny every request without TLS (aws:SecureTransport false)")


def alarms(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every alarm the stacks declare exists, and none is in ALARM."""
    declared = context.resources("AWS::CloudWatch::Alarm")
    if not declared:
        return True, "the environment's stacks declare no alarm"
    states: dict[str, str] = {}
    for region in sorted({alarm.region for alarm in declared}):
        names = [alarm.physical_id for alarm in declared if alarm.region == region]
        states |= context.aws.cloudwatch(region).alarm_states(names)
    missing = [alarm.physical_id for alarm in declared if alarm.physical_id not in states]
    firing = sorted(name for name, state in states.items() if state not in QUIET_ALARMS)
    counts = ", ".join(f"{count} {state}" for state, count in sorted(Counter(states.values()).items()))
    problems = [*(f"in {states[name]}: {name}" for name in firing), *(f"missing: {name}" for name in missing)]
    return not problems, f"{len(declared)} alarms: {counts}" + (f"; {'; '.join(problems)}" if problems else "")


def schema(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """The last migration the database reports applied is the last file of database.migrations."""
    if not check.expect:
        return False, "database.migrations holds no .sql file to compare with"
    applied = context.resolve(check.target)
    if applied == check.expect:
        return True, f"the database reports {applied}, the last file of its migrations"
    return False, f"the database reports {applied}; the migrations end with {check.expect}. Fix: deploy again"


def stacks(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every stack of the environment is deployed and complete, and so is every resource in it."""
    problems = []
    for stack, deployed in context.deployed.items():
        if deployed is None:
            problems.append(f"{stack}: not deployed")
        elif deployed.status not in COMPLETE:
            problems.append(f"{stack}: {deployed.status}")
    resources = context.resources()
    problems += [
        f"{each.stack}: {each.resource_type} {each.physical_id or '(none)'} {each.status}"
        for each in resources
        if each.status not in COMPLETE
    ]
    evidence = f"{len(context.deployed)} stacks, {len(resources)} resources"
    return not problems, f"{evidence}, all complete" if not problems else f"{evidence}: {'; '.join(problems[:5])}"


def tables(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every table and its global secondary indexes are ACTIVE."""
    found = context.resources("AWS::DynamoDB::Table")
    problems, indexes = [], 0
    for table in found:
        table_status, index_statuses = context.aws.dynamodb(table.region).table_status(table.physical_id)
        indexes += len(index_statuses)
        problems += [f"{table.physical_id}: {table_status}"] if table_status != "ACTIVE" else []
        problems += [
            f"{table.physical_id} index {name}: {state}" for name, state in index_statuses.items() if state != "ACTIVE"
        ]
    return _over(found, "tables", problems, f"ACTIVE, with {indexes} indexes ACTIVE")


def database_parameters(check: PlannedCheck, context: VerifyContext) -> Verdict:
    """Every database runs what its parameter group holds: none waits for a reboot or is still applying it
    (stackyard/deploy/reboots.py says why a deploy cannot promise that)."""
    clusters = context.resources("AWS::RDS::DBCluster")
    instances = context.resources("AWS::RDS::DBInstance")
    statuses: list[tuple[str, ParameterStatus]] = []
    for cluster in clusters:
        statuses += [(cluster.region, s) for s in context.aws.rds(cluster.region).cluster_members(cluster.physical_id)]
    members = {status.instance for _, status in statuses}  # a cluster member follows its cluster's group
    for instance in instances:
        if instance.physical_id not in members:
            statuses += [(instance.region, s) for s in context.aws.rds(instance.region).instance(instance.physical_id)]
    if not statuses:
        return True, "the environment's stacks declare no database"
    problems = [
        f"{status.instance} {status.status}"
        + (f" (reboot: {reboot_command(status.instance, region)})" if status.status == PENDING_REBOOT else "")
        for region, status in statuses
        if status.status != IN_SYNC
    ]
    if problems:
        return False, "; ".join(problems)
    return True, f"{len({status.instance for _, status in statuses})} database instances in-sync with their parameters"


KINDS: dict[str, Callable[[PlannedCheck, VerifyContext], Verdict]] = {
    "https": https,
    "status": status,
    "redirects-to-https": redirects_to_https,
    "not-reachable": not_reachable,
    "buckets-private": buckets_private,
    "buckets-tls-only": buckets_tls_only,
    "alarms": alarms,
    "schema": schema,
    "stacks": stacks,
    "tables": tables,
    "database-parameters": database_parameters,
}


def denies_plain_http(policy: dict[str, Any] | None, bucket: str) -> bool:
    """Whether a statement of the policy denies everyone every S3 action on the bucket and its objects when the
    request does not use TLS (what stackyard/bucket_security.py writes)."""
    for statement in (policy or {}).get("Statement", []):
        condition = statement.get("Condition", {})
        insecure = {**condition.get("Bool", {}), **condition.get("BoolIfExists", {})}.get("aws:SecureTransport")
        resources = {arn.split(":::", 1)[-1] for arn in _listed(statement.get("Resource"))}
        if (
            statement.get("Effect") == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and set(_listed(statement.get("Action"))) & {"s3:*", "*"}
            and str(insecure).lower() == "false"
            and {bucket, f"{bucket}/*"} <= resources
        ):
            return True
    return False


def _public_access_problems(bucket: Located, context: VerifyContext) -> list[str]:
    block = context.aws.s3(bucket.region).public_access_block(bucket.physical_id)
    problems = [f"{bucket.physical_id}: {name} off" for name, on in block.items() if not on]
    if context.probes.bucket_url is not None:
        answer = context.probes.get(context.probes.bucket_url(bucket.physical_id, bucket.region), context.timeout)
        if answer.status != 403:
            problems.append(f"{bucket.physical_id}: an anonymous read answered {answer.status}, not 403")
    return problems


def _over(items: list[Located], noun: str, problems: list[str], claim: str) -> Verdict:
    if not items:
        return True, f"the environment has no {noun}"
    if problems:
        return False, "; ".join(problems)
    return True, f"{len(items)} {noun} {claim}"


def _answered(answer: HttpAnswer) -> str:
    return f"{answer.status} from {answer.url} in {answer.milliseconds} ms"


def _listed(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)] if value else []
