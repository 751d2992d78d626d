"""What the scripted AWS answers with: its account, and errors shaped as botocore raises AWS's."""

from __future__ import annotations

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def aws_error(operation: str, code: str, message: str, status: int = 400) -> ClientError:
    """The ClientError botocore raises for AWS's error `code` with `message` (and HTTP `status`)."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )
