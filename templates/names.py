"""Every name that more than one module needs, or that is built from the environment's prefix: the
stacks, physical names (buckets, queues, tables, functions, clusters, log groups ...), and the exports
and outputs one stack publishes and another reads.

The stack that creates a thing and the stacks that refer to it take its name from here, so the two
cannot drift apart and no stack module imports another for a name. Export names are the short ones:
`EnvironmentConfig.export_name` adds `<app>-<env>-` when a stack exports or imports them
(templates/parts/common.py).
"""

from __future__ import annotations

from troposphere import Sub, Tags

from stackyard.config import STACK_SECURITY_GROUPS, EnvironmentConfig, bucket_name_prefix
from stackyard.config.guards import cloudformation_role_name as config_cloudformation_role_name

# --- stacks ------------------------------------------------------------------------------------

NETWORK = "network"
STORAGE = "storage"
ALERTS = "alerts"
MESSAGING = "messaging"
AUTH = "auth"
DATABASE = "database"
TABLES = "tables"
FUNCTIONS = "functions"
ROLES = "roles"
COMPUTE = "compute"
CONTAINERS = "containers"
EDGE_GLOBAL = "edge-global"
EDGE = "edge"
DASHBOARD = "dashboard"
CI = "ci"


def pascal(name: str) -> str:
    """`raw-landing` as `RawLanding`, for logical ids and output names."""
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def prefix(config: EnvironmentConfig) -> str:
    """`<app>-<env>`, which starts every physical name, so environments sharing an account never
    collide (the environment-isolation rule, E9009)."""
    return f"{config.app}-{config.environment}"


def _path(config: EnvironmentConfig, *parts: str) -> str:
    """`/<app>/<env>/...`: log groups, secrets and parameters, named like paths."""
    return "/".join(("", config.app, config.environment, *parts))


def environment_path_pattern(config: EnvironmentConfig) -> str:
    """`/<app>/<env>/*`: every path-named thing of this environment (secrets, parameters), as a pattern."""
    return _path(config, "*")


def name_tag(config: EnvironmentConfig, name: str) -> Tags:
    """The Name tag of resources without a name of their own (VPC parts, security groups, instances)."""
    return Tags(Name=f"{prefix(config)}-{name}")


def lambda_log_group_name(function_name: str) -> str:
    """Where Lambda writes a function's logs; created beforehand so its retention applies."""
    return f"/aws/lambda/{function_name}"


# --- network -----------------------------------------------------------------------------------

VPC_ID = "VpcId"
PUBLIC_SUBNET_IDS = "PublicSubnetIds"
PRIVATE_SUBNET_IDS = "PrivateSubnetIds"


def flow_log_group_name(config: EnvironmentConfig) -> str:
    return _path(config, "vpc-flow-logs")


def security_group_output(key: str) -> str:
    """The output (and export) of security group `key` of network.security_groups."""
    return f"{pascal(key)}SecurityGroupId"


def security_group_export(stack: str) -> str:
    """The export of the security group `stack` puts its resources in (params validation checks it exists)."""
    return security_group_output(STACK_SECURITY_GROUPS[stack])


# --- storage -----------------------------------------------------------------------------------

LOAD_BALANCER_LOG_PREFIX = "alb"  # where the load balancer writes its access logs in the access log bucket


def bucket_name(config: EnvironmentConfig, key: str) -> Sub:
    """Globally unique: the account and region make the same params deployable anywhere."""
    return Sub(f"{bucket_name_prefix(config, key)}-${{AWS::AccountId}}-${{AWS::Region}}")


def bucket_arn(config: EnvironmentConfig, key: str) -> Sub:
    """The bucket's ARN from its name alone: other stacks can name it without importing it."""
    return Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name_prefix(config, key)}-${{AWS::AccountId}}-${{AWS::Region}}")


def environment_bucket_arns(config: EnvironmentConfig) -> Sub:
    """Every bucket of this environment, as an ARN pattern."""
    return Sub(f"arn:${{AWS::Partition}}:s3:::{prefix(config)}-*")


def bucket_name_export(key: str) -> str:
    return f"{pascal(key)}BucketName"


def bucket_arn_export(key: str) -> str:
    return f"{pascal(key)}BucketArn"


# --- alerts ------------------------------------------------------------------------------------


def topic_name(config: EnvironmentConfig, severity: str) -> str:
    return f"{prefix(config)}-{severity}"


def topic_arn_export(severity: str) -> str:
    return f"{severity.capitalize()}TopicArn"


def alerts_key_alias(config: EnvironmentConfig) -> str:
    return f"alias/{prefix(config)}-alerts"


def alarm_name(config: EnvironmentConfig, summary: str) -> str:
    return f"{prefix(config)} {summary}"


# --- messaging ---------------------------------------------------------------------------------

QUEUE, DEAD_LETTER_QUEUE = "Queue", "DeadLetterQueue"  # the two queues of each params queue


def queue_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}-queue"


def dead_letter_queue_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}-dlq"


def queue_export(key: str, kind: str, attribute: str) -> str:
    """The export of a queue's (kind QUEUE) or its dead-letter queue's `attribute`: Arn, Url or Name."""
    return f"{pascal(key)}{kind}{attribute}"


# --- auth --------------------------------------------------------------------------------------

USER_POOL_ID = "UserPoolId"
USER_POOL_ARN = "UserPoolArn"
COGNITO_CLIENT_SECRET_ARN = "CognitoClientSecretArn"
COGNITO_CLIENT_SECRET_KEY_ARN = "CognitoClientSecretKeyArn"
WEB_CLIENT = "web"  # the app client params have by default (auth.clients), the SPA's


def user_pool_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-users"


def app_client_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}"


def client_id_export(key: str) -> str:
    """The export of a client's id: the default system's SPA client `web` keeps its first name."""
    return "UserPoolClientId" if key == WEB_CLIENT else f"{pascal(key)}ClientId"


def hosted_ui_domain(config: EnvironmentConfig) -> str:
    """The domain prefix: it names the environment, as every physical name does (E9009)."""
    return f"{config.auth.hosted_ui_prefix}-{config.environment}"


def auth_parameter_name(config: EnvironmentConfig, leaf: str) -> str:
    """What the auth stack writes for the app to read at startup (SSM parameters, the client secret)."""
    return _path(config, config.auth.parameters.path, leaf)


# --- database ----------------------------------------------------------------------------------

DATABASE_SECRET_ARN = "DatabaseSecretArn"
DATABASE_KEY_ARN = "DatabaseKeyArn"
DATABASE_CONNECTION_FAILURES = "DatabaseConnectionFailures"  # the metric counting refused connections


def database_cluster_identifier(config: EnvironmentConfig) -> str:
    return prefix(config)


def database_instance_identifier(config: EnvironmentConfig) -> str:
    return prefix(config)


def database_cluster_log_group_name(config: EnvironmentConfig) -> str:
    """Where RDS writes an Aurora cluster's PostgreSQL log (RDS fixes it from the identifier)."""
    return f"/aws/rds/cluster/{database_cluster_identifier(config)}/postgresql"


def database_instance_log_group_name(config: EnvironmentConfig) -> str:
    """Where RDS writes an instance's PostgreSQL log (RDS fixes it from the identifier)."""
    return f"/aws/rds/instance/{database_instance_identifier(config)}/postgresql"


def database_secret_name(config: EnvironmentConfig) -> str:
    return _path(config, "db", "credentials")


def database_key_alias(config: EnvironmentConfig) -> str:
    return f"alias/{prefix(config)}-database"


def rotation_function_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-db-rotation"


def schema_migrator_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-schema-migrator"


def metric_namespace(config: EnvironmentConfig) -> str:
    """The CloudWatch namespace of the environment's own metrics (those made from its logs)."""
    return f"{config.app}/{config.environment}"


# --- tables, functions -------------------------------------------------------------------------


def table_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}"


def table_arn(config: EnvironmentConfig, key: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{table_name(config, key)}")


def function_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}"


def function_arn_export(key: str) -> str:
    return f"{pascal(key)}FunctionArn"


def function_role_name_export(key: str) -> str:
    """The function's role: the edge stack attaches to it the invalidation of the site it writes."""
    return f"{pascal(key)}FunctionRoleName"


# The variable a function writing the served site finds the distribution id's SSM parameter in.
SITE_DISTRIBUTION_VARIABLE = "SITE_DISTRIBUTION_ID_PARAMETER"


def site_distribution_parameter_name(config: EnvironmentConfig) -> str:
    """Where the edge stack writes its distribution's id for the functions writing the site (they deploy
    before it, so they cannot import it)."""
    return _path(config, "edge", "distribution-id")


def function_failures_queue_name(config: EnvironmentConfig, key: str) -> str:
    """Where an asynchronously invoked function's failed events wait (its on-failure destination)."""
    return f"{function_name(config, key)}-failures"


# --- compute, containers -----------------------------------------------------------------------

APP_INSTANCE_ID = "AppInstanceId"  # compute's output: the edge and the dashboard take it as a parameter
APP_TARGET_GROUP_ARN = "AppTargetGroupArn"  # edge's output: containers registers its tasks with it
APP_LOG_GROUP_NAME = "AppLogGroupName"  # exported by compute or containers, whichever runs the app
APP_TASK_ROLE_ARN = "AppTaskRoleArn"  # containers' exports: the roles a one-off task (CI's migration) is passed
APP_EXECUTION_ROLE_ARN = "AppExecutionRoleArn"


def app_log_group_name(config: EnvironmentConfig) -> str:
    """The app's log group, whether the EC2 app server or the ECS tasks run it."""
    return _path(config, "app")


def ecs_cluster_name(config: EnvironmentConfig) -> str:
    return prefix(config)


def ecs_service_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-app"


def ecr_repository_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-app"


def task_family(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-app"


def scaling_policy_name(config: EnvironmentConfig, metric: str) -> str:
    return f"{prefix(config)}-app-{metric}"


# --- edge --------------------------------------------------------------------------------------

WEB_ACL_ARN = "WebAclArn"  # edge-global's output, the edge's parameter of the same name
CERTIFICATE_ARN = "CertificateArn"  # edge-global's output: CloudFront's certificate
API_CERTIFICATE_ARN = "ApiCertificateArn"  # edge's output: the load balancer's own certificate, where it has one
# edge's outputs where no Route 53 zone holds the domain: what its DNS records (ALIAS or CNAME) point at.
SITE_DNS_TARGET = "SiteDnsTarget"
API_DNS_TARGET = "ApiDnsTarget"
DISTRIBUTION_ID = "DistributionId"
LOAD_BALANCER_FULL_NAME = "LoadBalancerFullName"
TARGET_GROUP_FULL_NAME = "TargetGroupFullName"


def web_acl_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-cloudfront"


def api_web_acl_name(config: EnvironmentConfig) -> str:
    """The REGIONAL web ACL of a load balancer that faces the internet itself (the API on its own name)."""
    return f"{prefix(config)}-api"


def vpc_origin_name(config: EnvironmentConfig) -> str:
    """CloudFront's VPC origin: how it reaches the internal load balancer."""
    return f"{prefix(config)}-api"


def waf_log_group_name(config: EnvironmentConfig, web_acl: str) -> str:
    """WAF logs only to destinations named aws-waf-logs-*; a CLOUDFRONT-scope ACL's in us-east-1."""
    return f"aws-waf-logs-{prefix(config)}-{web_acl}"


CDN_LOG_PREFIX = "cloudfront/"  # where the distribution writes its access logs in the cdn-logs bucket


def origin_access_control_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-frontend"


def spa_routing_function_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-spa-routing"


def security_headers_policy_name(config: EnvironmentConfig) -> str:
    return f"{prefix(config)}-security-headers"


# --- dashboard, ci -----------------------------------------------------------------------------


def dashboard_name(config: EnvironmentConfig, key: str) -> str:
    return f"{prefix(config)}-{key}"


def github_deploy_role_name(config: EnvironmentConfig) -> str:
    """The app's deploy shortcuts (ECR push, ECS roll, S3 sync ...): seed 002's pipelines."""
    return f"{prefix(config)}-github-deploy"


def github_plan_role_name(config: EnvironmentConfig) -> str:
    """deploy.py --plan from pull requests (.github/workflows/plan.yml)."""
    return f"{prefix(config)}-github-plan"


def github_infrastructure_role_name(config: EnvironmentConfig) -> str:
    """deploy.py from an approved GitHub environment (.github/workflows/deploy.yml)."""
    return f"{prefix(config)}-github-infrastructure"


def cloudformation_role_name(config: EnvironmentConfig) -> str:
    """The CloudFormation service role deploys pass (params guards.role_arn names it; config checks it)."""
    return config_cloudformation_role_name(config)
