"""Real PostgreSQL + moto server: the schema migrator's custom resource protocol, end to end.

The package is built as deploy builds it, unpacked, and its handler run in a separate Python
process whose path holds only the package and what the Lambda runtime provides (boto3 and its
dependencies). Credentials come from Secrets Manager (a moto server), and the answer is the PUT
CloudFormation would receive, caught by a local HTTP server. Events are shaped as CloudFormation
sends them.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import ClassVar

import boto3
import pg8000.native
import pytest
from moto.server import ThreadedMotoServer

from stackyard.lambda_package import LambdaSource, build_zip
from tests.helpers import ROOT
from tests.helpers.postgres import PASSWORD, SUPERUSER, PostgresServer, create_database, tls

pytestmark = pytest.mark.postgres
REGION = "ap-southeast-1"
RUNTIME_LIBRARIES = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3")  # what Lambda's Python ships
STACK_ID = "arn:aws:cloudformation:ap-southeast-1:123456789012:stack/one-system-test-database/abc"
# What the Lambda runtime does around a handler: its log handler, a context with the time left.
RUN_HANDLER = """
import json, logging, sys, time
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
sys.path[:0] = sys.argv[1:3]
import handler
class Context:
    def __init__(self, seconds): self.deadline = time.monotonic() + seconds
    def get_remaining_time_in_millis(self): return int((self.deadline - time.monotonic()) * 1000)
handler.handler(json.loads(sys.argv[3]), Context(float(sys.argv[4])))
"""


class Answers(http.server.BaseHTTPRequestHandler):
    """Stands in for CloudFormation's pre-signed response URL."""

    received: ClassVar[list[dict]] = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Answers.received.append({"content_type": self.headers.get("Content-Type"), "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    body = build_zip(
        LambdaSource(ROOT / "lambdas" / "schema_migrator", {"sql": ROOT / "sql"}), ROOT / "build" / ".lambda-cache"
    )
    folder = tmp_path_factory.mktemp("package")
    zipfile.ZipFile(io.BytesIO(body)).extractall(folder)
    return folder


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Path:
    """Only what the Lambda Python runtime has besides the standard library."""
    folder = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_LIBRARIES:
        (folder / name).symlink_to(Path(__import__(name).__file__).parent)
    return folder


@pytest.fixture(scope="module")
def services():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    host, port = moto.get_host_and_port()
    with PostgresServer() as postgres:
        yield {
            "response_url": f"http://127.0.0.1:{server.server_port}/response",
            "aws": f"http://{host}:{port}",
            "postgres": postgres,
        }
    moto.stop()
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret(services, request) -> str:
    database = "protocol_" + hashlib.sha256(request.node.name.encode()).hexdigest()[:10]
    value = {**create_database(services["postgres"], database), "engine": "postgres"}
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=services["aws"],
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    return client.create_secret(Name=f"/one-system/test/{database}", SecretString=json.dumps(value))["ARN"]


def event(services, secret_arn: str, request_type: str, physical_id: str | None = None) -> dict:
    found = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:ap-southeast-1:123456789012:function:migrator",
        "ResponseURL": services["response_url"],
        "StackId": STACK_ID,
        "RequestId": f"request-{request_type}",
        "LogicalResourceId": "SchemaMigration",
        "ResourceType": "Custom::SchemaMigration",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "SecretArn": secret_arn, "SqlSha256": "abc"},
    }
    if physical_id:
        found["PhysicalResourceId"] = physical_id
    if request_type == "Update":
        found["OldResourceProperties"] = dict(found["ResourceProperties"], SqlSha256="older")
    return found


def invoke(services, package, runtime, payload: dict, seconds: float = 60) -> tuple[dict, str]:
    """Run the handler in its own process; return CloudFormation's answer and everything it logged."""
    Answers.received.clear()
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_ENDPOINT_URL": services["aws"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", RUN_HANDLER, str(package), str(runtime), json.dumps(payload), str(seconds)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        log, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:  # Lambda ends a function at its deadline; so does this harness
        process.kill()
        log, _ = process.communicate()
    assert len(Answers.received) == 1, log
    answer = Answers.received[0]
    assert answer["content_type"] == ""  # the pre-signed URL is signed for an empty content type
    return answer["body"], log


def test_create_update_and_delete_as_cloudformation_sends_them(services, package, runtime, secret):
    created, log = invoke(services, package, runtime, event(services, secret, "Create"))
    assert {
        key: created[key]
        for key in ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId", "Data")
    } == {
        "Status": "SUCCESS",
        "PhysicalResourceId": "schema-migrations-SchemaMigration",
        "StackId": STACK_ID,
        "RequestId": "request-Create",
        "LogicalResourceId": "SchemaMigration",
        "Data": {"Version": "0003_reference_data.sql", "Applied": "3", "Total": "3"},
    }
    assert PASSWORD not in json.dumps(created) and PASSWORD not in log

    updated, log = invoke(services, package, runtime, event(services, secret, "Update", created["PhysicalResourceId"]))
    assert (updated["Status"], updated["PhysicalResourceId"], updated["Data"]["Applied"]) == (
        "SUCCESS",
        "schema-migrations-SchemaMigration",
        "0",
    )

    deleted, log = invoke(services, package, runtime, event(services, secret, "Delete", created["PhysicalResourceId"]))
    assert (deleted["Status"], deleted["PhysicalResourceId"]) == ("SUCCESS", "schema-migrations-SchemaMigration")
    assert "the schema and its data are kept" in log
    again, _ = invoke(
        services, package, runtime, event(services, secret, "Update", "schema-migrations-SchemaMigration")
    )
    assert again["Data"]["Total"] == "3"  # the delete kept everything


def test_a_secret_rds_manages_holds_no_host_so_the_endpoint_comes_as_host_and_port(services, package, runtime, request):
    # engine postgres: ManageMasterUserPassword writes only username and password; the template passes
    # the instance's Endpoint.Address and Endpoint.Port (as strings, as CloudFormation sends every property).
    database = "managed_" + hashlib.sha256(request.node.name.encode()).hexdigest()[:10]
    credentials = create_database(services["postgres"], database)
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=services["aws"],
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    arn = client.create_secret(
        Name=f"rds!db-{database}",
        SecretString=json.dumps({"username": credentials["username"], "password": credentials["password"]}),
    )["ARN"]
    payload = event(services, arn, "Create")
    payload["ResourceProperties"].update(DatabaseName=database, Host=credentials["host"], Port=str(credentials["port"]))
    answer, log = invoke(services, package, runtime, payload)
    assert (answer["Status"], answer["Data"]["Total"]) == ("SUCCESS", "3"), answer
    assert PASSWORD not in json.dumps(answer) and PASSWORD not in log

    payload["ResourceProperties"].pop("Host")
    answer, _ = invoke(services, package, runtime, payload)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("neither the database secret nor the resource's Host property names")


def test_the_delete_of_a_failed_create_succeeds_without_a_physical_id(services, package, runtime, secret):
    answer, _ = invoke(services, package, runtime, event(services, secret, "Delete"))
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "schema-migrations-SchemaMigration")


def test_an_unreachable_database_answers_failed_with_the_reason(services, package, runtime):
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=services["aws"],
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    arn = client.create_secret(
        Name="/one-system/test/unreachable",
        SecretString=json.dumps({"username": "u", "password": "never-logged", "host": "127.0.0.1", "port": 9}),
    )["ARN"]
    answer, log = invoke(services, package, runtime, event(services, arn, "Create"))
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("cannot reach the database at 127.0.0.1:9 within 10 s")
    assert "never-logged" not in json.dumps(answer) and "never-logged" not in log


def test_it_answers_before_its_own_timeout_when_the_work_takes_too_long(services, package, runtime, secret):
    # 11 s of Lambda time leaves the handler 1 s before its safety margin; the lock wait outlasts it.
    postgres = services["postgres"]
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=services["aws"],
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    database = json.loads(client.get_secret_value(SecretId=secret)["SecretString"])["dbname"]
    holder = pg8000.native.Connection(
        SUPERUSER, host=postgres.host, port=postgres.port, password=PASSWORD, database=database, ssl_context=tls()
    )
    holder.run("SELECT pg_advisory_lock(7231046911)")  # another migrator at work
    try:
        answer, _ = invoke(services, package, runtime, event(services, secret, "Create"), seconds=11)
    finally:
        holder.close()
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "the migrator ran out of time before finishing")


def test_the_package_is_deterministic_and_small(tmp_path):
    source = LambdaSource(ROOT / "lambdas" / "schema_migrator", {"sql": ROOT / "sql"})
    first = build_zip(source, ROOT / "build" / ".lambda-cache")
    assert build_zip(source, tmp_path / "fresh-cache") == first  # dependencies installed anew: same bytes
    assert len(first) < 2 * 1024 * 1024
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert "handler.py" in names and "sql/0001_tables.sql" in names and "pg8000/__init__.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
