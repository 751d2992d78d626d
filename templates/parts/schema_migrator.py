"""The database stack's schema migrator (docs/migrations.md): the Lambda in the private subnets that applies
`database.migrations` on deploy, its role, and the custom resource that runs it once per new migration set.
"""

from __future__ import annotations

from typing import ClassVar

import awacs.ec2
import awacs.kms
import awacs.logs
import awacs.secretsmanager
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, GetAtt, Output, Ref, Template
from troposphere.awslambda import EventInvokeConfig, Function, VPCConfig
from troposphere.cloudformation import CustomResource
from troposphere.iam import Policy, Role
from troposphere.kms import Key
from troposphere.logs import LogGroup

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import LambdaCode, import_list, kept_log_group, lambda_code
from templates.parts.database_server import Server, database_client
from templates.parts.policies import document, service_role_trust, via_service

MIGRATOR_FOLDER = "lambdas/schema_migrator"
MIGRATOR_CODE = "SchemaMigratorCode"  # the parameter holding the migrator package's S3 key
MIGRATOR_RUNTIME = "python3.12"
MIGRATOR_TIMEOUT_SECONDS = 900  # Lambda's limit: room for building indexes on large tables
# An invocation that waited longer than this in Lambda's queue is dropped rather than run: CloudFormation,
# which waits MIGRATOR_SERVICE_TIMEOUT_SECONDS in all, could no longer hear its answer.
MIGRATOR_MAX_EVENT_AGE_SECONDS = 120
MIGRATOR_SERVICE_TIMEOUT_SECONDS = MIGRATOR_TIMEOUT_SECONDS + MIGRATOR_MAX_EVENT_AGE_SECONDS


class SchemaMigration(CustomResource):
    resource_type = "Custom::SchemaMigration"
    props: ClassVar[dict] = {
        **CustomResource.props,
        "SecretArn": (str, True),
        "DatabaseName": (str, True),
        "SqlSha256": (str, True),
        "Host": (str, False),
        "Port": (str, False),
    }


def schema_migrator(template: Template, config: EnvironmentConfig, key: Key, server: Server) -> dict[str, LambdaCode]:
    """The migrator Lambda, in the private subnets, and the custom resource that runs it on deploy.

    The resource carries the migrations' digest, so new or changed files make it an Update. An RDS
    managed secret holds no host, so the instance's endpoint travels as Host and Port.
    """
    database = config.database
    name = names.schema_migrator_name(config)
    group, admitted = database_client(
        template,
        config,
        "Migrator",
        "schema migrator Lambda",
        "Secrets Manager and the CloudFormation response URL",
        "schema-migrator",
    )
    log_group = kept_log_group(
        template, config, "MigratorLogGroup", names.lambda_log_group_name(name), database.log_retention_days
    )
    function = template.add_resource(
        Function(
            "MigratorFunction",
            FunctionName=name,
            Description=f"Applies {database.migrations}/ to the {config.app} {config.environment} database",
            Runtime=MIGRATOR_RUNTIME,
            Handler="handler.handler",
            Code=lambda_code(template, MIGRATOR_CODE, "the schema migrator"),
            Role=GetAtt(_migrator_role(template, config, key, server.secret_arn, log_group), "Arn"),
            Timeout=MIGRATOR_TIMEOUT_SECONDS,
            MemorySize=256,
            VpcConfig=VPCConfig(SubnetIds=import_list(config, names.PRIVATE_SUBNET_IDS), SecurityGroupIds=[Ref(group)]),
            DependsOn=log_group.title,
        )
    )
    # CloudFormation invokes custom resources asynchronously; Lambda would retry a failed or timed-out run
    # twice, applying migrations after FAILED was sent. One try only (docs/migrations.md).
    once = template.add_resource(
        EventInvokeConfig(
            "MigratorInvokeOnce",
            FunctionName=Ref(function),
            Qualifier="$LATEST",
            MaximumRetryAttempts=0,
            MaximumEventAgeInSeconds=MIGRATOR_MAX_EVENT_AGE_SECONDS,
        )
    )
    migration = template.add_resource(
        SchemaMigration(
            "SchemaMigration",
            ServiceToken=GetAtt(function, "Arn"),
            # CloudFormation's wait for the answer (default an hour): the run's time and its time in the queue
            ServiceTimeout=MIGRATOR_SERVICE_TIMEOUT_SECONDS,
            SecretArn=server.secret_arn,
            DatabaseName=database.name,
            SqlSha256=config.migrations_sha256,
            **server.endpoint,
            # the database answering with its credentials, the migrator admitted by it, and run once only
            DependsOn=[*server.ready, admitted.title, once.title],
        )
    )
    template.add_output(
        Output("SchemaVersion", Description="The last migration applied", Value=GetAtt(migration, "Version"))
    )
    return {MIGRATOR_CODE: LambdaCode(MIGRATOR_FOLDER, {"sql": database.migrations})}


def _migrator_role(
    template: Template, config: EnvironmentConfig, key: Key, secret_arn: AWSHelperFn, log_group: LogGroup
) -> Role:
    return template.add_resource(
        Role(
            "MigratorRole",
            Description=f"The {config.app} {config.environment} schema migrator: reads the database secret, logs",
            AssumeRolePolicyDocument=service_role_trust("lambda.amazonaws.com"),
            Policies=[
                Policy(
                    PolicyName="schema-migrator",
                    PolicyDocument=document(
                        Statement(
                            Sid="DatabaseCredentials",
                            Effect=Allow,
                            Action=[awacs.secretsmanager.GetSecretValue],
                            Resource=[secret_arn],
                        ),
                        Statement(
                            Sid="DecryptDatabaseCredentials",
                            Effect=Allow,
                            Action=[awacs.kms.Decrypt],
                            Resource=[GetAtt(key, "Arn")],
                            Condition=via_service("secretsmanager"),
                        ),
                        Statement(
                            Sid="OwnLogs",
                            Effect=Allow,
                            Action=[awacs.logs.CreateLogStream, awacs.logs.PutLogEvents],
                            Resource=[GetAtt(log_group, "Arn")],
                        ),
                        # Lambda attaches network interfaces in the VPC; EC2 scopes these actions to nothing narrower.
                        Statement(
                            Sid="VpcNetworkInterfaces",
                            Effect=Allow,
                            Resource=["*"],
                            Action=[
                                awacs.ec2.CreateNetworkInterface,
                                awacs.ec2.DescribeNetworkInterfaces,
                                awacs.ec2.DeleteNetworkInterface,
                                awacs.ec2.AssignPrivateIpAddresses,
                                awacs.ec2.UnassignPrivateIpAddresses,
                            ],
                        ),
                    ),
                )
            ],
        )
    )
