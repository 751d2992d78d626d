"""Tables stack (seed 003 task 3, seed 004 §1.4): the params' DynamoDB tables.

On-demand, encrypted, point-in-time recovery on, optional TTL and global secondary indexes;
kept (and protected from deletion) where the environment keeps its data.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template
from troposphere.dynamodb import (
    AttributeDefinition,
    GlobalSecondaryIndex,
    KeySchema,
    PointInTimeRecoverySpecification,
    Projection,
    SSESpecification,
    Table,
    TimeToLiveSpecification,
)

from stackyard.config import EnvironmentConfig, KeyAttribute
from stackyard.config import Table as TableConfig
from templates import names
from templates.names import pascal
from templates.parts.common import StackTemplates, export, keep_on_delete, new_template, tag_resources

NAME = names.TABLES


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, f"tables ({len(config.tables)} DynamoDB tables)")
    for key, settings in config.tables.items():
        _table(template, config, key, settings)
    return StackTemplates(NAME, tag_resources(template, config))


def _table(template: Template, config: EnvironmentConfig, key: str, settings: TableConfig) -> None:
    table = Table(
        f"{pascal(key)}Table",
        TableName=names.table_name(config, key),
        BillingMode="PAY_PER_REQUEST",
        KeySchema=_key_schema(settings.partition_key, settings.sort_key),
        AttributeDefinitions=[
            AttributeDefinition(AttributeName=name, AttributeType=kind)
            for name, kind in sorted(_attributes(settings).items())
        ],
        PointInTimeRecoverySpecification=PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True),
        SSESpecification=SSESpecification(SSEEnabled=True),
        DeletionProtectionEnabled=config.retain_data,
    )
    if settings.indexes:
        table.GlobalSecondaryIndexes = [
            GlobalSecondaryIndex(
                IndexName=name,
                KeySchema=_key_schema(index.partition_key, index.sort_key),
                Projection=Projection(ProjectionType=index.projection),
            )
            for name, index in settings.indexes.items()
        ]
    if settings.ttl_attribute:
        table.TimeToLiveSpecification = TimeToLiveSpecification(AttributeName=settings.ttl_attribute, Enabled=True)
    template.add_resource(keep_on_delete(table, config))
    export(template, config, f"{pascal(key)}TableName", Ref(table), f"Table name: {settings.purpose}")
    export(template, config, f"{pascal(key)}TableArn", GetAtt(table, "Arn"), f"Table ARN: {settings.purpose}")
    for index in sorted(settings.indexes):  # seed 003 task 3: "GSI names"
        export(
            template,
            config,
            f"{pascal(key)}Table{pascal(index)}Name",
            index,
            f"Index of {names.table_name(config, key)}",
        )


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[KeySchema]:
    schema = [KeySchema(AttributeName=partition.name, KeyType="HASH")]
    if sort:
        schema.append(KeySchema(AttributeName=sort.name, KeyType="RANGE"))
    return schema


def _attributes(settings: TableConfig) -> dict[str, str]:
    """Every key attribute of the table and its indexes (DynamoDB wants exactly these defined)."""
    keys = [settings.partition_key, settings.sort_key]
    keys += [key for index in settings.indexes.values() for key in (index.partition_key, index.sort_key)]
    return {key.name: key.type for key in keys if key}
