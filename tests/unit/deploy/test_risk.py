"""Pure unit: what a change set's changes put at risk (stackyard/deploy/risk.py): the guarded types come
from stackyard.cfn.STATEFUL_TYPES plus identity-bearing types, PolicyAction drops false positives,
Dynamic changes need review, an EC2 instance's replacement is downtime; and how a plan says it."""

from __future__ import annotations

import pytest

from stackyard.aws import ResourceChange
from stackyard.cfn import STATEFUL_TYPES
from stackyard.deploy.risk import GUARDED_TYPES, Risk, note, refusal_text, risk_of, risks_text


def test_the_deploy_guards_every_type_lint_rule_e9013_calls_stateful_and_the_ones_the_issue_names():
    assert STATEFUL_TYPES <= GUARDED_TYPES
    named = {
        "AWS::ECR::Repository",
        "AWS::Logs::LogGroup",
        "AWS::SSM::Parameter",
        "AWS::Cognito::UserPoolClient",
        "AWS::SecretsManager::Secret",
    }
    assert named <= GUARDED_TYPES


@pytest.mark.parametrize(
    ("change", "risk"),
    [
        (
            ResourceChange("Modify", "Repo", "AWS::ECR::Repository", "True", policy_action="ReplaceAndDelete"),
            Risk.LOSES_DATA,
        ),
        (ResourceChange("Modify", "Repo", "AWS::ECR::Repository", "True", policy_action="ReplaceAndRetain"), None),
        (ResourceChange("Modify", "Db", "AWS::RDS::DBCluster", "True", policy_action="ReplaceAndSnapshot"), None),
        (ResourceChange("Remove", "Logs", "AWS::Logs::LogGroup", "", policy_action="Delete"), Risk.LOSES_DATA),
        (ResourceChange("Remove", "Logs", "AWS::Logs::LogGroup", "", policy_action="Retain"), None),
        (ResourceChange("Modify", "Client", "AWS::Cognito::UserPoolClient", "Conditional"), Risk.LOSES_DATA),
        (ResourceChange("Modify", "Flag", "AWS::SSM::Parameter", "True"), Risk.LOSES_DATA),
        (ResourceChange("Dynamic", "Secret", "AWS::SecretsManager::Secret", ""), Risk.MAY_LOSE_DATA),
        (ResourceChange("Dynamic", "Role", "AWS::IAM::Role", ""), None),
        (ResourceChange("Modify", "AppServer", "AWS::EC2::Instance", "True"), Risk.DOWNTIME),
        (ResourceChange("Modify", "AppServer", "AWS::EC2::Instance", "False"), None),
        (ResourceChange("Remove", "Child", "AWS::CloudFormation::Stack", "", policy_action="Retain"), None),
        (ResourceChange("Remove", "Child", "AWS::CloudFormation::Stack", ""), Risk.LOSES_DATA),
        (ResourceChange("Modify", "Queue", "AWS::SQS::Queue", "False"), None),
    ],
)
def test_each_change_has_its_risk(change, risk):
    assert risk_of(change) is risk


def test_a_plan_groups_the_risks_and_a_refusal_says_what_the_change_would_do():
    changes = [
        ResourceChange("Modify", "Queue", "AWS::SQS::Queue", "True"),
        ResourceChange("Modify", "AppServer", "AWS::EC2::Instance", "True"),
        ResourceChange("Dynamic", "Bucket", "AWS::S3::Bucket", "", nested_in="Storage"),
    ]
    assert risks_text(changes) == (
        "LOSES DATA: Queue (AWS::SQS::Queue) replaced; DOWNTIME: AppServer (AWS::EC2::Instance) replaced; "
        "MAY LOSE DATA: Storage/Bucket (AWS::S3::Bucket) may be replaced (CloudFormation decides when it runs: Dynamic)"
    )
    assert refusal_text(changes[:2]) == (
        "lose data: Queue (AWS::SQS::Queue) replaced; cause downtime: AppServer (AWS::EC2::Instance) replaced"
    )


def test_the_change_table_says_what_is_kept():
    assert note(ResourceChange("Modify", "Q", "AWS::SQS::Queue", "True", policy_action="ReplaceAndRetain")) == (
        "kept (ReplaceAndRetain)"
    )
    assert note(ResourceChange("Modify", "Q", "AWS::SQS::Queue", "False")) == "stateful"
    assert note(ResourceChange("Modify", "R", "AWS::IAM::Role", "True")) == ""
