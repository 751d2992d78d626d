"""params `monitoring`: who the alarms notify, and the thresholds they trip at."""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, field_validator

from stackyard.config.fields import Model


def _email(value: str) -> str:
    # SNS confirms each subscription by mail, so an address must be one mail can reach; whether the domain
    # takes mail is not asked (no DNS lookups while validating).
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"got {value!r}; expected an email address such as oncall@example.com ({error})") from None
    return value


Email = Annotated[str, AfterValidator(_email)]


class Thresholds(Model):
    """Seed 001 task 7.2's values by default, so a system without a load balancer or database (only
    functions' alarms) need not write thresholds it has nothing to apply to."""

    alb_p95_latency_seconds: float = Field(default=2, gt=0)
    # How long p95 latency stays above the threshold, and a target unhealthy, before the alarm fires
    # (seed 002 §2.10: "for 5 min"); minutes that are a multiple of 5 are measured in 5-minute periods.
    alb_latency_minutes: int = Field(default=15, ge=1, le=1440)
    unhealthy_host_minutes: int = Field(default=3, ge=1, le=1440)
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

    @field_validator("critical_emails", "warning_emails")
    @classmethod
    def _each_once(cls, emails: list[str]) -> list[str]:
        seen: set[str] = set()
        for email in emails:
            if email.lower() in seen:
                raise ValueError(f"got {email!r} twice; expected each address once (SNS subscribes it once)")
            seen.add(email.lower())
        return emails
