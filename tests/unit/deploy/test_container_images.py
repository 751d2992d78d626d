"""Pure unit: when a stack's service waits for its image, when a missing image refuses the stack, and the
push commands a first deploy ends with (stackyard/deploy/container_images.py)."""

from __future__ import annotations

import pytest

from stackyard.aws import DeployedStack
from stackyard.deploy.container_images import MissingImage, push_commands, service_runs

IMAGE = MissingImage("containers", "ServiceEnabled", "tap-poc-app", "latest", "us-east-1")


def deployed(status: str = "UPDATE_COMPLETE", **parameters: str) -> DeployedStack:
    return DeployedStack("tap-poc-containers", "arn:stack", status, None, parameters, {}, {}, False)


@pytest.mark.parametrize(
    "stack, runs",
    [
        (None, False),  # not deployed: nothing to delete
        (deployed("REVIEW_IN_PROGRESS"), False),  # a change set never executed: holds no resources
        (deployed(ServiceEnabled="false"), False),  # a first deploy left it out
        (deployed(ServiceEnabled="true"), True),
        (deployed("UPDATE_ROLLBACK_COMPLETE", ServiceEnabled="true"), True),
        (deployed(), True),  # deployed before the parameter existed: it always ran its service
    ],
)
def test_a_service_runs_unless_the_stack_holds_none_or_left_it_out(stack, runs):
    assert service_runs(stack, "ServiceEnabled") is runs


def test_the_push_commands_log_in_to_the_registry_then_tag_and_push_where_the_service_looks():
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tap-poc-app"
    assert push_commands(IMAGE, uri) == [
        "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        f"docker tag <your image> {uri}:latest",
        f"docker push {uri}:latest",
    ]
