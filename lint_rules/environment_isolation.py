"""E9009: a template's exports, imports and physical names belong to its own environment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# resource type -> path of each property holding an explicit physical name
PHYSICAL_NAMES: dict[str, list[tuple[str, ...]]] = {
    "AWS::S3::Bucket": [("BucketName",)],
    "AWS::SQS::Queue": [("QueueName",)],
    "AWS::SNS::Topic": [("TopicName",)],
    "AWS::Logs::LogGroup": [("LogGroupName",)],
    "AWS::Logs::MetricFilter": [("FilterName",)],
    "AWS::SecretsManager::Secret": [("Name",)],
    "AWS::SecretsManager::RotationSchedule": [("HostedRotationLambda", "RotationLambdaName")],
    "AWS::RDS::DBCluster": [("DBClusterIdentifier",)],
    "AWS::RDS::DBInstance": [("DBInstanceIdentifier",)],
    "AWS::RDS::DBSubnetGroup": [("DBSubnetGroupName",)],
    "AWS::RDS::DBClusterParameterGroup": [("DBClusterParameterGroupName",)],
    "AWS::RDS::DBParameterGroup": [("DBParameterGroupName",)],
    "AWS::Cognito::UserPool": [("UserPoolName",)],
    "AWS::Cognito::UserPoolClient": [("ClientName",)],
    "AWS::Cognito::UserPoolDomain": [("Domain",)],
    "AWS::Cognito::IdentityPool": [("IdentityPoolName",)],
    "AWS::IAM::Role": [("RoleName",)],
    "AWS::IAM::ManagedPolicy": [("ManagedPolicyName",)],
    "AWS::IAM::InstanceProfile": [("InstanceProfileName",)],
    "AWS::KMS::Alias": [("AliasName",)],
    "AWS::ElasticLoadBalancingV2::LoadBalancer": [("Name",)],
    "AWS::ElasticLoadBalancingV2::TargetGroup": [("Name",)],
    "AWS::WAFv2::WebACL": [("Name",)],
    "AWS::WAFv2::IPSet": [("Name",)],
    "AWS::WAFv2::RuleGroup": [("Name",)],
    "AWS::CloudWatch::Dashboard": [("DashboardName",)],
    "AWS::CloudWatch::Alarm": [("AlarmName",)],
    "AWS::CloudWatch::CompositeAlarm": [("AlarmName",)],
    "AWS::Lambda::Function": [("FunctionName",)],
    "AWS::Lambda::LayerVersion": [("LayerName",)],
    "AWS::DynamoDB::Table": [("TableName",)],
    "AWS::DynamoDB::GlobalTable": [("TableName",)],
    "AWS::ECS::Cluster": [("ClusterName",)],
    "AWS::ECS::Service": [("ServiceName",)],
    "AWS::ECS::TaskDefinition": [("Family",)],
    "AWS::ECR::Repository": [("RepositoryName",)],
    "AWS::EC2::SecurityGroup": [("GroupName",)],
    "AWS::Events::Rule": [("Name",)],
    "AWS::Events::EventBus": [("Name",)],
    "AWS::StepFunctions::StateMachine": [("StateMachineName",)],
    "AWS::SSM::Parameter": [("Name",)],
    "AWS::Kinesis::Stream": [("Name",)],
    "AWS::CloudFront::Function": [("Name",)],
    "AWS::CloudFront::CachePolicy": [("CachePolicyConfig", "Name")],
    "AWS::CloudFront::OriginRequestPolicy": [("OriginRequestPolicyConfig", "Name")],
    "AWS::CloudFront::ResponseHeadersPolicy": [("ResponseHeadersPolicyConfig", "Name")],
    "AWS::CloudFront::OriginAccessControl": [("OriginAccessControlConfig", "Name")],
}
SUB_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
# what separates words in a name: - / _ . and, for names written as prose (AlarmName), whitespace
DELIMITER = r"[-/_.\s]"


class EnvironmentIsolation(CloudFormationLintRule):
    id = "E9009"
    shortdesc = "Exports, imports and physical names belong to the template's environment"
    description = (
        "Seed 001 Property 1 (Environment Isolation): Metadata.Stackyard names the application and "
        "environment; every Export name and literal Fn::ImportValue starts with <app>-<env>-; every explicit "
        "physical name given as a literal or Fn::Sub string (BucketName, QueueName, LogGroupName, "
        "DBClusterIdentifier, RoleName, AliasName, ...) contains the environment as a whole token "
        "(delimited by - / _ . whitespace or the ends of the name)."
    )
    source_url = "docs/rules.md#e9009"
    tags = ["stackyard", "environment", "naming"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        metadata = facts.stackyard_metadata(cfn.template)
        if metadata is None:
            return [
                RuleMatch(
                    ["Metadata"],
                    "Template: Metadata.Stackyard with Application and Environment is missing, so nothing ties it "
                    "to an environment. Fix: generate it with Stackyard (templates/parts/common.py sets it).",
                )
            ]
        prefix = f"{metadata['Application']}-{metadata['Environment']}-"
        return [*_exports(cfn, prefix), *_imports(cfn, prefix), *_physical_names(cfn, metadata["Environment"])]


def _exports(cfn: Template, prefix: str) -> Iterator[RuleMatch]:
    outputs = cfn.template.get("Outputs")
    for name, output in outputs.items() if isinstance(outputs, dict) else []:
        export = output.get("Export") if isinstance(output, dict) else None
        text = facts.name_text(export.get("Name")) if isinstance(export, dict) else None
        if text is not None and not text.startswith(prefix):
            yield RuleMatch(
                ["Outputs", name, "Export", "Name"],
                f"Output {name}: export name {text!r} does not start with {prefix!r}, so another environment "
                f"could import it. Fix: name it {prefix}{name}.",
            )


def _imports(cfn: Template, prefix: str) -> Iterator[RuleMatch]:
    for path in cfn.search_deep_keys("Fn::ImportValue"):
        text = facts.name_text(path[-1])
        if text is not None and not text.startswith(prefix):
            yield RuleMatch(
                path[:-1],
                f"{_subject(path)}: imports {text!r}, which is not an export of {prefix}*; a stack must read only "
                f"its own environment's exports. Fix: import {prefix}<Name>.",
            )


def _subject(path: list[Any]) -> str:
    """`Resource X` / `Output X` for a path into a resource or output; the section otherwise."""
    section = {"Resources": "Resource", "Outputs": "Output"}.get(path[0], str(path[0]))
    return f"{section} {path[1]}" if path[0] in ("Resources", "Outputs") and len(path) > 3 else section


def _physical_names(cfn: Template, environment: str) -> Iterator[RuleMatch]:
    token = re.compile(rf"(^|{DELIMITER}){re.escape(environment)}($|{DELIMITER})", re.IGNORECASE)
    for name, resource in cfn.get_resources(list(PHYSICAL_NAMES)).items():
        for keys in PHYSICAL_NAMES[resource["Type"]]:
            text = facts.name_text(_dig(facts.properties(resource), keys))
            # a placeholder's value is unknown, so it never supplies the environment token
            if text is not None and not token.search(SUB_PLACEHOLDER.sub("\0", text)):
                yield RuleMatch(
                    ["Resources", name, "Properties", *keys],
                    f"Resource {name}: physical name {text!r} ({'.'.join(keys)}) does not name the environment "
                    f"{environment!r} as a whole word, so it could collide with another environment's. "
                    f"Fix: include it, e.g. '<app>-{environment}-...'.",
                )


def _dig(props: dict[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = props
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
