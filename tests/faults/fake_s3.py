"""The fault matrix's S3: buckets of object versions and delete markers, conditional writes, Object Lock.

Answers as S3 does (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
a PUT with If-None-Match: * fails 412 PreconditionFailed when the key exists, 409
ConditionalRequestConflict when another conditional write races it.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.faults.answers import ACCOUNT, aws_error

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud


@dataclass
class Version:
    key: str
    version_id: str
    body: bytes = b""
    marker: bool = False


@dataclass
class FakeBucket:
    name: str
    versioned: bool = True
    object_lock: bool = False
    versions: list[Version] = field(default_factory=list)
    owner: str = ACCOUNT

    def current(self, key: str) -> Version | None:
        for version in reversed(self.versions):
            if version.key == key:
                return None if version.marker else version
        return None


class FakeS3:
    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud
        self.buckets: dict[str, FakeBucket] = {}
        self._ids = itertools.count(1)

    # --- what scenarios and the fake CloudFormation use ---------------------------------------

    def make_bucket(self, name: str, versioned: bool = True, object_lock: bool = False) -> FakeBucket:
        return self.buckets.setdefault(name, FakeBucket(name, versioned, object_lock))

    def fill(self, bucket: str, count: int, prefix: str = "data/") -> None:
        for index in range(count):
            self._put(self.buckets[bucket], f"{prefix}{index}", b"x")

    def count(self, bucket: str) -> int:
        return len(self.buckets[bucket].versions) if bucket in self.buckets else 0

    def body(self, bucket: str, key: str) -> bytes | None:
        found = self.buckets[bucket].current(key) if bucket in self.buckets else None
        return found.body if found else None

    # --- the S3 API ------------------------------------------------------------------------------

    def head_bucket(self, Bucket: str, ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        if Bucket not in self.buckets:
            raise aws_error("HeadBucket", "404", "Not Found", 404)
        self._bucket("HeadBucket", Bucket, ExpectedBucketOwner)
        return {}

    def head_object(self, Bucket: str, Key: str, ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        if self._bucket("HeadObject", Bucket, ExpectedBucketOwner).current(Key) is None:
            raise aws_error("HeadObject", "404", "Not Found", 404)
        return {"ContentLength": 1}

    def put_object(
        self, Bucket: str, Key: str, Body: bytes = b"", IfNoneMatch: str = "", ExpectedBucketOwner: str = "", **_: Any
    ) -> dict[str, Any]:
        bucket = self._bucket("PutObject", Bucket, ExpectedBucketOwner)
        if IfNoneMatch == "*":
            if self.cloud.faults.lock_write_conflict:
                self.cloud.faults.lock_write_conflict = False
                raise aws_error(
                    "PutObject", "ConditionalRequestConflict", "A conflicting operation is in progress", 409
                )
            if bucket.current(Key) is not None:
                raise aws_error(
                    "PutObject",
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    412,
                )
        version = self._put(bucket, Key, bytes(Body))
        return {"ETag": '"etag"', "VersionId": version.version_id}

    def get_object(self, Bucket: str, Key: str, ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        found = self._bucket("GetObject", Bucket, ExpectedBucketOwner).current(Key)
        if found is None:
            raise aws_error("GetObject", "NoSuchKey", "The specified key does not exist.", 404)
        return {"Body": io.BytesIO(found.body)}

    def delete_object(self, Bucket: str, Key: str, ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        bucket = self._bucket("DeleteObject", Bucket, ExpectedBucketOwner)
        if bucket.versioned:
            bucket.versions.append(Version(Key, f"v{next(self._ids)}", marker=True))
        else:
            bucket.versions = [version for version in bucket.versions if version.key != Key]
        return {}

    def list_objects_v2(self, Bucket: str, Prefix: str = "", ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        bucket = self._bucket("ListObjectsV2", Bucket, ExpectedBucketOwner)
        keys = sorted({version.key for version in bucket.versions if version.key.startswith(Prefix)})
        contents = [{"Key": key, "Size": 1} for key in keys if bucket.current(key) is not None]
        return {"Contents": contents, "KeyCount": len(contents), "IsTruncated": False}

    def list_object_versions(
        self,
        Bucket: str,
        MaxKeys: int = 1000,
        KeyMarker: str = "",
        VersionIdMarker: str = "",
        ExpectedBucketOwner: str = "",
        **_: Any,
    ) -> dict[str, Any]:
        ordered = self._bucket("ListObjectVersions", Bucket, ExpectedBucketOwner).versions
        start = 0
        if KeyMarker:
            start = next(i + 1 for i, v in enumerate(ordered) if (v.key, v.version_id) == (KeyMarker, VersionIdMarker))
        page, rest = ordered[start : start + MaxKeys], ordered[start + MaxKeys :]
        answer: dict[str, Any] = {
            "Versions": [{"Key": v.key, "VersionId": v.version_id, "IsLatest": False} for v in page if not v.marker],
            "DeleteMarkers": [{"Key": v.key, "VersionId": v.version_id, "IsLatest": False} for v in page if v.marker],
            "IsTruncated": bool(rest),
        }
        if rest:
            answer |= {"NextKeyMarker": page[-1].key, "NextVersionIdMarker": page[-1].version_id}
        return answer

    def delete_objects(
        self, Bucket: str, Delete: dict[str, Any], ExpectedBucketOwner: str = "", **_: Any
    ) -> dict[str, Any]:
        bucket = self._bucket("DeleteObjects", Bucket, ExpectedBucketOwner)
        doomed = {(item["Key"], item.get("VersionId")) for item in Delete["Objects"]}
        bucket.versions = [v for v in bucket.versions if (v.key, v.version_id) not in doomed]
        return {"Deleted": [{"Key": key, "VersionId": version} for key, version in sorted(doomed)]}

    def get_object_lock_configuration(self, Bucket: str, ExpectedBucketOwner: str = "", **_: Any) -> dict[str, Any]:
        if not self._bucket("GetObjectLockConfiguration", Bucket, ExpectedBucketOwner).object_lock:
            raise aws_error(
                "GetObjectLockConfiguration",
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
                404,
            )
        return {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}

    def _bucket(self, operation: str, name: str, expected_owner: str = "") -> FakeBucket:
        if name not in self.buckets:
            raise aws_error(operation, "NoSuchBucket", "The specified bucket does not exist", 404)
        if expected_owner and expected_owner != self.buckets[name].owner:  # ExpectedBucketOwner: 403
            raise aws_error(operation, "AccessDenied", "Access Denied", 403)
        return self.buckets[name]

    def _put(self, bucket: FakeBucket, key: str, body: bytes) -> Version:
        version = Version(key, f"v{next(self._ids)}", body)
        if not bucket.versioned:
            bucket.versions = [existing for existing in bucket.versions if existing.key != key]
        bucket.versions.append(version)
        return version
