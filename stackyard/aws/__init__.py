"""The only package that calls AWS: botocore clients, and AWS errors turned into the project's own.

Clients retry in botocore's adaptive mode (client-side rate limiting on throttles). Every error
that leaves this package is a StackyardError that says what was being done and how to fix it
(stackyard/aws/errors.py). botocore honours AWS_ENDPOINT_URL, so the same calls reach an emulator;
`client_factory` lets tests put a scripted fake behind the same wrappers (tests/faults/). Clients are
botocore's, made through stackyard/aws/clients.py (no boto3: see there why).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from stackyard import __version__
from stackyard.aws.acm import Acm, CertificateValidation, ValidationRecord
from stackyard.aws.clients import LazyClient, botocore_session, create_client
from stackyard.aws.cloudformation import CAPABILITIES, ChangeSetOptions, ChangeSetProposer, StackReader, StackWriter
from stackyard.aws.ec2 import Ec2
from stackyard.aws.ecr import Ecr
from stackyard.aws.endpoints import check_endpoint_urls
from stackyard.aws.errors import AwsError, ExportInUseError, ThrottledError, error_code, translated
from stackyard.aws.existing import ExistingResources
from stackyard.aws.guards import GuardReader, GuardWriter, ResourceDrift
from stackyard.aws.monitoring import CloudWatch, DynamoDb
from stackyard.aws.partitions import partition_of
from stackyard.aws.rds import ParameterStatus, Rds
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
from stackyard.aws.ssm import Ssm
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
    "ChangeSetOptions",
    "ChangeSetProposer",
    "ChangeSetSummary",
    "ClientFactory",
    "CloudFormation",
    "CloudWatch",
    "DeployedStack",
    "DynamoDb",
    "Ec2",
    "Ecr",
    "ExistingResources",
    "Export",
    "ExportInUseError",
    "GuardReader",
    "GuardWriter",
    "ParameterStatus",
    "Rds",
    "ResourceChange",
    "ResourceDrift",
    "Ssm",
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
# The first call of a run answers one question fast: can we reach AWS with these credentials? One try, at
# most 3 s to connect and 12 s to answer, so a bad endpoint is reported within 15 s (docs/deploy.md). Not
# shorter: LocalStack loads STS on its first request, which took 8.4 s on a busy machine here; and not
# two tries of 6 s, since with botocore's backoff between them that comes to 14-15 s.
PROBE_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=3,
    read_timeout=12,
    user_agent_extra=f"stackyard/{__version__}",
)
# What STS answers in a region the account has not enabled (an opt-in region): the token is not valid there.
REGION_NOT_ENABLED_SIGNS = {"InvalidClientTokenId", "UnrecognizedClientException"}
# A region every account of the partition has enabled, to tell "region not enabled" from bad credentials.
ALWAYS_ENABLED = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
CloudFormation = StackWriter  # the full capability, under the name callers knew it by
# (service, region, config) -> a client with botocore's methods
ClientFactory = Callable[[str, str, Config], Any]


class Aws:
    """Clients for one profile, per region, created once and shared by threads."""

    def __init__(
        self, profile: str | None = None, region: str | None = None, client_factory: ClientFactory | None = None
    ):
        if client_factory is None:
            check_endpoint_urls(os.environ)
        self._factory = client_factory or self._botocore_factory(profile, region)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    @staticmethod
    def _botocore_factory(profile: str | None, region: str | None) -> ClientFactory:
        try:
            session = botocore_session(profile, region)
        except ProfileNotFound as error:
            raise BadInputError(
                f"AWS profile {profile!r} not found; fix: pick one from ~/.aws/config, or drop --profile / AWS_PROFILE"
            ) from error
        return lambda service, region, config: create_client(session, service, region, config)

    def client(self, service: str, region: str) -> Any:
        """The service's client in `region`, one per process and region, made when it is first used."""
        with self._lock:
            if (service, region) not in self._clients:
                self._clients[(service, region)] = LazyClient(lambda: self._factory(service, region, CLIENT_CONFIG))
            return self._clients[(service, region)]

    def account_id(self, region: str) -> str:
        """Who we are; the first call of a run, so bad credentials or endpoints fail before any change."""
        if self._account is None:
            with translated("checking the AWS credentials"):
                try:
                    self._account = self._identity(region)
                except ClientError as error:
                    if error_code(error) in REGION_NOT_ENABLED_SIGNS:
                        self._refuse_if_region_disabled(region, error)
                    raise
        return self._account

    def _identity(self, region: str) -> str:
        return str(self._factory("sts", region, PROBE_CONFIG).get_caller_identity()["Account"])

    def _refuse_if_region_disabled(self, region: str, error: ClientError) -> None:
        """Credentials refused in `region` but accepted where every account is enabled: the region is an
        opt-in one this account has not enabled (credentials bad everywhere stay 'rejected')."""
        elsewhere = ALWAYS_ENABLED.get(partition_of(region), "us-east-1")
        if elsewhere == region:
            return
        try:
            account = self._identity(elsewhere)
        except (ClientError, BotoCoreError):
            return
        raise BadInputError(
            f"checking the AWS credentials: region {region} is not enabled for account {account} (STS there "
            f"answers {error_code(error)}, in {elsewhere} it accepts them). Fix: enable the opt-in region (aws "
            f"account enable-region --region-name {region}, or the console's Account page), or deploy to another "
            f"--region"
        ) from error

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
        """S3 calls that name this account as every bucket's expected owner."""
        return S3(self.client("s3", region), self.account_id(region))

    def ec2(self, region: str) -> Ec2:
        return Ec2(self.client("ec2", region))

    def ssm(self, region: str) -> Ssm:
        return Ssm(self.client("ssm", region))

    def existing(self, region: str) -> ExistingResources:
        return ExistingResources(lambda service: self.client(service, region), self.account_id(region))

    def acm(self, region: str) -> Acm:
        return Acm(self.client("acm", region))

    def cloudwatch(self, region: str) -> CloudWatch:
        return CloudWatch(self.client("cloudwatch", region))

    def dynamodb(self, region: str) -> DynamoDb:
        return DynamoDb(self.client("dynamodb", region))

    def ecr(self, region: str) -> Ecr:
        return Ecr(self.client("ecr", region))

    def rds(self, region: str) -> Rds:
        return Rds(self.client("rds", region))
