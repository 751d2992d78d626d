"""Functions stack (seed 004 §1.5-1.6): Lambda functions built from the project's folders.

Each function gets its own log group and a role holding exactly its grants (read, write or
both, on named buckets, optionally under a prefix, and on named tables). Buckets and tables are
named by ARNs derived from their names rather than imported, so a bucket can notify a function
without the bucket -> function -> permission cycle: the permission is here, the bucket's
notification (storage stack) imports the function's ARN, and deploy orders them.
"""

from __future__ import annotations

import awacs.logs
from awacs.aws import Allow, Statement
from troposphere import AccountId, GetAtt, Ref, Template
from troposphere.awslambda import Environment, Function, Permission
from troposphere.iam import Policy, Role
from troposphere.logs import LogGroup

from stackyard.config import EnvironmentConfig
from stackyard.config import Function as FunctionConfig
from templates import names
from templates.names import pascal
from templates.parts.common import (
    LambdaCode,
    StackTemplates,
    export,
    keep_on_delete,
    lambda_code,
    new_template,
    tag_resources,
)
from templates.parts.grants import WildcardReasons, grant_statements
from templates.parts.policies import document, service_role_trust
from templates.parts.variables import environment_value

NAME = names.FUNCTIONS


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"functions ({len(config.functions)} Lambda functions)")
    packages = {}
    for key, settings in config.functions.items():
        packages.update(_function(template, config, key, settings))
    return StackTemplates(NAME, tag_resources(template, config), packages=packages)


def _function(template: Template, config: EnvironmentConfig, key: str, settings: FunctionConfig) -> dict:
    name, code = names.function_name(config, key), f"{pascal(key)}Code"
    log_group = template.add_resource(
        keep_on_delete(
            LogGroup(
                f"{pascal(key)}LogGroup",
                LogGroupName=names.lambda_log_group_name(name),
                RetentionInDays=settings.log_retention_days,
            ),
            config,
        )
    )
    reasons = WildcardReasons()
    role = template.add_resource(
        Role(
            f"{pascal(key)}Role",
            Description=f"{name}: {settings.purpose}"[:1000],
            AssumeRolePolicyDocument=service_role_trust("lambda.amazonaws.com"),
            Policies=[
                Policy(
                    PolicyName=key,
                    PolicyDocument=document(
                        Statement(
                            Sid="OwnLogs",
                            Effect=Allow,
                            Action=[awacs.logs.CreateLogStream, awacs.logs.PutLogEvents],
                            Resource=[GetAtt(log_group, "Arn")],
                        ),
                        *grant_statements(config, settings.grants, reasons),
                    ),
                )
            ],
        )
    )
    if reasons.by_sid:
        role.Metadata = reasons.metadata()
    function = Function(
        f"{pascal(key)}Function",
        FunctionName=name,
        Description=settings.purpose[:256],
        Runtime=settings.runtime,
        Handler=settings.handler,
        Code=lambda_code(template, code, name),
        Role=GetAtt(role, "Arn"),
        Timeout=settings.timeout_seconds,
        MemorySize=settings.memory_mb,
        DependsOn=log_group.title,
    )
    if settings.environment:
        function.Environment = Environment(
            Variables={
                variable: environment_value(config, reference)
                for variable, reference in sorted(settings.environment.items())
            }
        )
    template.add_resource(function)
    _notifying_buckets(template, config, key, function)
    export(template, config, names.function_arn_export(key), GetAtt(function, "Arn"), f"Function: {settings.purpose}")
    export(template, config, f"{pascal(key)}FunctionName", Ref(function), f"Function: {settings.purpose}")
    return {code: LambdaCode(settings.source)}


def _notifying_buckets(template: Template, config: EnvironmentConfig, key: str, function: Function) -> None:
    """S3 may invoke the function for each bucket whose notifications name it."""
    buckets = sorted(
        {
            bucket_key
            for bucket_key, bucket in (config.storage.buckets if config.storage else {}).items()
            if any(notification.function == key for notification in bucket.notifications)
        }
    )
    for bucket_key in buckets:
        template.add_resource(
            Permission(
                f"{pascal(key)}From{pascal(bucket_key)}Bucket",
                FunctionName=Ref(function),
                Action="lambda:InvokeFunction",
                Principal="s3.amazonaws.com",
                SourceArn=names.bucket_arn(config, bucket_key),
                SourceAccount=AccountId,
            )
        )
