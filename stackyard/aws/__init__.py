"""The only package that calls AWS: boto3 clients, and AWS errors turned into the project's own.

Clients retry in botocore's adaptive mode (client-side rate limiting on throttles). Every error
that leaves this package is a StackyardError that says what was being done and how to fix it
(stackyard/aws/errors.py). boto3 honours AWS_ENDPOINT_URL, so the same calls reach an emulator;
`client_factory` lets tests put a scripted fake behind the same wrappers (tests/faults/).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from stackyard import __version__
from stackyard.aws.acm import Acm, CertificateValidation, ValidationRecord
from stackyard.aws.cloudformation import CAPABILITIES, ChangeSetProposer, StackReader, StackWriter
from stackyard.aws.ec2 import Ec2
from stackyard.aws.ecr import Ecr
from stackyard.aws.endpoints import check_endpoint_urls
from stackyard.aws.errors import AwsError, ExportInUseError, ThrottledError, translated
from stackyard.aws.guards import GuardReader, GuardWriter, ResourceDrift
from stackyard.aws.monitoring import CloudWatch, DynamoDb
from stackyard.aws.records import (
    ChangeSet,
    ChangeSetSummary,
    DeployedStack,
    Export,
    ResourceChange,
    StackEvent,
    StackResource,
)
from stackyard.aws.s3 import S3
from stackyard.errors import BadInputError

__all__ = [
    "CAPABILITIES",
    "CLIENT_CONFIG",
    "S3",
    "Acm",
    "Aws",
    "AwsError",
    "CertificateValidation",
    "ChangeSet",
    "ChangeSetProposer",
    "ChangeSetSummary",
    "ClientFactory",
    "CloudFormation",
    "CloudWatch",
    "DeployedStack",
    "DynamoDb",
    "Ec2",
    "Ecr",
    "Export",
    "ExportInUseError",
    "GuardReader",
    "GuardWriter",
    "ResourceChange",
    "ResourceDrift",
    "StackEvent",
    "StackReader",
    "StackResource",
    "StackWriter",
    "ThrottledError",
    "ValidationRecord",
    "check_endpoint_urls",
    "translated",
]

CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10}, user_agent_extra=f"stackyard/{__version__}")
# The first call of a run answers one question fast: can we reach AWS with these credentials?
PROBE_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=5,
    read_timeout=15,
    user_agent_extra=f"stackyard/{__version__}",
)
CloudFormation = StackWriter  # the full capability, under the name callers knew it by
# (service, region, config) -> a client with boto3's methods
ClientFactory = Callable[[str, str, Config], Any]


class Aws:
    """Clients for one profile, per region, created once and shared by threads."""

    def __init__(
        self, profile: str | None = None, region: str | None = None, client_factory: ClientFactory | None = None
    ):
        if client_factory is None:
            check_endpoint_urls(os.environ)
        self._factory = client_factory or self._boto3_factory(profile, region)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _boto3_factory(profile: str | None, region: str | None) -> ClientFactory:
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as error:
            raise BadInputError(
                f"AWS profile {profile!r} not found; fix: pick one from ~/.aws/config, or drop --profile / AWS_PROFILE"
            ) from error
        # boto3-stubs types client() per service name; this factory serves any
        client: Any = session.client
        return lambda service, region, config: client(service, region_name=region, config=config)

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            if (service, region) not in self._clients:
                self._clients[(service, region)] = self._factory(service, region, CLIENT_CONFIG)
            return self._clients[(service, region)]

    def account_id(self, region: str) -> str:
        """Who we are; the first call of a run, so bad credentials or endpoints fail before any change."""
        with translated("checking the AWS credentials"):
            return str(self._factory("sts", region, PROBE_CONFIG).get_caller_identity()["Account"])

    def stack_reader(self, region: str) -> StackReader:
        return StackReader(self.client("cloudformation", region))

    def change_set_proposer(self, region: str) -> ChangeSetProposer:
        return ChangeSetProposer(self.client("cloudformation", region))

    def cloudformation(self, region: str) -> StackWriter:
        """Every CloudFormation call, writes included: for the appliers only."""
        return StackWriter(self.client("cloudformation", region))

    def guard_reader(self, region: str) -> GuardReader:
        """Stack policies and drift detection, read only (docs/deploy.md, "Guards")."""
        return GuardReader(self.client("cloudformation", region))

    def guard_writer(self, region: str) -> GuardWriter:
        """Setting stack policies and rolling back kept failures: for a deploy's applier only."""
        return GuardWriter(self.client("cloudformation", region))

    def s3(self, region: str) -> S3:
        return S3(self.client("s3", region))

    def ec2(self, region: str) -> Ec2:
        return Ec2(self.client("ec2", region))

    def acm(self, region: str) -> Acm:
        return Acm(self.client("acm", region))

    def cloudwatch(self, region: str) -> CloudWatch:
        return CloudWatch(self.client("cloudwatch", region))

    def dynamodb(self, region: str) -> DynamoDb:
        return DynamoDb(self.client("dynamodb", region))

    def ecr(self, region: str) -> Ecr:
        return Ecr(self.client("ecr", region))
