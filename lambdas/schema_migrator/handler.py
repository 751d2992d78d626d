"""CloudFormation custom resource: apply the `sql/` migrations packaged beside this file.

Create and Update apply each file not yet applied, in name order, each in its own transaction,
recorded with its checksum in `schema_migrations` (Flyway's model). A file applied earlier whose
checksum changed stops the run before anything is applied. One migrator works at a time
(a PostgreSQL advisory lock); another waits, then finds nothing left to do.

The resource's SqlSha256 names the migration set asked for (stackyard/digests.py computes it from
the files' names and checksums, so the same digest can be computed from the history table). A set
that is already applied, or older than what is applied (the Update CloudFormation sends while it
rolls a stack back), answers SUCCESS and changes nothing. Otherwise the package must hold exactly
that set.

Delete keeps the data and always succeeds: a stack delete must never hang on the schema.

CloudFormation is answered exactly once: on success, on any exception, and shortly before the
Lambda's own timeout. At that deadline the migrating session is terminated from a second
connection before FAILED is sent, so nothing the run started can commit afterwards. The template
turns Lambda's retries of the asynchronous invocation off, so a failed run is never repeated behind
CloudFormation's back. The answer is cut to CloudFormation's 4,096 bytes. Secrets never reach logs
or responses.

TLS is verify-full: the database's certificate must chain to a CA of certs/rds-global-bundle.pem
(AWS's RDS bundle, shipped in the package) and name the host connected to. See docs/migrations.md.

Properties: SecretArn (Secrets Manager, with username, password, host, port as RDS writes them),
DatabaseName (optional, else the secret's dbname), SqlSha256, Host and Port (optional, else the
secret's: a secret RDS manages itself holds only the username and password).
"""

from __future__ import annotations

import contextlib
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
CA_BUNDLE = Path(__file__).parent / "certs" / "rds-global-bundle.pem"
HISTORY_TABLE = "schema_migrations"
LOCK_KEY = 7_231_046_911  # pg_advisory_lock key: "the schema migrator"
CONNECT_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 5  # to terminate the migrating session at the deadline and see it gone
ANSWER_BEFORE_TIMEOUT_MS = 20_000  # room to stop the session, then answer, before Lambda ends the run
RESPONSE_MAX_BYTES = 4096  # CloudFormation refuses a larger response body
CUT_MARK = " [cut; the whole reason is in the migrator's log]"

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
    deadline = Deadline()
    seconds = max(context.get_remaining_time_in_millis() - ANSWER_BEFORE_TIMEOUT_MS, 1000) / 1000
    timer = threading.Timer(seconds, _out_of_time, args=[deadline, response])
    timer.daemon = True
    timer.start()
    try:
        status, reason, data = _outcome(event, deadline)
    finally:
        timer.cancel()
        timer.join()  # once the deadline has passed, its FAILED is the answer, sent before the run ends
    response.send(status, reason, data)


def _outcome(event: dict, deadline: Deadline) -> tuple[str, str, dict]:
    """The answer the work earns: (status, reason, data)."""
    try:
        if event["RequestType"] == "Delete":
            LOGGER.info("delete: the schema and its data are kept")
            return "SUCCESS", "", {}
        return "SUCCESS", "", migrate(event["ResourceProperties"], deadline)
    except MigrationError as error:
        LOGGER.error("migration failed: %s", error)
        return "FAILED", str(error), {}
    except Exception as error:  # anything at all must still answer CloudFormation
        if deadline.passed:  # the session was terminated under it
            LOGGER.info("the migration ended at the deadline: %s: %s", type(error).__name__, error)
        else:
            LOGGER.exception("migration failed unexpectedly")
        return "FAILED", f"{type(error).__name__}: {error}", {}


def _out_of_time(deadline: Deadline, response: Response) -> None:
    reason = f"the migrator ran out of time before finishing; {deadline.stop()}"
    LOGGER.error(reason)
    response.fail(reason)


def migrate(properties: dict, deadline: Deadline | None = None) -> dict:
    deadline = deadline or Deadline()
    credentials = {**_credentials(properties["SecretArn"]), **_endpoint(properties)}
    database = properties.get("DatabaseName") or credentials.get("dbname") or "postgres"
    files = migration_files()
    requested = properties.get("SqlSha256") or set_digest((name, checksum) for name, _, checksum in files)
    connection = _connect(credentials, database)
    try:
        deadline.watch(credentials, database, connection)
        connection.run("SELECT pg_advisory_lock(:key)", key=LOCK_KEY)  # released when the session ends
        return _apply(connection, files, requested, deadline)
    finally:
        with contextlib.suppress(Exception):  # a session terminated at the deadline is already gone
            connection.close()


def migration_files() -> list[tuple[str, str, str]]:
    """(name, sql, sha256) of every migration, in the order they apply."""
    files = sorted(SQL_DIR.glob("*.sql"))
    if not files:
        raise MigrationError(f"no .sql files were packaged in {SQL_DIR.name}/")
    return [
        (path.name, path.read_text(encoding="utf-8"), hashlib.sha256(path.read_bytes()).hexdigest()) for path in files
    ]


def set_digest(migrations) -> str:
    """The digest of a migration set from its (name, sha256 hex) pairs in name order: the same value as
    stackyard/digests.py's folder_digest over the files, which the template passes as SqlSha256."""
    hasher = hashlib.sha256()
    for name, checksum in migrations:
        hasher.update(name.encode() + b"\0" + bytes.fromhex(checksum))
    return hasher.hexdigest()


def _apply(connection, files: list[tuple[str, str, str]], requested: str, deadline: Deadline) -> dict:
    connection.execute_simple(HISTORY_DDL)
    history = sorted(
        (name, checksum) for name, checksum in connection.run(f"SELECT name, checksum FROM {HISTORY_TABLE}")
    )
    applied_through = _applied_prefix(history, requested)
    if applied_through is not None:
        later = [name for name, _ in history[applied_through:]]
        if later:
            LOGGER.info(
                "the requested migrations are older than the database's (a rollback): %d later ones stay applied "
                "(%s); nothing changes",
                len(later),
                ", ".join(later),
            )
        return _result(history, applied=0)
    packaged = set_digest((name, checksum) for name, _, checksum in files)
    if packaged != requested:
        raise MigrationError(
            f"the resource asks for migrations with SqlSha256 {requested[:12]}, but this package holds "
            f"{packaged[:12]} and the database has neither applied. Fix: generate and deploy again, so the "
            f"template and the package come from the same sql/ files"
        )
    _refuse_changed_files(dict(history), files)
    applied = dict(history)
    pending = [(name, sql, checksum) for name, sql, checksum in files if name not in applied]
    for name, sql, checksum in pending:
        _apply_one(connection, name, sql, checksum, deadline)
        history.append((name, checksum))
    return _result(sorted(history), applied=len(pending))


def _applied_prefix(history: list[tuple[str, str]], requested: str) -> int | None:
    """How many of the applied migrations make up the requested set, when it is all applied; else None."""
    hasher = hashlib.sha256()
    for count, (name, checksum) in enumerate(history, start=1):
        hasher.update(name.encode() + b"\0" + bytes.fromhex(checksum))
        if hasher.hexdigest() == requested:
            return count
    return None


def _refuse_changed_files(applied: dict[str, str], files: list[tuple[str, str, str]]) -> None:
    for name, _, checksum in files:
        if name in applied and applied[name] != checksum:
            raise MigrationError(
                f"{name} changed after it was applied (checksum {applied[name][:12]} is now "
                f"{checksum[:12]}); applied migrations never change. Fix: restore it, and put the "
                f"change in a new file"
            )


def _result(history: list[tuple[str, str]], applied: int) -> dict:
    latest = history[-1][0] if history else None
    LOGGER.info("applied %d migrations; %d in all, latest %s", applied, len(history), latest)
    return {"Version": latest, "Applied": str(applied), "Total": str(len(history))}


def _apply_one(connection, name: str, sql: str, checksum: str, deadline: Deadline) -> None:
    started = time.monotonic()
    deadline.refuse_if_passed()
    connection.execute_simple("BEGIN")
    try:
        connection.execute_simple(sql)
        connection.run(
            f"INSERT INTO {HISTORY_TABLE} (name, checksum, duration_ms) VALUES (:name, :checksum, :ms)",
            name=name,
            checksum=checksum,
            ms=int((time.monotonic() - started) * 1000),
        )
        deadline.commit(connection)
    except Exception as error:
        if deadline.passed:
            raise MigrationError(f"{name} was stopped at the deadline and rolled back") from error
        connection.execute_simple("ROLLBACK")
        raise MigrationError(f"{name} failed and was rolled back: {_database_message(error)}") from error
    LOGGER.info("applied %s in %d ms", name, int((time.monotonic() - started) * 1000))


class Deadline:
    """Once passed, nothing the run started commits: the migrating session is terminated, which rolls
    back its open transaction, and no further COMMIT is sent."""

    def __init__(self):
        self.passed = False
        self._lock = threading.Lock()  # orders a COMMIT and the deadline: one happens entirely first
        self._session: tuple[dict, str, int] | None = None  # credentials, database, backend pid

    def watch(self, credentials: dict, database: str, connection) -> None:
        pid = connection.run("SELECT pg_backend_pid()")[0][0]
        with self._lock:
            self.refuse_if_passed()
            self._session = (credentials, database, pid)

    def refuse_if_passed(self) -> None:
        if self.passed:
            raise MigrationError("the deadline passed; nothing more is started")

    def commit(self, connection) -> None:
        with self._lock:
            self.refuse_if_passed()
            connection.execute_simple("COMMIT")

    def stop(self) -> str:
        """Pass the deadline and end the migrating session; what happened, for the failure's reason."""
        with self._lock:
            self.passed = True
            session = self._session
        if session is None:
            return "no database session was open, and none will be"
        credentials, database, pid = session
        try:
            stopper = _connect(credentials, database, timeout=STOP_TIMEOUT_SECONDS)
            try:
                gone = stopper.run("SELECT pg_terminate_backend(:pid, :ms)", pid=pid, ms=STOP_TIMEOUT_SECONDS * 1000)
            finally:
                stopper.close()
        except Exception as error:
            return (
                f"the running migration could not be stopped ({_database_message(error)}); PostgreSQL rolls "
                f"its transaction back when it notices the session is gone"
            )
        if gone[0][0]:
            return "the running migration was stopped and its transaction rolled back; nothing of it committed"
        return f"the database was asked to stop the running migration (backend {pid}) but had not within {STOP_TIMEOUT_SECONDS} s"


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


def verifying_tls() -> ssl.SSLContext:
    """verify-full: the server's certificate chains to an RDS CA of the shipped bundle and names the host."""
    if not CA_BUNDLE.is_file():
        raise MigrationError(
            f"the package holds no {CA_BUNDLE.parent.name}/{CA_BUNDLE.name}, so the database's certificate "
            f"cannot be verified and the migrator will not connect. Fix: restore "
            f"lambdas/schema_migrator/{CA_BUNDLE.parent.name}/{CA_BUNDLE.name} (scripts/refresh-rds-ca-bundle) "
            f"and deploy again"
        )
    return ssl.create_default_context(cafile=str(CA_BUNDLE))  # CERT_REQUIRED, check_hostname


def _connect(credentials: dict, database: str, timeout: float | None = None):
    host, port = credentials.get("host"), int(credentials.get("port", 5432))
    if not host:
        raise MigrationError(
            "neither the database secret nor the resource's Host property names the database "
            "host. Fix: pass the endpoint as Host (and Port) beside SecretArn"
        )
    context = verifying_tls()
    # A quick reachability check first; the migrating connection itself has no read timeout, so waiting
    # for the lock or a long CREATE INDEX is fine (the deadline stops it and answers CloudFormation).
    reach_within = timeout or CONNECT_TIMEOUT_SECONDS
    try:
        socket.create_connection((host, port), timeout=reach_within).close()
    except OSError as error:
        raise MigrationError(
            f"cannot reach the database at {host}:{port} within {reach_within:g} s "
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
            timeout=timeout,
            application_name="stackyard-schema-migrator",
        )
    except KeyError as missing:
        raise MigrationError(f"the database secret has no {missing.args[0]!r}") from None
    except Exception as error:
        raise MigrationError(f"cannot connect to {host}:{port}/{database}: {_connection_problem(error)}") from None


def _connection_problem(error: Exception) -> str:
    certificate = _certificate_error(error)
    if certificate is None:
        return _database_message(error)
    return (
        f"the database's TLS certificate was refused ({certificate.verify_message or certificate.reason}): it "
        f"must chain to a CA in {CA_BUNDLE.parent.name}/{CA_BUNDLE.name} and name the host connected to. Fix: "
        f"connect by the endpoint RDS gives (not an IP address or alias), and refresh the bundle "
        f"(scripts/refresh-rds-ca-bundle) if the database's region or CA is newer than it"
    )


def _certificate_error(error: BaseException | None) -> ssl.SSLCertVerificationError | None:
    while error is not None:  # pg8000 wraps the ssl module's error
        if isinstance(error, ssl.SSLCertVerificationError):
            return error
        error = error.__cause__ or error.__context__
    return None


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

    def fail(self, reason: str) -> None:
        self.send("FAILED", reason, {})

    def send(self, status: str, reason: str, data: dict) -> None:
        with self._lock:
            if self._sent:
                return
            self._sent = True
        event = self.event
        body = response_body(
            {
                "Status": status,
                "Reason": reason or "See the migrator's log",
                "PhysicalResourceId": physical_id(event),
                "StackId": event["StackId"],
                "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"],
                "NoEcho": False,
                "Data": data,
            }
        )
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


def response_body(answer: dict) -> bytes:
    """The answer as UTF-8 JSON of at most RESPONSE_MAX_BYTES, its Reason cut on a character boundary."""
    body = _encoded(answer)
    if len(body) <= RESPONSE_MAX_BYTES:
        return body
    reason = answer["Reason"]
    kept, too_many = 0, len(reason)  # the longest prefix that fits lies in [kept, too_many)
    while too_many - kept > 1:
        middle = (kept + too_many) // 2
        if len(_encoded({**answer, "Reason": reason[:middle] + CUT_MARK})) <= RESPONSE_MAX_BYTES:
            kept = middle
        else:
            too_many = middle
    return _encoded({**answer, "Reason": reason[:kept] + CUT_MARK})


def _encoded(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def physical_id(event: dict) -> str:
    """The same id for the life of the resource, so an Update never looks like a replacement."""
    return event.get("PhysicalResourceId") or f"schema-migrations-{event['LogicalResourceId']}"
