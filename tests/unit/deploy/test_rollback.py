"""Pure unit: a failed update rollback's resources (read through a stand-in reader), the names
--skip-resources takes and those ContinueUpdateRollback's ResourcesToSkip gets, and what a run says
when the rollback fails again (stackyard/deploy/rollback.py)."""

from __future__ import annotations

import pytest

from stackyard.aws import StackResource
from stackyard.deploy.rollback import (
    RollbackFailure,
    resources_to_skip,
    rollback_failures,
    still_failing,
    with_only,
)
from stackyard.errors import BadInputError

PARENT = "arn:aws:cloudformation:eu-west-1:123456789012:stack/app-test-network/1"
CHILD = "arn:aws:cloudformation:eu-west-1:123456789012:stack/app-test-network-Vpc-ABC123/2"


class Resources:
    """A StackReader that only lists resources, per stack id."""

    def __init__(self, by_stack: dict[str, list[StackResource]]):
        self.by_stack = by_stack

    def resources(self, stack: str) -> list[StackResource]:
        return self.by_stack[stack]


READER = Resources(
    {
        PARENT: [
            StackResource("Vpc", "AWS::CloudFormation::Stack", CHILD, "UPDATE_FAILED", "Embedded stack failed"),
            StackResource("Flag", "AWS::SSM::Parameter", "flag", "UPDATE_FAILED", "changed outside"),
            StackResource("Role", "AWS::IAM::Role", "role", "UPDATE_COMPLETE"),
        ],
        CHILD: [
            StackResource("Subnet", "AWS::EC2::Subnet", "subnet-1", "UPDATE_FAILED", "deleted outside"),
            StackResource("Vpc", "AWS::EC2::VPC", "vpc-1", "UPDATE_COMPLETE"),
        ],
    }
)


def test_the_failed_resources_are_found_inside_failed_nested_stacks_with_both_names():
    found = rollback_failures(READER, PARENT)
    assert [(f.skip_name, f.api_name, str(f)) for f in found] == [
        ("Vpc.Subnet", "app-test-network-Vpc-ABC123.Subnet", "Vpc/Subnet (AWS::EC2::Subnet): deleted outside"),
        ("Flag", "Flag", "Flag (AWS::SSM::Parameter): changed outside"),
    ]


def test_skip_names_become_resources_to_skip_in_either_spelling():
    found = rollback_failures(READER, PARENT)
    assert resources_to_skip("n", ["Vpc.Subnet", "Flag"], found) == ["Flag", "app-test-network-Vpc-ABC123.Subnet"]
    assert resources_to_skip("n", ["app-test-network-Vpc-ABC123.Subnet"], found) == [
        "app-test-network-Vpc-ABC123.Subnet"
    ]


def test_a_skip_name_whose_rollback_did_not_fail_is_bad_input_naming_the_ones_that_did():
    found = rollback_failures(READER, PARENT)
    with pytest.raises(
        BadInputError, match="--skip-resources Role: stack n has .* the ones that failed: Vpc.Subnet, Flag"
    ):
        resources_to_skip("n", ["Role"], found)


def test_a_rollback_failing_again_names_each_resource_and_the_command_that_skips_them():
    failures = [RollbackFailure("", "Queue", "AWS::SQS::Queue", "gone", "app-test-app")]
    command = "python deploy.py deploy --env test --only app storage --region eu-west-1"
    text = still_failing(
        "app", "app-test-app", "The following resource(s) failed to update: [Queue].", failures, command
    )
    assert "still UPDATE_ROLLBACK_FAILED after continuing its rollback once in this run" in text
    assert "Failed to roll back: Queue (AWS::SQS::Queue): gone" in text
    assert "python deploy.py deploy --env test --region eu-west-1 --only app --skip-resources Queue (" in text
    assert "drift from the template" in text


def test_with_only_replaces_the_runs_selection():
    assert with_only("python deploy.py deploy --env t", "app") == "python deploy.py deploy --env t --only app"
    assert with_only("python deploy.py deploy --only a b --env t", "b") == "python deploy.py deploy --env t --only b"
