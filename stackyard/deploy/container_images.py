"""Container images: a service is deployed once the image it runs is in ECR, not before.

A new environment's image repository is created by the same stack as the service that runs from
it, so on the first deploy the repository is empty: tasks that cannot pull their image fail, the
deployment circuit breaker fails the service and the stack rolls back. The manifest's `images`
name, per stack parameter, the repository and tag the service runs; deploy passes "true" when ECR
holds the tag, "false" (the service and what hangs on it are not created) when it does not, and
says what to do next: push the image, then deploy again. A service already running is never
removed this way: its image missing refuses the stack instead (docs/deploy.md, "A container
service's first deploy").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from stackyard.aws import Aws, DeployedStack
from stackyard.deploy.progress import Progress
from stackyard.errors import StackyardError
from stackyard.manifest import StackEntry

SERVICE_ON, SERVICE_OFF = "true", "false"


@dataclass(frozen=True)
class MissingImage:
    stack: str
    parameter: str
    repository: str
    tag: str
    region: str

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"


def service_runs(deployed: DeployedStack | None, parameter: str) -> bool:
    """Whether the deployed stack runs the service `parameter` switches: the stack holds resources and the
    parameter is not "false" (a stack deployed before the parameter existed always ran its service)."""
    if deployed is None or deployed.status == "REVIEW_IN_PROGRESS":
        return False
    return deployed.parameters.get(parameter, SERVICE_ON) != SERVICE_OFF


def refusal(name: str, image: MissingImage) -> str:
    return (
        f"stack {name}: image {image} is not in ECR ({image.region}), and the stack runs its service "
        f"({image.parameter} is {SERVICE_ON}); deploying without the image would delete the running service. "
        f"Fix: push {image}, or name a tag the repository holds (containers.image_tag), then deploy again"
    )


def push_commands(image: MissingImage, repository_uri: str) -> list[str]:
    """The commands that push the image where the service will look for it."""
    registry = repository_uri.split("/", 1)[0]
    return [
        f"aws ecr get-login-password --region {image.region} | docker login --username AWS --password-stdin {registry}",
        f"docker tag <your image> {repository_uri}:{image.tag}",
        f"docker push {repository_uri}:{image.tag}",
    ]


class ContainerImages:
    """The image parameters of a run's stacks, decided from ECR, and the images found missing."""

    def __init__(self, aws: Aws, progress: Progress):
        self.aws = aws
        self.progress = progress
        self._missing: list[MissingImage] = []
        self._lock = threading.Lock()

    def parameters(
        self, stack: str, entry: StackEntry, region: str, deployed: Callable[[], DeployedStack | None]
    ) -> dict[str, str]:
        """Each image parameter: "true" when ECR holds its image; "false" when it does not and the stack runs
        no service yet; a StackyardError when the image of a running service is missing."""
        values = {}
        for parameter, wanted in entry.images.items():
            if self.aws.ecr(region).has_image(wanted.repository, wanted.tag):
                values[parameter] = SERVICE_ON
                continue
            image = MissingImage(stack, parameter, wanted.repository, wanted.tag, region)
            if service_runs(deployed(), parameter):
                raise StackyardError(refusal(entry.stack_name, image))
            self.progress.line(
                stack,
                f"image {image} is not in ECR yet: {parameter}={SERVICE_OFF}, the service is left out until the "
                f"image is pushed",
            )
            values[parameter] = SERVICE_OFF
            with self._lock:
                self._missing.append(image)
        return values

    @property
    def missing(self) -> list[MissingImage]:
        with self._lock:
            return list(self._missing)

    def next_steps(self, account: str, resume_command: str) -> list[str]:
        """What to run once the deploy is done, for each image the service still waits for."""
        lines = []
        for image in self.missing:
            uri = self.aws.ecr(image.region).repository_uri(image.repository) or (
                f"{account}.dkr.ecr.{image.region}.amazonaws.com/{image.repository}"
            )
            lines.append(f"stack {image.stack} runs no service until image {image} is in ECR. Push it:")
            lines += [f"  {command}" for command in push_commands(image, uri)]
        if lines:
            lines.append(f"then deploy again, which starts the service: {resume_command}")
        return lines
