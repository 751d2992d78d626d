"""Fault-matrix rows for a system's first deploy (issue 14): a service whose image is not in ECR yet.

Same shape as tests/faults/scenarios.py (whose Expect and Scenario they use); docs/faults.md lists
them under "A system's first deploy".
"""

from __future__ import annotations

from collections.abc import Callable

from tests.faults.scenarios import NO_WRITES, Expect, Scenario, assert_equal
from tests.faults.world import APP_STACK, IMAGE_TAG, REGION, REPOSITORY, Result, World

REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
EMPTY_REPOSITORY = (
    "DescribeImages answers ImageNotFoundException for a tag the repository does not hold and "
    "RepositoryNotFoundException before the repository exists (ECR API reference); tasks that cannot pull their "
    "image fail the service's deployment circuit breaker, which rolls the stack back (ECS Developer Guide, "
    "'deployment circuit breaker'; seed 002 §3, 'ECR image not found on first deploy')"
)


def push_image(world: World) -> None:
    world.fake.ecr(REGION).push(REPOSITORY, IMAGE_TAG)


def service_running_then_image_gone(world: World) -> None:
    push_image(world)
    assert world.run("deploy").code == 0
    world.fake.ecr(REGION).untag(REPOSITORY, IMAGE_TAG)


def service(enabled: str) -> Callable[[World, Result], None]:
    """The app stack was deployed with ServiceEnabled `enabled`, and holds the service exactly when "true"."""

    def check(world: World, result: Result) -> None:
        stack = world.cloudformation.stack(APP_STACK)
        assert_equal(stack.parameters["ServiceEnabled"], enabled)
        assert_equal("Service" in stack.resources, enabled == "true")
        assert "Repository" in stack.resources

    return check


def no_push_advice(world: World, result: Result) -> None:
    assert "docker push" not in result.out, result.out


def checks(*each: Callable[[World, Result], None]) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        for one in each:
            one(world, result)

    return check


FIRST_DEPLOY: tuple[Scenario, ...] = (
    Scenario(
        "an-empty-repository-leaves-the-service-out-and-says-what-to-push",
        EMPTY_REPOSITORY,
        ("deploy",),
        Expect(
            0,
            says=(
                f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR yet: ServiceEnabled=false",
                f"docker push {REGISTRY}/{REPOSITORY}:{IMAGE_TAG}",
                f"--password-stdin {REGISTRY}",
                "then deploy again, which starts the service: python deploy.py deploy --env test",
            ),
            must=(f"DescribeImages~{REPOSITORY}", f"DescribeRepositories~{REPOSITORY}"),
            check=service("false"),
        ),
        start="empty",
        images=True,
    ),
    Scenario(
        "the-pushed-image-starts-the-service",
        EMPTY_REPOSITORY,
        ("deploy",),
        Expect(
            0,
            says=("parameter ServiceEnabled differs: deployed 'false', now 'true'", "app      updated"),
            must=(f"DescribeImages~{REPOSITORY}", "ExecuteChangeSet"),
            check=checks(service("true"), no_push_advice),
        ),
        setup=push_image,
        images=True,
    ),
    Scenario(
        "a-running-services-missing-image-refuses-the-stack",
        EMPTY_REPOSITORY + "; a stack updated with the service's condition false deletes the running service",
        ("deploy",),
        Expect(
            1,
            says=(
                f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR ({REGION}), and the stack runs its service",
                "deploying without the image would delete the running service",
            ),
            must=(f"DescribeImages~{REPOSITORY}",),
            must_not=("CreateChangeSet~app-test-app", "ExecuteChangeSet"),
            check=service("true"),
        ),
        setup=service_running_then_image_gone,
        images=True,
    ),
    Scenario(
        "plan-of-an-empty-repository-says-the-service-waits",
        EMPTY_REPOSITORY,
        ("plan",),
        Expect(
            0,
            says=(f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR yet", "app      unchanged"),
            must=(f"DescribeImages~{REPOSITORY}",),
            must_not=NO_WRITES,
            check=no_push_advice,
        ),
        images=True,
    ),
)
