"""CloudWatch and DynamoDB reads for verify: the state of alarms, and whether tables are in service."""

from __future__ import annotations

from typing import Any

from stackyard.aws.errors import AwsError, translated

ALARM_NAMES_PER_CALL = 100  # DescribeAlarms takes at most 100 names


class CloudWatch:
    def __init__(self, client: Any):
        self.client = client

    def alarm_states(self, names: list[str]) -> dict[str, str]:
        """Each named alarm that exists -> its state (OK, ALARM, INSUFFICIENT_DATA); missing ones are left out."""
        states: dict[str, str] = {}
        with translated("reading the alarms"):
            for start in range(0, len(names), ALARM_NAMES_PER_CALL):
                chunk = names[start : start + ALARM_NAMES_PER_CALL]
                pages = self.client.get_paginator("describe_alarms").paginate(
                    AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
                )
                for page in pages:
                    for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                        states[alarm["AlarmName"]] = alarm["StateValue"]
        return states


class DynamoDb:
    def __init__(self, client: Any):
        self.client = client

    def table_status(self, table: str) -> tuple[str, dict[str, str]]:
        """The table's status and each global secondary index's ("MISSING" for a table that does not exist)."""
        try:
            with translated(f"describing table {table}"):
                found = self.client.describe_table(TableName=table)["Table"]
        except AwsError as error:
            if error.code == "ResourceNotFoundException":
                return "MISSING", {}
            raise
        indexes = {
            index["IndexName"]: index.get("IndexStatus", "") for index in found.get("GlobalSecondaryIndexes", [])
        }
        return str(found.get("TableStatus", "")), indexes
