"""Pure unit: regions and partitions as the installed botocore knows them (stackyard/aws/partitions.py),
and the template URLs built from them."""

from __future__ import annotations

import boto3

from stackyard.aws.partitions import cloudformation_regions, dns_suffix, partition_of, unknown_region
from stackyard.deploy.package import object_url


def test_template_urls_take_the_partitions_dns_suffix():
    assert object_url("b", "eu-west-1", "templates/k.json") == "https://b.s3.eu-west-1.amazonaws.com/templates/k.json"
    assert object_url("b", "cn-north-1", "templates/k.json") == (
        "https://b.s3.cn-north-1.amazonaws.com.cn/templates/k.json"
    )
    assert dns_suffix("us-gov-west-1") == "amazonaws.com"


def test_partitions_and_regions_come_from_botocore():
    session = boto3.session.Session()
    assert cloudformation_regions() == {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cloudformation", partition_name=partition)
    }
    assert {"eu-west-1", "cn-north-1", "us-gov-west-1"} <= cloudformation_regions()
    for region in ("cn-northwest-1", "us-gov-east-1", "eu-west-1"):
        assert partition_of(region) == session.get_partition_for_region(region)
    assert partition_of("eu-west-l") == "aws" and dns_suffix("eu-west-l") == "amazonaws.com"  # unknown: aws


def test_an_unknown_region_is_named_with_the_nearest_ones():
    assert unknown_region("eu-west-1", "--region") is None
    assert unknown_region("eu-west-l", "--region") == (
        "--region 'eu-west-l' is not a region with CloudFormation; did you mean eu-west-1 or eu-west-2 or eu-west-3?"
    )
    assert "known: af-south-1, ap-east-1" in str(unknown_region("mars", "--region"))
