"""AWS errors turned into the project's own, each saying what was being done and how to fix it.

Missing, expired (SSO) or rejected credentials, a region not enabled for the account, and endpoints
that cannot be reached or do not answer are bad input (exit 2), the rest deploy failures (exit 1). An AwsError keeps AWS's error code, so callers decide by the code, never by
searching the message text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

from stackyard.errors import BadInputError, StackyardError

REJECTED_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AuthFailure",
}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
MISSING_S3_KEY = {"404", "NoSuchKey", "NotFound"}


# What AWS answers a call the identity is not allowed to make (services differ in the spelling).
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException"})


class AwsError(StackyardError):
    """AWS refused or failed a call during a deploy; `code` is AWS's error code ("" when none)."""

    def __init__(self, message: str, code: str = "", aws_message: str = ""):
        super().__init__(message)
        self.code = code
        self.aws_message = aws_message


class ThrottledError(AwsError):
    """AWS kept throttling after botocore's own retries."""


class ExportInUseError(AwsError):
    """An export another stack imports was to be changed or removed."""


def stack_missing(error: AwsError) -> bool:
    """CloudFormation's answer for a stack name or id that does not exist (or no longer does)."""
    return error.code == "ValidationError" and "does not exist" in error.aws_message


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run AWS calls, turning botocore's errors into the project's, with the fix."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise BadInputError(
            f"{action}: no AWS credentials found. Fix: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY; for an emulator any non-empty values do"
        ) from error
    except (SSOError, TokenRetrievalError) as error:  # expired or never started SSO session, token not loadable
        raise BadInputError(
            f"{action}: the AWS SSO session is expired or missing ({error}). Fix: run `aws sso login` for the "
            f"profile you deploy with (--profile or AWS_PROFILE), then run this again"
        ) from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise BadInputError(
            f"{action}: cannot reach {_endpoint(error)}. Fix: check the network, or start the emulator "
            f"AWS_ENDPOINT_URL points at"
        ) from error
    except ReadTimeoutError as error:  # the connection was taken, no answer came
        raise BadInputError(
            f"{action}: {_endpoint(error)} took the connection but did not answer in time. Fix: check that "
            f"AWS_ENDPOINT_URL (or the proxy, HTTPS_PROXY) points at AWS or a running emulator, not another service"
        ) from error
    except ClientError as error:
        raise client_error(action, error) from error
    except BotoCoreError as error:
        raise AwsError(f"{action}: {error}") from error


def _endpoint(error: BotoCoreError) -> str:
    return str(getattr(error, "kwargs", {}).get("endpoint_url", "the AWS endpoint"))


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def client_error(action: str, error: ClientError) -> StackyardError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    if code in REJECTED_CREDENTIALS:
        return BadInputError(
            f"{action}: AWS rejected the credentials ({code}: {message}). Fix: renew them "
            f"(aws sso login, or new keys) or pick another profile"
        )
    if code in THROTTLED:
        return ThrottledError(
            f"{action}: AWS kept throttling after retries ({message}). Fix: deploy with a lower "
            f"--concurrency, or retry later",
            code,
            message,
        )
    if code in ACCESS_DENIED:
        return AwsError(
            f"{action}: access denied ({message}). Fix: the deploying identity needs CloudFormation, "
            f"S3 and the permissions of the resources the stacks create",
            code,
            message,
        )
    if "Export" in message and "in use by" in message:
        return ExportInUseError(
            f"{action}: {message}. Fix: first deploy the importing stacks without the import, "
            f"then change or remove the export",
            code,
            message,
        )
    return AwsError(f"{action}: {code}: {message}" if code else f"{action}: {message}", code, message)
