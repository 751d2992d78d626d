"""params `monitoring`: who the alarms notify, and the thresholds they trip at."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stackyard.config.fields import Model, matching

Email = Annotated[str, matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address")]


class Thresholds(Model):
    """Seed 001 task 7.2's values by default, so a system without a load balancer or database (only
    functions' alarms) need not write thresholds it has nothing to apply to."""

    alb_p95_latency_seconds: float = Field(default=2, gt=0)
    alb_5xx_percent: float = Field(default=5, gt=0, le=100)
    acu_utilization_percent: float = Field(default=90, gt=0, le=100)  # Aurora (seed 001 task 7.2)
    database_cpu_percent: float = Field(default=80, gt=0, le=100)  # RDS instance, for 10 minutes (seed 002 §2.10)
    # RDS instance: alarm when free storage falls below this share of allocated_storage_gb
    database_free_storage_percent: float = Field(default=10, gt=0, lt=100)
    database_connection_failures_per_5_minutes: int = Field(default=10, ge=1)


class Monitoring(Model):
    critical_emails: list[Email]
    warning_emails: list[Email]
    thresholds: Thresholds = Field(default_factory=Thresholds)
