"""Storage stack (seed 000 §1.4): the params' buckets plus the server access log bucket.

Every bucket is encrypted, blocks all public access, disables ACLs, refuses plain HTTP,
cleans up aborted multipart uploads and logs its requests to the access log bucket.
Retention comes from params: expiry, transition to Infrequent Access, old versions, Object Lock.
"""

from __future__ import annotations

from awacs.aws import Allow, ArnLike, Condition, Principal, Statement, StringEquals
from awacs.s3 import GetObject, PutObject
from troposphere import AccountId, GetAtt, Join, Partition, Ref, Sub, Template
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
    BucketEncryption,
    BucketPolicy,
    CorsConfiguration,
    CorsRules,
    DefaultRetention,
    Filter,
    LambdaConfigurations,
    LifecycleConfiguration,
    LifecycleRule,
    LifecycleRuleTransition,
    LoggingConfiguration,
    NoncurrentVersionExpiration,
    NoncurrentVersionTransition,
    NotificationConfiguration,
    ObjectLockConfiguration,
    ObjectLockRule,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    Rules,
    S3Key,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
    VersioningConfiguration,
)

from stackyard.config import (
    ACCESS_LOGS_BUCKET,
    Cors,
    EnvironmentConfig,
    PrefixRule,
    bucket_name_prefix,
    site_bucket,
)
from stackyard.config import (
    Bucket as BucketConfig,
)
from templates.parts.common import (
    StackTemplates,
    always_retain,
    export,
    import_value,
    keep_on_delete,
    new_template,
    pascal,
    tag_resources,
)
from templates.parts.policies import deny_insecure_transport, document

NAME = "storage"
ABORT_MULTIPART_AFTER_DAYS = 7
LOAD_BALANCER_LOG_PREFIX = "alb"
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


def bucket_name(config: EnvironmentConfig, key: str) -> Sub:
    """Globally unique: the account and region make the same params deployable anywhere."""
    return Sub(f"{bucket_name_prefix(config, key)}-${{AWS::AccountId}}-${{AWS::Region}}")


def bucket_arn(config: EnvironmentConfig, key: str) -> Sub:
    """The bucket's ARN from its name alone: other stacks can name it without importing it."""
    return Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name_prefix(config, key)}-${{AWS::AccountId}}-${{AWS::Region}}")


def _access_log_bucket(template: Template, config: EnvironmentConfig) -> Bucket:
    """S3 delivers server access logs only to a bucket encrypted with SSE-S3, through its bucket policy."""
    bucket = template.add_resource(
        keep_on_delete(
            Bucket(
                "AccessLogsBucket",
                BucketName=bucket_name(config, ACCESS_LOGS_BUCKET),
                LifecycleConfiguration=LifecycleConfiguration(
                    Rules=[
                        _abort_multipart_rule(),
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
                ArnLike({"aws:SourceArn": Sub(f"arn:${{AWS::Partition}}:s3:::{config.app}-{config.environment}-*")}),
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
        Resource=[Join("", [GetAtt(bucket, "Arn"), f"/{LOAD_BALANCER_LOG_PREFIX}/AWSLogs/", AccountId, "/*"])],
    )


def _bucket(
    template: Template, config: EnvironmentConfig, key: str, settings: BucketConfig, access_logs: Bucket
) -> None:
    bucket = template.add_resource(private_bucket(config, key, settings, Ref(access_logs)))
    add_bucket_policy(template, bucket, *([_cloudfront_read(bucket)] if key == site_bucket(config) else []))
    _bucket_exports(template, config, key, bucket, settings.purpose)


def _cloudfront_read(bucket: Bucket) -> Statement:
    """CloudFront (Origin Access Control) reads the site the edge serves from this bucket (edge.site_bucket).

    The edge stack deploys after this one, so its distribution's id cannot be named here: any
    distribution of this account may read, and only objects, never the listing.
    """
    return Statement(
        Sid="AllowCloudFrontToReadTheSite",
        Effect=Allow,
        Principal=Principal("Service", "cloudfront.amazonaws.com"),
        Action=[GetObject],
        Resource=[Join("", [GetAtt(bucket, "Arn"), "/*"])],
        Condition=Condition(
            ArnLike({"AWS:SourceArn": Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*")})
        ),
    )


def private_bucket(config: EnvironmentConfig, key: str, settings: BucketConfig, access_log_bucket_name) -> Bucket:
    """An encrypted bucket that blocks public access, disables ACLs and logs its requests.

    Pair it with `add_bucket_policy`, which makes it refuse plain HTTP.
    """
    bucket = Bucket(
        f"{pascal(key)}Bucket",
        BucketName=bucket_name(config, key),
        LoggingConfiguration=LoggingConfiguration(
            DestinationBucketName=access_log_bucket_name, LogFilePrefix=f"{key}/"
        ),
        LifecycleConfiguration=LifecycleConfiguration(Rules=_lifecycle_rules(settings)),
        **private_encrypted(),
    )
    if settings.versioned:
        bucket.VersioningConfiguration = VersioningConfiguration(Status="Enabled")
    if settings.cors:
        bucket.CorsConfiguration = _cors(settings.cors)
    if settings.notifications:
        bucket.NotificationConfiguration = NotificationConfiguration(
            LambdaConfigurations=[_notification(config, notification) for notification in settings.notifications]
        )
    if settings.object_lock:
        bucket.ObjectLockEnabled = True
        bucket.ObjectLockConfiguration = ObjectLockConfiguration(
            ObjectLockEnabled="Enabled",
            Rule=ObjectLockRule(
                DefaultRetention=DefaultRetention(
                    Mode=settings.object_lock.mode,
                    Days=settings.object_lock.days,
                )
            ),
        )
        # Locked versions cannot be deleted, so neither can the bucket: a stack delete must
        # leave it behind rather than fail on it.
        return always_retain(bucket)
    return keep_on_delete(bucket, config)


def _notification(config: EnvironmentConfig, notification) -> LambdaConfigurations:
    rules = [
        Rules(Name=name, Value=value)
        for name, value in (("prefix", notification.prefix), ("suffix", notification.suffix))
        if value
    ]
    configuration = LambdaConfigurations(
        Event="s3:ObjectCreated:*",
        Function=import_value(config, f"{pascal(notification.function)}FunctionArn"),
    )
    if rules:
        configuration.Filter = Filter(S3Key=S3Key(Rules=rules))
    return configuration


def private_encrypted() -> dict:
    """SSE-S3 encryption, every public access blocked, ACLs disabled: what every bucket here gets."""
    return {
        "BucketEncryption": BucketEncryption(
            ServerSideEncryptionConfiguration=[
                ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
                )
            ]
        ),
        "PublicAccessBlockConfiguration": PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        "OwnershipControls": OwnershipControls(Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
    }


def _lifecycle_rules(settings: BucketConfig) -> list[LifecycleRule]:
    rules = [_abort_multipart_rule()]
    if settings.expire_after_days is not None:
        rules.append(
            LifecycleRule(
                Id=f"expire-after-{settings.expire_after_days}-days",
                Status="Enabled",
                ExpirationInDays=settings.expire_after_days,
            )
        )
    if settings.infrequent_access_after_days is not None:
        rules.append(
            LifecycleRule(
                Id=f"infrequent-access-after-{settings.infrequent_access_after_days}-days",
                Status="Enabled",
                Transitions=[
                    LifecycleRuleTransition(
                        StorageClass="STANDARD_IA", TransitionInDays=settings.infrequent_access_after_days
                    )
                ],
            )
        )
    rules += [_prefix_rule(rule_id, rule) for rule_id, rule in settings.lifecycle_rules.items()]
    if settings.versioned:
        rules.append(
            LifecycleRule(
                Id="expire-old-versions",
                Status="Enabled",
                ExpiredObjectDeleteMarker=True,
                NoncurrentVersionExpiration=NoncurrentVersionExpiration(
                    NoncurrentDays=settings.noncurrent_versions_expire_after_days,
                ),
            )
        )
    return rules


def _prefix_rule(rule_id: str, rule: PrefixRule) -> LifecycleRule:
    lifecycle = LifecycleRule(Id=rule_id, Status="Enabled")
    if rule.prefix:
        lifecycle.Prefix = rule.prefix
    if rule.transitions:
        lifecycle.Transitions = [
            LifecycleRuleTransition(StorageClass=transition.storage_class, TransitionInDays=transition.after_days)
            for transition in rule.transitions
        ]
    if rule.noncurrent_transitions:
        lifecycle.NoncurrentVersionTransitions = [
            NoncurrentVersionTransition(StorageClass=transition.storage_class, TransitionInDays=transition.after_days)
            for transition in rule.noncurrent_transitions
        ]
    if rule.expire_after_days:
        lifecycle.ExpirationInDays = rule.expire_after_days
    return lifecycle


def _cors(cors: Cors) -> CorsConfiguration:
    return CorsConfiguration(
        CorsRules=[
            CorsRules(
                AllowedOrigins=cors.allowed_origins,
                AllowedMethods=cors.allowed_methods,
                AllowedHeaders=cors.allowed_headers,
                MaxAge=cors.max_age_seconds,
            )
        ]
    )


def _abort_multipart_rule() -> LifecycleRule:
    return LifecycleRule(
        Id="abort-incomplete-multipart-uploads",
        Status="Enabled",
        AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=ABORT_MULTIPART_AFTER_DAYS),
    )


def add_bucket_policy(template: Template, bucket: Bucket, *extra: Statement) -> None:
    """The bucket's policy: refuse plain HTTP, then allow whatever `extra` allows."""
    template.add_resource(
        BucketPolicy(
            f"{bucket.title}Policy",
            Bucket=Ref(bucket),
            PolicyDocument=document(deny_insecure_transport(GetAtt(bucket, "Arn")), *extra),
        )
    )


def _bucket_exports(template: Template, config: EnvironmentConfig, key: str, bucket: Bucket, purpose: str) -> None:
    export(template, config, f"{pascal(key)}BucketName", Ref(bucket), f"Bucket name: {purpose}")
    export(template, config, f"{pascal(key)}BucketArn", GetAtt(bucket, "Arn"), f"Bucket ARN: {purpose}")
