"""The migration rules: each `sql/` file not yet applied, in name order, each in its own transaction,
recorded with its checksum in the history table (Flyway's model); a changed applied file stops the run;
one migrator at a time (an advisory lock); a set already applied, or older than what is applied (a
rollback's Update), changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path

import boto3
from pg8000.native import Connection

from .connection import connect
from .deadline import Deadline
from .problems import MigrationError, database_message

SQL_DIR = Path(__file__).parent.parent / "sql"
HISTORY_TABLE = "schema_migrations"
LOCK_KEY = 7_231_046_911  # pg_advisory_lock key: "the schema migrator"

LOGGER = logging.getLogger()

HISTORY_DDL = f"""
CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    name         text PRIMARY KEY,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms  integer NOT NULL
)"""


def migrate(properties: dict, deadline: Deadline | None = None) -> dict:
    deadline = deadline or Deadline()
    credentials = {**_credentials(properties["SecretArn"]), **_endpoint(properties)}
    database = properties.get("DatabaseName") or credentials.get("dbname") or "postgres"
    files = migration_files()
    requested = properties.get("SqlSha256") or set_digest((name, checksum) for name, _, checksum in files)
    connection = connect(credentials, database)
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


def set_digest(migrations: Iterable[tuple[str, str]]) -> str:
    """The digest of a migration set from its (name, sha256 hex) pairs in name order: the same value as
    stackyard/digests.py's folder_digest over the files, which the template passes as SqlSha256."""
    hasher = hashlib.sha256()
    for name, checksum in migrations:
        hasher.update(name.encode() + b"\0" + bytes.fromhex(checksum))
    return hasher.hexdigest()


def _apply(connection: Connection, files: list[tuple[str, str, str]], requested: str, deadline: Deadline) -> dict:
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


def _apply_one(connection: Connection, name: str, sql: str, checksum: str, deadline: Deadline) -> None:
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
        raise MigrationError(f"{name} failed and was rolled back: {database_message(error)}") from error
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
