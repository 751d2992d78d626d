"""Pure unit: regions and partitions as the installed botocore knows them (stackyard/aws/partitions.py),
and the template URLs built from them."""

from __future__ import annotations

from stackyard.aws.partitions import cloudformation_regions, dns_suffix, partition_of
from stackyard.deploy.package import object_url


def test_template_urls_take_the_partitions_dns_suffix():
    assert object_url("b", "eu-west-1", "templates/k.json") == "https://b.s3.eu-west-1.amazonaws.com/templates/k.json"
    assert object_url("b", "cn-north-1", "templates/k.json") == (
        "https://b.s3.cn-north-1.amazonaws.com.cn/templates/k.json"
    )
    assert dns_suffix("us-gov-west-1") == "amazonaws.com"


def test_partitions_and_regions_come_from_botocore():
    assert partition_of("cn-northwest-1") == "aws-cn"
    assert partition_of("us-gov-east-1") == "aws-us-gov"
    assert {"eu-west-1", "cn-north-1", "us-gov-west-1"} <= cloudformation_regions()
