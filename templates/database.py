"""Database stack: Aurora PostgreSQL Serverless v2 (seed 000 §1.3, seed 001 task 3), or one RDS for
PostgreSQL instance (seed 002 §2.4), as `database.engine` says.

Aurora: the master credentials are generated into Secrets Manager under `/<app>/<env>/db/credentials`
(the seed's `/one-system/db/credentials` with the environment added, so environments never share
a secret) and rotated by the hosted rotation Lambda. RDS instance: RDS generates the master password
into a secret it manages and rotates itself (ManageMasterUserPassword), which holds only the username
and password. Either way one customer-managed key encrypts the database, its Performance Insights
and the secret; it is kept with the data, because a snapshot is useless once its key is gone. The
exports are the same for both engines, so the stacks that import them do not care which it is.

This module chooses the engine and adds the key, the alarms and the exports; the engines are built in
templates/parts/aurora.py and templates/parts/database_instance.py (what both share in
templates/parts/database_server.py), the schema migrator in templates/parts/schema_migrator.py.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, GetAtt, Ref, Template
from troposphere.kms import Alias, Key
from troposphere.logs import MetricFilter, MetricTransformation
from troposphere.rds import DBCluster, DBInstance

from stackyard.config import AURORA, Database, EnvironmentConfig
from templates import names
from templates.parts.alarms import FIVE_MINUTES, add_alarm, dimensions
from templates.parts.aurora import aurora_cluster
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources
from templates.parts.database_instance import rds_instance
from templates.parts.policies import account_administers_key, document
from templates.parts.schema_migrator import schema_migrator

NAME = names.DATABASE
GIB = 1024**3
CPU_EVALUATION_PERIODS = 2  # of five minutes: seed 002 §2.10's "for 10 min"
# What PostgreSQL logs when it refuses a connection: bad credentials, no pg_hba entry, no slots left.
CONNECTION_FAILURES = (
    '?"password authentication failed" ?"no pg_hba.conf entry" '
    '?"too many connections" ?"remaining connection slots are reserved"'
)


def build(config: EnvironmentConfig) -> StackTemplates:
    database = config.database
    template = new_template(config, _description(database))
    if config.production_grade:  # rule E9001 then wants the database in two zones
        template.metadata["Stackyard"]["ProductionGrade"] = True
    key = _key(template, config)
    if database.engine == AURORA:
        server = aurora_cluster(template, config, key)
        _cluster_alarms(template, config, server.resource)
        _cluster_exports(template, config, server.resource, server.secret_arn, key)
    else:
        server = rds_instance(template, config, key)
        _instance_alarms(template, config, server.resource)
        _instance_exports(template, config, server.resource, server.secret_arn, key)
    packages = schema_migrator(template, config, key, server) if database.migrations else {}
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
