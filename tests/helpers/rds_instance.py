"""Test support: a small seed-002-shaped params set (network, alerts, database) whose database is one RDS
for PostgreSQL instance (`database.engine: postgres`, seed 002 §2.4), written to a temporary project.

Two environments: dev (defaults, nothing kept) and prod (Multi-AZ, storage autoscaling, Performance
Insights, statement logging, data kept).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT

BASE = """\
app: tap
region: us-east-1
stacks: [network, alerts, database]
termination_protection: false
retain_data: true
tags:
  cost_center: tap
  owner: platform@example.com
network:
  vpc_cidr: 10.0.0.0/16
  availability_zones: 2
  subnet_prefix_length: 24
  nat: single
  vpc_endpoints: false
  flow_logs:
    retention_days: 30
  security_groups:
    database:
      description: "rds-sg: PostgreSQL from the ECS tasks only"
      egress: []
compute:
  instance_type: t3.small
  image_parameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  root_volume_gb: 30
  app_port: 8000
  log_level: INFO
  log_retention_days: 30
  docker_compose_version: v2.29.7
database:
  engine: postgres
  name: tap
  engine_version: "16.10"
  master_username: tap_admin
  instance:
    instance_class: db.t4g.micro
    allocated_storage_gb: 20
    storage_type: gp3
    multi_az: false
  backup_retention_days: 7
  secret_rotation_days: 7
  deletion_protection: true
  performance_insights: false
  log_retention_days: 30
  audit_log: []
  log_min_duration_ms: -1
  migrations: sql
monitoring:
  critical_emails: [oncall@example.com]
  warning_emails: []
  thresholds:
    alb_p95_latency_seconds: 5
    alb_5xx_percent: 5
    database_connection_failures_per_5_minutes: 10
"""
DEV = """\
retain_data: false
database:
  deletion_protection: false
"""
PROD = """\
database:
  instance:
    max_allocated_storage_gb: 100
    multi_az: true
  performance_insights: true
  log_retention_days: 365
  audit_log: [ddl]
monitoring:
  thresholds:
    database_cpu_percent: 75
    database_free_storage_percent: 20
"""


def write_project(folder: Path, **files: str) -> Path:
    """A project holding params/<name>.yaml for each file given, and the default system's sql/."""
    (folder / "params").mkdir()
    for name, text in files.items():
        (folder / "params" / f"{name}.yaml").write_text(text)
    shutil.copytree(ROOT / "sql", folder / "sql")
    return folder / "params"
