"""The fault matrix's ECR: repositories (made by the stacks that declare them) and the tags pushed to them.

Answers as ECR does (DescribeImages and DescribeRepositories API references): a tag the repository does
not hold is ImageNotFoundException, a repository not created yet RepositoryNotFoundException.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.faults.answers import ACCOUNT, aws_error


class FakeEcr:
    def __init__(self, region: str):
        self.region = region
        self.repositories: dict[str, dict[str, str]] = {}  # name -> tag -> digest

    # --- what scenarios and the fake CloudFormation use ---------------------------------------

    def make_repository(self, name: str) -> None:
        self.repositories.setdefault(name, {})

    def push(self, repository: str, tag: str) -> None:
        """`docker push`: the repository must exist (the stack made it)."""
        self.repositories[repository][tag] = "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()

    def untag(self, repository: str, tag: str) -> None:
        """The tag goes (a lifecycle policy expired the image, or someone deleted it)."""
        del self.repositories[repository][tag]

    # --- the ECR API -----------------------------------------------------------------------------

    def describe_images(self, repositoryName: str, imageIds: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        tags = self._repository("DescribeImages", repositoryName)
        details = []
        for wanted in imageIds:
            tag = wanted["imageTag"]
            if tag not in tags:
                raise aws_error(
                    "DescribeImages",
                    "ImageNotFoundException",
                    f"The image with imageId {{imageDigest:'null', imageTag:'{tag}'}} does not exist within the "
                    f"repository with name '{repositoryName}' in the registry with id '{ACCOUNT}'",
                )
            details.append(
                {"registryId": ACCOUNT, "repositoryName": repositoryName, "imageDigest": tags[tag], "imageTags": [tag]}
            )
        return {"imageDetails": details}

    def describe_repositories(self, repositoryNames: list[str], **_: Any) -> dict[str, Any]:
        for name in repositoryNames:
            self._repository("DescribeRepositories", name)
        return {
            "repositories": [
                {
                    "repositoryName": name,
                    "registryId": ACCOUNT,
                    "repositoryArn": f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{name}",
                    "repositoryUri": f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{name}",
                }
                for name in repositoryNames
            ]
        }

    def _repository(self, operation: str, name: str) -> dict[str, str]:
        if name not in self.repositories:
            raise aws_error(
                operation,
                "RepositoryNotFoundException",
                f"The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'",
            )
        return self.repositories[name]
