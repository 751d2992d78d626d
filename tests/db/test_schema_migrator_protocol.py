"""Real PostgreSQL + moto server: the schema migrator's custom resource protocol, end to end.

The package runs as Lambda runs it (tests/helpers/migrator.py). The test server's certificate is
issued by a throwaway CA, which `trusting` puts in the package in place of the RDS bundle, so the
migrator verifies it as it verifies RDS's. Its deadline, rollback-Update, response size and TLS
refusals are in test_schema_migrator_safety.py.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from stackyard.deploy.lambda_package import LambdaSource, build_zip
from tests.helpers import ROOT
from tests.helpers.postgres import PASSWORD

pytestmark = pytest.mark.postgres
PHYSICAL_ID = "schema-migrations-SchemaMigration"


def test_create_update_and_delete_as_cloudformation_sends_them(services, trusting, secret):
    created = services.invoke(trusting, services.event(secret, "Create"))
    assert {
        key: created.body[key]
        for key in ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId", "Data")
    } == {
        "Status": "SUCCESS",
        "PhysicalResourceId": PHYSICAL_ID,
        "StackId": services.event(secret, "Create")["StackId"],
        "RequestId": "request-Create",
        "LogicalResourceId": "SchemaMigration",
        "Data": {"Version": "0003_reference_data.sql", "Applied": "3", "Total": "3"},
    }
    assert PASSWORD not in created.raw.decode() and PASSWORD not in created.log

    updated = services.invoke(trusting, services.event(secret, "Update", PHYSICAL_ID))
    assert (updated.body["Status"], updated.body["PhysicalResourceId"], updated.body["Data"]["Applied"]) == (
        "SUCCESS",
        PHYSICAL_ID,
        "0",
    )

    deleted = services.invoke(trusting, services.event(secret, "Delete", PHYSICAL_ID))
    assert (deleted.body["Status"], deleted.body["PhysicalResourceId"]) == ("SUCCESS", PHYSICAL_ID)
    assert "the schema and its data are kept" in deleted.log
    again = services.invoke(trusting, services.event(secret, "Update", PHYSICAL_ID))
    assert again.body["Data"]["Total"] == "3"  # the delete kept everything


def test_a_secret_rds_manages_holds_no_host_so_the_endpoint_comes_as_host_and_port(services, trusting, secret):
    # engine postgres: ManageMasterUserPassword writes only username and password; the template passes
    # the instance's Endpoint.Address and Endpoint.Port (as strings, as CloudFormation sends every property).
    credentials = services.credentials(secret)
    arn = services.secrets().create_secret(
        Name=f"rds!db-{credentials['dbname']}",
        SecretString=json.dumps({"username": credentials["username"], "password": credentials["password"]}),
    )["ARN"]
    payload = services.event(arn, "Create")
    payload["ResourceProperties"].update(
        DatabaseName=credentials["dbname"], Host=credentials["host"], Port=str(credentials["port"])
    )
    answer = services.invoke(trusting, payload)
    assert (answer.body["Status"], answer.body["Data"]["Total"]) == ("SUCCESS", "3"), answer.body
    assert PASSWORD not in answer.raw.decode() and PASSWORD not in answer.log

    payload["ResourceProperties"].pop("Host")
    answer = services.invoke(trusting, payload)
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("neither the database secret nor the resource's Host property names")


def test_the_delete_of_a_failed_create_succeeds_without_a_physical_id(services, trusting, secret):
    answer = services.invoke(trusting, services.event(secret, "Delete"))
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", PHYSICAL_ID)


def test_an_unreachable_database_answers_failed_with_the_reason(services, trusting):
    arn = services.secrets().create_secret(
        Name="/one-system/test/unreachable",
        SecretString=json.dumps({"username": "u", "password": "never-logged", "host": "127.0.0.1", "port": 9}),
    )["ARN"]
    answer = services.invoke(trusting, services.event(arn, "Create"))
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("cannot reach the database at 127.0.0.1:9 within 10 s")
    assert "never-logged" not in answer.raw.decode() and "never-logged" not in answer.log


def test_the_package_is_deterministic_small_and_ships_the_rds_ca_bundle(tmp_path):
    source = LambdaSource(ROOT / "lambdas" / "schema_migrator", {"sql": ROOT / "sql"})
    first = build_zip(source, ROOT / "build" / ".lambda-cache")
    assert build_zip(source, tmp_path / "fresh-cache") == first  # dependencies installed anew: same bytes
    assert len(first) < 2 * 1024 * 1024
    package = zipfile.ZipFile(io.BytesIO(first))
    names = package.namelist()
    assert "handler.py" in names and "sql/0001_tables.sql" in names and "pg8000/__init__.py" in names
    assert "migrator/migrations.py" in names  # the handler's modules, a package beside it
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    bundle = package.read("certs/rds-global-bundle.pem").decode("ascii")
    assert bundle.count("-----BEGIN CERTIFICATE-----") >= 100  # AWS's global bundle: every region's RDS CAs
