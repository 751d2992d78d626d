"""params `storage`: the environment's S3 buckets, their lifecycle, notifications and CORS.

The check: every bucket's name fits S3's limit, and no key takes a bucket every environment has.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackyard.config.fields import BucketKey, Model, NonEmpty, matching
from stackyard.config.problems import problem_at
from stackyard.errors import ParamsProblem
from stackyard.params import SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

# An S3 bucket name is at most 63 characters; ours are <app>-<env>-<key>-<account id>-<region>.
BUCKET_NAME_MAX = 63
ACCOUNT_ID_LENGTH = 12
ACCESS_LOGS_BUCKET = "access-logs"
FRONTEND_BUCKET = "frontend"  # the SPA's assets, in the edge stack beside the distribution serving them
CDN_LOGS_BUCKET = "cdn-logs"  # CloudFront's access logs, in the edge stack: the one bucket with ACLs on
RESERVED_BUCKETS = (ACCESS_LOGS_BUCKET, FRONTEND_BUCKET, CDN_LOGS_BUCKET)

StorageClass = Literal["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
# The order S3 lets objects move in (its lifecycle "waterfall"), warmest first.
STORAGE_CLASS_ORDER = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
# S3 refuses transitions to the infrequent access classes before an object is 30 days old.
INFREQUENT_ACCESS_MIN_DAYS = 30


class Notification(Model):
    """Invoke a function when objects are created in the bucket (under `prefix`, ending in `suffix`)."""

    function: NonEmpty
    prefix: str | None = None
    suffix: str | None = None


class ObjectLock(Model):
    mode: Literal["COMPLIANCE", "GOVERNANCE"]
    days: int = Field(ge=1, le=36500)


class Transition(Model):
    storage_class: StorageClass
    after_days: int = Field(ge=0, le=36500)

    @model_validator(mode="after")
    def _old_enough_for_the_class(self) -> Transition:
        if self.storage_class.endswith("_IA") and self.after_days < INFREQUENT_ACCESS_MIN_DAYS:
            raise ValueError(
                f"{self.storage_class} needs objects at least {INFREQUENT_ACCESS_MIN_DAYS} days old; got "
                f"{self.after_days}. Expected after_days >= {INFREQUENT_ACCESS_MIN_DAYS}, or GLACIER_IR"
            )
        return self


class PrefixRule(Model):
    """Lifecycle of the objects under one prefix (or all objects): transitions, then expiry."""

    prefix: (
        Annotated[
            str, matching(r"[^*?]*", "a literal key prefix such as jobs/ (S3 lifecycle prefixes have no wildcards)")
        ]
        | None
    ) = None
    # Only objects carrying every one of these tags (and under the prefix): how a rule picks some objects of a
    # prefix, such as job outputs among a job's files (seed 003 task 2), which prefixes alone cannot.
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict
    )
    transitions: list[Transition] = Field(default_factory=list)
    noncurrent_transitions: list[Transition] = Field(default_factory=list)
    expire_after_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _does_something(self) -> PrefixRule:
        if not (self.transitions or self.noncurrent_transitions or self.expire_after_days):
            raise ValueError(
                "expected transitions, noncurrent_transitions or expire_after_days; a rule with none does nothing"
            )
        return self

    @field_validator("transitions", "noncurrent_transitions")
    @classmethod
    def _colder_and_later(cls, transitions: list[Transition]) -> list[Transition]:
        for before, after in itertools.pairwise(transitions):
            if (
                STORAGE_CLASS_ORDER.index(after.storage_class) <= STORAGE_CLASS_ORDER.index(before.storage_class)
                or after.after_days <= before.after_days
            ):
                raise ValueError(
                    f"{before.storage_class} after {before.after_days} days, then {after.storage_class} "
                    f"after {after.after_days}; S3 moves objects only to colder classes, later: "
                    f"expected the order {', '.join(STORAGE_CLASS_ORDER)} with rising days"
                )
        return transitions

    @field_validator("expire_after_days")
    @classmethod
    def _expiry_after_transitions(cls, days: int | None, info: ValidationInfo) -> int | None:
        last = max((transition.after_days for transition in info.data.get("transitions") or []), default=None)
        if days is not None and last is not None and days <= last:
            raise ValueError(
                f"got {days}, not after the last transition ({last} days); expected more days, or fewer transitions"
            )
        return days


class Cors(Model):
    """Browsers may call the bucket (presigned URLs) from these origins."""

    allowed_origins: list[
        Annotated[str, matching(r"\*|https?://[A-Za-z0-9.:*-]+", "'*' or an origin such as https://app.example.com")]
    ] = Field(min_length=1)
    allowed_methods: list[Literal["GET", "PUT", "POST", "DELETE", "HEAD"]] = Field(min_length=1)
    allowed_headers: list[NonEmpty] = Field(default_factory=lambda: ["*"])
    max_age_seconds: int = Field(default=3600, ge=0, le=86400)


RuleId = Annotated[str, matching(r"[a-z0-9][a-z0-9-]{0,62}", "a rule id such as archive-job-outputs")]


class Bucket(Model):
    purpose: NonEmpty
    versioned: bool
    expire_after_days: int | None = Field(default=None, ge=1)
    infrequent_access_after_days: int | None = Field(default=None, ge=30)
    # null: old versions are kept until a lifecycle rule moves or expires them.
    noncurrent_versions_expire_after_days: int | None = Field(default=30, ge=1)
    object_lock: ObjectLock | None = None
    notifications: list[Notification] = Field(default_factory=list)
    lifecycle_rules: dict[RuleId, PrefixRule] = Field(default_factory=dict)
    cors: Cors | None = None

    @field_validator("infrequent_access_after_days")
    @classmethod
    def _transition_before_expiry(cls, days: int | None, info: ValidationInfo) -> int | None:
        expire = info.data.get("expire_after_days")
        if days is not None and expire is not None and days >= expire:
            raise ValueError(f"got {days}, not before expire_after_days ({expire}); expected fewer days, or null")
        return days

    @field_validator("lifecycle_rules")
    @classmethod
    def _noncurrent_needs_versioning(cls, rules: dict[str, PrefixRule], info: ValidationInfo) -> dict[str, PrefixRule]:
        if info.data.get("versioned") is False and any(rule.noncurrent_transitions for rule in rules.values()):
            raise ValueError(
                "noncurrent_transitions move old versions, and this bucket keeps none; expected "
                "versioned: true, or no noncurrent_transitions"
            )
        return rules

    @field_validator("object_lock")
    @classmethod
    def _lock_needs_versioning(cls, lock: ObjectLock | None, info: ValidationInfo) -> ObjectLock | None:
        if lock is not None and info.data.get("versioned") is False:
            raise ValueError("Object Lock needs versioning; expected versioned: true on this bucket")
        return lock


class Storage(Model):
    buckets: dict[BucketKey, Bucket]  # may be empty: the access-log bucket alone, e.g. for a site-only edge
    access_logs_expire_after_days: int = Field(ge=1)


def bucket_name_prefix(config: EnvironmentConfig, key: str) -> str:
    return f"{config.app}-{config.environment}-{key}"


def validate_buckets(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """The longest bucket name fits in S3's 63 characters; the reserved keys stay free."""
    if config.storage is None:
        return []
    problems = []
    longest = max([*config.storage.buckets, *RESERVED_BUCKETS], key=len)
    length = len(bucket_name_prefix(config, longest)) + 1 + ACCOUNT_ID_LENGTH + 1 + len(config.region)
    if length > BUCKET_NAME_MAX:
        problems.append(
            problem_at(
                params,
                ("storage", "buckets", longest),
                f"bucket name {bucket_name_prefix(config, longest)}-<account id>-{config.region} would be "
                f"{length} characters; S3 allows {BUCKET_NAME_MAX}. Expected a shorter app name or bucket key",
            )
        )
    problems += [
        problem_at(
            params,
            ("storage", "buckets", reserved),
            f"'{reserved}' is a bucket every environment gets already ({', '.join(RESERVED_BUCKETS)}); "
            f"expected another key for this bucket",
        )
        for reserved in RESERVED_BUCKETS
        if reserved in config.storage.buckets
    ]
    return problems
