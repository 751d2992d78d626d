"""Database stack: Aurora PostgreSQL Serverless v2 (seed 000 §1.3, seed 001 task 3), or one RDS for
PostgreSQL instance (seed 002 §2.4), as `database.engine` says.

Aurora: the master credentials are generated into Secrets Manager under `/<app>/<env>/db/credentials`
(the seed's `/one-system/db/credentials` with the environment added, so environments never share
a secret) and rotated by the hosted rotation Lambda. RDS instance: RDS generates the master password
into a secret it manages and rotates itself (ManageMasterUserPassword), which holds only the username
and password. Either way one customer-managed key encrypts the database, its Performance Insights
and the secret; it is kept with the data, because a snapshot is useless once its key is gone. The
exports are the same for both engines, so the stacks that import them do not care which it is.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import awacs.ec2
import awacs.kms
import awacs.logs
import awacs.secretsmanager
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, AWSObject, GetAtt, GetAZs, Output, Ref, Select, Sub, Template
from troposphere.awslambda import EventInvokeConfig, Function, VPCConfig
from troposphere.cloudformation import CustomResource
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.iam import Policy, Role
from troposphere.kms import Alias, Key
from troposphere.logs import LogGroup, MetricFilter, MetricTransformation
from troposphere.rds import (
    DBCluster,
    DBClusterParameterGroup,
    DBInstance,
    DBParameterGroup,
    DBSubnetGroup,
    MasterUserSecret,
    ServerlessV2ScalingConfiguration,
)
from troposphere.secretsmanager import (
    GenerateSecretString,
    HostedRotationLambda,
    RotationRules,
    RotationSchedule,
    Secret,
    SecretTargetAttachment,
)

from stackyard.config import AURORA, DATABASE_PORT, POSTGRES, Database, EnvironmentConfig
from templates import names
from templates.names import name_tag
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.common import (
    ANYWHERE,
    LambdaCode,
    StackTemplates,
    export,
    import_list,
    import_value,
    keep_on_delete,
    lambda_code,
    new_template,
    tag_resources,
)
from templates.parts.policies import account_administers_key, document, service_role_trust, via_service

NAME = names.DATABASE
ENGINE = AURORA
# What RDS for PostgreSQL sets when no parameter group says otherwise; a group is made only to change them.
# rds.force_ssl became 1 by default with PostgreSQL 15.
POSTGRES_DEFAULTS = {"log_min_duration_statement": "-1"}
# pgaudit loads at start, beside pg_stat_statements, which the default groups of both engines load. RDS
# accepts pgaudit.log in a parameter group; pgaudit.role (object auditing) is left unset (docs/security.md#database).
AUDIT_LIBRARIES = "pg_stat_statements,pgaudit"
FORCE_SSL_DEFAULT_SINCE = 15
GIB = 1024**3
CPU_EVALUATION_PERIODS = 2  # of five minutes: seed 002 §2.10's "for 10 min"
SECRETS_MANAGER_TRANSFORM = "AWS::SecretsManager-2020-07-23"
# Characters that break connection strings or shell quoting when they appear in the password.
PASSWORD_EXCLUDED = "\"'@/\\ :?#[]%&=+;,`$"
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
MIGRATOR_FOLDER = "lambdas/schema_migrator"
MIGRATOR_CODE = "SchemaMigratorCode"  # the parameter holding the migrator package's S3 key
MIGRATOR_RUNTIME = "python3.12"
MIGRATOR_TIMEOUT_SECONDS = 900  # Lambda's limit: room for building indexes on large tables
# An invocation that waited longer than this in Lambda's queue is dropped rather than run: CloudFormation,
# which waits MIGRATOR_SERVICE_TIMEOUT_SECONDS in all, could no longer hear its answer.
MIGRATOR_MAX_EVENT_AGE_SECONDS = 120
MIGRATOR_SERVICE_TIMEOUT_SECONDS = MIGRATOR_TIMEOUT_SECONDS + MIGRATOR_MAX_EVENT_AGE_SECONDS
# What PostgreSQL logs when it refuses a connection: bad credentials, no pg_hba entry, no slots left.
CONNECTION_FAILURES = (
    '?"password authentication failed" ?"no pg_hba.conf entry" '
    '?"too many connections" ?"remaining connection slots are reserved"'
)


class Server(NamedTuple):
    """What the migrator, the alarms and the exports need of the database, whichever engine built it."""

    resource: AWSObject  # the Aurora cluster or the RDS instance
    secret_arn: AWSHelperFn  # the master credentials' secret
    ready: list[str]  # what the migrator waits for beyond what it references: the writer, the secret complete
    endpoint: dict[str, object]  # Host and Port for the migrator when the secret does not hold them


def build(config: EnvironmentConfig) -> StackTemplates:
    database = config.database
    template = new_template(config, _description(database))
    if config.production_grade:  # rule E9001 then wants the database in two zones
        template.metadata["Stackyard"]["ProductionGrade"] = True
    key = _key(template, config)
    if database.engine == AURORA:
        server = _aurora(template, config, key)
        _cluster_alarms(template, config, server.resource)
        _cluster_exports(template, config, server.resource, server.secret_arn, key)
    else:
        server = _instance(template, config, key)
        _instance_alarms(template, config, server.resource)
        _instance_exports(template, config, server.resource, server.secret_arn, key)
    packages = _schema_migrator(template, config, key, server) if database.migrations else {}
    return StackTemplates(NAME, tag_resources(template, config), packages=packages)


def _description(database: Database) -> str:
    if database.engine == AURORA:
        return (
            f"Aurora PostgreSQL {database.engine_version} Serverless v2 ({database.min_acu:g}-{database.max_acu:g} ACU)"
        )
    size = database.instance
    return (
        f"RDS PostgreSQL {database.engine_version} on {size.instance_class} ({size.allocated_storage_gb} GB "
        f"{size.storage_type}{', Multi-AZ' if size.multi_az else ''})"
    )


def _aurora(template: Template, config: EnvironmentConfig, key: Key) -> Server:
    secret = _secret(template, config, key)
    cluster = _cluster(template, config, key, secret)
    writer = _instances(template, config, cluster, key)
    attachment = template.add_resource(
        SecretTargetAttachment(
            "DatabaseSecretAttachment",
            SecretId=Ref(secret),
            TargetId=Ref(cluster),
            TargetType="AWS::RDS::DBCluster",
        )
    )
    if config.database.secret_rotation_days is not None:
        _rotation(template, config, key, attachment, writer)
    # the writer answering, and the secret holding its host
    return Server(cluster, Ref(secret), [writer.title, attachment.title], {})


def _kept_safe(database: Database, key: Key) -> dict:
    """What either engine's data gets: encryption under the environment's key, backups (copied with
    their tags), deletion protection as params say, and its log in CloudWatch."""
    return {
        "StorageEncrypted": True,
        "KmsKeyId": GetAtt(key, "Arn"),
        "BackupRetentionPeriod": database.backup_retention_days,
        "CopyTagsToSnapshot": True,
        "DeletionProtection": database.deletion_protection,
        "EnableCloudwatchLogsExports": ["postgresql"],
    }


def _key(template: Template, config: EnvironmentConfig) -> Key:
    key = template.add_resource(
        keep_on_delete(
            Key(
                "DatabaseKey",
                Description=f"Encrypts the {config.app} {config.environment} database, its snapshots and its secret",
                EnableKeyRotation=True,
                PendingWindowInDays=30 if config.retain_data else 7,
                KeyPolicy=document(account_administers_key()),
            ),
            config,
        )
    )
    template.add_resource(
        Alias(
            "DatabaseKeyAlias",
            AliasName=names.database_key_alias(config),
            TargetKeyId=Ref(key),
        )
    )
    return key


def _secret(template: Template, config: EnvironmentConfig, key: Key) -> Secret:
    return template.add_resource(
        keep_on_delete(
            Secret(
                "DatabaseSecret",
                Name=names.database_secret_name(config),
                Description=f"Master credentials of the {config.app} {config.environment} database",
                KmsKeyId=Ref(key),
                GenerateSecretString=GenerateSecretString(
                    SecretStringTemplate=f'{{"username": "{config.database.master_username}"}}',
                    GenerateStringKey="password",
                    PasswordLength=32,
                    ExcludeCharacters=PASSWORD_EXCLUDED,
                ),
            ),
            config,
        )
    )


def _cluster(template: Template, config: EnvironmentConfig, key: Key, secret: Secret) -> DBCluster:
    database = config.database
    # Created before the cluster so its retention applies; RDS would otherwise create it unbounded.
    log_group = template.add_resource(
        keep_on_delete(
            LogGroup(
                "DatabaseLogGroup",
                LogGroupName=names.database_cluster_log_group_name(config),
                RetentionInDays=database.log_retention_days,
            ),
            config,
        )
    )
    subnets = _subnet_group(template, config)
    parameters = template.add_resource(
        DBClusterParameterGroup(
            "DatabaseClusterParameters",
            Description=f"{config.app} {config.environment}: TLS only, statement logging",
            Family=f"{ENGINE}{database.engine_major}",
            Parameters={
                "rds.force_ssl": "1",
                # never ddl, mod or all: the rotation's ALTER USER ... PASSWORD would reach the log (E9020)
                "log_statement": "none",
                "log_min_duration_statement": str(database.log_min_duration_ms),
                **audit_parameters(database),
            },
        )
    )
    credential = "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:%s}}"
    return template.add_resource(
        keep_on_delete(
            DBCluster(
                "DatabaseCluster",
                DBClusterIdentifier=names.database_cluster_identifier(config),
                Engine=ENGINE,
                EngineVersion=database.engine_version,
                DatabaseName=database.name,
                Port=DATABASE_PORT,
                MasterUsername=Sub(credential % "username"),
                MasterUserPassword=Sub(credential % "password"),
                ServerlessV2ScalingConfiguration=ServerlessV2ScalingConfiguration(
                    MinCapacity=database.min_acu,
                    MaxCapacity=database.max_acu,
                ),
                **_kept_safe(database, key),
                DBSubnetGroupName=Ref(subnets),
                DBClusterParameterGroupName=Ref(parameters),
                VpcSecurityGroupIds=[import_value(config, names.security_group_export(NAME))],
                DependsOn=log_group.title,
            ),
            config,
            snapshot=True,
        )
    )


def _subnet_group(template: Template, config: EnvironmentConfig) -> DBSubnetGroup:
    return template.add_resource(
        DBSubnetGroup(
            "DatabaseSubnetGroup",
            DBSubnetGroupDescription=f"Private subnets of {config.app} {config.environment}",
            SubnetIds=import_list(config, names.PRIVATE_SUBNET_IDS),
        )
    )


def _instances(template: Template, config: EnvironmentConfig, cluster: DBCluster, key: Key) -> DBInstance:
    """The writer, then any readers; all serverless, none reachable from outside the VPC. With readers,
    each instance is pinned to a zone of the private subnets in turn, so the writer and the first reader
    never share one (RDS would place an instance without a zone at random)."""
    database = config.database
    zones = config.network.availability_zones if config.network else 2
    instances = []
    for index in range(1 + database.reader_instances):
        instance = DBInstance(
            "DatabaseWriter" if index == 0 else f"DatabaseReader{index}",
            DBClusterIdentifier=Ref(cluster),
            DBInstanceClass="db.serverless",
            Engine=ENGINE,
            PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True,
            PromotionTier=0 if index == 0 else 1,
            EnablePerformanceInsights=database.performance_insights,
        )
        if database.reader_instances:
            instance.AvailabilityZone = Select(index % zones, GetAZs(""))  # as the network's subnets
        if database.performance_insights:
            instance.PerformanceInsightsKMSKeyId = GetAtt(key, "Arn")
            instance.PerformanceInsightsRetentionPeriod = PERFORMANCE_INSIGHTS_FREE_DAYS
        instances.append(template.add_resource(instance))
    return instances[0]


def _instance(template: Template, config: EnvironmentConfig, key: Key) -> Server:
    """One RDS for PostgreSQL instance in the private subnets; RDS keeps its password in a secret of its own."""
    database = config.database
    size = database.instance
    # Created before the instance so its retention applies; RDS would otherwise create it unbounded.
    log_group = template.add_resource(
        keep_on_delete(
            LogGroup(
                "DatabaseLogGroup",
                LogGroupName=names.database_instance_log_group_name(config),
                RetentionInDays=database.log_retention_days,
            ),
            config,
        )
    )
    instance = DBInstance(
        "DatabaseInstance",
        DBInstanceIdentifier=names.database_instance_identifier(config),
        Engine=POSTGRES,
        EngineVersion=database.engine_version,
        DBInstanceClass=size.instance_class,
        AllocatedStorage=size.allocated_storage_gb,
        StorageType=size.storage_type,
        MultiAZ=size.multi_az,
        DBName=database.name,
        Port=DATABASE_PORT,
        MasterUsername=database.master_username,
        ManageMasterUserPassword=True,
        MasterUserSecret=MasterUserSecret(KmsKeyId=GetAtt(key, "Arn")),
        **_kept_safe(database, key),
        DBSubnetGroupName=Ref(_subnet_group(template, config)),
        VPCSecurityGroups=[import_value(config, names.security_group_export(NAME))],
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
        EnablePerformanceInsights=database.performance_insights,
        DependsOn=log_group.title,
    )
    if size.max_allocated_storage_gb is not None:
        instance.MaxAllocatedStorage = size.max_allocated_storage_gb
    if database.performance_insights:
        # RDS for PostgreSQL has Performance Insights on every instance class, db.t4g.micro included
        # (only MySQL and MariaDB lack it on the micro and small classes).
        instance.PerformanceInsightsKMSKeyId = GetAtt(key, "Arn")
        instance.PerformanceInsightsRetentionPeriod = PERFORMANCE_INSIGHTS_FREE_DAYS
    group = _parameter_group(template, config)
    if group is not None:
        instance.DBParameterGroupName = Ref(group)
    instance = template.add_resource(keep_on_delete(instance, config, snapshot=True))
    endpoint = {"Host": GetAtt(instance, "Endpoint.Address"), "Port": GetAtt(instance, "Endpoint.Port")}
    # GetAtt of the instance already orders the migrator after it: no DependsOn needed
    return Server(instance, GetAtt(instance, "MasterUserSecret.SecretArn"), [], endpoint)


def _parameter_group(template: Template, config: EnvironmentConfig) -> DBParameterGroup | None:
    """A parameter group only where the instance needs settings the default one lacks (seed 002 §2.4:
    the default PostgreSQL parameters)."""
    database = config.database
    parameters = instance_parameters(database)
    if not parameters:
        return None
    return template.add_resource(
        DBParameterGroup(
            "DatabaseParameters",
            Description=f"{config.app} {config.environment}: PostgreSQL {database.engine_major} defaults except "
            f"{', '.join(f'{name}={value}' for name, value in sorted(parameters.items()))}",
            Family=f"{POSTGRES}{database.engine_major}",
            Parameters=parameters,
        )
    )


def instance_parameters(database: Database) -> dict[str, str]:
    """The settings the instance needs that RDS's default PostgreSQL parameter group does not have
    (its log_statement is none, which stays: RDS rotates the managed password)."""
    wanted = {"log_min_duration_statement": str(database.log_min_duration_ms)}
    parameters = {name: value for name, value in wanted.items() if POSTGRES_DEFAULTS[name] != value}
    parameters.update(audit_parameters(database))
    if int(database.engine_major) < FORCE_SSL_DEFAULT_SINCE:
        parameters["rds.force_ssl"] = "1"  # TLS only, as the migrator connects and Aurora has it
    return parameters


def audit_parameters(database: Database) -> dict[str, str]:
    """pgaudit's session logging of the classes params name; none when they name none."""
    if not database.audit_log:
        return {}
    return {"shared_preload_libraries": AUDIT_LIBRARIES, "pgaudit.log": ",".join(database.audit_log)}


def _rotation(
    template: Template, config: EnvironmentConfig, key: Key, attachment: SecretTargetAttachment, writer: DBInstance
) -> None:
    """Secrets Manager's hosted PostgreSQL rotation Lambda, in the private subnets, admitted by the database."""
    template.set_transform(SECRETS_MANAGER_TRANSFORM)
    group, _ = _database_client(
        template, config, "Rotation", "secret rotation Lambda", "Secrets Manager", "db-rotation"
    )
    template.add_resource(
        RotationSchedule(
            "DatabaseSecretRotation",
            SecretId=Ref(attachment),
            HostedRotationLambda=HostedRotationLambda(
                RotationType="PostgreSQLSingleUser",
                RotationLambdaName=names.rotation_function_name(config),
                ExcludeCharacters=PASSWORD_EXCLUDED,
                KmsKeyArn=GetAtt(key, "Arn"),
                VpcSecurityGroupIds=Ref(group),
                VpcSubnetIds=import_value(config, names.PRIVATE_SUBNET_IDS),
            ),
            RotationRules=RotationRules(AutomaticallyAfterDays=config.database.secret_rotation_days),
            # The first rotation runs at once and needs a database that answers.
            DependsOn=[writer.title, "DatabaseFromRotation"],
        )
    )


def _database_client(
    template: Template, config: EnvironmentConfig, name: str, who: str, https_to: str, tag: str
) -> tuple[SecurityGroup, SecurityGroupIngress]:
    """The security group of a Lambda in the private subnets that reaches AWS over HTTPS and the
    database, and the database's ingress admitting it."""
    database_group = import_value(config, names.security_group_export(NAME))
    group = template.add_resource(
        SecurityGroup(
            f"{name}SecurityGroup",
            GroupDescription=f"{who[0].upper()}{who[1:]}: reaches {https_to} and the database only",
            VpcId=import_value(config, names.VPC_ID),
            SecurityGroupEgress=[
                SecurityGroupRule(
                    IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=ANYWHERE, Description=f"HTTPS to {https_to}"
                ),
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=DATABASE_PORT,
                    ToPort=DATABASE_PORT,
                    DestinationSecurityGroupId=database_group,
                    Description="PostgreSQL to the database",
                ),
            ],
            Tags=name_tag(config, tag),
        )
    )
    ingress = template.add_resource(
        SecurityGroupIngress(
            f"DatabaseFrom{name}",
            GroupId=database_group,
            SourceSecurityGroupId=Ref(group),
            IpProtocol="tcp",
            FromPort=DATABASE_PORT,
            ToPort=DATABASE_PORT,
            Description=f"PostgreSQL from the {who}",
        )
    )
    return group, ingress


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


def _schema_migrator(template: Template, config: EnvironmentConfig, key: Key, server: Server) -> dict[str, LambdaCode]:
    """The migrator Lambda, in the private subnets, and the custom resource that runs it on deploy.

    The resource carries the migrations' digest, so new or changed files make it an Update. An RDS
    managed secret holds no host, so the instance's endpoint travels as Host and Port.
    """
    database = config.database
    name = names.schema_migrator_name(config)
    group, admitted = _database_client(
        template,
        config,
        "Migrator",
        "schema migrator Lambda",
        "Secrets Manager and the CloudFormation response URL",
        "schema-migrator",
    )
    log_group = template.add_resource(
        keep_on_delete(
            LogGroup(
                "MigratorLogGroup",
                LogGroupName=names.lambda_log_group_name(name),
                RetentionInDays=database.log_retention_days,
            ),
            config,
        )
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


def _cluster_alarms(template: Template, config: EnvironmentConfig, cluster: DBCluster) -> None:
    thresholds = config.monitoring.thresholds
    add_alarm(
        template,
        config,
        "DatabaseCapacityAlarm",
        f"database above {thresholds.acu_utilization_percent:g}% of its maximum capacity",
        "critical",
        Namespace="AWS/RDS",
        MetricName="ACUUtilization",
        Dimensions=dimensions(DBClusterIdentifier=Ref(cluster)),
        Statistic="Average",
        Period=FIVE_MINUTES,
        EvaluationPeriods=3,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.acu_utilization_percent,
    )
    _connection_failure_alarm(template, config)


def _instance_alarms(template: Template, config: EnvironmentConfig, instance: DBInstance) -> None:
    """Seed 002 §2.10: CPU above 80% for 10 minutes; and storage running out, which stops every write."""
    thresholds = config.monitoring.thresholds
    size = config.database.instance
    add_alarm(
        template,
        config,
        "DatabaseCpuAlarm",
        f"database CPU above {thresholds.database_cpu_percent:g}% for 10 minutes",
        "critical",
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=dimensions(DBInstanceIdentifier=Ref(instance)),
        Statistic="Average",
        Period=FIVE_MINUTES,
        EvaluationPeriods=CPU_EVALUATION_PERIODS,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.database_cpu_percent,
    )
    add_alarm(
        template,
        config,
        "DatabaseFreeStorageAlarm",
        f"database free storage below {thresholds.database_free_storage_percent:g}% of {size.allocated_storage_gb} GB",
        "critical",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=dimensions(DBInstanceIdentifier=Ref(instance)),
        Statistic="Minimum",
        Period=FIVE_MINUTES,
        EvaluationPeriods=1,
        ComparisonOperator="LessThanThreshold",
        Threshold=int(size.allocated_storage_gb * GIB * thresholds.database_free_storage_percent / 100),
    )
    _connection_failure_alarm(template, config)


def _connection_failure_alarm(template: Template, config: EnvironmentConfig) -> None:
    # PostgreSQL on RDS publishes no metric for refused connections; its log records each one.
    thresholds = config.monitoring.thresholds
    namespace = names.metric_namespace(config)
    template.add_resource(
        MetricFilter(
            "DatabaseConnectionFailureFilter",
            LogGroupName=Ref("DatabaseLogGroup"),
            FilterPattern=CONNECTION_FAILURES,
            MetricTransformations=[
                MetricTransformation(
                    MetricNamespace=namespace,
                    MetricName=names.DATABASE_CONNECTION_FAILURES,
                    MetricValue="1",
                    DefaultValue=0,
                )
            ],
        )
    )
    add_alarm(
        template,
        config,
        "DatabaseConnectionFailureAlarm",
        f"more than {thresholds.database_connection_failures_per_5_minutes} database connection failures in 5 minutes",
        "critical",
        Namespace=namespace,
        MetricName=names.DATABASE_CONNECTION_FAILURES,
        Statistic="Sum",
        Period=FIVE_MINUTES,
        EvaluationPeriods=1,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.database_connection_failures_per_5_minutes,
    )


def _cluster_exports(
    template: Template, config: EnvironmentConfig, cluster: DBCluster, secret_arn: AWSHelperFn, key: Key
) -> None:
    export(template, config, "DatabaseEndpoint", GetAtt(cluster, "Endpoint.Address"), "Writer endpoint host name")
    export(
        template, config, "DatabaseReaderEndpoint", GetAtt(cluster, "ReadEndpoint.Address"), "Reader endpoint host name"
    )
    export(template, config, "DatabasePort", GetAtt(cluster, "Endpoint.Port"), "PostgreSQL port")
    export(template, config, "DatabaseName", config.database.name, "Database name")
    export(template, config, "DatabaseClusterId", Ref(cluster), "Aurora cluster identifier")
    export(template, config, names.DATABASE_SECRET_ARN, secret_arn, "Secrets Manager ARN of the master credentials")
    export(template, config, names.DATABASE_KEY_ARN, GetAtt(key, "Arn"), "KMS key of the database and its secret")


def _instance_exports(
    template: Template, config: EnvironmentConfig, instance: DBInstance, secret_arn: AWSHelperFn, key: Key
) -> None:
    """The exports of the Aurora stack, so importers need not know the engine; the instance has no readers,
    so its reader endpoint is the instance itself."""
    export(template, config, "DatabaseEndpoint", GetAtt(instance, "Endpoint.Address"), "Instance endpoint host name")
    export(
        template,
        config,
        "DatabaseReaderEndpoint",
        GetAtt(instance, "Endpoint.Address"),
        "Instance endpoint host name (an RDS instance has no readers)",
    )
    export(template, config, "DatabasePort", GetAtt(instance, "Endpoint.Port"), "PostgreSQL port")
    export(template, config, "DatabaseName", config.database.name, "Database name")
    export(template, config, "DatabaseInstanceId", Ref(instance), "RDS DB instance identifier")
    export(
        template,
        config,
        names.DATABASE_SECRET_ARN,
        secret_arn,
        "Secrets Manager ARN of the master credentials (username and password; RDS manages and rotates it)",
    )
    export(template, config, names.DATABASE_KEY_ARN, GetAtt(key, "Arn"), "KMS key of the database and its secret")
