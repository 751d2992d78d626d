"""Storage stack (seed 000 §1.4): the params' buckets plus the server access log bucket.

Every bucket is encrypted, blocks all public access, disables ACLs, refuses plain HTTP,
cleans up aborted multipart uploads and logs its requests to the access log bucket.
Retention comes from params: expiry, transition to Infrequent Access, old versions, Object Lock.
"""

from __future__ import annotations

from awacs.aws import Allow, ArnLike, Condition, Principal, Statement, StringEquals
from awacs.s3 import PutObject
from troposphere import AccountId, GetAtt, Join, Ref, Sub, Template
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
    BucketEncryption,
    BucketPolicy,
    DefaultRetention,
    LifecycleConfiguration,
    LifecycleRule,
    LifecycleRuleTransition,
    LoggingConfiguration,
    NoncurrentVersionExpiration,
    ObjectLockConfiguration,
    ObjectLockRule,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
    VersioningConfiguration,
)

from stackyard.config import ACCESS_LOGS_BUCKET, Bucket as BucketConfig, EnvironmentConfig, bucket_name_prefix
from templates.common import StackTemplates, always_retain, export, keep_on_delete, new_template, pascal, tag_resources
from templates.policies import deny_insecure_transport, document

NAME = "storage"
ABORT_MULTIPART_AFTER_DAYS = 7


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"storage ({len(config.storage.buckets)} buckets and their access logs)")
    access_logs = _access_log_bucket(template, config)
    for key, bucket in config.storage.buckets.items():
        _bucket(template, config, key, bucket, access_logs)
    return StackTemplates(NAME, tag_resources(template, config))


def bucket_name(config: EnvironmentConfig, key: str) -> Sub:
    """Globally unique: the account and region make the same params deployable anywhere."""
    return Sub(f"{bucket_name_prefix(config, key)}-${{AWS::AccountId}}-${{AWS::Region}}")


def _access_log_bucket(template: Template, config: EnvironmentConfig) -> Bucket:
    """S3 delivers server access logs only to a bucket encrypted with SSE-S3, through its bucket policy."""
    bucket = template.add_resource(keep_on_delete(Bucket(
        "AccessLogsBucket",
        BucketName=bucket_name(config, ACCESS_LOGS_BUCKET),
        LifecycleConfiguration=LifecycleConfiguration(Rules=[
            _abort_multipart_rule(),
            LifecycleRule(Id="expire-access-logs", Status="Enabled",
                          ExpirationInDays=config.storage.access_logs_expire_after_days),
        ]),
        **_private_encrypted(),
    ), config))
    delivery = Statement(
        Sid="AllowServerAccessLogDelivery",
        Effect=Allow,
        Principal=Principal("Service", "logging.s3.amazonaws.com"),
        Action=[PutObject],
        Resource=[Join("", [GetAtt(bucket, "Arn"), "/*"])],
        Condition=Condition([
            StringEquals({"aws:SourceAccount": AccountId}),
            ArnLike({"aws:SourceArn": Sub(f"arn:${{AWS::Partition}}:s3:::{config.app}-{config.environment}-*")}),
        ]),
    )
    _bucket_policy(template, bucket, delivery)
    _bucket_exports(template, config, ACCESS_LOGS_BUCKET, bucket, "server access logs")
    return bucket


def _bucket(template: Template, config: EnvironmentConfig, key: str, settings: BucketConfig, access_logs: Bucket) -> None:
    bucket = Bucket(
        f"{pascal(key)}Bucket",
        BucketName=bucket_name(config, key),
        LoggingConfiguration=LoggingConfiguration(DestinationBucketName=Ref(access_logs), LogFilePrefix=f"{key}/"),
        LifecycleConfiguration=LifecycleConfiguration(Rules=_lifecycle_rules(settings)),
        **_private_encrypted(),
    )
    if settings.versioned:
        bucket.VersioningConfiguration = VersioningConfiguration(Status="Enabled")
    if settings.object_lock:
        bucket.ObjectLockEnabled = True
        bucket.ObjectLockConfiguration = ObjectLockConfiguration(
            ObjectLockEnabled="Enabled",
            Rule=ObjectLockRule(DefaultRetention=DefaultRetention(
                Mode=settings.object_lock.mode, Days=settings.object_lock.days,
            )),
        )
        # Locked versions cannot be deleted, so neither can the bucket: a stack delete must
        # leave it behind rather than fail on it.
        always_retain(bucket)
    else:
        keep_on_delete(bucket, config)
    template.add_resource(bucket)
    _bucket_policy(template, bucket)
    _bucket_exports(template, config, key, bucket, settings.purpose)


def _private_encrypted() -> dict:
    return {
        "BucketEncryption": BucketEncryption(ServerSideEncryptionConfiguration=[ServerSideEncryptionRule(
            ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
        )]),
        "PublicAccessBlockConfiguration": PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True,
        ),
        "OwnershipControls": OwnershipControls(Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
    }


def _lifecycle_rules(settings: BucketConfig) -> list[LifecycleRule]:
    rules = [_abort_multipart_rule()]
    if settings.expire_after_days is not None:
        rules.append(LifecycleRule(
            Id=f"expire-after-{settings.expire_after_days}-days", Status="Enabled",
            ExpirationInDays=settings.expire_after_days,
        ))
    if settings.infrequent_access_after_days is not None:
        rules.append(LifecycleRule(
            Id=f"infrequent-access-after-{settings.infrequent_access_after_days}-days", Status="Enabled",
            Transitions=[LifecycleRuleTransition(StorageClass="STANDARD_IA", TransitionInDays=settings.infrequent_access_after_days)],
        ))
    if settings.versioned:
        rules.append(LifecycleRule(
            Id="expire-old-versions", Status="Enabled", ExpiredObjectDeleteMarker=True,
            NoncurrentVersionExpiration=NoncurrentVersionExpiration(
                NoncurrentDays=settings.noncurrent_versions_expire_after_days,
            ),
        ))
    return rules


def _abort_multipart_rule() -> LifecycleRule:
    return LifecycleRule(
        Id="abort-incomplete-multipart-uploads", Status="Enabled",
        AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=ABORT_MULTIPART_AFTER_DAYS),
    )


def _bucket_policy(template: Template, bucket: Bucket, *extra: Statement) -> None:
    template.add_resource(BucketPolicy(
        f"{bucket.title}Policy",
        Bucket=Ref(bucket),
        PolicyDocument=document(deny_insecure_transport(GetAtt(bucket, "Arn")), *extra),
    ))


def _bucket_exports(template: Template, config: EnvironmentConfig, key: str, bucket: Bucket, purpose: str) -> None:
    export(template, config, f"{pascal(key)}BucketName", Ref(bucket), f"Bucket name: {purpose}")
    export(template, config, f"{pascal(key)}BucketArn", GetAtt(bucket, "Arn"), f"Bucket ARN: {purpose}")
