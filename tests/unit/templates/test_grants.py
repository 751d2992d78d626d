"""Pure unit: params grants and statements as IAM statements (templates/parts/grants.py), shared by
functions, roles, containers and the CI role."""

from __future__ import annotations

import pytest
from troposphere import encode_to_dict

from stackyard.config import Grant, PolicyStatement, load_configs
from templates.parts.grants import WildcardReasons, custom_statements, grant_statements
from tests.helpers import ROOT

BUCKET = "arn:${AWS::Partition}:s3:::plot-palette-test-data-${AWS::AccountId}-${AWS::Region}"


@pytest.fixture(scope="module")
def config():
    return load_configs(ROOT / "examples" / "plot-palette" / "params", ["test"])["test"]


def rendered(statements) -> list[dict]:
    return [encode_to_dict(statement) for statement in statements]


def test_listed_actions_split_between_the_objects_under_the_prefix_and_the_bucket(config):
    statements = rendered(
        grant_statements(
            config,
            [Grant(bucket="data", prefix="jobs/", actions=["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"])],
            WildcardReasons(),
        )
    )
    assert [(statement["Action"], statement.get("Condition")) for statement in statements] == [
        (["s3:GetObject"], None),
        (["s3:ListBucket"], {"StringLike": {"s3:prefix": "jobs/*"}}),  # listing under the prefix only
        (["s3:GetBucketLocation"], None),
    ]
    assert statements[0]["Resource"] == [{"Fn::Join": ["", [{"Fn::Sub": BUCKET}, "/jobs/*"]]}]
    assert statements[2]["Resource"] == [{"Fn::Sub": BUCKET}]


def test_a_wildcard_action_covers_both_the_bucket_and_its_objects_each_with_the_reason_params_give(config):
    reasons = WildcardReasons()
    why = "The importer replaces the bucket's lifecycle rules itself"
    [objects, bucket] = rendered(
        grant_statements(config, [Grant(bucket="data", actions=["s3:*"], reason=why)], reasons)
    )
    assert objects["Resource"] == [{"Fn::Join": ["", [{"Fn::Sub": BUCKET}, "/*"]]}]
    assert bucket["Resource"] == [{"Fn::Sub": BUCKET}]
    assert (objects["Sid"], bucket["Sid"]) == ("WrittenReason1", "WrittenReason2")
    assert reasons.metadata() == {"Stackyard": {"WildcardReasons": {"WrittenReason1": why, "WrittenReason2": why}}}


def test_a_service_wide_wildcard_without_a_reason_is_refused_by_params():
    with pytest.raises(ValueError, match=r"dynamodb:\* allows every action of the service.*expected .* a reason:"):
        Grant(table="jobs", actions=["dynamodb:*"])
    with pytest.raises(ValueError, match=r"sqs:\* allows every action"):
        PolicyStatement(actions=["sqs:*"], resources=["arn:aws:sqs:us-east-1:123456789012:jobs"])
    assert PolicyStatement(actions=["sqs:Send*"], resources=["arn:aws:sqs:us-east-1:123456789012:jobs"])


def test_statements_without_wildcards_need_no_reason_and_leave_no_metadata(config):
    reasons = WildcardReasons()
    [statement] = rendered(
        custom_statements(config, [PolicyStatement(actions=["ecs:RunTask"], resources=["*"])], reasons)
    )
    assert "Sid" not in statement and reasons.metadata() == {}


def test_statements_fill_in_the_environments_names_and_leave_aws_pseudo_parameters_to_cloudformation(config):
    [statement] = rendered(
        custom_statements(
            config,
            [
                PolicyStatement(
                    actions=["sqs:ReceiveMessage"],
                    resources=["arn:${AWS::Partition}:sqs:${AWS::Region}:*:${App}-${Env}-jobs"],
                )
            ],
            WildcardReasons(),
        )
    )
    assert statement["Resource"] == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:sqs:${AWS::Region}:*:${App}-${Env}-jobs",
                {"App": "plot-palette", "Env": "test"},
            ]
        }
    ]
