"""The CloudFormation service role deploys pass, and what the infrastructure role then needs (docs/deploy.md,
"The CloudFormation service role"): the ci stack's, with `ci.infrastructure.cloudformation_role`.

CloudFormation makes every change as the service role; the infrastructure role only drives deploy.py: it
reads and changes the environment's stacks through CloudFormation, passes exactly that role (to
CloudFormation only), uses the artifact bucket (templates, Lambda packages, the deploy lock), empties the
environment's buckets before a delete, and looks up the managed prefix lists and public parameters the
templates take.
"""

from __future__ import annotations

import awacs.acm
import awacs.cloudformation
import awacs.ec2
import awacs.ecr
import awacs.iam
import awacs.rds
import awacs.s3
import awacs.secretsmanager
import awacs.sqs
import awacs.ssm
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import GetAtt, Join, Sub, Template
from troposphere.iam import Role

from stackyard.cfn import ARTIFACT_BUCKET_PREFIX, BOOTSTRAP_STACK
from stackyard.config import EnvironmentConfig
from templates import names
from templates.parts.common import always_retain, export
from templates.parts.policies import document

CLOUDFORMATION = "cloudformation.amazonaws.com"
# What deploy.py asks of CloudFormation on the environment's stacks (stackyard/aws/cloudformation.py, guards.py).
STACK_ACTIONS = [
    awacs.cloudformation.DescribeStacks,
    awacs.cloudformation.DescribeStackEvents,
    awacs.cloudformation.ListStackResources,
    awacs.cloudformation.GetTemplate,
    awacs.cloudformation.CreateChangeSet,
    awacs.cloudformation.DescribeChangeSet,
    awacs.cloudformation.ListChangeSets,
    awacs.cloudformation.DeleteChangeSet,
    awacs.cloudformation.ExecuteChangeSet,
    awacs.cloudformation.DeleteStack,
    awacs.cloudformation.ContinueUpdateRollback,
    awacs.cloudformation.RollbackStack,
    awacs.cloudformation.UpdateTerminationProtection,
    awacs.cloudformation.TagResource,
    awacs.cloudformation.UntagResource,
    awacs.cloudformation.GetStackPolicy,
    awacs.cloudformation.SetStackPolicy,
    awacs.cloudformation.DetectStackDrift,
    awacs.cloudformation.DetectStackResourceDrift,
    awacs.cloudformation.DescribeStackResourceDrifts,
]


def cloudformation_role(template: Template, config: EnvironmentConfig) -> Role:
    """`<app>-<env>-cloudformation`, which CloudFormation assumes for every change to the environment's stacks.

    Kept when the ci stack is deleted: a stack associated with a service role needs it to be deleted, and
    the environment's other stacks go after the ci stack (which imports from them). Delete it by hand once
    they are gone; it is listed among what the delete kept."""
    role = template.add_resource(
        always_retain(
            Role(
                "CloudFormationRole",
                RoleName=names.cloudformation_role_name(config),
                Description=f"CloudFormation deploys {config.app} {config.environment} as this role",
                # Roles cannot be passed across accounts, and CloudFormation documents no source condition for
                # its service roles: a condition it does not send would leave the role unusable.
                AssumeRolePolicyDocument=document(
                    Statement(Effect=Allow, Principal=Principal("Service", CLOUDFORMATION), Action=[AssumeRole])
                ),
                # The stacks create roles, networks, databases ...: what an administrator can do, but only
                # through CloudFormation, from the templates the approved deploy passes.
                ManagedPolicyArns=[Sub("arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess")],
            )
        )
    )
    export(template, config, "CloudFormationRoleArn", GetAtt(role, "Arn"), "The role params guards.role_arn names")
    return role


def deploy_stacks(config: EnvironmentConfig) -> list[Sub]:
    """What deploy.py drives: the environment's stacks, the artifact bucket's stack, their change sets."""
    return [
        Sub(f"arn:${{AWS::Partition}}:cloudformation:*:${{AWS::AccountId}}:stack/{names.prefix(config)}-*/*"),
        Sub(f"arn:${{AWS::Partition}}:cloudformation:*:${{AWS::AccountId}}:stack/{BOOTSTRAP_STACK}/*"),
        Sub("arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:changeSet/*/*"),
    ]


def artifact_buckets() -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:s3:::{ARTIFACT_BUCKET_PREFIX}-${{AWS::AccountId}}-*")


def resolve_public_parameters() -> Statement:
    """Change sets resolve the public AMI parameters templates take (AWS::SSM::Parameter::Value<...>)."""
    return Statement(
        Sid="ResolvePublicParameters",
        Effect=Allow,
        Action=[awacs.ssm.GetParameters],
        Resource=[Sub("arn:${AWS::Partition}:ssm:*::parameter/aws/service/*")],
    )


def pin_machine_images(config: EnvironmentConfig) -> list[Statement]:
    """A plan and a deploy keep the app server (compute stack) on the image it runs: they find the version of
    the public image parameter holding it (docs/deploy.md, "Machine images stay as deployed";
    stackyard/deploy/images.py)."""
    if names.COMPUTE not in config.stacks:
        return []
    return [
        Statement(
            Sid="PinMachineImages",
            Effect=Allow,
            Action=[awacs.ssm.GetParameterHistory],
            Resource=[Sub("arn:${AWS::Partition}:ssm:*::parameter/aws/service/*")],
        )
    ]


def find_kept_resources(config: EnvironmentConfig) -> Statement:
    """A create after a delete adopts what the delete kept, looked up by the environment's names
    (stackyard/aws/existing.py; docs/deploy.md, "Adopting what a delete kept"): HeadBucket is authorized as
    s3:ListBucket, Secrets Manager's DescribeSecret and SQS's GetQueueUrl as themselves."""
    env_prefix, secrets = names.prefix(config), names.environment_path_pattern(config)
    return Statement(
        Sid="FindKeptResourcesToAdopt",
        Effect=Allow,
        Action=[awacs.s3.ListBucket, awacs.secretsmanager.DescribeSecret, awacs.sqs.GetQueueUrl],
        Resource=[
            Sub(f"arn:${{AWS::Partition}}:s3:::{env_prefix}-*"),
            Sub(f"arn:${{AWS::Partition}}:secretsmanager:*:${{AWS::AccountId}}:secret:{secrets}"),
            Sub(f"arn:${{AWS::Partition}}:sqs:*:${{AWS::AccountId}}:{env_prefix}-*"),
        ],
    )


def find_container_images(config: EnvironmentConfig) -> list[Statement]:
    """Whether a container service's image is in its repository (stackyard/deploy/container_images.py): the
    service is left out until it is."""
    if names.CONTAINERS not in config.stacks:
        return []
    repository = Sub(
        f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/{names.ecr_repository_name(config)}"
    )
    return [
        Statement(
            Sid="FindContainerImages",
            Effect=Allow,
            Action=[awacs.ecr.DescribeImages, awacs.ecr.DescribeRepositories],
            Resource=[repository],
        )
    ]


def wait_for_certificates(config: EnvironmentConfig) -> list[Statement]:
    """With a domain whose DNS is elsewhere, a deploy shows the validation records a certificate waits on
    (stackyard/aws/acm.py); certificate ids are random, so only the account's certificates narrow it."""
    if config.edge is None or config.edge.domain is None or config.edge.hosted_zone_id is not None:
        return []
    return [
        Statement(
            Sid="ShowCertificateValidation",
            Effect=Allow,
            Action=[awacs.acm.DescribeCertificate],
            Resource=[Sub("arn:${AWS::Partition}:acm:*:${AWS::AccountId}:certificate/*")],
        )
    ]


def deploy_permissions(config: EnvironmentConfig, service_role: Role) -> list[Statement]:
    stacks = deploy_stacks(config)
    artifacts = artifact_buckets()
    buckets = Sub(f"arn:${{AWS::Partition}}:s3:::{names.prefix(config)}-*")
    return [
        Statement(Sid="DriveTheEnvironmentsStacks", Effect=Allow, Action=STACK_ACTIONS, Resource=stacks),
        # These take no resource narrower than '*' and only read.
        Statement(
            Sid="ReadExportsAndLookUps",
            Effect=Allow,
            Action=[
                awacs.cloudformation.ListImports,
                awacs.cloudformation.ListExports,
                awacs.cloudformation.DescribeStackDriftDetectionStatus,
                awacs.ec2.DescribeManagedPrefixLists,
            ],
            Resource=["*"],
        ),
        Statement(
            Sid="PassOnlyTheCloudFormationRole",
            Effect=Allow,
            Action=[awacs.iam.PassRole],
            Resource=[GetAtt(service_role, "Arn")],
            Condition=Condition(StringEquals({"iam:PassedToService": CLOUDFORMATION})),
        ),
        resolve_public_parameters(),
        Statement(
            Sid="UseTheArtifactBucket",
            Effect=Allow,
            Action=[awacs.s3.GetObject, awacs.s3.PutObject, awacs.s3.DeleteObject, awacs.s3.ListBucket],
            Resource=[artifacts, Join("", [artifacts, "/*"])],
        ),
        # A delete empties the environment's buckets before CloudFormation deletes them.
        Statement(
            Sid="EmptyTheEnvironmentsBuckets",
            Effect=Allow,
            Action=[
                awacs.s3.ListBucket,
                awacs.s3.ListBucketVersions,
                awacs.s3.GetBucketObjectLockConfiguration,
                awacs.s3.DeleteObject,
                awacs.s3.DeleteObjectVersion,
            ],
            Resource=[buckets, Join("", [buckets, "/*"])],
        ),
        *pin_machine_images(config),
        find_kept_resources(config),
        *find_container_images(config),
        *wait_for_certificates(config),
        *database_reads(config),
    ]


def database_reads(config: EnvironmentConfig) -> list[Statement]:
    """After an update that changed a parameter group, a deploy reads whether the environment's databases wait
    for a reboot (stackyard/deploy/reboots.py)."""
    if "database" not in config.stacks:
        return []
    arn = "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}"
    return [
        Statement(
            Sid="ReadWhetherDatabasesWaitForAReboot",
            Effect=Allow,
            Action=[awacs.rds.DescribeDBClusters, awacs.rds.DescribeDBInstances],
            Resource=[Sub(f"{arn}:cluster:{names.prefix(config)}-*"), Sub(f"{arn}:db:{names.prefix(config)}-*")],
        )
    ]
