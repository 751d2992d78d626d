"""Storage stack (seed 000 §1.4): the params' buckets plus the server access log bucket.

Every bucket is encrypted, blocks all public access, disables ACLs, refuses plain HTTP,
cleans up aborted multipart uploads and logs its requests to the access log bucket.
Retention comes from params: expiry, transition to Infrequent Access, old versions, Object Lock.
"""

from __future__ import annotations

from awacs.aws import Allow, ArnLike, Condition, Principal, Statement, StringEquals
from awacs.s3 import PutObject
from troposphere import AccountId, GetAtt, Join, Partition, Ref, Template
from troposphere.s3 import Bucket, LifecycleConfiguration, LifecycleRule

from stackyard.bucket_security import private_encrypted
from stackyard.config import ACCESS_LOGS_BUCKET, EnvironmentConfig, site_bucket
from stackyard.config import Bucket as BucketConfig
from templates import names
from templates.parts.buckets import abort_multipart_rule, add_bucket_policy, private_bucket
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources

NAME = names.STORAGE
# Regions opened before August 2022 deliver ALB access logs from a regional Elastic Load Balancing
# account; newer ones from the logdelivery.elasticloadbalancing.amazonaws.com service principal.
# (AWS: "Enable access logs for your Application Load Balancer", bucket permissions.)
LOAD_BALANCER_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"storage ({len(config.storage.buckets)} buckets and their access logs)")
    access_logs = _access_log_bucket(template, config)
    for key, bucket in config.storage.buckets.items():
        _bucket(template, config, key, bucket, access_logs)
    return StackTemplates(NAME, tag_resources(template, config))


def _access_log_bucket(template: Template, config: EnvironmentConfig) -> Bucket:
    """S3 delivers server access logs only to a bucket encrypted with SSE-S3, through its bucket policy."""
    bucket = template.add_resource(
        keep_on_delete(
            Bucket(
                "AccessLogsBucket",
                BucketName=names.bucket_name(config, ACCESS_LOGS_BUCKET),
                LifecycleConfiguration=LifecycleConfiguration(
                    Rules=[
                        abort_multipart_rule(),
                        LifecycleRule(
                            Id="expire-access-logs",
                            Status="Enabled",
                            ExpirationInDays=config.storage.access_logs_expire_after_days,
                        ),
                    ]
                ),
                **private_encrypted(),
            ),
            config,
        )
    )
    delivery = Statement(
        Sid="AllowServerAccessLogDelivery",
        Effect=Allow,
        Principal=Principal("Service", "logging.s3.amazonaws.com"),
        Action=[PutObject],
        Resource=[Join("", [GetAtt(bucket, "Arn"), "/*"])],
        Condition=Condition(
            [
                StringEquals({"aws:SourceAccount": AccountId}),
                ArnLike({"aws:SourceArn": names.environment_bucket_arns(config)}),
            ]
        ),
    )
    add_bucket_policy(template, bucket, delivery, _load_balancer_log_delivery(config, bucket))
    _bucket_exports(template, config, ACCESS_LOGS_BUCKET, bucket, "server and load balancer access logs")
    return bucket


def _load_balancer_log_delivery(config: EnvironmentConfig, bucket: Bucket) -> Statement:
    account = LOAD_BALANCER_LOG_ACCOUNTS.get(config.region)
    principal = (
        Principal("AWS", Join("", ["arn:", Partition, ":iam::", account, ":root"]))
        if account
        else Principal("Service", "logdelivery.elasticloadbalancing.amazonaws.com")
    )
    return Statement(
        Sid="AllowLoadBalancerAccessLogDelivery",
        Effect=Allow,
        Principal=principal,
        Action=[PutObject],
        Resource=[Join("", [GetAtt(bucket, "Arn"), f"/{names.LOAD_BALANCER_LOG_PREFIX}/AWSLogs/", AccountId, "/*"])],
    )


def _bucket(
    template: Template, config: EnvironmentConfig, key: str, settings: BucketConfig, access_logs: Bucket
) -> None:
    bucket = template.add_resource(private_bucket(config, key, settings, Ref(access_logs)))
    if key == site_bucket(config):
        # The bucket CloudFront serves: its policy (TLS only, and reads by that one distribution, whose id
        # exists only once the edge stack, deployed after this one, has created it) is the edge stack's.
        bucket.Metadata = {"cfn-lint": {"config": {"ignore_checks": ["E9006"]}}}
    else:
        add_bucket_policy(template, bucket)
    _bucket_exports(template, config, key, bucket, settings.purpose)


def _bucket_exports(template: Template, config: EnvironmentConfig, key: str, bucket: Bucket, purpose: str) -> None:
    export(template, config, names.bucket_name_export(key), Ref(bucket), f"Bucket name: {purpose}")
    export(template, config, names.bucket_arn_export(key), GetAtt(bucket, "Arn"), f"Bucket ARN: {purpose}")
    export(
        template,
        config,
        f"{names.pascal(key)}BucketRegionalDomainName",
        GetAtt(bucket, "RegionalDomainName"),
        f"Bucket's regional domain name (presigned URLs, origins): {purpose}",
    )
