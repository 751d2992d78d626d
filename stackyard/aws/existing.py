"""Whether a named resource exists outside any stack, and the identifier CloudFormation's IMPORT takes
for it: the calls a deploy makes before adopting what an earlier delete kept
(stackyard/deploy/adoption.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stackyard.aws.errors import AwsError, translated

# SQS speaks JSON but is awsQueryCompatible: botocore reports the query-era code from the
# x-amzn-query-error header, or the modelled QueueDoesNotExist where an endpoint omits the header.
QUEUE_MISSING = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
MISSING = {"404", "NoSuchBucket", "NotFound", "ResourceNotFoundException"} | QUEUE_MISSING
# Not ours to adopt, or not ours to look at (a bucket of another account answers 403): the create then
# says "already exists" itself, if the name is taken.
NOT_READABLE = {"403", "Forbidden", "AccessDenied", "AccessDeniedException"}


class ExistingResources:
    def __init__(self, client: Callable[[str], Any], account: str = ""):
        """`client(service)`: a client of the stack's region; `account`: the deploying one, which must own
        a bucket to adopt (ExpectedBucketOwner: another account's bucket answers 403, so is not adopted)."""
        self.client = client
        self.owner = {"ExpectedBucketOwner": account} if account else {}

    def identifier(self, resource_type: str, name: str) -> str | None:
        """The IMPORT identifier of the resource named `name`, or None when there is none to adopt."""
        lookups = {
            "AWS::S3::Bucket": self._bucket,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::SQS::Queue": self._queue,
        }
        lookup = lookups.get(resource_type)
        if lookup is None:
            return None
        try:
            with translated(f"looking for an existing {resource_type} {name}"):
                return lookup(name)
        except AwsError as error:
            if error.code in MISSING | NOT_READABLE:
                return None
            raise

    def _bucket(self, name: str) -> str | None:
        self.client("s3").head_bucket(Bucket=name, **self.owner)
        return name

    def _secret(self, name: str) -> str | None:
        found = self.client("secretsmanager").describe_secret(SecretId=name)
        # A secret scheduled for deletion keeps its name but cannot be imported: restore it first.
        return None if found.get("DeletedDate") else str(found["ARN"])

    def _queue(self, name: str) -> str | None:
        return str(self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
