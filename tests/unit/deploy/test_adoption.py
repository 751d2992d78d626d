"""Pure unit: what a create may adopt from an earlier delete (stackyard/deploy/adoption.py): which kept
resources ImportExistingResources takes by itself, which need an IMPORT change set, and that change
set's template and ResourcesToImport."""

from __future__ import annotations

from stackyard.aws import ChangeSetOptions
from stackyard.deploy.adoption import (
    Adoption,
    Candidate,
    auto_import_wanted,
    candidates,
    import_template,
    resources_to_import,
)

TEMPLATE = {
    "Resources": {
        "Static": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": "a-static"}},
        "Named": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"BucketName": {"Fn::Sub": "a-data-${AWS::AccountId}-${AWS::Region}"}, "Tags": []},
        },
        "Secret": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "Properties": {"Name": "/a/s"}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {"LogGroupName": "/a/l"}},
        "Deleted": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete", "Properties": {"BucketName": "a-gone"}},
        "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "Properties": {}},
        "Dynamic": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "Properties": {"BucketName": {"Fn::Sub": "a-${Env}"}},
        },
    }
}


def test_kept_named_resources_are_candidates_and_only_static_names_of_importable_types_adopt_themselves():
    found = candidates(TEMPLATE, "123456789012", "eu-west-1")
    assert found == [
        Candidate("Logs", "AWS::Logs::LogGroup", "/a/l", True),
        Candidate("Named", "AWS::S3::Bucket", "a-data-123456789012-eu-west-1", False),
        Candidate("Secret", "AWS::SecretsManager::Secret", "/a/s", False),
        Candidate("Static", "AWS::S3::Bucket", "a-static", True),
    ]  # not Deleted (not kept), Key (no name), Dynamic (a name from a parameter)


def test_an_import_change_set_holds_only_the_adopted_resources_by_name_and_their_identifiers():
    adoptions = [
        Adoption(Candidate("Named", "AWS::S3::Bucket", "a-data-1-r", False), "a-data-1-r"),
        Adoption(Candidate("Secret", "AWS::SecretsManager::Secret", "/a/s", False), "arn:secret:/a/s-x"),
    ]
    assert import_template(TEMPLATE, adoptions)["Resources"] == {
        "Named": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"BucketName": "a-data-1-r"},
        },
        "Secret": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "Properties": {"Name": "/a/s"}},
    }
    assert resources_to_import(adoptions) == [
        {
            "ResourceType": "AWS::S3::Bucket",
            "LogicalResourceId": "Named",
            "ResourceIdentifier": {"BucketName": "a-data-1-r"},
        },
        {
            "ResourceType": "AWS::SecretsManager::Secret",
            "LogicalResourceId": "Secret",
            "ResourceIdentifier": {"Id": "arn:secret:/a/s-x"},
        },
    ]


def test_import_existing_resources_is_asked_while_a_static_kept_name_is_not_in_the_stack_yet():
    assert auto_import_wanted(TEMPLATE, None)
    assert auto_import_wanted(TEMPLATE, {"Resources": {"Static": {}}})  # Logs is not held yet
    assert not auto_import_wanted(TEMPLATE, {"Resources": {"Static": {}, "Logs": {}}})


def test_change_set_options_become_create_change_set_arguments():
    options = ChangeSetOptions(import_existing=True, delete_on_failure=True)
    assert options.arguments("CREATE") == {
        "IncludeNestedStacks": True,
        "ImportExistingResources": True,
        "OnStackFailure": "DELETE",
    }
    assert options.arguments("UPDATE") == {"IncludeNestedStacks": True, "ImportExistingResources": True}
    assert ChangeSetOptions(resources_to_import=({"x": 1},)).arguments("IMPORT") == {"ResourcesToImport": [{"x": 1}]}
