"""Adopting what an earlier delete kept: the named resources a template keeps (DeletionPolicy Retain)
outlive `deploy.py delete`, and without adoption the next create fails on them ("already exists"),
rolls back and fails the same way on every run (docs/deploy.md, "Adopting what a delete kept").

CloudFormation offers two ways in, and a deploy uses each where it works (CloudFormation User
Guide, "Import AWS resources into a CloudFormation stack automatically" and "Resource type support"):

- ImportExistingResources on the change set imports, by itself, a resource that already exists
  under the name the template gives it, when that name is a static string, the resource has
  DeletionPolicy Retain or RetainExceptOnCreate, and the name is the type's primary identifier:
  log groups, ECR repositories, DynamoDB tables, buckets named by a plain string.
- An IMPORT change set (ResourcesToImport), made first, for the rest a deploy can identify: buckets
  whose name is built with Fn::Sub from the account and region (auto-import takes only static
  names), secrets and queues (their primary identifier, an ARN or a URL, is read-only, so it is
  looked up by name). Its template holds only the adopted resources with their names; the change
  set after it gives them their full properties and creates the rest.

A kept KMS key has no name, so a new key is made and the old one stays; a user pool's name need
not be unique, so a new pool is made too. Both are listed by a delete as kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stackyard.cfn import TEMPLATE_VERSION

KEEPING = ("Retain", "RetainExceptOnCreate")
PSEUDO = re.compile(r"\$\{(AWS::AccountId|AWS::Region|AWS::Partition|AWS::URLSuffix)\}")


@dataclass(frozen=True)
class Importable:
    name_property: str  # the property that names the resource in the template
    identifier: str  # the ResourceIdentifier key an IMPORT takes
    auto: bool  # ImportExistingResources can import it when its name is a static string


IMPORTABLE = {
    "AWS::S3::Bucket": Importable("BucketName", "BucketName", True),
    "AWS::Logs::LogGroup": Importable("LogGroupName", "LogGroupName", True),
    "AWS::ECR::Repository": Importable("RepositoryName", "RepositoryName", True),
    "AWS::DynamoDB::Table": Importable("TableName", "TableName", True),
    "AWS::SecretsManager::Secret": Importable("Name", "Id", False),  # Id: the ARN, read-only
    "AWS::SQS::Queue": Importable("QueueName", "QueueUrl", False),  # QueueUrl: read-only
}


@dataclass(frozen=True)
class Candidate:
    """A resource the template keeps under a name a deploy can work out: it may exist already."""

    logical_id: str
    resource_type: str
    name: str
    auto: bool  # ImportExistingResources adopts it; else an IMPORT change set must

    def __str__(self) -> str:
        return f"{self.logical_id} ({self.resource_type}) {self.name}"


@dataclass(frozen=True)
class Adoption:
    """A candidate found to exist, with the identifier an IMPORT change set takes."""

    candidate: Candidate
    identifier: str

    def __str__(self) -> str:
        return str(self.candidate)


def candidates(template: dict[str, Any], account: str, region: str, partition: str = "aws") -> list[Candidate]:
    """The resources the template keeps (DeletionPolicy Retain) under a name a deploy can resolve (pure)."""
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": partition, "AWS::URLSuffix": suffix}
    found = []
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        importable = IMPORTABLE.get(resource.get("Type", ""))
        if importable is None or resource.get("DeletionPolicy") not in KEEPING:
            continue
        name = resource.get("Properties", {}).get(importable.name_property)
        if isinstance(name, str):
            found.append(Candidate(logical_id, resource["Type"], name, importable.auto))
        elif isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str) and _only_pseudo(name["Fn::Sub"]):
            resolved = PSEUDO.sub(lambda match: pseudo[match.group(1)], name["Fn::Sub"])
            found.append(Candidate(logical_id, resource["Type"], resolved, False))
    return found


def import_template(template: dict[str, Any], adoptions: list[Adoption]) -> dict[str, Any]:
    """An IMPORT change set's template: only the adopted resources, each with its name and policies (the
    change set after the import gives them their full properties)."""
    resources = {}
    for adoption in adoptions:
        candidate = adoption.candidate
        source = template["Resources"][candidate.logical_id]
        policies = {key: source[key] for key in ("DeletionPolicy", "UpdateReplacePolicy") if key in source}
        name_property = IMPORTABLE[candidate.resource_type].name_property
        properties = {name_property: candidate.name}
        resources[candidate.logical_id] = {"Type": candidate.resource_type, **policies, "Properties": properties}
    return {"AWSTemplateFormatVersion": TEMPLATE_VERSION, "Resources": resources}


def resources_to_import(adoptions: list[Adoption]) -> list[dict[str, Any]]:
    return [
        {
            "ResourceType": adoption.candidate.resource_type,
            "LogicalResourceId": adoption.candidate.logical_id,
            "ResourceIdentifier": {IMPORTABLE[adoption.candidate.resource_type].identifier: adoption.identifier},
        }
        for adoption in adoptions
    ]


def auto_import_wanted(template: dict[str, Any], deployed_template: dict[str, Any] | None) -> bool:
    """Whether a change set should pass ImportExistingResources: the template keeps, under a static name, a
    resource the deployed stack does not hold yet (so it may exist from an earlier delete)."""
    held = set((deployed_template or {}).get("Resources", {}))
    return any(candidate.auto and candidate.logical_id not in held for candidate in candidates(template, "", ""))


def _only_pseudo(text: str) -> bool:
    return "${" in text and not re.search(
        r"\$\{(?!AWS::AccountId\}|AWS::Region\}|AWS::Partition\}|AWS::URLSuffix\})", text
    )
