"""Packaging a stack for deploy, as `aws cloudformation package` does.

Lambda packages are built and uploaded under `lambdas/<sha256>.zip`; each nested child is uploaded to the
artifact bucket under `templates/<sha256>.json` (skipped when that key is already there; the upload
itself is conditional, If-None-Match: *, which is all the CI plan role may write, and a 412 means a
run before put it there) and the parent's relative TemplateURL is rewritten to it, with the region's
partition's DNS suffix. The
parent goes inline when CloudFormation's TemplateBody limit allows, else it is uploaded too.
Files are checked against the manifest's hashes first, so a stale or edited build never deploys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard.aws import S3
from stackyard.aws.partitions import dns_suffix
from stackyard.cfn import ARTIFACT_BUCKET
from stackyard.deploy.lambda_package import LambdaSource, build_zip
from stackyard.manifest import StackEntry, read_verified

TEMPLATE_BODY_MAX_BYTES = 51_200
TEMPLATE_PREFIX = "templates"
LAMBDA_PREFIX = "lambdas"


@dataclass(frozen=True)
class PackagedStack:
    name: str
    template: dict[str, Any]  # as deployed: TemplateURLs point at the artifact bucket
    source: dict[str, str]  # {"TemplateBody": ...} or {"TemplateURL": ...}, for CreateChangeSet
    uploaded: int
    reused: int
    children: dict[str, dict[str, Any]] = field(default_factory=dict)  # nested stack logical id -> its template


def package(
    stack: str, entry: StackEntry, env_dir: Path, bucket: str | None, s3: S3 | None, region: str
) -> PackagedStack:
    """`entry` is the stack's manifest entry; bucket and s3 may be None for a stack without children."""
    parent = json.loads(read_verified(env_dir, entry.template, entry.sha256))
    uploaded = reused = 0
    children = {}
    for logical_id, child in entry.nested.items():
        if bucket is None or s3 is None:
            raise ValueError(f"stack {stack} has nested stacks but no artifact bucket was given")
        child_body = read_verified(env_dir, child.template, child.sha256)
        children[logical_id] = json.loads(child_body)
        key = f"{TEMPLATE_PREFIX}/{child.sha256}.json"
        if s3.exists(bucket, key) or not s3.upload(bucket, key, child_body, "application/json"):
            reused += 1
        else:
            uploaded += 1
        parent["Resources"][logical_id]["Properties"]["TemplateURL"] = object_url(bucket, region, key)
    body = json.dumps(parent, sort_keys=True, separators=(",", ":"))
    if len(body.encode()) <= TEMPLATE_BODY_MAX_BYTES:
        return PackagedStack(stack, parent, {"TemplateBody": body}, uploaded, reused, children)
    if bucket is None or s3 is None:
        raise ValueError(f"stack {stack} is over {TEMPLATE_BODY_MAX_BYTES:,} bytes but no artifact bucket was given")
    key = f"{TEMPLATE_PREFIX}/{hashlib.sha256(body.encode()).hexdigest()}.json"
    if not s3.exists(bucket, key) and s3.upload(bucket, key, body.encode(), "application/json"):
        uploaded += 1
    return PackagedStack(stack, parent, {"TemplateURL": object_url(bucket, region, key)}, uploaded, reused, children)


def package_lambdas(entry: StackEntry, project_dir: Path, cache_dir: Path, bucket: str, s3: S3) -> dict[str, str]:
    """Each Lambda package of the stack built, uploaded under `lambdas/<sha256>.zip` unless already
    there; returns the stack parameters that point at them (and at the bucket)."""
    values = {}
    for parameter, code in entry.packages.items():
        source = LambdaSource(
            project_dir / code.folder,
            {name: project_dir / folder for name, folder in code.include.items()},
            code.runtime,
            code.architecture,
        )
        body = build_zip(source, cache_dir)
        key = f"{LAMBDA_PREFIX}/{hashlib.sha256(body).hexdigest()}.zip"
        if not s3.exists(bucket, key):
            s3.upload(bucket, key, body, "application/zip")
        values[parameter] = key
    if values:
        values[ARTIFACT_BUCKET] = bucket
    return values


def needs_bucket(entry: StackEntry, env_dir: Path) -> bool:
    """Whether deploying this stack uploads anything: nested children, Lambda packages, or a parent
    over the inline limit."""
    return (
        bool(entry.nested)
        or bool(entry.packages)
        or (env_dir / entry.template).stat().st_size > TEMPLATE_BODY_MAX_BYTES
    )


def object_url(bucket: str, region: str, key: str) -> str:
    """The object's virtual-hosted URL, with the region's partition's DNS suffix (amazonaws.com.cn in China)."""
    return f"https://{bucket}.s3.{region}.{dns_suffix(region)}/{key}"
