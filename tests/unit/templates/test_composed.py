"""Pure unit: tests/composed, a system no seed describes (ECS + Aurora + DynamoDB + an S3-triggered
Lambda + Google sign-in + a CI role + a service role), wires its components to each other.

tests/unit/templates/test_systems.py lints it; this module checks that each component reaches the others by the
names they export, and that deploy order follows."""

from __future__ import annotations

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.manifest import ParameterSource
from tests.helpers import ROOT, properties

SYSTEM = ROOT / "tests" / "composed"


@pytest.fixture(scope="module")
def build():
    return build_environment(load_configs(SYSTEM / "params")["prod"])


def document(build, stack):
    return build.stacks[stack].template.document


def test_deploy_order_follows_what_each_stack_takes_from_the_others(build):
    order = build.manifest().deploy_order
    before = {stack: set(build.manifest().stacks[stack].depends_on) for stack in order}
    assert before["containers"] == {"network", "alerts", "auth", "database", "edge"}
    assert before["storage"] == {"functions"}  # the bucket notifies the function, so the function comes first
    assert before["ci"] == {"edge"}
    assert all(order.index(dependency) < order.index(stack) for stack in order for dependency in before[stack])


def test_the_tasks_register_with_the_edges_ip_target_group_on_their_port(build):
    target_group = properties(document(build, "edge"), "AppTargetGroup")
    assert (target_group["TargetType"], target_group["Port"]) == ("ip", 9000)
    [balancer] = properties(document(build, "containers"), "Service")["LoadBalancers"]
    assert balancer["TargetGroupArn"] == {"Ref": "AppTargetGroupArn"}
    assert build.manifest().stacks["containers"].parameters["AppTargetGroupArn"] == ParameterSource(
        "edge", "AppTargetGroupArn"
    )


def test_the_tasks_read_aurora_and_the_cognito_client_secret_each_under_its_own_key(build):
    [policy] = properties(document(build, "containers"), "ExecutionRole")["Policies"]
    statements = {statement["Sid"]: statement["Resource"] for statement in policy["PolicyDocument"]["Statement"]}
    assert statements["DecryptDatabaseSecret"] == [{"Fn::ImportValue": "composed-prod-DatabaseKeyArn"}]
    assert statements["DecryptAuthClientSecret"] == [{"Fn::ImportValue": "composed-prod-CognitoClientSecretKeyArn"}]


def test_the_uploads_bucket_invokes_the_lambda_that_writes_the_table(build):
    [notification] = properties(document(build, "storage"), "UploadsBucket")["NotificationConfiguration"][
        "LambdaConfigurations"
    ]
    assert notification["Function"] == {"Fn::ImportValue": "composed-prod-ThumbnailerFunctionArn"}
    function = properties(document(build, "functions"), "ThumbnailerFunction")
    assert function["Environment"]["Variables"] == {"UPLOADS_TABLE": "composed-prod-uploads"}


def test_the_ci_role_trusts_the_accounts_existing_provider_from_both_branches(build):
    role = properties(document(build, "ci"), "DeployRole")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {
        "Federated": {
            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"
        }
    }
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:composed-org/composed:ref:refs/heads/main",
        "repo:composed-org/composed:ref:refs/heads/release",
    ]


def test_a_service_wide_wildcard_carries_its_written_reason_where_e9011_reads_it(build):
    role = build.stacks["roles"].template.document["Resources"]["BatchRole"]
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [wide] = [statement for statement in statements if statement["Action"] == ["sqs:*"]]
    assert role["Metadata"] == {
        "Stackyard": {
            "WildcardReasons": {wide["Sid"]: "Each run creates, fills, purges and deletes a scratch queue of its own"}
        }
    }
