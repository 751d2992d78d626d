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

This file is Lambda's entry point (Handler handler.handler); the work is in the package beside it:
migrator/custom_resource.py (the one answer, cut to 4 KB), migrator/migrations.py (the rules and the
history table), migrator/deadline.py, migrator/connection.py (verify-full TLS) and migrator/problems.py.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from migrator.custom_resource import Response
from migrator.deadline import Deadline
from migrator.migrations import migrate
from migrator.problems import MigrationError

ANSWER_BEFORE_TIMEOUT_MS = 20_000  # room to stop the session, then answer, before Lambda ends the run

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)


def handler(event: dict, context: Any) -> None:
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
