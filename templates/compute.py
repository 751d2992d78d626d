"""Compute stack (seed 000 §1.7): the EC2 app server, its role, its log group and its health alarms.

Amazon Linux 2023 from the public SSM parameter, in a private subnet behind the app security
group, IMDSv2 only, encrypted root volume. The role holds the permissions §1.7 lists, scoped
to this environment's buckets, queues, secret and user pool, plus what those grants need to
work: decrypting the secret's customer-managed key, and writing the app's own log group.

Operators reach the instance through Session Manager (the agent's own actions, a policy of their
own), never SSH: no key pair, no port 22. Until the app is deployed, user data starts a placeholder
that answers the load balancer's health check on the app port, so a new environment's
unhealthy-host alarm does not page; the app's first deploy stops it (docs/stacks.md#compute).

§1.7's `s3:*` and `sqs:*` are narrowed to objects and messages (docs/security.md, "Deviations"):
the app reads and writes objects and sends and receives messages, but cannot change a bucket's
policy, versioning or public access block, nor delete a queue; a locked (audit) bucket it may only
write to.
"""

from __future__ import annotations

from pathlib import Path

import awacs.cognito_idp
import awacs.ec2messages
import awacs.kms
import awacs.logs
import awacs.s3
import awacs.secretsmanager
import awacs.ses
import awacs.sqs
import awacs.ssm
import awacs.ssmmessages
import jinja2
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import Base64, GetAtt, Join, Output, Parameter, Ref, Select, Sub, Template
from troposphere.ec2 import BlockDeviceMapping, EbsBlockDevice, Instance, MetadataOptions
from troposphere.iam import InstanceProfile, Policy, Role
from troposphere.logs import LogGroup

from stackyard.config import DATABASE_SECRET_VARIABLE, EnvironmentConfig
from templates import names
from templates.names import name_tag
from templates.parts.alarms import add_alarm, dimensions
from templates.parts.common import (
    StackTemplates,
    export,
    import_list,
    import_value,
    kept_log_group,
    new_template,
    tag_resources,
)
from templates.parts.policies import document, service_role_trust, via_service

NAME = names.COMPUTE
USER_DATA = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "user_data"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # a shell script, not HTML
)
ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device
# What the app does with objects and messages, and nothing with the buckets or queues themselves.
OBJECT_ACTIONS = [
    awacs.s3.GetObject,
    awacs.s3.GetObjectVersion,
    awacs.s3.PutObject,
    awacs.s3.DeleteObject,
    awacs.s3.AbortMultipartUpload,
    awacs.s3.ListMultipartUploadParts,
]
QUEUE_MESSAGE_ACTIONS = [
    awacs.sqs.SendMessage,
    awacs.sqs.ReceiveMessage,
    awacs.sqs.DeleteMessage,
    awacs.sqs.ChangeMessageVisibility,
    awacs.sqs.GetQueueAttributes,
    awacs.sqs.GetQueueUrl,
]


def build(config: EnvironmentConfig) -> StackTemplates:
    compute = config.compute
    template = new_template(config, f"compute (app server {compute.instance_type}, Amazon Linux 2023)")
    image = template.add_parameter(
        Parameter(
            "ImageId",
            Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            Default=compute.image_parameter,
            Description="The public SSM parameter holding the latest Amazon Linux 2023 image",
        )
    )
    log_group = kept_log_group(
        template, config, "AppLogGroup", names.app_log_group_name(config), compute.log_retention_days
    )
    role = template.add_resource(
        Role(
            "AppServerRole",
            Description=f"The {config.app} {config.environment} app server (seed 000 section 1.7)",
            AssumeRolePolicyDocument=service_role_trust("ec2.amazonaws.com"),
            Policies=[
                Policy(PolicyName="app-server", PolicyDocument=app_server_policy(config, log_group)),
                Policy(PolicyName="session-manager", PolicyDocument=session_manager_policy()),
            ],
        )
    )
    profile = template.add_resource(InstanceProfile("AppServerInstanceProfile", Roles=[Ref(role)]))
    instance = template.add_resource(
        Instance(
            "AppServer",
            ImageId=Ref(image),
            InstanceType=compute.instance_type,
            IamInstanceProfile=Ref(profile),
            SubnetId=Select(0, import_list(config, names.PRIVATE_SUBNET_IDS)),
            SecurityGroupIds=[import_value(config, names.security_group_export(NAME))],
            MetadataOptions=MetadataOptions(
                HttpTokens="required", HttpEndpoint="enabled", HttpPutResponseHopLimit=2
            ),  # 2: containers reach IMDS through Docker's bridge
            BlockDeviceMappings=[
                BlockDeviceMapping(
                    DeviceName=ROOT_DEVICE,
                    Ebs=EbsBlockDevice(
                        VolumeSize=compute.root_volume_gb,
                        VolumeType="gp3",
                        Encrypted=True,
                        DeleteOnTermination=True,
                    ),
                )
            ],
            PropagateTagsToVolumeOnCreation=True,
            UserData=Base64(user_data(config)),
            Tags=name_tag(config, "app-server"),
            DependsOn=log_group.title,
        )
    )
    _status_alarms(template, config, instance)
    # An output, not an export: a new image or new user data replaces the instance, and CloudFormation
    # refuses to change an export another stack imports. Deploy passes it on as a parameter instead.
    template.add_output(
        Output(names.APP_INSTANCE_ID, Description="EC2 instance id of the app server", Value=Ref(instance))
    )
    export(template, config, "AppServerRoleArn", GetAtt(role, "Arn"), "IAM role of the app server")
    export(template, config, names.APP_LOG_GROUP_NAME, Ref(log_group), "Log group of the app's containers")
    return StackTemplates(NAME, tag_resources(template, config))


def user_data(config: EnvironmentConfig) -> Sub:
    """The boot script: jinja2 fills in what generate knows, Fn::Sub what only deploy knows."""
    settings = [
        (DATABASE_SECRET_VARIABLE, names.DATABASE_SECRET_ARN),
        ("COGNITO_USER_POOL_ID", names.USER_POOL_ID),
        ("COGNITO_CLIENT_ID", names.client_id_export(names.WEB_CLIENT)),
    ]
    settings += [(f"S3_BUCKET_{_env_name(key)}", names.bucket_name_export(key)) for key in config.storage.buckets]
    settings += [
        (f"SQS_QUEUE_URL_{_env_name(key)}", names.queue_export(key, names.QUEUE, "Url"))
        for key in config.messaging.queues
    ]
    script = USER_DATA.get_template("app_server.sh.j2").render(
        app=config.app,
        environment=config.environment,
        app_port=config.compute.app_port,
        log_level=config.compute.log_level,
        log_group=names.app_log_group_name(config),
        compose_version=config.compute.docker_compose_version,
        health_check_path=config.edge.health_check_path if config.edge else "/health",
        settings=[(name, f"${{{export_name}}}") for name, export_name in settings],
    )
    return Sub(script, {export_name: import_value(config, export_name) for _, export_name in settings})


def app_server_policy(config: EnvironmentConfig, log_group: LogGroup) -> PolicyDocument:
    queues = [
        import_value(config, names.queue_export(key, kind, "Arn"))
        for key in config.messaging.queues
        for kind in (names.QUEUE, names.DEAD_LETTER_QUEUE)
    ]
    return document(
        *_bucket_statements(config),
        Statement(Sid="ProjectQueueMessages", Effect=Allow, Action=QUEUE_MESSAGE_ACTIONS, Resource=queues),
        Statement(
            Sid="DatabaseCredentials",
            Effect=Allow,
            Action=[awacs.secretsmanager.GetSecretValue],
            Resource=[import_value(config, names.DATABASE_SECRET_ARN)],
        ),
        Statement(
            Sid="DecryptDatabaseCredentials",
            Effect=Allow,
            Action=[awacs.kms.Decrypt],
            Resource=[import_value(config, names.DATABASE_KEY_ARN)],
            Condition=via_service("secretsmanager"),
        ),
        Statement(
            Sid="SendEmail",
            Effect=Allow,
            Action=[awacs.ses.SendEmail],
            Resource=[Sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*")],
        ),
        Statement(
            Sid="ManageUsers",
            Effect=Allow,
            Action=[awacs.cognito_idp.AdminCreateUser, awacs.cognito_idp.AdminSetUserPassword],
            Resource=[import_value(config, names.USER_POOL_ARN)],
        ),
        Statement(
            Sid="ContainerLogs",
            Effect=Allow,
            Action=[awacs.logs.CreateLogStream, awacs.logs.PutLogEvents],
            Resource=[GetAtt(log_group, "Arn")],
        ),
    )


def session_manager_policy() -> PolicyDocument:
    """What the SSM agent (preinstalled on Amazon Linux 2023) needs for Session Manager shells: register
    the instance, and open the control and data channels. These actions take no resource narrower
    than '*'; none reads data or reaches another role."""
    return document(
        Statement(
            Sid="SessionManager",
            Effect=Allow,
            Action=[
                awacs.ssm.UpdateInstanceInformation,
                awacs.ssmmessages.CreateControlChannel,
                awacs.ssmmessages.CreateDataChannel,
                awacs.ssmmessages.OpenControlChannel,
                awacs.ssmmessages.OpenDataChannel,
                awacs.ec2messages.AcknowledgeMessage,
                awacs.ec2messages.DeleteMessage,
                awacs.ec2messages.FailMessage,
                awacs.ec2messages.GetEndpoint,
                awacs.ec2messages.GetMessages,
                awacs.ec2messages.SendReply,
            ],
            Resource=["*"],
        )
    )


def _bucket_statements(config: EnvironmentConfig) -> list[Statement]:
    """Objects of the project's buckets: read, write, list. A bucket under Object Lock holds the audit
    trail: the app only adds to it (seed 000 asks for s3:* on every bucket; docs/security.md says why not)."""
    arns = {key: import_value(config, names.bucket_arn_export(key)) for key in config.storage.buckets}
    locked = [key for key, bucket in config.storage.buckets.items() if bucket.object_lock]
    data = [arn for key, arn in arns.items() if key not in locked]
    statements = []
    if data:
        statements += [
            Statement(
                Sid="ProjectObjects",
                Effect=Allow,
                Action=OBJECT_ACTIONS,
                Resource=[Join("", [arn, "/*"]) for arn in data],
            ),
            Statement(Sid="ListProjectBuckets", Effect=Allow, Action=[awacs.s3.ListBucket], Resource=data),
        ]
    if locked:
        # Write-only: no read, no delete, no s3:BypassGovernanceRetention, no retention or legal hold changes.
        statements.append(
            Statement(
                Sid="AppendToLockedBuckets",
                Effect=Allow,
                Action=[awacs.s3.PutObject],
                Resource=[Join("", [arns[key], "/*"]) for key in locked],
            )
        )
    return statements


def _status_alarms(template: Template, config: EnvironmentConfig, instance: Instance) -> None:
    """Status checks: the instance's own failures page; AWS-side failures also recover the instance."""
    add_alarm(
        template,
        config,
        "AppServerStatusCheckAlarm",
        "app server failing its status checks",
        "critical",
        Namespace="AWS/EC2",
        MetricName="StatusCheckFailed",
        Dimensions=dimensions(InstanceId=Ref(instance)),
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=2,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=1,
        TreatMissingData="breaching",
    )
    recover = add_alarm(
        template,
        config,
        "AppServerSystemCheckAlarm",
        "app server host failing, recovering the instance",
        "warning",
        Namespace="AWS/EC2",
        MetricName="StatusCheckFailed_System",
        Dimensions=dimensions(InstanceId=Ref(instance)),
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=2,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=1,
    )
    recover.AlarmActions = [*recover.AlarmActions, Sub("arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover")]


def _env_name(key: str) -> str:
    return key.upper().replace("-", "_")
