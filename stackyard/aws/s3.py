"""S3 calls: the artifact bucket (uploads, the deploy lock), the buckets a delete empties, and what verify reads
of a bucket (its public access block and policy).

Every call names the account that must own the bucket (ExpectedBucketOwner), when it is known: a
bucket of the same name in another account (one the deploy's own was deleted and its name taken)
answers 403 instead of receiving the templates, the lock or a delete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from stackyard.aws.errors import MISSING_S3_KEY, AwsError, translated

PAGE = 1000  # ListObjectVersions returns and DeleteObjects takes at most 1,000 keys
# A conditional PUT that loses: the key exists (412), or another conditional write raced it (409).
WRITE_CONDITION_LOST = {"PreconditionFailed", "ConditionalRequestConflict"}
NOT_OURS = {"AccessDenied", "403"}
PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class S3:
    def __init__(self, client: Any, expected_owner: str = ""):
        self.client = client
        self.owner = {"ExpectedBucketOwner": expected_owner} if expected_owner else {}

    def bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket exists (and, with an expected owner, is that account's)."""
        try:
            with translated(f"checking bucket {bucket}"):
                self.client.head_bucket(Bucket=bucket, **self.owner)
            return True
        except AwsError as error:
            if error.code in MISSING_S3_KEY | {"NoSuchBucket"}:
                return False
            if self._maybe_not_ours(error):
                raise self._not_ours(bucket, error) from error
            raise

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with translated(f"checking s3://{bucket}/{key}"):
                self.client.head_object(Bucket=bucket, Key=key, **self.owner)
            return True
        except AwsError as error:
            if error.code in MISSING_S3_KEY:
                return False
            if self._maybe_not_ours(error):
                raise self._not_ours(bucket, error) from error
            raise

    def upload(self, bucket: str, key: str, body: bytes, content_type: str) -> bool:
        """Write a content-addressed object unless it is there (If-None-Match: *, which is all the CI plan
        role may write); False when it was there already (412, or a racing write's 409)."""
        try:
            with translated(f"uploading s3://{bucket}/{key}"):
                self.client.put_object(
                    Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*", **self.owner
                )
            return True
        except AwsError as error:
            if error.code in WRITE_CONDITION_LOST:
                return False
            if self._maybe_not_ours(error):
                raise self._not_ours(bucket, error) from error
            raise

    def write(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        """Write the object, replacing what the key held (the deploy record, written under the deploy lock)."""
        try:
            with translated(f"writing s3://{bucket}/{key}"):
                self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **self.owner)
        except AwsError as error:
            if self._maybe_not_ours(error):
                raise self._not_ours(bucket, error) from error
            raise

    def put_if_absent(self, bucket: str, key: str, body: bytes) -> bool:
        """Write the object only if no object has the key (If-None-Match: *); False when one does."""
        return self.upload(bucket, key, body, "application/json")

    def read(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""
        try:
            with translated(f"reading s3://{bucket}/{key}"):
                return bytes(self.client.get_object(Bucket=bucket, Key=key, **self.owner)["Body"].read())
        except AwsError as error:
            if error.code in MISSING_S3_KEY:
                return None
            if self._maybe_not_ours(error):
                raise self._not_ours(bucket, error) from error
            raise

    def delete(self, bucket: str, key: str) -> None:
        with translated(f"deleting s3://{bucket}/{key}"):
            self.client.delete_object(Bucket=bucket, Key=key, **self.owner)

    def keys(self, bucket: str, prefix: str) -> list[str]:
        with translated(f"listing s3://{bucket}/{prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **self.owner)
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def object_lock_enabled(self, bucket: str) -> bool:
        try:
            with translated(f"reading the Object Lock configuration of {bucket}"):
                configuration = self.client.get_object_lock_configuration(Bucket=bucket, **self.owner)
        except AwsError as error:
            if error.code in {"ObjectLockConfigurationNotFoundError", "NoSuchBucket"}:
                return False
            raise
        return configuration.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def count_versions(self, bucket: str, max_pages: int) -> tuple[int, bool]:
        """How many object versions and delete markers the bucket holds, reading at most `max_pages`
        pages; and whether that is all of them (0 and True for a bucket already gone)."""
        count, marker = 0, dict[str, str]()
        try:
            with translated(f"counting the objects of bucket {bucket}"):
                for _ in range(max_pages):
                    page = self.client.list_object_versions(Bucket=bucket, MaxKeys=PAGE, **marker, **self.owner)
                    count += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
                    if not page.get("IsTruncated"):
                        return count, True
                    marker = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        except AwsError as error:
            if error.code == "NoSuchBucket":
                return 0, True
            raise
        return count, False

    def empty(self, bucket: str, stop: Callable[[], bool] = lambda: False) -> int:
        """Delete every object version and delete marker until done or `stop()` says so; returns how
        many were deleted (0 when the bucket is already gone)."""
        try:
            with translated(f"emptying bucket {bucket}"):
                return self._empty(bucket, stop)
        except AwsError as error:
            if error.code != "NoSuchBucket":
                raise
        return 0

    def _empty(self, bucket: str, stop: Callable[[], bool]) -> int:
        # Always the first page again: paging on while deleting would skip what the markers shifted past.
        deleted = 0
        while not stop():
            page = self.client.list_object_versions(Bucket=bucket, MaxKeys=PAGE, **self.owner)
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for kind in ("Versions", "DeleteMarkers")
                for item in page.get(kind, [])
            ][:PAGE]
            if not keys:
                break
            result = self.client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True}, **self.owner)
            if result.get("Errors"):
                first = result["Errors"][0]
                raise AwsError(f"emptying bucket {bucket}: {first.get('Key')}: {first.get('Message')}")
            deleted += len(keys)
        return deleted

    def public_access_block(self, bucket: str) -> dict[str, bool]:
        """The bucket's four Block Public Access settings (all False when it has none)."""
        try:
            with translated(f"reading the public access block of bucket {bucket}"):
                found = self.client.get_public_access_block(Bucket=bucket, **self.owner)[
                    "PublicAccessBlockConfiguration"
                ]
        except AwsError as error:
            if error.code != "NoSuchPublicAccessBlockConfiguration":
                raise
            found = {}
        return {name: bool(found.get(name)) for name in PUBLIC_ACCESS_BLOCK}

    def policy(self, bucket: str) -> dict[str, Any] | None:
        """The bucket policy as a document; None when the bucket has none."""
        try:
            with translated(f"reading the policy of bucket {bucket}"):
                text = self.client.get_bucket_policy(Bucket=bucket, **self.owner)["Policy"]
        except AwsError as error:
            if error.code == "NoSuchBucketPolicy":
                return None
            raise
        return dict(json.loads(text))

    def _maybe_not_ours(self, error: AwsError) -> bool:
        """An AccessDenied with an expected owner may mean the bucket is another account's."""
        return bool(self.owner) and error.code in NOT_OURS

    def _not_ours(self, bucket: str, error: AwsError) -> AwsError:
        owner = self.owner["ExpectedBucketOwner"]
        return AwsError(
            f"{error}. Bucket {bucket} is not account {owner}'s (ExpectedBucketOwner), or this identity may not use "
            f"it. Fix: if the bucket was deleted and its name taken by another account, delete the stack that "
            f"named it (for the artifact bucket: stackyard-bootstrap in that region) and deploy again",
            error.code,
            error.aws_message,
        )
