"""Pure unit: seed 004 (the Goldsport scheduler) as examples/goldsport-scheduler, fact by section."""

from __future__ import annotations

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from tests.conftest import ROOT, picked, properties, resources

SYSTEM = ROOT / "examples" / "goldsport-scheduler"
ENVS = ("dev", "prod")


@pytest.fixture(scope="module")
def builds():
    return {env: build_environment(config) for env, config in load_configs(SYSTEM / "params").items()}


def document(builds, env, stack):
    return builds[env].stacks[stack].template.document


@pytest.mark.parametrize("env", ENVS)
def test_the_system_is_its_buckets_table_and_function_and_nothing_else(builds, env):
    assert list(builds[env].stacks) == ["tables", "functions", "storage"]  # storage after the function it notifies


@pytest.mark.parametrize("env", ENVS)
def test_1_2_the_input_bucket_is_unversioned_and_retained(builds, env):
    resource = document(builds, env, "storage")["Resources"]["InputBucket"]
    assert "VersioningConfiguration" not in resource["Properties"]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert resource["Properties"]["BucketName"] == {
        "Fn::Sub": f"goldsport-scheduler-{env}-input-${{AWS::AccountId}}-${{AWS::Region}}"}


@pytest.mark.parametrize("env", ENVS)
def test_1_4_the_data_table_is_on_demand_with_pk_and_sk_retained(builds, env):
    table = document(builds, env, "tables")["Resources"]["DataTable"]
    assert picked(table["Properties"], "TableName", "BillingMode", "KeySchema") == {
        "TableName": f"goldsport-scheduler-{env}-data", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]}
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert (table["DeletionPolicy"], table["Properties"]["DeletionProtectionEnabled"]) == ("Retain", True)


@pytest.mark.parametrize("env", ENVS)
def test_1_5_the_processor_runs_python_3_11_for_5_minutes_with_512_mb_and_its_environment(builds, env):
    function = properties(document(builds, env, "functions"), "ProcessorFunction")
    assert picked(function, "FunctionName", "Runtime", "Handler", "Timeout", "MemorySize") == {
        "FunctionName": f"goldsport-scheduler-{env}-processor", "Runtime": "python3.11", "Handler": "handler.main",
        "Timeout": 300, "MemorySize": 512}
    assert function["Environment"]["Variables"] == {
        "DATA_TABLE": f"goldsport-scheduler-{env}-data",
        "WEBSITE_BUCKET": {"Fn::Sub": f"goldsport-scheduler-{env}-web-${{AWS::AccountId}}-${{AWS::Region}}"}}
    assert builds[env].manifest()["stacks"]["functions"]["packages"] == {
        "ProcessorCode": {"folder": "lambdas/processor", "include": {}}}


def test_1_5_the_processor_reads_input_writes_the_website_and_the_table_and_nothing_more(builds):
    [policy] = properties(document(builds, "dev", "functions"), "ProcessorRole")["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    granted = {(action, json_resource(resource)) for statement in statements for action in statement["Action"]
               for resource in statement["Resource"]}
    def bucket(key):
        return f"arn:${{AWS::Partition}}:s3:::goldsport-scheduler-dev-{key}-${{AWS::AccountId}}-${{AWS::Region}}/*"

    assert ("s3:GetObject", bucket("input")) in granted
    assert ("s3:PutObject", bucket("input")) not in granted
    assert ("s3:PutObject", bucket("web")) in granted
    assert ("s3:GetObject", bucket("web")) in granted
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/goldsport-scheduler-dev-data"
    assert ("dynamodb:PutItem", table) in granted and ("dynamodb:Query", table) in granted
    assert not [action for action, _ in granted if action.endswith(":*") or action == "*"]


def json_resource(resource) -> str:
    """A policy resource as text: plain, Fn::Sub, Fn::GetAtt, or Fn::Join of those."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    if "Fn::GetAtt" in resource:
        return "GetAtt:" + ".".join(resource["Fn::GetAtt"])
    return "".join(json_resource(part) for part in resource["Fn::Join"][1])


@pytest.mark.parametrize("env", ENVS)
def test_1_6_uploads_under_orders_and_instructors_invoke_the_processor(builds, env):
    storage = document(builds, env, "storage")
    configurations = properties(storage, "InputBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    assert [(item["Event"], item["Filter"]["S3Key"]["Rules"], item["Function"]) for item in configurations] == [
        ("s3:ObjectCreated:*", [{"Name": "prefix", "Value": prefix}],
         {"Fn::ImportValue": f"goldsport-scheduler-{env}-ProcessorFunctionArn"})
        for prefix in ("orders/", "instructors/")]
    [permission] = resources(document(builds, env, "functions"), "AWS::Lambda::Permission").values()
    assert picked(permission["Properties"], "Principal", "SourceArn", "SourceAccount") == {
        "Principal": "s3.amazonaws.com",
        "SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::goldsport-scheduler-{env}-input-"
                                 f"${{AWS::AccountId}}-${{AWS::Region}}"},
        "SourceAccount": {"Ref": "AWS::AccountId"}}


def test_the_processor_source_is_a_real_handler(builds):
    source = (SYSTEM / "lambdas" / "processor" / "handler.py").read_text()
    assert "def main(event, context)" in source
