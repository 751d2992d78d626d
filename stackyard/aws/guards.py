"""CloudFormation calls of the guards (docs/deploy.md, "Guards"): stack policies, drift detection, RollbackStack.

Split like stackyard/aws/cloudformation.py by what a caller may do: GuardReader reads policies and
detects drift (a detection changes no stack, so a plan may run one); GuardWriter also sets policies
and rolls back an update kept failed by --no-rollback, for a deploy's applier only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackyard.aws.errors import translated


@dataclass(frozen=True)
class DriftDetection:
    """DescribeStackDriftDetectionStatus: DETECTION_IN_PROGRESS, DETECTION_COMPLETE or DETECTION_FAILED."""

    status: str
    stack_drift_status: str  # DRIFTED, IN_SYNC, UNKNOWN, NOT_CHECKED
    reason: str


@dataclass(frozen=True)
class PropertyDifference:
    path: str  # PropertyPath, such as /BucketEncryption/ServerSideEncryptionConfiguration/0
    expected: str
    actual: str
    kind: str  # ADD, REMOVE, NOT_EQUAL


@dataclass(frozen=True)
class ResourceDrift:
    logical_id: str
    resource_type: str
    status: str  # MODIFIED, DELETED (IN_SYNC and NOT_CHECKED are not asked for)
    differences: tuple[PropertyDifference, ...]


class GuardReader:
    def __init__(self, client: Any):
        self.client = client

    def stack_policy(self, stack: str) -> str | None:
        """The stack's policy as CloudFormation keeps it (JSON text), or None when it has none."""
        with translated(f"reading the stack policy of stack {stack}"):
            return self.client.get_stack_policy(StackName=stack).get("StackPolicyBody")

    def detect_drift(self, stack: str) -> str:
        """Start drift detection on the stack (not on its nested stacks, which need their own); its id."""
        with translated(f"detecting drift of stack {stack}"):
            return str(self.client.detect_stack_drift(StackName=stack)["StackDriftDetectionId"])

    def drift_detection(self, detection_id: str) -> DriftDetection:
        with translated("reading a drift detection"):
            found = self.client.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
        return DriftDetection(
            found["DetectionStatus"], found.get("StackDriftStatus", "UNKNOWN"), found.get("DetectionStatusReason", "")
        )

    def drifted_resources(self, stack: str) -> list[ResourceDrift]:
        """The stack's resources that differ from its template (modified) or are gone (deleted)."""
        found: list[ResourceDrift] = []
        token: dict[str, str] = {}
        with translated(f"reading the drifted resources of stack {stack}"):
            while True:  # botocore has no paginator for this operation: follow NextToken by hand
                page = self.client.describe_stack_resource_drifts(
                    StackName=stack, StackResourceDriftStatusFilters=["MODIFIED", "DELETED"], **token
                )
                found += [_resource_drift(item) for item in page.get("StackResourceDrifts", [])]
                if not page.get("NextToken"):
                    return found
                token = {"NextToken": page["NextToken"]}


class GuardWriter(GuardReader):
    def set_stack_policy(self, stack: str, body: str) -> None:
        with translated(f"setting the stack policy of stack {stack}"):
            self.client.set_stack_policy(StackName=stack, StackPolicyBody=body)

    def rollback_stack(self, stack: str, token: str, role_arn: str | None) -> None:
        """Roll an update kept failed (--no-rollback, UPDATE_FAILED) back to the last stable state."""
        with translated(f"rolling back the failed update of stack {stack}"):
            self.client.rollback_stack(StackName=stack, ClientRequestToken=token, **_role(role_arn))


def _role(role_arn: str | None) -> dict[str, str]:
    return {"RoleARN": role_arn} if role_arn else {}


def _resource_drift(item: dict[str, Any]) -> ResourceDrift:
    return ResourceDrift(
        item["LogicalResourceId"],
        item["ResourceType"],
        item["StackResourceDriftStatus"],
        tuple(
            PropertyDifference(
                difference["PropertyPath"],
                difference.get("ExpectedValue", ""),
                difference.get("ActualValue", ""),
                difference.get("DifferenceType", ""),
            )
            for difference in item.get("PropertyDifferences", [])
        ),
    )
