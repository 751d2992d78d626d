"""EC2 calls: the AWS-managed prefix lists a stack takes as parameters (their ids differ per region)."""

from __future__ import annotations

from typing import Any

from stackyard.aws.errors import AwsError, translated


class Ec2:
    def __init__(self, client: Any):
        self.client = client

    def managed_prefix_list_id(self, name: str) -> str:
        """The id of the AWS-managed prefix list `name` in the client's region."""
        with translated(f"looking up the managed prefix list {name}"):
            found = self.client.describe_managed_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [name]}]
            ).get("PrefixLists", [])
        if not found:
            raise AwsError(
                f"looking up the managed prefix list {name}: this region has none by that name. Fix: deploy "
                f"to a region CloudFront VPC origins support, or check the endpoint AWS_ENDPOINT_URL points at"
            )
        return str(found[0]["PrefixListId"])
