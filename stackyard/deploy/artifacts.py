"""Where a region's artifact bucket is: the BucketName output of its bootstrap stack, once the bucket is
found to exist (and to be this account's).

Finding it only reads; a deploy creates the bootstrap stack first where it is missing, updates it
where its version is older than stackyard's, and makes it again where its bucket was deleted outside
CloudFormation (stackyard/deploy/deployment.py); a plan or delete never does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from stackyard.aws import Aws, DeployedStack
from stackyard.deploy import bootstrap


@dataclass(frozen=True)
class BootstrapState:
    """A region's bootstrap stack, as deployed."""

    region: str
    deployed: DeployedStack | None
    bucket: str | None  # its BucketName output
    bucket_exists: bool

    @property
    def version(self) -> int:
        return bootstrap.deployed_version(self.deployed.outputs) if self.deployed else 0

    @property
    def ready(self) -> bool:
        return self.bucket is not None and self.bucket_exists

    @property
    def current(self) -> bool:
        return self.ready and self.version >= bootstrap.VERSION

    def why_not_ready(self) -> str:
        if self.bucket is not None and not self.bucket_exists:
            return (
                f"the artifact bucket {self.bucket} ({bootstrap.STACK_NAME} in {self.region}) was deleted outside "
                f"CloudFormation; a deploy makes it again"
            )
        return "its nested templates or Lambda packages need the artifact bucket, which a deploy creates first"


class ArtifactBuckets:
    def __init__(self, aws: Aws, check_bucket: bool = True):
        """`check_bucket=False`: the bucket is taken to exist once its stack names it, without HeadBucket
        (a no-op deploy's look before the lock, which uploads nothing; stackyard/deploy/precheck.py)."""
        self.aws = aws
        self.check_bucket = check_bucket
        self._states: dict[str, BootstrapState] = {}
        self._lock = threading.Lock()

    def state(self, region: str) -> BootstrapState:
        with self._lock:
            if region not in self._states:
                deployed = self.aws.stack_reader(region).describe(bootstrap.STACK_NAME)
                bucket = deployed.outputs.get("BucketName") if deployed else None
                exists = bucket is not None and (not self.check_bucket or self.aws.s3(region).bucket_exists(bucket))
                self._states[region] = BootstrapState(region, deployed, bucket, exists)
            return self._states[region]

    def find(self, region: str) -> str | None:
        """The region's artifact bucket, or None when its bootstrap stack is missing or unfinished, or its
        bucket is gone."""
        state = self.state(region)
        return state.bucket if state.ready else None

    def forget(self, region: str) -> None:
        with self._lock:
            self._states.pop(region, None)
