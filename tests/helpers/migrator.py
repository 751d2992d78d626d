"""The schema migrator's package run as Lambda runs it, against a real PostgreSQL and a moto server.

The package is built as deploy builds it and unpacked; `Harness.invoke` runs its handler in a
separate Python process whose path holds only the package and what the Lambda runtime provides
(boto3 and its dependencies). Credentials come from Secrets Manager (a moto server), and the answer
is the PUT CloudFormation would receive, caught by a local HTTP server. Events are shaped as
CloudFormation sends them. tests/db/conftest.py makes the fixtures from these.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import boto3
from moto.server import ThreadedMotoServer

from stackyard.deploy.lambda_package import LambdaSource, build_zip
from stackyard.digests import folder_digest
from tests.helpers import ROOT
from tests.helpers.postgres import PostgresServer, create_database

REGION = "ap-southeast-1"
RUNTIME_LIBRARIES = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3")  # what Lambda's Python ships
STACK_ID = "arn:aws:cloudformation:ap-southeast-1:123456789012:stack/one-system-test-database/abc"
CA_IN_PACKAGE = Path("certs") / "rds-global-bundle.pem"
RESPONSE_MAX_BYTES = 4096  # CloudFormation's limit on a custom resource's response body
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

    received: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        Answers.received.append({"content_type": self.headers.get("Content-Type"), "raw": raw})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Answer:
    body: dict[str, Any]  # the JSON CloudFormation reads
    raw: bytes  # as sent
    log: str  # everything the handler logged


@dataclass
class Harness:
    response_url: str
    aws: str
    postgres: PostgresServer
    runtime: Path

    def secrets(self) -> Any:
        return boto3.client(
            "secretsmanager",
            region_name=REGION,
            endpoint_url=self.aws,
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )

    def secret(self, test_name: str) -> str:
        """A new database, and the ARN of a secret holding its credentials as RDS writes them."""
        database = "protocol_" + hashlib.sha256(test_name.encode()).hexdigest()[:10]
        value = {**create_database(self.postgres, database), "engine": "postgres"}
        return self.secrets().create_secret(Name=f"/one-system/test/{database}", SecretString=json.dumps(value))["ARN"]

    def credentials(self, secret_arn: str) -> dict[str, Any]:
        return json.loads(self.secrets().get_secret_value(SecretId=secret_arn)["SecretString"])

    def event(
        self,
        secret_arn: str,
        request_type: str,
        physical_id: str | None = None,
        sql_sha256: str | None = None,
        old_sql_sha256: str = "0" * 64,
    ) -> dict[str, Any]:
        """An event as CloudFormation sends it; SqlSha256 by default that of the project's sql/."""
        found: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:ap-southeast-1:123456789012:function:migrator",
            "ResponseURL": self.response_url,
            "StackId": STACK_ID,
            "RequestId": f"request-{request_type}",
            "LogicalResourceId": "SchemaMigration",
            "ResourceType": "Custom::SchemaMigration",
            "ResourceProperties": {
                "ServiceToken": "arn:aws:lambda:ap-southeast-1:123456789012:function:migrator",
                "ServiceTimeout": "1020",
                "SecretArn": secret_arn,
                "SqlSha256": sql_sha256 or folder_digest(ROOT / "sql", "*.sql"),
            },
        }
        if physical_id:
            found["PhysicalResourceId"] = physical_id
        if request_type == "Update":
            found["OldResourceProperties"] = dict(found["ResourceProperties"], SqlSha256=old_sql_sha256)
        return found

    def invoke(self, package: Path, payload: dict[str, Any], seconds: float = 60) -> Answer:
        """Run the handler in its own process with `seconds` of Lambda time; CloudFormation's one answer."""
        Answers.received.clear()
        environment = {
            "PATH": os.environ["PATH"],
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
        }
        arguments = [str(package), str(self.runtime), json.dumps(payload), str(seconds)]
        process = subprocess.Popen(
            [sys.executable, "-S", "-c", RUN_HANDLER, *arguments],
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
        received = Answers.received[0]
        assert received["content_type"] == ""  # the pre-signed URL is signed for an empty content type
        assert len(received["raw"]) <= RESPONSE_MAX_BYTES, len(received["raw"])
        return Answer(json.loads(received["raw"].decode("utf-8")), received["raw"], log)


@contextmanager
def harness(runtime: Path) -> Iterator[Harness]:
    """The response URL, a moto server and a PostgreSQL server, for a module's tests."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        with PostgresServer() as postgres:
            yield Harness(f"http://127.0.0.1:{server.server_port}/response", f"http://{host}:{port}", postgres, runtime)
    finally:
        moto.stop()
        server.shutdown()
        server.server_close()


def built_package(folder: Path) -> Path:
    """The migrator's package as deploy builds it (the project's sql/ beside the handler), unpacked."""
    body = build_zip(
        LambdaSource(ROOT / "lambdas" / "schema_migrator", {"sql": ROOT / "sql"}), ROOT / "build" / ".lambda-cache"
    )
    zipfile.ZipFile(io.BytesIO(body)).extractall(folder)
    return folder


def lambda_runtime(folder: Path) -> Path:
    """Only what the Lambda Python runtime has besides the standard library."""
    for name in RUNTIME_LIBRARIES:
        (folder / name).symlink_to(Path(__import__(name).__file__).parent)
    return folder


def package_copy(package: Path, folder: Path, ca: Path | None = None, sql: dict[str, str] | None = None) -> Path:
    """A copy of an unpacked package: `ca` replaces its CA bundle, `sql` adds or replaces migrations
    (an empty text removes one)."""
    copy = folder / "package"
    shutil.copytree(package, copy, symlinks=True)
    if ca is not None:
        shutil.copyfile(ca, copy / CA_IN_PACKAGE)
    for name, text in (sql or {}).items():
        if text:
            (copy / "sql" / name).write_text(text, encoding="utf-8")
        else:
            (copy / "sql" / name).unlink()
    return copy


def sql_sha256(package: Path) -> str:
    """The SqlSha256 a template built from the package's migrations would carry."""
    return folder_digest(package / "sql", "*.sql")
