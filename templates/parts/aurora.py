"""The database stack's Aurora PostgreSQL Serverless v2 cluster (seed 000 §1.3, seed 001 task 3): its
generated and rotated secret, the cluster and its parameter group, the writer and any readers.
"""

from __future__ import annotations

from troposphere import GetAtt, GetAZs, Ref, Select, Sub, Template
from troposphere.kms import Key
from troposphere.rds import DBCluster, DBClusterParameterGroup, DBInstance, ServerlessV2ScalingConfiguration
from troposphere.secretsmanager import (
    GenerateSecretString,
    HostedRotationLambda,
    RotationRules,
    RotationSchedule,
    Secret,
    SecretTargetAttachment,
)

from stackyard.config import AURORA, DATABASE_PORT, EnvironmentConfig
from templates import names
from templates.parts.common import import_value, keep_on_delete, kept_log_group
from templates.parts.database_server import (
    PERFORMANCE_INSIGHTS_FREE_DAYS,
    Server,
    audit_parameters,
    database_client,
    kept_safe,
    subnet_group,
)

ENGINE = AURORA
SECRETS_MANAGER_TRANSFORM = "AWS::SecretsManager-2020-07-23"
# Characters that break connection strings or shell quoting when they appear in the password.
PASSWORD_EXCLUDED = "\"'@/\\ :?#[]%&=+;,`$"


def aurora_cluster(template: Template, config: EnvironmentConfig, key: Key) -> Server:
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
    log_group = kept_log_group(
        template, config, "DatabaseLogGroup", names.database_cluster_log_group_name(config), database.log_retention_days
    )
    subnets = subnet_group(template, config)
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
                **kept_safe(database, key),
                DBSubnetGroupName=Ref(subnets),
                DBClusterParameterGroupName=Ref(parameters),
                VpcSecurityGroupIds=[import_value(config, names.security_group_export(names.DATABASE))],
                DependsOn=log_group.title,
            ),
            config,
            snapshot=True,
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


def _rotation(
    template: Template, config: EnvironmentConfig, key: Key, attachment: SecretTargetAttachment, writer: DBInstance
) -> None:
    """Secrets Manager's hosted PostgreSQL rotation Lambda, in the private subnets, admitted by the database."""
    template.set_transform(SECRETS_MANAGER_TRANSFORM)
    group, _ = database_client(template, config, "Rotation", "secret rotation Lambda", "Secrets Manager", "db-rotation")
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
