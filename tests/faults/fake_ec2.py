"""The fault fake's EC2: the AWS-managed prefix lists a stack takes as parameters, per region.

AWS-managed prefix lists have the same name in every region that has them and another id in each
(ec2:DescribeManagedPrefixLists, filtered by prefix-list-name); a region without one answers an empty
list, not an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def prefix_list_id(name: str, region: str) -> str:
    """The id the fake gives `name` in `region` (another in each region, as AWS's)."""
    return "pl-" + hashlib.sha256(f"{region}/{name}".encode()).hexdigest()[:8]


@dataclass
class FakeEc2:
    missing: set[tuple[str, str]] = field(default_factory=set)  # (region, name) of lists a region lacks
    names: tuple[str, ...] = (ORIGIN_FACING,)

    def in_region(self, region: str) -> RegionalEc2:
        return RegionalEc2(self, region)


class RegionalEc2:
    def __init__(self, ec2: FakeEc2, region: str):
        self.ec2, self.region = ec2, region

    def describe_managed_prefix_lists(self, Filters: list[dict[str, Any]] | None = None, **_: Any) -> dict[str, Any]:
        wanted = {value for each in Filters or [] if each["Name"] == "prefix-list-name" for value in each["Values"]}
        found = [
            {"PrefixListId": prefix_list_id(name, self.region), "PrefixListName": name, "OwnerId": "AWS"}
            for name in self.ec2.names
            if (self.region, name) not in self.ec2.missing and (not wanted or name in wanted)
        ]
        return {"PrefixLists": found}
