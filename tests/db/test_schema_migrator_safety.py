"""Real PostgreSQL + moto server: what keeps the schema migrator from lying to CloudFormation or
committing behind its back (docs/migrations.md), with the package run as Lambda runs it.

- At its deadline the migrator terminates its own session before answering FAILED, so the running
  migration cannot commit later.
- An Update asking for an older migration set than the database holds (CloudFormation rolling a
  stack back) answers SUCCESS and changes nothing, whichever package version runs it.
- The answer fits CloudFormation's 4,096 bytes however long the reason, cut on a character boundary.
- TLS is verify-full against the CA bundle in the package's certs/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pg8000.native
import pytest

from tests.helpers.migrator import CA_IN_PACKAGE, RESPONSE_MAX_BYTES, Harness, package_copy, sql_sha256
from tests.helpers.postgres import PASSWORD, SUPERUSER, make_ca, tls

pytestmark = pytest.mark.postgres
PHYSICAL_ID = "schema-migrations-SchemaMigration"
CUT_MARK = " [cut; the whole reason is in the migrator's log]"
# 25 s of Lambda time: the migrator keeps 20 s to stop its session and answer, so its deadline is at 5 s
SHORT_LAMBDA_SECONDS = 25
MIGRATOR_SESSIONS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stackyard-schema-migrator'"


def connect(services: Harness, secret_arn: str) -> pg8000.native.Connection:
    postgres = services.postgres
    database = services.credentials(secret_arn)["dbname"]
    return pg8000.native.Connection(
        SUPERUSER, host=postgres.host, port=postgres.port, password=PASSWORD, database=database, ssl_context=tls()
    )


def state(services: Harness, secret_arn: str) -> tuple[list[str], set[str]]:
    """The migrations recorded as applied, and the tables of the public schema."""
    connection = connect(services, secret_arn)
    try:
        tables = {row[0] for row in connection.run("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        history = []
        if "schema_migrations" in tables:
            history = [row[0] for row in connection.run("SELECT name FROM schema_migrations ORDER BY name")]
        return history, tables - {"schema_migrations"}
    finally:
        connection.close()


def migrator_sessions(services: Harness) -> int:
    postgres = services.postgres
    connection = pg8000.native.Connection(
        SUPERUSER, host=postgres.host, port=postgres.port, password=PASSWORD, ssl_context=tls()
    )
    try:
        return connection.run(MIGRATOR_SESSIONS)[0][0]
    finally:
        connection.close()


# --- the deadline ------------------------------------------------------------------------------


def test_at_the_deadline_the_running_statement_is_stopped_and_nothing_of_it_commits(
    services, trusting, secret, tmp_path
):
    slow = "CREATE TABLE slow_result (id int);\nINSERT INTO slow_result VALUES (1);\nSELECT pg_sleep(60);\n"
    package = package_copy(trusting, tmp_path, sql={"0004_slow.sql": slow})
    started = time.monotonic()
    answer = services.invoke(
        package, services.event(secret, "Create", sql_sha256=sql_sha256(package)), SHORT_LAMBDA_SECONDS
    )
    assert time.monotonic() - started < 20  # answered at its deadline (5 s), not after the 60 s sleep
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"] == (
        "the migrator ran out of time before finishing; the running migration was stopped and its transaction "
        "rolled back; nothing of it committed"
    )
    assert migrator_sessions(services) == 0  # the session is gone, not left to commit later
    history, tables = state(services, secret)
    assert history == ["0001_tables.sql", "0002_indexes.sql", "0003_reference_data.sql"]
    assert "slow_result" not in tables
    time.sleep(1)
    assert state(services, secret) == (history, tables)  # and nothing arrives late


def test_a_migrator_still_waiting_for_the_lock_at_its_deadline_is_stopped_too(services, trusting, secret):
    holder = connect(services, secret)
    holder.run("SELECT pg_advisory_lock(7231046911)")  # another migrator at work
    try:
        answer = services.invoke(trusting, services.event(secret, "Create"), SHORT_LAMBDA_SECONDS)
        assert migrator_sessions(services) == 0  # stopped while the other one still holds the lock
    finally:
        holder.close()
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("the migrator ran out of time before finishing; the running migration")
    assert state(services, secret) == ([], set())


# --- the Update of a rollback ------------------------------------------------------------------


def test_an_update_asking_for_an_older_set_answers_success_and_changes_nothing(services, trusting, secret, tmp_path):
    """Deploy 0004, then CloudFormation rolls the stack back: it sends an Update with the old SqlSha256,
    to the old package or (before the function is rolled back) the new one, here one holding 0005 too."""
    older = sql_sha256(trusting)  # 0001-0003
    newer = package_copy(trusting, tmp_path / "newer", sql={"0004_case_tags.sql": "CREATE TABLE case_tags (id int);"})
    newest = package_copy(newer, tmp_path / "newest", sql={"0005_never.sql": "CREATE TABLE never_applied (id int);"})
    assert services.invoke(trusting, services.event(secret, "Create")).body["Data"]["Total"] == "3"
    forward = services.event(secret, "Update", PHYSICAL_ID, sql_sha256(newer), old_sql_sha256=older)
    assert services.invoke(newer, forward).body["Data"] == {
        "Version": "0004_case_tags.sql",
        "Applied": "1",
        "Total": "4",
    }
    before = state(services, secret)

    back = services.event(secret, "Update", PHYSICAL_ID, older, old_sql_sha256=sql_sha256(newer))
    for package in (trusting, newer, newest):
        answer = services.invoke(package, back)
        assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", PHYSICAL_ID), answer.log
        assert answer.body["Data"] == {"Version": "0004_case_tags.sql", "Applied": "0", "Total": "4"}
        assert "older than the database's (a rollback): 1 later ones stay applied (0004_case_tags.sql)" in answer.log
        assert state(services, secret) == before
    assert "never_applied" not in before[1]


def test_a_set_neither_applied_nor_packaged_is_refused_before_anything_runs(services, trusting, secret, tmp_path):
    other = package_copy(trusting, tmp_path, sql={"0004_other.sql": "CREATE TABLE other (id int);"})
    answer = services.invoke(trusting, services.event(secret, "Create", sql_sha256=sql_sha256(other)))
    assert answer.body["Status"] == "FAILED"
    assert (
        "Fix: generate and deploy again, so the template and the package come from the same sql/"
        in (answer.body["Reason"])
    )
    assert state(services, secret) == ([], set())


# --- the size of the answer --------------------------------------------------------------------


def test_a_reason_of_3000_non_ascii_characters_is_cut_to_4096_bytes_of_valid_json(services, trusting, secret, tmp_path):
    # 3,000 characters of 3 and 4 bytes each in UTF-8: 10,500 bytes of reason (18 KB escaped as ASCII JSON)
    loud = "DO $$ BEGIN RAISE EXCEPTION '%', repeat('€😀', 1500); END $$;\n"
    package = package_copy(trusting, tmp_path, sql={"0004_loud.sql": loud})
    answer = services.invoke(package, services.event(secret, "Create", sql_sha256=sql_sha256(package)))
    assert answer.body["Status"] == "FAILED"
    reason = answer.body["Reason"]
    assert reason.startswith("0004_loud.sql failed and was rolled back: €😀€😀") and reason.endswith(CUT_MARK)
    # cut on a character boundary (the body decoded as UTF-8), keeping as much as fits
    assert RESPONSE_MAX_BYTES - 4 < len(answer.raw) <= RESPONSE_MAX_BYTES
    assert "€😀" * 1500 in answer.log  # the whole reason stays in the log
    assert answer.body["StackId"].startswith("arn:aws:cloudformation:") and answer.body["Data"] == {}


# --- TLS: verify-full against the bundle in the package ----------------------------------------


def test_the_rds_bundle_refuses_a_server_whose_certificate_chains_elsewhere(services, package, trusting, secret):
    refused = services.invoke(package, services.event(secret, "Create"))  # the package as built: AWS's CAs
    assert refused.body["Status"] == "FAILED"
    reason = refused.body["Reason"]
    assert reason.startswith("cannot connect to localhost:")
    assert "the database's TLS certificate was refused (unable to get local issuer certificate)" in reason
    assert "must chain to a CA in certs/rds-global-bundle.pem and name the host connected to. Fix:" in reason
    assert state(services, secret) == ([], set())
    assert PASSWORD not in refused.raw.decode() and PASSWORD not in refused.log
    # the same server, its CA in the bundle: verified and migrated
    assert services.invoke(trusting, services.event(secret, "Create")).body["Status"] == "SUCCESS"


def test_a_ca_that_did_not_issue_the_certificate_is_refused(services, trusting, secret, tmp_path):
    other = package_copy(trusting, tmp_path, ca=make_ca(tmp_path, "other"))
    answer = services.invoke(other, services.event(secret, "Create"))
    assert answer.body["Status"] == "FAILED"
    assert "TLS certificate was refused (unable to get local issuer certificate)" in answer.body["Reason"]


def test_a_certificate_for_another_name_is_refused(services, trusting, secret):
    # the server's certificate names localhost only; 127.0.0.1 is the same server by another name
    payload = services.event(secret, "Create")
    payload["ResourceProperties"]["Host"] = services.postgres.host
    answer = services.invoke(trusting, payload)
    assert answer.body["Status"] == "FAILED"
    assert (
        "TLS certificate was refused (IP address mismatch, certificate is not valid for '127.0.0.1'"
        in (answer.body["Reason"])
    )
    assert state(services, secret) == ([], set())


def test_without_the_bundle_the_migrator_refuses_to_connect(services, trusting, secret, tmp_path):
    bare = package_copy(trusting, tmp_path)
    (bare / CA_IN_PACKAGE).unlink()
    answer = services.invoke(bare, services.event(secret, "Create"))
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith(
        "the package holds no certs/rds-global-bundle.pem, so the database's certificate cannot be verified"
    )
    assert state(services, secret) == ([], set())


def test_the_shipped_bundle_is_aws_rds_certificates_only(package):
    text = (package / CA_IN_PACKAGE).read_text(encoding="ascii")
    assert Path(package / CA_IN_PACKAGE).stat().st_size > 100_000
    assert text.count("-----BEGIN CERTIFICATE-----") == text.count("-----END CERTIFICATE-----") >= 100
