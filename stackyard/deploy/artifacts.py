"""Where a region's artifact bucket is: the BucketName output of its bootstrap stack.

Finding it only reads; a deploy creates the bootstrap stack first where it is missing
(stackyard/deploy/deployment.py), a plan or delete never does.
"""

from __future__ import annotations

import threading

from stackyard.aws import Aws
from stackyard.deploy import bootstrap


class ArtifactBuckets:
    def __init__(self, aws: Aws):
        self.aws = aws
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()

    def find(self, region: str) -> str | None:
        """The region's artifact bucket, or None when its bootstrap stack is missing or unfinished."""
        with self._lock:
            if region not in self._found:
                deployed = self.aws.stack_reader(region).describe(bootstrap.STACK_NAME)
                bucket = deployed.outputs.get("BucketName") if deployed else None
                if bucket is None:
                    return None
                self._found[region] = bucket
            return self._found[region]

    def forget(self, region: str) -> None:
        with self._lock:
            self._found.pop(region, None)
