"""ECR calls: whether the image a service runs is in its repository yet (a new environment's is empty)."""

from __future__ import annotations

from typing import Any

from stackyard.aws.errors import AwsError, translated

# DescribeImages' answers for a tag the repository does not hold, or a repository not created yet.
NO_SUCH_IMAGE = {"ImageNotFoundException", "RepositoryNotFoundException"}


class Ecr:
    def __init__(self, client: Any):
        self.client = client

    def has_image(self, repository: str, tag: str) -> bool:
        """Whether the repository holds an image tagged `tag` (False when the repository does not exist)."""
        try:
            with translated(f"looking for image {repository}:{tag} in ECR"):
                found = self.client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except AwsError as error:
            if error.code in NO_SUCH_IMAGE:
                return False
            raise
        return bool(found.get("imageDetails"))

    def repository_uri(self, repository: str) -> str | None:
        """Where images are pushed (`<registry>/<repository>`); None while the repository does not exist."""
        try:
            with translated(f"describing the ECR repository {repository}"):
                found = self.client.describe_repositories(repositoryNames=[repository])["repositories"]
        except AwsError as error:
            if error.code == "RepositoryNotFoundException":
                return None
            raise
        return str(found[0]["repositoryUri"]) if found else None
