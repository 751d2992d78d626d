"""params `tables`: DynamoDB tables by key, their keys and global secondary indexes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from stackyard.config.fields import Model, NonEmpty, matching


class KeyAttribute(Model):
    name: Annotated[str, matching(r"[A-Za-z0-9_.#-]{1,255}", "a DynamoDB attribute name such as user_id")]
    type: Literal["S", "N", "B"]


class TableIndex(Model):
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


IndexName = Annotated[str, matching(r"[A-Za-z0-9_.-]{3,255}", "an index name such as user-id-index")]


class Table(Model):
    purpose: NonEmpty
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: dict[IndexName, TableIndex] = Field(default_factory=dict)
    ttl_attribute: str | None = None

    @field_validator("indexes")
    @classmethod
    def _one_type_per_attribute(cls, indexes: dict[str, TableIndex], info: ValidationInfo) -> dict[str, TableIndex]:
        keys = [info.data.get("partition_key"), info.data.get("sort_key")]
        keys += [key for index in indexes.values() for key in (index.partition_key, index.sort_key)]
        types: dict[str, str] = {}
        for key in filter(None, keys):
            if types.setdefault(key.name, key.type) != key.type:
                raise ValueError(
                    f"attribute {key.name!r} is declared both {types[key.name]} and {key.type}; "
                    f"expected one type per attribute"
                )
        return indexes
