"""The fault matrix's account-wide names: the resources a stack named (buckets, log groups, secrets ...),
which stack holds each, and the ones a delete kept (DeletionPolicy Retain) that no stack holds now.

As AWS behaves: a second resource of a type under a name that exists fails its create ("Resource of
type '...' with identifier '...' already exists", the resource handlers' AlreadyExists); a kept one
is adopted by an import (ResourcesToImport, or ImportExistingResources for a static name). Also
Secrets Manager's DescribeSecret and SQS's GetQueueUrl, which a deploy asks for a kept secret's ARN
and a kept queue's URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.faults.answers import ACCOUNT, aws_error

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud

NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SQS::Queue": "QueueName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
}


@dataclass
class Named:
    physical: str
    owner: str  # the stack id holding it; "" once a delete kept it


class NamedResources:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Named] = {}

    def lookup(self, kind: str, name: str) -> Named | None:
        return self.found.get((kind, name))

    def by_physical(self, kind: str, physical: str) -> tuple[str, Named] | None:
        return next(
            ((n, named) for (k, n), named in self.found.items() if k == kind and named.physical == physical), None
        )

    def claim(self, kind: str, name: str, physical: str, owner: str) -> None:
        self.found[(kind, name)] = Named(physical, owner)

    def release(self, kind: str, name: str, kept: bool) -> None:
        if kept and (kind, name) in self.found:
            self.found[(kind, name)].owner = ""
        elif not kept:
            self.found.pop((kind, name), None)


def secret_arn(region: str, name: str) -> str:
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"


class FakeSecretsManager:
    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud

    def describe_secret(self, SecretId: str, **_: Any) -> dict[str, Any]:
        kind = "AWS::SecretsManager::Secret"
        named = self.cloud.named.lookup(kind, SecretId)
        found = (SecretId, named) if named else self.cloud.named.by_physical(kind, SecretId)
        if found is None:
            raise aws_error(
                "DescribeSecret", "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
            )
        return {"ARN": found[1].physical, "Name": found[0]}


def queue_url(region: str, name: str) -> str:
    return f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"


class FakeSqs:
    def __init__(self, cloud: FakeCloud, region: str):
        self.cloud = cloud
        self.region = region

    def get_queue_url(self, QueueName: str, **_: Any) -> dict[str, Any]:
        named = self.cloud.named.lookup("AWS::SQS::Queue", QueueName)
        if named is None:
            # The code botocore reports for SQS's JSON protocol (its x-amzn-query-error header).
            raise aws_error(
                "GetQueueUrl", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."
            )
        return {"QueueUrl": named.physical}
