"""Regions and partitions as the installed botocore knows them: which regions have CloudFormation, the
partition a region is in, and the DNS suffix its S3 URLs take (amazonaws.com.cn in China).

Read from botocore's endpoint data once per process, through the loader the clients share (a template
URL is built per nested template, on the no-op deploy's path too).
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cache
from typing import Any

from stackyard.aws.clients import shared_loader


@cache
def _partitions() -> tuple[dict[str, Any], ...]:
    endpoints = shared_loader(os.environ.get("AWS_DATA_PATH")).load_data("endpoints")
    return tuple(endpoints["partitions"])


@cache
def cloudformation_regions() -> frozenset[str]:
    """Every region botocore lists CloudFormation in, in every partition."""
    return frozenset(
        region
        for partition in _partitions()
        for region, endpoint in partition["services"].get("cloudformation", {}).get("endpoints", {}).items()
        if region in partition["regions"] and not endpoint.get("deprecated")
    )


@cache
def _partition(region: str) -> dict[str, Any] | None:
    for partition in _partitions():
        if region in partition["regions"]:
            return partition
    for partition in _partitions():
        if re.match(partition["regionRegex"], region):
            return partition
    return None


def partition_of(region: str) -> str:
    """The region's partition (`aws`, `aws-cn`, `aws-us-gov` ...); `aws` for a region botocore does not know."""
    found = _partition(region)
    return str(found["partition"]) if found else "aws"


def dns_suffix(region: str) -> str:
    """`amazonaws.com`, or the region's partition's own (`amazonaws.com.cn` for cn-north-1)."""
    found = _partition(region)
    return str(found["dnsSuffix"]) if found else "amazonaws.com"


def unknown_region(region: str, what: str) -> str | None:
    """What is wrong when `region` is not one botocore knows CloudFormation in (with the nearest names)."""
    known = cloudformation_regions()
    if region in known:
        return None
    near = difflib.get_close_matches(region, sorted(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(sorted(near))}?" if near else f"known: {', '.join(sorted(known))}"
    return f"{what} {region!r} is not a region with CloudFormation; {hint}"
