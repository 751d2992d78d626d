"""botocore Stubber contract tests' clients: the project's wrapper around a real client whose every call is
scripted (no network, no credentials looked up), checked at the end for calls scripted but never made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
from botocore.stub import Stubber

from stackyard.aws import CLIENT_CONFIG

Wrapper = TypeVar("Wrapper")


def stubbed(service: str, wrapper: Callable[[Any], Wrapper], region: str) -> Iterator[tuple[Wrapper, Stubber]]:
    """Yield `wrapper(client)` and its Stubber; use it from a fixture with `yield from`."""
    client = boto3.client(
        service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y", config=CLIENT_CONFIG
    )
    with Stubber(client) as stubber:
        yield wrapper(client), stubber
        stubber.assert_no_pending_responses()
