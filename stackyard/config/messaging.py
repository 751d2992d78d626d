"""params `messaging`: SQS queues by key, each with its dead-letter queue."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from stackyard.config.fields import Model, NonEmpty, matching

QueueKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]


class Queue(Model):
    purpose: NonEmpty
    visibility_timeout_seconds: int = Field(ge=0, le=43200)


class Messaging(Model):
    queues: dict[QueueKey, Queue] = Field(min_length=1)
    max_receive_count: int = Field(ge=1, le=1000)
    retention_days: int = Field(ge=1, le=14)
    dead_letter_retention_days: int = Field(ge=1, le=14)

    @field_validator("dead_letter_retention_days")
    @classmethod
    def _dead_letters_outlive_messages(cls, days: int, info: ValidationInfo) -> int:
        source = info.data.get("retention_days")
        if source is not None and days <= source:
            # SQS keeps a message's original enqueue time when it moves to the DLQ.
            raise ValueError(
                f"got {days}, not longer than retention_days ({source}); expected more days, or a "
                f"message moved to the dead-letter queue could expire before anyone sees it"
            )
        return days
