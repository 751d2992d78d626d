"""CloudWatch alarms as the template modules create them: beside what they watch, notifying a topic.

An alarm in the same template as its resource references it directly, which is what the
alarm-coverage lint rule checks; the topics come from the alerts stack.
"""

from __future__ import annotations

from troposphere import Template
from troposphere.cloudwatch import Alarm, MetricDimension

from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import import_value

FIVE_MINUTES = 300


def add_alarm(
    template: Template, config: EnvironmentConfig, title: str, summary: str, severity: str, **condition: object
) -> Alarm:
    """An alarm that notifies the `severity` topic when it fires and when it recovers.

    `condition` holds the Alarm properties that say what is measured and when it fires
    (MetricName, Namespace, Dimensions or Metrics, Statistic, Threshold, ...).
    """
    topic = import_value(config, names.topic_arn_export(severity))
    return template.add_resource(
        Alarm(
            title,
            AlarmName=names.alarm_name(config, summary),
            AlarmDescription=f"{severity.upper()}: {summary}",
            AlarmActions=[topic],
            OKActions=[topic],
            TreatMissingData=condition.pop("TreatMissingData", "notBreaching"),
            **condition,
        )
    )


def dimensions(**values) -> list[MetricDimension]:
    return [MetricDimension(Name=name, Value=value) for name, value in values.items()]
