"""params `compute`: the EC2 app server that runs the app behind the load balancer (the alternative to
`containers`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stackyard.config.fields import LogRetentionDays, Model, matching


class Compute(Model):
    instance_type: Annotated[str, matching(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t3.small")]
    image_parameter: Annotated[
        str, matching(r"/aws/service/[A-Za-z0-9_./-]+", "a public SSM parameter path under /aws/service/")
    ]
    root_volume_gb: int = Field(ge=8, le=16384)
    app_port: int = Field(ge=1024, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    log_retention_days: LogRetentionDays
    docker_compose_version: Annotated[str, matching(r"v\d+\.\d+\.\d+", "a Docker Compose release such as v2.29.7")]
