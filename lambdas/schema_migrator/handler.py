"""CloudFormation custom resource: apply the `sql/` migrations packaged beside this file.

Create and Update apply each file not yet applied, in name order, each in its own transaction,
recorded with its checksum in `schema_migrations` (Flyway's model). A file applied earlier whose
checksum changed stops the run before anything is applied. One migrator works at a time
(a PostgreSQL advisory lock); another waits, then finds nothing left to do.

Delete keeps the data and always succeeds: a stack delete must never hang on the schema.

CloudFormation is always answered, exactly once: on success, on any exception, and shortly
before the Lambda's own timeout. Secrets never reach logs or responses.

Properties: SecretArn (Secrets Manager, with username, password, host, port as RDS writes them),
DatabaseName (optional, else the secret's dbname), SqlSha256 (changes with the files, so a new
migration is an Update), Host and Port (optional, else the secret's: a secret RDS manages itself
holds only the username and password).
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import ssl
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pg8000.native

SQL_DIR = Path(__file__).parent / "sql"
HISTORY_TABLE = "schema_migrations"
LOCK_KEY = 7_231_046_911  # pg_advisory_lock key: "the schema migrator"
CONNECT_TIMEOUT_SECONDS = 10
ANSWER_BEFORE_TIMEOUT_MS = 10_000
REASON_MAX_CHARS = 3000  # CloudFormation takes 4 KB of response; keep room for the rest

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

HISTORY_DDL = f"""
CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    name         text PRIMARY KEY,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms  integer NOT NULL
)"""


class MigrationError(Exception):
    """A migration problem to report to CloudFormation as the failure's reason."""


def handler(event, context):
    response = Response(event)
    deadline = max(context.get_remaining_time_in_millis() - ANSWER_BEFORE_TIMEOUT_MS, 1000) / 1000
    timer = threading.Timer(deadline, response.fail, args=["the migrator ran out of time before finishing"])
    timer.daemon = True
    timer.start()
    try:
        if event["RequestType"] == "Delete":
            LOGGER.info("delete: the schema and its data are kept")
            response.succeed({})
        else:
            response.succeed(migrate(event["ResourceProperties"]))
    except MigrationError as error:
        LOGGER.error("migration failed: %s", error)
        response.fail(str(error))
    except Exception as error:  # anything at all must still answer CloudFormation
        LOGGER.exception("migration failed unexpectedly")
        response.fail(f"{type(error).__name__}: {error}")
    finally:
        timer.cancel()


def migrate(properties: dict) -> dict:
    credentials = {**_credentials(properties["SecretArn"]), **_endpoint(properties)}
    database = properties.get("DatabaseName") or credentials.get("dbname") or "postgres"
    files = migration_files()
    connection = _connect(credentials, database)
    try:
        connection.run("SELECT pg_advisory_lock(:key)", key=LOCK_KEY)
        try:
            return _apply(connection, files)
        finally:
            connection.run("SELECT pg_advisory_unlock(:key)", key=LOCK_KEY)
    finally:
        connection.close()


def migration_files() -> list[tuple[str, str, str]]:
    """(name, sql, sha256) of every migration, in the order they apply."""
    files = sorted(SQL_DIR.glob("*.sql"))
    if not files:
        raise MigrationError(f"no .sql files were packaged in {SQL_DIR.name}/")
    return [
        (path.name, path.read_text(encoding="utf-8"), hashlib.sha256(path.read_bytes()).hexdigest()) for path in files
    ]


def _apply(connection, files: list[tuple[str, str, str]]) -> dict:
    connection.execute_simple(HISTORY_DDL)
    applied = dict(connection.run(f"SELECT name, checksum FROM {HISTORY_TABLE}"))
    for name, _, checksum in files:
        if name in applied and applied[name] != checksum:
            raise MigrationError(
                f"{name} changed after it was applied (checksum {applied[name][:12]} is now "
                f"{checksum[:12]}); applied migrations never change. Fix: restore it, and put the "
                f"change in a new file"
            )
    pending = [(name, sql, checksum) for name, sql, checksum in files if name not in applied]
    for name, sql, checksum in pending:
        _apply_one(connection, name, sql, checksum)
    total = connection.run(f"SELECT count(*), max(name) FROM {HISTORY_TABLE}")[0]
    LOGGER.info("applied %d migrations; %d in all, latest %s", len(pending), total[0], total[1])
    return {"Version": total[1], "Applied": str(len(pending)), "Total": str(total[0])}


def _apply_one(connection, name: str, sql: str, checksum: str) -> None:
    started = time.monotonic()
    connection.execute_simple("BEGIN")
    try:
        connection.execute_simple(sql)
        connection.run(
            f"INSERT INTO {HISTORY_TABLE} (name, checksum, duration_ms) VALUES (:name, :checksum, :ms)",
            name=name,
            checksum=checksum,
            ms=int((time.monotonic() - started) * 1000),
        )
        connection.execute_simple("COMMIT")
    except Exception as error:
        connection.execute_simple("ROLLBACK")
        raise MigrationError(f"{name} failed and was rolled back: {_database_message(error)}") from error
    LOGGER.info("applied %s in %d ms", name, int((time.monotonic() - started) * 1000))


def _credentials(secret_arn: str) -> dict:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    try:
        return json.loads(secret["SecretString"])
    except (KeyError, ValueError):
        raise MigrationError(f"secret {secret_arn} does not hold JSON credentials") from None


def _endpoint(properties: dict) -> dict:
    """Host and port given beside the secret; CloudFormation passes every property as a string."""
    given = {"host": properties.get("Host"), "port": properties.get("Port")}
    return {name: value for name, value in given.items() if value}


def _connect(credentials: dict, database: str):
    # TLS required (the cluster has rds.force_ssl). Verifying the server's certificate needs the RDS
    # CA bundle, which the package does not carry; the connection is encrypted, as sslmode=require.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    host, port = credentials.get("host"), int(credentials.get("port", 5432))
    if not host:
        raise MigrationError(
            "neither the database secret nor the resource's Host property names the database "
            "host. Fix: pass the endpoint as Host (and Port) beside SecretArn"
        )
    # A quick reachability check first; the connection itself has no read timeout, so waiting for the
    # lock or a long CREATE INDEX is fine (the deadline timer answers CloudFormation regardless).
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except OSError as error:
        raise MigrationError(
            f"cannot reach the database at {host}:{port} within {CONNECT_TIMEOUT_SECONDS} s "
            f"({error}). Fix: check its security group admits the migrator, and that it is "
            f"available"
        ) from None
    try:
        return pg8000.native.Connection(
            credentials["username"],
            host=host,
            port=port,
            database=database,
            password=credentials["password"],
            ssl_context=context,
            application_name="stackyard-schema-migrator",
        )
    except KeyError as missing:
        raise MigrationError(f"the database secret has no {missing.args[0]!r}") from None
    except Exception as error:
        raise MigrationError(f"cannot connect to {host}:{port}/{database}: {_database_message(error)}") from None


def _database_message(error: Exception) -> str:
    """pg8000's error as a line: its message field when it has one (never the connection's secrets)."""
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else None
    if details:
        return f"{details.get('M', error)} ({details.get('C', '')})"
    return f"{type(error).__name__}: {error}"


class Response:
    """The one answer to CloudFormation for this event (later calls are ignored)."""

    def __init__(self, event: dict):
        self.event = event
        self._sent = False
        self._lock = threading.Lock()

    def succeed(self, data: dict) -> None:
        self._send("SUCCESS", "", data)

    def fail(self, reason: str) -> None:
        self._send("FAILED", reason, {})

    def _send(self, status: str, reason: str, data: dict) -> None:
        with self._lock:
            if self._sent:
                return
            self._sent = True
        event = self.event
        body = json.dumps(
            {
                "Status": status,
                "Reason": (reason or "See the migrator's log")[:REASON_MAX_CHARS],
                "PhysicalResourceId": physical_id(event),
                "StackId": event["StackId"],
                "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"],
                "NoEcho": False,
                "Data": data,
            }
        ).encode()
        request = urllib.request.Request(
            event["ResponseURL"],
            data=body,
            method="PUT",
            headers={"Content-Type": "", "Content-Length": str(len(body))},
        )
        for attempt in range(3):
            try:
                with urllib.request.urlopen(request, timeout=10):
                    LOGGER.info("answered CloudFormation: %s", status)
                    return
            except OSError as error:
                LOGGER.warning("answering CloudFormation failed (attempt %d): %s", attempt + 1, error)
                time.sleep(2**attempt)


def physical_id(event: dict) -> str:
    """The same id for the life of the resource, so an Update never looks like a replacement."""
    return event.get("PhysicalResourceId") or f"schema-migrations-{event['LogicalResourceId']}"
