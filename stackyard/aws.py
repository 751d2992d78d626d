"""The only module that calls AWS: boto3 clients, and AWS errors turned into the project's own.

Clients retry in botocore's adaptive mode (client-side rate limiting on throttles). Every error
that leaves this module is a StackyardError that says what was being done and how to fix it:
missing or rejected credentials and unreachable endpoints are bad input (exit 2), the rest
deploy failures (exit 1). boto3 honours AWS_ENDPOINT_URL, so the same calls reach an emulator.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from stackyard import __version__
from stackyard.errors import BadInputError, StackyardError

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10}, user_agent_extra=f"stackyard/{__version__}")
# The first call of a run answers one question fast: can we reach AWS with these credentials?
PROBE_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=5,
    read_timeout=15,
    user_agent_extra=f"stackyard/{__version__}",
)
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


class AwsError(StackyardError):
    """AWS refused or failed a call during a deploy."""


class ExportInUseError(AwsError):
    """An export another stack imports was to be changed or removed."""


@dataclass(frozen=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    status_reason: str | None
    parameters: dict[str, str]
    tags: dict[str, str]
    outputs: dict[str, str]
    termination_protection: bool


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add, Modify, Remove, Import, Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True, False, Conditional, or "" when not applicable
    nested_in: str = ""  # logical id of the nested stack this change is inside, "" for the stack itself


@dataclass(frozen=True)
class ChangeSet:
    change_set_id: str
    status: str
    reason: str | None
    execution_status: str
    changes: list[ResourceChange] = field(default_factory=list)


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str | None
    physical_id: str = ""


class Aws:
    """Clients for one profile, per region, created once and shared by threads."""

    def __init__(self, profile: str | None = None, region: str | None = None):
        check_endpoint_urls(os.environ)
        try:
            self._session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as error:
            raise BadInputError(
                f"AWS profile {profile!r} not found; fix: pick one from ~/.aws/config, or drop --profile / AWS_PROFILE"
            ) from error
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str):
        with self._lock:
            if (service, region) not in self._clients:
                self._clients[(service, region)] = self._session.client(
                    service, region_name=region, config=CLIENT_CONFIG
                )
            return self._clients[(service, region)]

    def account_id(self, region: str) -> str:
        """Who we are; the first call of a run, so bad credentials or endpoints fail before any change."""
        with translated("checking the AWS credentials"):
            return self._session.client("sts", region_name=region, config=PROBE_CONFIG).get_caller_identity()["Account"]

    def cloudformation(self, region: str) -> CloudFormation:
        return CloudFormation(self.client("cloudformation", region))

    def s3(self, region: str) -> S3:
        return S3(self.client("s3", region))

    def ec2(self, region: str) -> Ec2:
        return Ec2(self.client("ec2", region))


def check_endpoint_urls(environ: Mapping[str, str]) -> None:
    """AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are URLs: botocore reads them only when it makes a
    client, and then fails with a bare ValueError, so they are checked before any call."""
    for name, value in sorted(environ.items()):
        if not (name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_")) or not value:
            continue  # boto3 ignores an empty one
        scheme = value.partition("://")[0]
        if scheme not in ("http", "https") or not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
            raise BadInputError(
                f"{name}={value!r} is not an endpoint URL; expected http(s)://host[:port], such as "
                f"http://127.0.0.1:4566 for LocalStack. Fix: correct it, or unset it to reach AWS itself"
            )


class CloudFormation:
    def __init__(self, client):
        self.client = client

    def describe(self, stack: str) -> DeployedStack | None:
        try:
            with translated(f"describing stack {stack}"):
                found = self.client.describe_stacks(StackName=stack)["Stacks"][0]
        except AwsError as error:
            if "does not exist" in str(error):
                return None
            raise
        return DeployedStack(
            name=found["StackName"],
            stack_id=found["StackId"],
            status=found["StackStatus"],
            status_reason=found.get("StackStatusReason"),
            # ParameterValue as given (an SSM parameter's path, not its ResolvedValue), to compare with ours
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])},
            tags={tag["Key"]: tag["Value"] for tag in found.get("Tags", [])},
            outputs={output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs", [])},
            termination_protection=bool(found.get("EnableTerminationProtection")),
        )

    def template(self, stack: str) -> dict[str, Any]:
        with translated(f"reading the template of stack {stack}"):
            body = self.client.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        return json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))

    def create_change_set(
        self,
        stack: str,
        name: str,
        kind: str,
        template: dict[str, str],
        parameters: dict[str, str],
        tags: dict[str, str],
        description: str,
    ) -> str:
        """`template` is {"TemplateBody": ...} or {"TemplateURL": ...}; returns the change set id."""
        with translated(f"creating a change set for stack {stack}"):
            return self.client.create_change_set(
                StackName=stack,
                ChangeSetName=name,
                ChangeSetType=kind,
                Description=description,
                Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
                Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
                Capabilities=CAPABILITIES,
                IncludeNestedStacks=True,
                **template,
            )["Id"]

    def change_set(self, change_set_id: str, nested_in: str = "") -> ChangeSet:
        """The change set with every change, including those inside its nested stacks' change sets."""
        with translated("reading a change set"):
            pages = list(self.client.get_paginator("describe_change_set").paginate(ChangeSetName=change_set_id))
        first = pages[0]
        changes = []
        for page in pages:
            for change in page.get("Changes", []):
                resource = change.get("ResourceChange", {})
                changes.append(
                    ResourceChange(
                        action=resource.get("Action", ""),
                        logical_id=resource.get("LogicalResourceId", ""),
                        resource_type=resource.get("ResourceType", ""),
                        replacement=resource.get("Replacement", ""),
                        nested_in=nested_in,
                    )
                )
                if resource.get("ChangeSetId") and first["Status"] == "CREATE_COMPLETE":
                    changes += self.change_set(resource["ChangeSetId"], resource["LogicalResourceId"]).changes
        return ChangeSet(
            first["ChangeSetId"], first["Status"], first.get("StatusReason"), first.get("ExecutionStatus", ""), changes
        )

    def execute_change_set(self, change_set_id: str, token: str) -> None:
        with translated("executing a change set"):
            self.client.execute_change_set(ChangeSetName=change_set_id, ClientRequestToken=token)

    def delete_change_set(self, change_set_id: str) -> None:
        with translated("deleting a change set"):
            self.client.delete_change_set(ChangeSetName=change_set_id)

    def events(self, stack: str, after: datetime) -> list[StackEvent]:
        """The stack's events since `after`, oldest first (reads back only as far as needed)."""
        found = []
        with translated(f"reading the events of stack {stack}"):
            for page in self.client.get_paginator("describe_stack_events").paginate(StackName=stack):
                for event in page["StackEvents"]:
                    if event["Timestamp"] <= after:
                        return found[::-1]
                    found.append(
                        StackEvent(
                            event["EventId"],
                            event["Timestamp"],
                            event["LogicalResourceId"],
                            event["ResourceType"],
                            event["ResourceStatus"],
                            event.get("ResourceStatusReason"),
                            event.get("PhysicalResourceId", ""),
                        )
                    )
        return found[::-1]

    def resources(self, stack: str) -> list[StackResource]:
        with translated(f"listing the resources of stack {stack}"):
            pages = self.client.get_paginator("list_stack_resources").paginate(StackName=stack)
            return [
                StackResource(item["LogicalResourceId"], item["ResourceType"], item.get("PhysicalResourceId", ""))
                for page in pages
                for item in page["StackResourceSummaries"]
            ]

    def delete_stack(self, stack: str, token: str, retain: list[str] | None = None) -> None:
        with translated(f"deleting stack {stack}"):
            self.client.delete_stack(
                StackName=stack, ClientRequestToken=token, **({"RetainResources": retain} if retain else {})
            )

    def continue_update_rollback(self, stack: str, token: str) -> None:
        with translated(f"continuing the update rollback of stack {stack}"):
            self.client.continue_update_rollback(StackName=stack, ClientRequestToken=token)

    def set_termination_protection(self, stack: str, enabled: bool) -> None:
        with translated(f"setting termination protection on stack {stack}"):
            self.client.update_termination_protection(StackName=stack, EnableTerminationProtection=enabled)

    def importers(self, export: str) -> list[str]:
        """Names of the stacks importing `export` (none when nobody does)."""
        try:
            with translated(f"listing the importers of export {export}"):
                pages = self.client.get_paginator("list_imports").paginate(ExportName=export)
                return sorted({name for page in pages for name in page.get("Imports", [])})
        except AwsError as error:
            if "is not imported by any stack" in str(error):
                return []
            raise


class S3:
    def __init__(self, client):
        self.client = client

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with translated(f"checking s3://{bucket}/{key}"):
                self.client.head_object(Bucket=bucket, Key=key)
            return True
        except AwsError as error:
            if "404" in str(error) or "Not Found" in str(error) or "NoSuchKey" in str(error):
                return False
            raise

    def upload(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        with translated(f"uploading s3://{bucket}/{key}"):
            self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def object_lock_enabled(self, bucket: str) -> bool:
        try:
            with translated(f"reading the Object Lock configuration of {bucket}"):
                configuration = self.client.get_object_lock_configuration(Bucket=bucket)
        except AwsError as error:
            if "ObjectLockConfigurationNotFound" in str(error):
                return False
            raise
        return configuration.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def empty(self, bucket: str) -> int:
        """Delete every object version and delete marker; returns how many were deleted (0 when the
        bucket is already gone)."""
        deleted = 0
        try:
            with translated(f"emptying bucket {bucket}"):
                deleted = self._empty(bucket)
        except AwsError as error:
            if "NoSuchBucket" not in str(error):
                raise
        return deleted

    def _empty(self, bucket: str) -> int:
        # Always the first page again: paging on while deleting would skip what the markers shifted past.
        deleted = 0
        while True:
            page = self.client.list_object_versions(Bucket=bucket, MaxKeys=1000)  # DeleteObjects takes 1,000
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for kind in ("Versions", "DeleteMarkers")
                for item in page.get(kind, [])
            ]
            if not keys:
                return deleted
            result = self.client.delete_objects(Bucket=bucket, Delete={"Objects": keys[:1000], "Quiet": True})
            if result.get("Errors"):
                first = result["Errors"][0]
                raise AwsError(f"emptying bucket {bucket}: {first.get('Key')}: {first.get('Message')}")
            deleted += len(keys[:1000])


# --- managed prefix lists: parameters a stack takes from the region (issue 13, the security helper) ---


class Ec2:
    def __init__(self, client: Any):
        self.client = client

    def managed_prefix_list_id(self, name: str) -> str:
        """The id of the AWS-managed prefix list `name` in the client's region (ids differ per region)."""
        with translated(f"looking up the managed prefix list {name}"):
            found = self.client.describe_managed_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [name]}]
            ).get("PrefixLists", [])
        if not found:
            raise AwsError(
                f"looking up the managed prefix list {name}: this region has none by that name. Fix: deploy "
                f"to a region CloudFront VPC origins support, or check the endpoint AWS_ENDPOINT_URL points at"
            )
        return str(found[0]["PrefixListId"])


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
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise BadInputError(
            f"{action}: cannot reach {getattr(error, 'kwargs', {}).get('endpoint_url', 'the AWS endpoint')}. "
            f"Fix: check the network, or start the emulator AWS_ENDPOINT_URL points at"
        ) from error
    except ClientError as error:
        raise _client_error(action, error) from error
    except BotoCoreError as error:
        raise AwsError(f"{action}: {error}") from error


def _client_error(action: str, error: ClientError) -> StackyardError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    if code in REJECTED_CREDENTIALS:
        return BadInputError(
            f"{action}: AWS rejected the credentials ({code}: {message}). Fix: renew them "
            f"(aws sso login, or new keys) or pick another profile"
        )
    if code in THROTTLED:
        return AwsError(
            f"{action}: AWS kept throttling after retries ({message}). Fix: deploy with a lower "
            f"--concurrency, or retry later"
        )
    if code in {"AccessDenied", "AccessDeniedException"}:
        return AwsError(
            f"{action}: access denied ({message}). Fix: the deploying identity needs CloudFormation, "
            f"S3 and the permissions of the resources the stacks create"
        )
    if "Export" in message and "in use by" in message:
        return ExportInUseError(
            f"{action}: {message}. Fix: first deploy the importing stacks without the import, "
            f"then change or remove the export"
        )
    return AwsError(f"{action}: {code}: {message}" if code else f"{action}: {message}")
