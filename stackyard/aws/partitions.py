"""Regions and partitions as the installed botocore knows them: which regions have CloudFormation, the
partition a region is in, and the DNS suffix its S3 URLs take (amazonaws.com.cn in China)."""

from __future__ import annotations

import difflib
from functools import cache

import boto3
import botocore.session
from botocore.exceptions import UnknownRegionError


@cache
def cloudformation_regions() -> frozenset[str]:
    session = boto3.session.Session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cloudformation", partition_name=partition)
    )


@cache
def _suffixes() -> dict[str, str]:
    endpoints = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    return {partition["partition"]: partition["dnsSuffix"] for partition in endpoints["partitions"]}


def partition_of(region: str) -> str:
    """The region's partition (`aws`, `aws-cn`, `aws-us-gov` ...); `aws` for a region botocore does not know."""
    try:
        return str(boto3.session.Session().get_partition_for_region(region))
    except UnknownRegionError:
        return "aws"


def dns_suffix(region: str) -> str:
    """`amazonaws.com`, or the region's partition's own (`amazonaws.com.cn` for cn-north-1)."""
    return _suffixes().get(partition_of(region), "amazonaws.com")


def unknown_region(region: str, what: str) -> str | None:
    """What is wrong when `region` is not one botocore knows CloudFormation in (with the nearest names)."""
    known = cloudformation_regions()
    if region in known:
        return None
    near = difflib.get_close_matches(region, sorted(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(sorted(near))}?" if near else f"known: {', '.join(sorted(known))}"
    return f"{what} {region!r} is not a region with CloudFormation; {hint}"
