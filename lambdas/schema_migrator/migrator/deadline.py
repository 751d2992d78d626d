"""The run's deadline: shortly before Lambda's own timeout the migrating session is terminated from a second
connection, so nothing the run started can commit after CloudFormation hears FAILED."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .connection import connect
from .problems import MigrationError, database_message

if TYPE_CHECKING:
    from pg8000.native import Connection

STOP_TIMEOUT_SECONDS = 5  # to terminate the migrating session at the deadline and see it gone


class Deadline:
    """Once passed, nothing the run started commits: the migrating session is terminated, which rolls
    back its open transaction, and no further COMMIT is sent."""

    def __init__(self) -> None:
        self.passed = False
        self._lock = threading.Lock()  # orders a COMMIT and the deadline: one happens entirely first
        self._session: tuple[dict, str, int] | None = None  # credentials, database, backend pid

    def watch(self, credentials: dict, database: str, connection: Connection) -> None:
        pid = connection.run("SELECT pg_backend_pid()")[0][0]
        with self._lock:
            self.refuse_if_passed()
            self._session = (credentials, database, pid)

    def refuse_if_passed(self) -> None:
        if self.passed:
            raise MigrationError("the deadline passed; nothing more is started")

    def commit(self, connection: Connection) -> None:
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
            stopper = connect(credentials, database, timeout=STOP_TIMEOUT_SECONDS)
            try:
                gone = stopper.run("SELECT pg_terminate_backend(:pid, :ms)", pid=pid, ms=STOP_TIMEOUT_SECONDS * 1000)
            finally:
                stopper.close()
        except Exception as error:
            return (
                f"the running migration could not be stopped ({database_message(error)}); PostgreSQL rolls "
                f"its transaction back when it notices the session is gone"
            )
        if gone[0][0]:
            return "the running migration was stopped and its transaction rolled back; nothing of it committed"
        return f"the database was asked to stop the running migration (backend {pid}) but had not within {STOP_TIMEOUT_SECONDS} s"
