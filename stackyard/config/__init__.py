"""Typed, validated configuration of one environment.

Params are validated once, here, into frozen objects; template modules only ever see these.
Validation reports every problem of every environment at once, each with file:line, the key
path, what is wrong and what is allowed.

One module per params section (its models, constants and cross-section checks), `fields` for
the types they share, `stacks` for which stacks read which sections, `environment` for the root
model and the order of its checks, `load` for reading and validating, `problems` for turning
pydantic's errors into params problems. This package exports what templates and tools import.
"""

from stackyard.config.access import Grant, PolicyStatement, Reference
from stackyard.config.auth import AppClient, Auth, GoogleSignIn
from stackyard.config.ci import GITHUB_OIDC_HOST, Ci
from stackyard.config.compute import Compute
from stackyard.config.containers import (
    DATABASE_ADDRESS_VARIABLES,
    DATABASE_NAME_VARIABLE,
    DATABASE_SECRET_VARIABLE,
    FARGATE_MEMORY,
    Containers,
    ContainerSecret,
)
from stackyard.config.database import AURORA, DATABASE_PORT, POSTGRES, Database
from stackyard.config.edge import Edge, with_domain
from stackyard.config.environment import DERIVED_FIELDS, EnvironmentConfig
from stackyard.config.functions import Function
from stackyard.config.load import load_config, load_configs
from stackyard.config.messaging import Messaging, Queue
from stackyard.config.monitoring import Monitoring
from stackyard.config.network import STACK_SECURITY_GROUPS, Network
from stackyard.config.roles import RoleConfig
from stackyard.config.stacks import (
    APP_STACKS,
    STACK_NAMES,
    STACK_SECTIONS,
    app_behind_load_balancer,
    app_port,
    sections_needed,
    site_bucket,
)
from stackyard.config.storage import (
    ACCESS_LOGS_BUCKET,
    CDN_LOGS_BUCKET,
    FRONTEND_BUCKET,
    RESERVED_BUCKETS,
    Bucket,
    Cors,
    Notification,
    PrefixRule,
    Storage,
    bucket_name_prefix,
)
from stackyard.config.tables import KeyAttribute, Table

__all__ = [
    "ACCESS_LOGS_BUCKET",
    "APP_STACKS",
    "AURORA",
    "CDN_LOGS_BUCKET",
    "DATABASE_ADDRESS_VARIABLES",
    "DATABASE_NAME_VARIABLE",
    "DATABASE_PORT",
    "DATABASE_SECRET_VARIABLE",
    "DERIVED_FIELDS",
    "FARGATE_MEMORY",
    "FRONTEND_BUCKET",
    "GITHUB_OIDC_HOST",
    "POSTGRES",
    "RESERVED_BUCKETS",
    "STACK_NAMES",
    "STACK_SECTIONS",
    "STACK_SECURITY_GROUPS",
    "AppClient",
    "Auth",
    "Bucket",
    "Ci",
    "Compute",
    "ContainerSecret",
    "Containers",
    "Cors",
    "Database",
    "Edge",
    "EnvironmentConfig",
    "Function",
    "GoogleSignIn",
    "Grant",
    "KeyAttribute",
    "Messaging",
    "Monitoring",
    "Network",
    "Notification",
    "PolicyStatement",
    "PrefixRule",
    "Queue",
    "Reference",
    "RoleConfig",
    "Storage",
    "Table",
    "app_behind_load_balancer",
    "app_port",
    "bucket_name_prefix",
    "load_config",
    "load_configs",
    "sections_needed",
    "site_bucket",
    "with_domain",
]
