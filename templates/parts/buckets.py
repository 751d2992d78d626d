"""S3 buckets as every stack here makes them: encrypted, no public access, no ACLs, TLS only, logging
their requests, aborted uploads cleaned up, and the retention params ask for.

The storage stack makes the params' buckets with these, the edge stack its own frontend bucket and the
bucket CloudFront writes its access logs to (the one bucket with ACLs on: CloudFront's standard logging
delivers only through them).
"""

from __future__ import annotations

from awacs.aws import Statement
from troposphere import AWSHelperFn, Template
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
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
    Rules,
    S3Key,
    TagFilter,
    VersioningConfiguration,
)

from stackyard.bucket_security import private_encrypted, tls_only_policy
from stackyard.config import CDN_LOGS_BUCKET, Cors, EnvironmentConfig, Notification, PrefixRule
from stackyard.config import Bucket as BucketConfig
from templates import names
from templates.parts.common import always_retain, import_value, keep_on_delete

ABORT_MULTIPART_AFTER_DAYS = 7


def private_bucket(
    config: EnvironmentConfig, key: str, settings: BucketConfig, access_log_bucket_name: AWSHelperFn
) -> Bucket:
    """An encrypted bucket that blocks public access, disables ACLs and logs its requests.

    Pair it with `add_bucket_policy`, which makes it refuse plain HTTP.
    """
    bucket = Bucket(
        f"{names.pascal(key)}Bucket",
        BucketName=names.bucket_name(config, key),
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


def cloudfront_log_bucket(template: Template, config: EnvironmentConfig, access_log_bucket_name: AWSHelperFn) -> Bucket:
    """Where CloudFront's standard logging writes, kept storage.access_logs_expire_after_days.

    That logging (legacy; its v2 needs a delivery source in us-east-1, created after the distribution)
    grants its log delivery account write access through the bucket's ACL, so ACLs are on here, with
    the bucket owner owning every object; public access stays blocked. The storage stack's access-log
    bucket keeps ACLs off.
    """
    settings = BucketConfig(
        purpose="CloudFront access logs",
        versioned=False,
        expire_after_days=config.storage.access_logs_expire_after_days,
    )
    bucket = template.add_resource(private_bucket(config, CDN_LOGS_BUCKET, settings, access_log_bucket_name))
    bucket.OwnershipControls = OwnershipControls(Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerPreferred")])
    add_bucket_policy(template, bucket)
    return bucket


def add_bucket_policy(template: Template, bucket: Bucket, *extra: Statement) -> None:
    """The bucket's policy: refuse plain HTTP, then allow whatever `extra` allows."""
    template.add_resource(tls_only_policy(bucket, *extra))


def _notification(config: EnvironmentConfig, notification: Notification) -> LambdaConfigurations:
    rules = [
        Rules(Name=name, Value=value)
        for name, value in (("prefix", notification.prefix), ("suffix", notification.suffix))
        if value
    ]
    configuration = LambdaConfigurations(
        Event="s3:ObjectCreated:*",
        Function=import_value(config, names.function_arn_export(notification.function)),
    )
    if rules:
        configuration.Filter = Filter(S3Key=S3Key(Rules=rules))
    return configuration


def _lifecycle_rules(settings: BucketConfig) -> list[LifecycleRule]:
    rules = [abort_multipart_rule()]
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
    if settings.versioned and settings.noncurrent_versions_expire_after_days is not None:
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
    if rule.tags:
        lifecycle.TagFilters = [TagFilter(Key=key, Value=value) for key, value in sorted(rule.tags.items())]
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


def abort_multipart_rule() -> LifecycleRule:
    return LifecycleRule(
        Id="abort-incomplete-multipart-uploads",
        Status="Enabled",
        AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=ABORT_MULTIPART_AFTER_DAYS),
    )
