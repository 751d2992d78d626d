"""The database stack's one RDS for PostgreSQL instance (seed 002 §2.4), whose password RDS keeps in a secret
of its own, and the parameter group it gets only where RDS's defaults will not do.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template
from troposphere.kms import Key
from troposphere.rds import DBInstance, DBParameterGroup, MasterUserSecret

from stackyard.config import DATABASE_PORT, POSTGRES, Database, EnvironmentConfig
from templates import names
from templates.parts.common import import_value, keep_on_delete, kept_log_group
from templates.parts.database_server import (
    PERFORMANCE_INSIGHTS_FREE_DAYS,
    Server,
    audit_parameters,
    kept_safe,
    subnet_group,
)

# What RDS for PostgreSQL sets when no parameter group says otherwise; a group is made only to change them.
# rds.force_ssl became 1 by default with PostgreSQL 15.
POSTGRES_DEFAULTS = {"log_min_duration_statement": "-1"}
FORCE_SSL_DEFAULT_SINCE = 15


def rds_instance(template: Template, config: EnvironmentConfig, key: Key) -> Server:
    """One RDS for PostgreSQL instance in the private subnets; RDS keeps its password in a secret of its own."""
    database = config.database
    size = database.instance
    # Created before the instance so its retention applies; RDS would otherwise create it unbounded.
    log_group = kept_log_group(
        template,
        config,
        "DatabaseLogGroup",
        names.database_instance_log_group_name(config),
        database.log_retention_days,
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
        **kept_safe(database, key),
        DBSubnetGroupName=Ref(subnet_group(template, config)),
        VPCSecurityGroups=[import_value(config, names.security_group_export(names.DATABASE))],
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
