"""How the fault matrix's CloudFormation adopts existing resources, as the User Guide describes
("Import AWS resources into a CloudFormation stack" and "... automatically"):

- an IMPORT change set (ResourcesToImport) adopts the resources it names: each must exist outside
  any stack and have a DeletionPolicy, and the template may hold nothing else (a new stack's) or
  add nothing else; its changes are Import actions; executing it ends IMPORT_COMPLETE;
- ImportExistingResources on a CREATE or UPDATE change set turns the Add of a resource that exists
  under a static name, with DeletionPolicy Retain or RetainExceptOnCreate, into an Import.

Mixed into FakeCloudFormation (tests/faults/fake_cloudformation.py).
"""

from __future__ import annotations

from typing import Any

from tests.faults.answers import aws_error
from tests.faults.fake_account import NAME_PROPERTIES
from tests.faults.fake_records import FakeChangeSet, FakeStack

KEEPING = ("Retain", "RetainExceptOnCreate")
IDENTIFIERS = {"AWS::SecretsManager::Secret": "Id", "AWS::SQS::Queue": "QueueUrl"}  # else the name property


class ImportPlay:
    def _imported(
        self, stack: FakeStack | None, template: dict[str, Any], to_import: list[dict[str, Any]]
    ) -> dict[str, str]:
        """An IMPORT change set's resources, checked as CloudFormation checks them: logical id -> physical id."""
        found = {}
        for item in to_import:
            logical, kind = item["LogicalResourceId"], item["ResourceType"]
            spec = template.get("Resources", {}).get(logical)
            if spec is None or spec["Type"] != kind or "DeletionPolicy" not in spec:
                raise aws_error(
                    "CreateChangeSet",
                    "ValidationError",
                    f"Resource {logical} to import must be in the template with a DeletionPolicy",
                )
            key = IDENTIFIERS.get(kind, NAME_PROPERTIES.get(kind, ""))
            identifier = item["ResourceIdentifier"].get(key, "")
            named = (
                self.cloud.named.lookup(kind, identifier)
                or (self.cloud.named.by_physical(kind, identifier) or ("", None))[1]
            )
            if named is None or named.owner:
                raise aws_error(
                    "CreateChangeSet",
                    "ValidationError",
                    f"Resources [{logical}] to import do not exist, or already belong to a stack",
                )
            found[logical] = named.physical
        extra = sorted(set(template.get("Resources", {})) - set(found) - set(stack.resources if stack else {}))
        if extra:
            raise aws_error(
                "CreateChangeSet",
                "ValidationError",
                f"As part of the import operation, you cannot add [{', '.join(extra)}]",
            )
        return found

    def _auto_imports(self, change_set: FakeChangeSet, values: dict[str, str]) -> None:
        """ImportExistingResources: each added resource that exists under a static name, kept, is imported."""
        for entry in change_set.changes:
            change = entry["ResourceChange"]
            spec = change_set.template["Resources"][change["LogicalResourceId"]]
            name = spec.get("Properties", {}).get(NAME_PROPERTIES.get(spec["Type"], ""))
            named = self.cloud.named.lookup(spec["Type"], name) if isinstance(name, str) else None
            if change["Action"] == "Add" and named and not named.owner and spec.get("DeletionPolicy") in KEEPING:
                change["Action"] = "Import"
                change_set.imports[change["LogicalResourceId"]] = named.physical

    def _import_changes(self, template: dict[str, Any], imports: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "Type": "Resource",
                "ResourceChange": {
                    "Action": "Import",
                    "LogicalResourceId": logical,
                    "ResourceType": template["Resources"][logical]["Type"],
                    "PhysicalResourceId": physical,
                },
            }
            for logical, physical in imports.items()
        ]
