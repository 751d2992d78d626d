"""What a role may do, from params: grants on this environment's buckets and tables, plus
statements naming actions and resources outside it (Bedrock models, ECS, Cognito ...).

Buckets and tables are named by ARNs derived from their names rather than imported, so a role
can be granted a bucket whose stack deploys later (or that notifies the role's function)
without a cycle between stacks.

A service-wide wildcard ('s3:*') comes with the reason params give for it; the statement gets a Sid and
the role's Metadata.Stackyard.WildcardReasons the text under that Sid, where rule E9011 reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import awacs.dynamodb
import awacs.s3
from awacs.aws import Action, Allow, Condition, Statement, StringLike
from troposphere import Join, Sub

from stackyard.config import EnvironmentConfig, Grant, PolicyStatement, site_bucket
from stackyard.iam import WILDCARD_REASONS, service_wide_wildcards
from templates.names import bucket_arn, table_arn

READ_OBJECTS = [awacs.s3.GetObject, awacs.s3.GetObjectVersion]
WRITE_OBJECTS = [awacs.s3.PutObject, awacs.s3.DeleteObject, awacs.s3.AbortMultipartUpload]
READ_ITEMS = [
    awacs.dynamodb.GetItem,
    awacs.dynamodb.BatchGetItem,
    awacs.dynamodb.Query,
    awacs.dynamodb.Scan,
    awacs.dynamodb.ConditionCheckItem,
    awacs.dynamodb.DescribeTable,
]
LIST_BUCKET = "s3:ListBucket"
# S3 actions on objects whose names do not say "Object".
OBJECT_MULTIPART_ACTIONS = ("AbortMultipartUpload", "ListMultipartUploadParts")
WRITE_ITEMS = [
    awacs.dynamodb.PutItem,
    awacs.dynamodb.UpdateItem,
    awacs.dynamodb.DeleteItem,
    awacs.dynamodb.BatchWriteItem,
]


@dataclass
class WildcardReasons:
    """The reasons params give for service-wide wildcards in one policy, by the Sid of each statement."""

    by_sid: dict[str, str] = field(default_factory=dict)

    def explain(self, statements: list[Statement], reason: str | None) -> list[Statement]:
        """Give each statement allowing a whole service a Sid, under which its reason is kept."""
        for statement in statements:
            if reason is not None and service_wide_wildcards([action.JSONrepr() for action in statement.Action]):
                statement.Sid = f"WrittenReason{len(self.by_sid) + 1}"
                self.by_sid[statement.Sid] = reason
        return statements

    def metadata(self) -> dict:
        """The policy resource's Metadata; empty when params needed no reason."""
        return {"Stackyard": {WILDCARD_REASONS: dict(self.by_sid)}} if self.by_sid else {}


def grant_statements(config: EnvironmentConfig, grants: list[Grant], reasons: WildcardReasons) -> list[Statement]:
    return [statement for grant in grants for statement in reasons.explain(_grant(config, grant), grant.reason)]


def custom_statements(
    config: EnvironmentConfig, statements: list[PolicyStatement], reasons: WildcardReasons
) -> list[Statement]:
    """Params statements as awacs ones. Resources go through Fn::Sub, so ${AWS::Region} and the like
    resolve in the stack's own account and region, and ${App} and ${Env} to this environment's names:
    a wildcard under `<app>-${Env}-` cannot reach another environment's resources in a shared account."""
    return [
        explained
        for statement in statements
        for explained in reasons.explain(
            [_allow(statement.actions, [_resource(config, resource) for resource in statement.resources])],
            statement.reason,
        )
    ]


def _resource(config: EnvironmentConfig, resource: str):
    if resource == "*":
        return resource
    names = {
        name: value for name, value in (("App", config.app), ("Env", config.environment)) if f"${{{name}}}" in resource
    }
    return Sub(resource, **names)


def _grant(config: EnvironmentConfig, grant: Grant) -> list[Statement]:
    if grant.actions:
        return _listed_actions(config, grant)
    reads, writes = grant.access in ("read", "read_write"), grant.access in ("write", "read_write")
    if grant.table:
        arn = table_arn(config, grant.table)
        actions = (READ_ITEMS if reads else []) + (WRITE_ITEMS if writes else [])
        return [Statement(Effect=Allow, Action=actions, Resource=[arn, Join("", [arn, "/index/*"])])]
    arn = bucket_arn(config, grant.bucket)
    prefix = grant.prefix or ""
    statements = [
        Statement(
            Effect=Allow,
            Action=(READ_OBJECTS if reads else []) + (WRITE_OBJECTS if writes else []),
            Resource=[Join("", [arn, f"/{prefix}*"])],
        )
    ]
    if reads:
        listing = Statement(Effect=Allow, Action=[awacs.s3.ListBucket], Resource=[arn])
        if prefix:
            listing.Condition = Condition(StringLike({"s3:prefix": f"{prefix}*"}))
        statements.append(listing)
    return statements


def _listed_actions(config: EnvironmentConfig, grant: Grant) -> list[Statement]:
    """Exactly the actions listed: on the table and its indexes; or object actions on the objects
    (under the prefix) and bucket actions on the bucket, and a wildcard on both."""
    if grant.table:
        arn = table_arn(config, grant.table)
        return [_allow(grant.actions, [arn, Join("", [arn, "/index/*"])])]
    arn = bucket_arn(config, grant.bucket)
    on_objects = [action for action in grant.actions if _acts_on_objects(action)]
    on_bucket = [action for action in grant.actions if not _acts_on_objects(action) or "*" in action]
    statements = [_allow(on_objects, [Join("", [arn, f"/{grant.prefix or ''}*"])])] if on_objects else []
    if grant.prefix and LIST_BUCKET in on_bucket:
        # Listing under the prefix only, as the access levels grant it.
        on_bucket.remove(LIST_BUCKET)
        listing = _allow([LIST_BUCKET], [arn])
        listing.Condition = Condition(StringLike({"s3:prefix": f"{grant.prefix}*"}))
        statements.append(listing)
    return statements + ([_allow(on_bucket, [arn])] if on_bucket else [])


def _acts_on_objects(action: str) -> bool:
    name = action.split(":", 1)[1]
    return "Object" in name or name in OBJECT_MULTIPART_ACTIONS or "*" in name


def _allow(actions: list[str], resources: list) -> Statement:
    return Statement(Effect=Allow, Action=[Action(*action.split(":", 1)) for action in actions], Resource=resources)


def site_writers(config: EnvironmentConfig) -> list[str]:
    """The functions whose grants write the storage bucket CloudFront serves (edge.site_bucket): what they
    write is cached there, so the edge lets them invalidate its distribution (seed 004 §1.3, §1.5)."""
    site = site_bucket(config)
    if site is None or "functions" not in config.stacks:
        return []
    return [key for key, function in (config.functions or {}).items() if any(_writes(g, site) for g in function.grants)]


def _writes(grant: Grant, bucket: str) -> bool:
    if grant.bucket != bucket:
        return False
    if grant.access is not None:
        return grant.access in ("write", "read_write")
    return any(action in ("s3:*", "s3:PutObject", "s3:Put*") for action in grant.actions or [])
