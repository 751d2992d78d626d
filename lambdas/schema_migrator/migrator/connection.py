"""Connecting to the database: verify-full TLS against the RDS CA bundle shipped in the package, a quick
reachability check first, and a refused certificate or connection explained with its fix.

The database's certificate must chain to a CA of certs/rds-global-bundle.pem (AWS's RDS bundle) and
name the host connected to (docs/migrations.md).
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pg8000.native

from .problems import MigrationError, database_message

CA_BUNDLE = Path(__file__).parent.parent / "certs" / "rds-global-bundle.pem"
CONNECT_TIMEOUT_SECONDS = 10


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


def connect(credentials: dict, database: str, timeout: float | None = None) -> pg8000.native.Connection:
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
        return database_message(error)
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
