"""Database stack (seed 000 §1.3, seed 001 task 3): Aurora PostgreSQL Serverless v2.

The master credentials are generated into Secrets Manager under `/<app>/<env>/db/credentials`
(the seed's `/one-system/db/credentials` with the environment added, so environments never share
a secret) and rotated by the hosted rotation Lambda. One customer-managed key encrypts the
cluster, its Performance Insights and the secret; it is kept with the data, because a snapshot
is useless once its key is gone.
"""

from __future__ import annotations

import awacs.kms
from awacs.aws import Allow, Principal, Statement
from troposphere import AccountId, GetAtt, Join, Partition, Ref, Sub, Template
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.kms import Alias, Key
from troposphere.logs import LogGroup, MetricFilter, MetricTransformation
from troposphere.rds import DBCluster, DBClusterParameterGroup, DBInstance, DBSubnetGroup, ServerlessV2ScalingConfiguration
from troposphere.secretsmanager import (
    GenerateSecretString,
    HostedRotationLambda,
    RotationRules,
    RotationSchedule,
    Secret,
    SecretTargetAttachment,
)

from stackyard.config import EnvironmentConfig
from templates.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.common import (
    StackTemplates,
    export,
    import_list,
    import_value,
    keep_on_delete,
    name_tag,
    new_template,
    tag_resources,
)
from templates.network import ANYWHERE, DATABASE_PORT
from templates.policies import document

NAME = "database"
ENGINE = "aurora-postgresql"
SECRETS_MANAGER_TRANSFORM = "AWS::SecretsManager-2020-07-23"
# Characters that break connection strings or shell quoting when they appear in the password.
PASSWORD_EXCLUDED = "\"'@/\\ :?#[]%&=+;,`$"
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
# What PostgreSQL logs when it refuses a connection: bad credentials, no pg_hba entry, no slots left.
CONNECTION_FAILURES = ('?"password authentication failed" ?"no pg_hba.conf entry" '
                       '?"too many connections" ?"remaining connection slots are reserved"')


def build(config: EnvironmentConfig) -> StackTemplates:
    database = config.database
    template = new_template(
        config, f"Aurora PostgreSQL {database.engine_version} Serverless v2 ({database.min_acu:g}-{database.max_acu:g} ACU)",
    )
    key = _key(template, config)
    secret = _secret(template, config, key)
    cluster = _cluster(template, config, key, secret)
    writer = _instances(template, config, cluster, key)
    attachment = template.add_resource(SecretTargetAttachment(
        "DatabaseSecretAttachment", SecretId=Ref(secret), TargetId=Ref(cluster), TargetType="AWS::RDS::DBCluster",
    ))
    if database.secret_rotation_days is not None:
        _rotation(template, config, key, attachment, writer)
    _alarms(template, config, cluster)
    _exports(template, config, cluster, secret, key)
    return StackTemplates(NAME, tag_resources(template, config))


def cluster_identifier(config: EnvironmentConfig) -> str:
    return f"{config.app}-{config.environment}"


def secret_name(config: EnvironmentConfig) -> str:
    return f"/{config.app}/{config.environment}/db/credentials"


def _key(template: Template, config: EnvironmentConfig) -> Key:
    account_root = Join("", ["arn:", Partition, ":iam::", AccountId, ":root"])
    key = template.add_resource(keep_on_delete(Key(
        "DatabaseKey",
        Description=f"Encrypts the {config.app} {config.environment} database, its snapshots and its secret",
        EnableKeyRotation=True,
        PendingWindowInDays=30 if config.retain_data else 7,
        KeyPolicy=document(Statement(
            Sid="AccountAdministersKeyThroughIam",
            Effect=Allow,
            Principal=Principal("AWS", account_root),
            Action=[awacs.kms.Action("*")],
            Resource=["*"],
        )),
    ), config))
    template.add_resource(Alias(
        "DatabaseKeyAlias", AliasName=f"alias/{config.app}-{config.environment}-database", TargetKeyId=Ref(key),
    ))
    return key


def _secret(template: Template, config: EnvironmentConfig, key: Key) -> Secret:
    return template.add_resource(keep_on_delete(Secret(
        "DatabaseSecret",
        Name=secret_name(config),
        Description=f"Master credentials of the {config.app} {config.environment} database",
        KmsKeyId=Ref(key),
        GenerateSecretString=GenerateSecretString(
            SecretStringTemplate=f'{{"username": "{config.database.master_username}"}}',
            GenerateStringKey="password",
            PasswordLength=32,
            ExcludeCharacters=PASSWORD_EXCLUDED,
        ),
    ), config))


def _cluster(template: Template, config: EnvironmentConfig, key: Key, secret: Secret) -> DBCluster:
    database = config.database
    identifier = cluster_identifier(config)
    # Created before the cluster so its retention applies; RDS would otherwise create it unbounded.
    log_group = template.add_resource(LogGroup(
        "DatabaseLogGroup", LogGroupName=f"/aws/rds/cluster/{identifier}/postgresql",
        RetentionInDays=database.log_retention_days,
    ))
    subnets = template.add_resource(DBSubnetGroup(
        "DatabaseSubnetGroup", DBSubnetGroupDescription=f"Private subnets of {config.app} {config.environment}",
        SubnetIds=import_list(config, "PrivateSubnetIds"),
    ))
    parameters = template.add_resource(DBClusterParameterGroup(
        "DatabaseClusterParameters",
        Description=f"{config.app} {config.environment}: TLS only, statement logging",
        Family=f"{ENGINE}{database.engine_major}",
        Parameters={
            "rds.force_ssl": "1",
            "log_statement": database.log_statement,
            "log_min_duration_statement": str(database.log_min_duration_ms),
        },
    ))
    credential = "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:%s}}"
    return template.add_resource(keep_on_delete(DBCluster(
        "DatabaseCluster",
        DBClusterIdentifier=identifier,
        Engine=ENGINE,
        EngineVersion=database.engine_version,
        DatabaseName=database.name,
        Port=DATABASE_PORT,
        MasterUsername=Sub(credential % "username"),
        MasterUserPassword=Sub(credential % "password"),
        ServerlessV2ScalingConfiguration=ServerlessV2ScalingConfiguration(
            MinCapacity=database.min_acu, MaxCapacity=database.max_acu,
        ),
        StorageEncrypted=True,
        KmsKeyId=GetAtt(key, "Arn"),
        BackupRetentionPeriod=database.backup_retention_days,
        CopyTagsToSnapshot=True,
        DeletionProtection=database.deletion_protection,
        EnableCloudwatchLogsExports=["postgresql"],
        DBSubnetGroupName=Ref(subnets),
        DBClusterParameterGroupName=Ref(parameters),
        VpcSecurityGroupIds=[import_value(config, "DatabaseSecurityGroupId")],
        DependsOn=log_group.title,
    ), config, snapshot=True))


def _instances(template: Template, config: EnvironmentConfig, cluster: DBCluster, key: Key) -> DBInstance:
    """The writer, then any readers; all serverless, none reachable from outside the VPC."""
    database = config.database
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
        if database.performance_insights:
            instance.PerformanceInsightsKMSKeyId = GetAtt(key, "Arn")
            instance.PerformanceInsightsRetentionPeriod = PERFORMANCE_INSIGHTS_FREE_DAYS
        instances.append(template.add_resource(instance))
    return instances[0]


def _rotation(template: Template, config: EnvironmentConfig, key: Key, attachment, writer: DBInstance) -> None:
    """Secrets Manager's hosted PostgreSQL rotation Lambda, in the private subnets, admitted by the database."""
    template.set_transform(SECRETS_MANAGER_TRANSFORM)
    group = template.add_resource(SecurityGroup(
        "RotationSecurityGroup",
        GroupDescription="Secret rotation Lambda: reaches Secrets Manager and the database only",
        VpcId=import_value(config, "VpcId"),
        SecurityGroupEgress=[
            SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=ANYWHERE,
                              Description="HTTPS to Secrets Manager"),
            SecurityGroupRule(IpProtocol="tcp", FromPort=DATABASE_PORT, ToPort=DATABASE_PORT,
                              DestinationSecurityGroupId=import_value(config, "DatabaseSecurityGroupId"),
                              Description="PostgreSQL to the database"),
        ],
        Tags=name_tag(config, "db-rotation"),
    ))
    template.add_resource(SecurityGroupIngress(
        "DatabaseFromRotation",
        GroupId=import_value(config, "DatabaseSecurityGroupId"),
        SourceSecurityGroupId=Ref(group),
        IpProtocol="tcp", FromPort=DATABASE_PORT, ToPort=DATABASE_PORT,
        Description="PostgreSQL from the secret rotation Lambda",
    ))
    template.add_resource(RotationSchedule(
        "DatabaseSecretRotation",
        SecretId=Ref(attachment),
        HostedRotationLambda=HostedRotationLambda(
            RotationType="PostgreSQLSingleUser",
            RotationLambdaName=f"{config.app}-{config.environment}-db-rotation",
            ExcludeCharacters=PASSWORD_EXCLUDED,
            KmsKeyArn=GetAtt(key, "Arn"),
            VpcSecurityGroupIds=Ref(group),
            VpcSubnetIds=import_value(config, "PrivateSubnetIds"),
        ),
        RotationRules=RotationRules(AutomaticallyAfterDays=config.database.secret_rotation_days),
        # The first rotation runs at once and needs a database that answers.
        DependsOn=[writer.title, "DatabaseFromRotation"],
    ))


def _alarms(template: Template, config: EnvironmentConfig, cluster: DBCluster) -> None:
    thresholds = config.monitoring.thresholds
    add_alarm(
        template, config, "DatabaseCapacityAlarm",
        f"database above {thresholds.acu_utilization_percent:g}% of its maximum capacity", "critical",
        Namespace="AWS/RDS", MetricName="ACUUtilization", Dimensions=dimensions(DBClusterIdentifier=Ref(cluster)),
        Statistic="Average", Period=FIVE_MINUTES, EvaluationPeriods=3,
        ComparisonOperator="GreaterThanThreshold", Threshold=thresholds.acu_utilization_percent,
    )
    # Aurora PostgreSQL publishes no metric for refused connections; its log records each one.
    namespace = f"{config.app}/{config.environment}"
    template.add_resource(MetricFilter(
        "DatabaseConnectionFailureFilter",
        LogGroupName=Ref("DatabaseLogGroup"),
        FilterPattern=CONNECTION_FAILURES,
        MetricTransformations=[MetricTransformation(
            MetricNamespace=namespace, MetricName="DatabaseConnectionFailures", MetricValue="1", DefaultValue=0,
        )],
    ))
    add_alarm(
        template, config, "DatabaseConnectionFailureAlarm",
        f"more than {thresholds.database_connection_failures_per_5_minutes} database connection failures "
        f"in 5 minutes", "critical",
        Namespace=namespace, MetricName="DatabaseConnectionFailures", Statistic="Sum", Period=FIVE_MINUTES,
        EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold",
        Threshold=thresholds.database_connection_failures_per_5_minutes,
    )


def _exports(template: Template, config: EnvironmentConfig, cluster: DBCluster, secret: Secret, key: Key) -> None:
    export(template, config, "DatabaseEndpoint", GetAtt(cluster, "Endpoint.Address"), "Writer endpoint host name")
    export(template, config, "DatabaseReaderEndpoint", GetAtt(cluster, "ReadEndpoint.Address"), "Reader endpoint host name")
    export(template, config, "DatabasePort", GetAtt(cluster, "Endpoint.Port"), "PostgreSQL port")
    export(template, config, "DatabaseName", config.database.name, "Database name")
    export(template, config, "DatabaseClusterId", Ref(cluster), "Aurora cluster identifier")
    export(template, config, "DatabaseSecretArn", Ref(secret), "Secrets Manager ARN of the master credentials")
    export(template, config, "DatabaseKeyArn", GetAtt(key, "Arn"), "KMS key of the database and its secret")
