"""Packaging a stack for deploy, as `aws cloudformation package` does, in two steps.

`package` computes the packaged stack without calling AWS: each nested child goes under
`templates/<sha256>.json` in the artifact bucket and the parent's relative TemplateURL is rewritten to
it, with the region's partition's DNS suffix; the parent goes inline when CloudFormation's TemplateBody
limit allows, else under its own content-addressed key; Lambda packages are built and named
`lambdas/<sha256>.zip` (`package_lambdas`). Only the bucket's name is needed, so assessing a stack
reads nothing from S3. What the change set will fetch is listed as `Upload`s, and `upload` writes them
only when a change set is about to be made (stackyard/deploy/planner.py, `propose`): an unchanged
stack uploads nothing. Each upload is skipped when the key is already there, and is itself conditional
(If-None-Match: *, which is all the CI plan role may write; a 412 means a run before put it there).
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
class Upload:
    """A content-addressed object a change set needs in the artifact bucket."""

    bucket: str
    key: str
    body: bytes = field(repr=False)
    content_type: str


@dataclass(frozen=True)
class PackagedStack:
    name: str
    template: dict[str, Any]  # as deployed: TemplateURLs point at the artifact bucket
    source: dict[str, str]  # {"TemplateBody": ...} or {"TemplateURL": ...}, for CreateChangeSet
    uploads: tuple[Upload, ...] = ()  # what CreateChangeSet will fetch, uploaded by `upload` first
    children: dict[str, dict[str, Any]] = field(default_factory=dict)  # nested stack logical id -> its template


@dataclass(frozen=True)
class Uploaded:
    uploaded: int
    reused: int


def package(stack: str, entry: StackEntry, env_dir: Path, bucket: str | None, region: str) -> PackagedStack:
    """`entry` is the stack's manifest entry; bucket may be None for a stack without children. Calls no AWS."""
    parent = json.loads(read_verified(env_dir, entry.template, entry.sha256))
    uploads = []
    children = {}
    for logical_id, child in entry.nested.items():
        if bucket is None:
            raise ValueError(f"stack {stack} has nested stacks but no artifact bucket was given")
        child_body = read_verified(env_dir, child.template, child.sha256)
        children[logical_id] = json.loads(child_body)
        key = f"{TEMPLATE_PREFIX}/{child.sha256}.json"
        uploads.append(Upload(bucket, key, child_body, "application/json"))
        parent["Resources"][logical_id]["Properties"]["TemplateURL"] = object_url(bucket, region, key)
    body = json.dumps(parent, sort_keys=True, separators=(",", ":"))
    if len(body.encode()) <= TEMPLATE_BODY_MAX_BYTES:
        return PackagedStack(stack, parent, {"TemplateBody": body}, tuple(uploads), children)
    if bucket is None:
        raise ValueError(f"stack {stack} is over {TEMPLATE_BODY_MAX_BYTES:,} bytes but no artifact bucket was given")
    key = f"{TEMPLATE_PREFIX}/{hashlib.sha256(body.encode()).hexdigest()}.json"
    uploads.append(Upload(bucket, key, body.encode(), "application/json"))
    return PackagedStack(stack, parent, {"TemplateURL": object_url(bucket, region, key)}, tuple(uploads), children)


def package_lambdas(
    entry: StackEntry, project_dir: Path, cache_dir: Path, bucket: str
) -> tuple[dict[str, str], tuple[Upload, ...]]:
    """Each Lambda package of the stack built and named `lambdas/<sha256>.zip`: the stack parameters that
    point at them (and at the bucket), and the uploads they need. Calls no AWS."""
    values = {}
    uploads = []
    for parameter, code in entry.packages.items():
        source = LambdaSource(
            project_dir / code.folder,
            {name: project_dir / folder for name, folder in code.include.items()},
            code.runtime,
            code.architecture,
        )
        body = build_zip(source, cache_dir)
        key = f"{LAMBDA_PREFIX}/{hashlib.sha256(body).hexdigest()}.zip"
        uploads.append(Upload(bucket, key, body, "application/zip"))
        values[parameter] = key
    if values:
        values[ARTIFACT_BUCKET] = bucket
    return values, tuple(uploads)


def upload(s3: S3, uploads: tuple[Upload, ...]) -> Uploaded:
    """Put each object in the bucket unless it is there already (HeadObject, then a conditional PutObject)."""
    uploaded = reused = 0
    for each in uploads:
        if s3.exists(each.bucket, each.key) or not s3.upload(each.bucket, each.key, each.body, each.content_type):
            reused += 1
        else:
            uploaded += 1
    return Uploaded(uploaded, reused)


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
