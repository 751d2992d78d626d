"""What the database stack's two engines share (templates/database.py): the server as the rest of the stack
sees it, what keeps its data safe, its subnets, its audit settings, and how a Lambda in the private subnets
is let in to it (the secret rotation, the schema migrator).
"""

from __future__ import annotations

from typing import NamedTuple

from troposphere import AWSHelperFn, AWSObject, GetAtt, Ref, Template
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from troposphere.kms import Key
from troposphere.rds import DBSubnetGroup

from stackyard.config import DATABASE_PORT, Database, EnvironmentConfig
from templates import names
from templates.names import name_tag
from templates.parts.common import ANYWHERE, import_list, import_value

# pgaudit loads at start, beside pg_stat_statements, which the default groups of both engines load. RDS
# accepts pgaudit.log in a parameter group; pgaudit.role (object auditing) is left unset (docs/security.md#database).
AUDIT_LIBRARIES = "pg_stat_statements,pgaudit"
PERFORMANCE_INSIGHTS_FREE_DAYS = 7


class Server(NamedTuple):
    """What the migrator, the alarms and the exports need of the database, whichever engine built it."""

    resource: AWSObject  # the Aurora cluster or the RDS instance
    secret_arn: AWSHelperFn  # the master credentials' secret
    ready: list[str]  # what the migrator waits for beyond what it references: the writer, the secret complete
    endpoint: dict[str, object]  # Host and Port for the migrator when the secret does not hold them


def kept_safe(database: Database, key: Key) -> dict:
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


def subnet_group(template: Template, config: EnvironmentConfig) -> DBSubnetGroup:
    return template.add_resource(
        DBSubnetGroup(
            "DatabaseSubnetGroup",
            DBSubnetGroupDescription=f"Private subnets of {config.app} {config.environment}",
            SubnetIds=import_list(config, names.PRIVATE_SUBNET_IDS),
        )
    )


def audit_parameters(database: Database) -> dict[str, str]:
    """pgaudit's session logging of the classes params name; none when they name none."""
    if not database.audit_log:
        return {}
    return {"shared_preload_libraries": AUDIT_LIBRARIES, "pgaudit.log": ",".join(database.audit_log)}


def database_client(
    template: Template, config: EnvironmentConfig, name: str, who: str, https_to: str, tag: str
) -> tuple[SecurityGroup, SecurityGroupIngress]:
    """The security group of a Lambda in the private subnets that reaches AWS over HTTPS and the
    database, and the database's ingress admitting it."""
    database_group = import_value(config, names.security_group_export(names.DATABASE))
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
