"""What goes wrong in a migration, as CloudFormation's failure reason reads it."""

from __future__ import annotations


class MigrationError(Exception):
    """A migration problem to report to CloudFormation as the failure's reason."""


def database_message(error: Exception) -> str:
    """pg8000's error as a line: its message field when it has one (never the connection's secrets)."""
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else None
    if details:
        return f"{details.get('M', error)} ({details.get('C', '')})"
    return f"{type(error).__name__}: {error}"
