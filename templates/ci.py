"""CI stack (seed 002 §2.7): the role GitHub Actions deploys with, through OpenID Connect.

A workflow exchanges its GitHub OIDC token for the role's credentials; no access key is stored
in GitHub. The trust names the repository's exact subjects (branches, GitHub environments) and
the audience; wildcards only where params list a pattern, and only within the repository.

An account holds one OIDC provider per URL, so only one environment of an account creates
`token.actions.githubusercontent.com` (`create_provider: true`); the others trust it by its ARN.

The role may do what params grant (buckets, tables, statements) plus the deploy shortcuts:
`frontend` syncs the SPA bucket and invalidates CloudFront (edge stack; imported, so this stack
deploys after it), `containers` pushes to the ECR repository and rolls the ECS service (containers
stack; by their derived names, since CI pushes the first image before the service exists) and runs
one-off tasks of the app's definition, such as migrations (passing its two roles, imported).

With `ci.infrastructure.cloudformation_role` it also creates the CloudFormation service role deploys pass
(params guards.role_arn; docs/deploy.md, "The CloudFormation service role"), and the infrastructure role
loses AdministratorAccess: it may drive CloudFormation on the environment's stacks and pass that one role.
"""

from __future__ import annotations

import awacs.cloudformation
import awacs.cloudfront
import awacs.ec2
import awacs.ecr
import awacs.ecs
import awacs.iam
import awacs.s3
import awacs.ssm
from awacs.aws import Allow, ArnEquals, Condition, Null, Principal, Statement, StringEquals, StringLike
from awacs.sts import AssumeRoleWithWebIdentity
from troposphere import GetAtt, Join, Ref, Sub, Template
from troposphere.iam import OIDCProvider, Policy, Role

from stackyard.config import FRONTEND_BUCKET, GITHUB_OIDC_HOST, EnvironmentConfig
from templates import names
from templates.parts.common import StackTemplates, export, import_value, new_template, tag_resources
from templates.parts.grants import WildcardReasons, custom_statements, grant_statements
from templates.parts.policies import document
from templates.parts.service_role import (
    artifact_buckets,
    cloudformation_role,
    deploy_permissions,
    deploy_stacks,
    find_container_images,
    find_kept_resources,
    pin_machine_images,
    resolve_public_parameters,
)

NAME = names.CI
TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
AUDIENCE = "sts.amazonaws.com"  # what aws-actions/configure-aws-credentials asks GitHub's token for
ECR_PUSH = [
    awacs.ecr.BatchCheckLayerAvailability,
    awacs.ecr.InitiateLayerUpload,
    awacs.ecr.UploadLayerPart,
    awacs.ecr.CompleteLayerUpload,
    awacs.ecr.PutImage,
    awacs.ecr.BatchGetImage,
    awacs.ecr.GetDownloadUrlForLayer,
]


def build(config: EnvironmentConfig) -> StackTemplates:
    template = new_template(config, "ci (GitHub Actions OIDC deploy role)")
    provider = _provider(template, config)
    reasons = WildcardReasons()
    role = template.add_resource(
        Role(
            "DeployRole",
            # A stable name, so a workflow's role-to-assume can be written before the first deploy.
            RoleName=names.github_deploy_role_name(config),
            Description=f"GitHub Actions deploys of {config.ci.org}/{config.ci.repo} to {config.app} {config.environment}",
            AssumeRolePolicyDocument=_trust(config, provider),
            Policies=[Policy(PolicyName="deploy", PolicyDocument=document(*_permissions(config, reasons)))],
        )
    )
    if reasons.by_sid:
        role.Metadata = reasons.metadata()
    export(
        template,
        config,
        "DeployRoleArn",
        GetAtt(role, "Arn"),
        "Role GitHub Actions assumes (aws-actions/configure-aws-credentials role-to-assume)",
    )
    _infrastructure_roles(template, config, provider)
    return StackTemplates(NAME, tag_resources(template, config))


def _infrastructure_roles(template: Template, config: EnvironmentConfig, provider) -> None:
    """The roles deploy.py itself runs with from GitHub Actions: a plan role for pull requests, and a
    deploy role only jobs of one GitHub environment (approved by its protection rules) may assume."""
    roles = config.ci.infrastructure
    if roles.plan:
        role = template.add_resource(
            Role(
                "PlanRole",
                RoleName=names.github_plan_role_name(config),
                Description=f"Pull requests of {config.ci.org}/{config.ci.repo} plan {config.app} {config.environment}",
                AssumeRolePolicyDocument=_trust_one(config.ci.pull_request_subject, provider),
                Policies=[Policy(PolicyName="plan", PolicyDocument=document(*_plan_permissions(config)))],
            )
        )
        export(template, config, "PlanRoleArn", GetAtt(role, "Arn"), "Role .github/workflows/plan.yml assumes")
    if roles.deploy_environment:
        service_role = cloudformation_role(template, config) if roles.cloudformation_role else None
        role = template.add_resource(
            Role(
                "InfrastructureRole",
                RoleName=names.github_infrastructure_role_name(config),
                Description=f"Approved {roles.deploy_environment} jobs deploy {config.app} {config.environment}",
                AssumeRolePolicyDocument=_trust_one(config.ci.environment_subject(roles.deploy_environment), provider),
            )
        )
        if service_role is None:
            # deploy.py creates and replaces whatever the stacks hold (roles, networks, databases ...), so this
            # role can do what an administrator can; only approved runs of one environment assume it.
            role.ManagedPolicyArns = [Sub("arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess")]
        else:  # CloudFormation does that as the service role: this one drives CloudFormation and passes that role
            role.Policies = [
                Policy(PolicyName="deploy", PolicyDocument=document(*deploy_permissions(config, service_role)))
            ]
        export(
            template, config, "InfrastructureRoleArn", GetAtt(role, "Arn"), "Role .github/workflows/deploy.yml assumes"
        )


def _trust_one(subject: str, provider):
    return document(
        Statement(
            Effect=Allow,
            Principal=Principal("Federated", provider),
            Action=[AssumeRoleWithWebIdentity],
            Condition=Condition(
                StringEquals({f"{GITHUB_OIDC_HOST}:aud": AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": subject})
            ),
        )
    )


def _plan_permissions(config: EnvironmentConfig) -> list[Statement]:
    """What `deploy.py --plan` calls: read the environment's stacks and create, read and delete change sets;
    read the artifact bucket, and add to it only objects not there yet (keys are content hashes: a pull
    request must never replace a package or template a deploy would reuse)."""
    stacks = deploy_stacks(config)
    artifacts = artifact_buckets()
    return [
        *_plan_look_ups(config),
        Statement(
            Sid="ReadStacksAndPlan",
            Effect=Allow,
            Action=[
                awacs.cloudformation.DescribeStacks,
                awacs.cloudformation.DescribeStackEvents,
                awacs.cloudformation.ListStackResources,
                awacs.cloudformation.GetTemplate,
                awacs.cloudformation.CreateChangeSet,
                awacs.cloudformation.DescribeChangeSet,
                awacs.cloudformation.DeleteChangeSet,
                # Before it withdraws the REVIEW_IN_PROGRESS stack its CREATE change set made, a plan checks that no
                # other change set waits on it (stackyard/deploy/change_sets.py).
                awacs.cloudformation.ListChangeSets,
                # The guards a plan reports (docs/deploy.md, "Guards"): the stack policies a deploy would set,
                # and drift (a detection changes no stack; what the role cannot read is reported, not blocking).
                awacs.cloudformation.GetStackPolicy,
                awacs.cloudformation.DetectStackDrift,
                awacs.cloudformation.DetectStackResourceDrift,
                awacs.cloudformation.DescribeStackResourceDrifts,
            ],
            Resource=stacks,
        ),
        # These take no resource narrower than '*' and only read.
        Statement(
            Sid="ReadExports",
            Effect=Allow,
            Action=[
                awacs.cloudformation.ListImports,
                awacs.cloudformation.ListExports,
                awacs.cloudformation.DescribeStackDriftDetectionStatus,
            ],
            Resource=["*"],
        ),
        resolve_public_parameters(),
        Statement(
            Sid="ReadArtifacts",
            Effect=Allow,
            Action=[awacs.s3.GetObject, awacs.s3.ListBucket],
            Resource=[artifacts, Join("", [artifacts, "/*"])],
        ),
        Statement(
            Sid="AddNewArtifactsOnly",
            Effect=Allow,
            Action=[awacs.s3.PutObject],
            Resource=[Join("", [artifacts, "/*"])],
            Condition=Condition(Null({"s3:if-none-match": "false"})),
        ),
        *pin_machine_images(config),
        find_kept_resources(config),
    ]


def _plan_look_ups(config: EnvironmentConfig) -> list[Statement]:
    """What the planner reads besides stacks: the CloudFront origin-facing prefix list's id, which the edge
    stack takes as a parameter (DescribeManagedPrefixLists has no resource narrower than '*'), and whether a
    container service's image is in its repository (stackyard/deploy/container_images.py)."""
    return [
        Statement(
            Sid="FindManagedPrefixLists",
            Effect=Allow,
            Action=[awacs.ec2.DescribeManagedPrefixLists],
            Resource=["*"],
        ),
        *find_container_images(config),
    ]


def _provider(template: Template, config: EnvironmentConfig):
    """The account's GitHub OIDC provider: created here, or the account's existing one (its ARN is
    fixed by the account and the URL)."""
    if not config.ci.create_provider:
        return Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_OIDC_HOST}")
    provider = template.add_resource(
        OIDCProvider(
            "GitHubOidcProvider",
            Url=f"https://{GITHUB_OIDC_HOST}",
            ClientIdList=[AUDIENCE],
            # No ThumbprintList: IAM trusts GitHub's certificate through its own root CAs.
        )
    )
    export(
        template,
        config,
        "GitHubOidcProviderArn",
        Ref(provider),
        "The account's GitHub OIDC provider, which the account's other environments trust",
    )
    return Ref(provider)


def _trust(config: EnvironmentConfig, provider):
    """Only this repository's workflows, with a token meant for STS; exact subjects, patterns apart."""
    audience = {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE}
    statements = []
    if config.ci.subjects:
        statements.append(
            Statement(
                Sid="ExactSubjects",
                Effect=Allow,
                Principal=Principal("Federated", provider),
                Action=[AssumeRoleWithWebIdentity],
                Condition=Condition(StringEquals({**audience, f"{GITHUB_OIDC_HOST}:sub": config.ci.subjects})),
            )
        )
    if config.ci.subject_patterns:
        # Conditions of one statement all hold together, so patterns need a statement of their own.
        statements.append(
            Statement(
                Sid="SubjectPatterns",
                Effect=Allow,
                Principal=Principal("Federated", provider),
                Action=[AssumeRoleWithWebIdentity],
                Condition=Condition(
                    [StringEquals(audience), StringLike({f"{GITHUB_OIDC_HOST}:sub": config.ci.subject_patterns})]
                ),
            )
        )
    return document(*statements)


def _permissions(config: EnvironmentConfig, reasons: WildcardReasons) -> list[Statement]:
    ci = config.ci
    statements = []
    if "frontend" in ci.deploys:
        statements += _frontend(config)
    if "containers" in ci.deploys:
        statements += _containers(config)
    return statements + grant_statements(config, ci.grants, reasons) + custom_statements(config, ci.statements, reasons)


def _frontend(config: EnvironmentConfig) -> list[Statement]:
    """`aws s3 sync --delete` of the SPA build, then a CloudFront invalidation (seed 002 §2.11)."""
    bucket_name = import_value(config, names.bucket_name_export(FRONTEND_BUCKET))
    distribution = Sub(
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Id}",
        Id=import_value(config, names.DISTRIBUTION_ID),
    )
    return [
        Statement(
            Sid="ListFrontendBucket",
            Effect=Allow,
            Action=[awacs.s3.ListBucket],
            Resource=[Sub("arn:${AWS::Partition}:s3:::${Bucket}", Bucket=bucket_name)],
        ),
        Statement(
            Sid="SyncFrontendBucket",
            Effect=Allow,
            Action=[awacs.s3.PutObject, awacs.s3.DeleteObject],
            Resource=[Sub("arn:${AWS::Partition}:s3:::${Bucket}/*", Bucket=bucket_name)],
        ),
        Statement(
            Sid="InvalidateDistribution",
            Effect=Allow,
            Action=[awacs.cloudfront.CreateInvalidation, awacs.cloudfront.GetInvalidation],
            Resource=[distribution],
        ),
    ]


def _containers(config: EnvironmentConfig) -> list[Statement]:
    """Push the image, then force a new deployment of the service and wait for it (seed 002 §2.11).

    The names are derived, not imported: a new environment's containers stack has no service until
    its first image is pushed (image_tag: null), and CI must be able to push that image."""
    service = Sub(
        f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/"
        f"{names.ecs_cluster_name(config)}/{names.ecs_service_name(config)}"
    )
    repository = Sub(
        f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{AWS::AccountId}}:repository/"
        f"{names.ecr_repository_name(config)}"
    )
    return [
        # ECR hands out registry logins for the whole account: this action has no resource to scope to.
        Statement(Sid="LogInToEcr", Effect=Allow, Action=[awacs.ecr.GetAuthorizationToken], Resource=["*"]),
        Statement(Sid="PushImage", Effect=Allow, Action=ECR_PUSH, Resource=[repository]),
        Statement(
            Sid="RollService",
            Effect=Allow,
            Action=[awacs.ecs.UpdateService, awacs.ecs.DescribeServices],
            Resource=[service],
        ),
        *(_one_off_tasks(config) if config.containers and config.containers.image_tag is not None else []),
    ]


def _one_off_tasks(config: EnvironmentConfig) -> list[Statement]:
    """Run the app's task definition once in its cluster (seed 002 §3: database migrations as an ECS
    run-task before the service rolls), passing ECS exactly the two roles of that task, and follow it."""
    cluster = Sub(
        f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{names.ecs_cluster_name(config)}"
    )
    return [
        Statement(
            Sid="RunMigrationTask",
            Effect=Allow,
            Action=[awacs.ecs.RunTask],
            Resource=[
                Sub(
                    f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task-definition/"
                    f"{names.task_family(config)}:*"
                )
            ],
            Condition=Condition(ArnEquals({"ecs:cluster": cluster})),
        ),
        Statement(
            Sid="FollowMigrationTask",
            Effect=Allow,
            Action=[awacs.ecs.DescribeTasks, awacs.ecs.StopTask],
            Resource=[
                Sub(
                    f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task/"
                    f"{names.ecs_cluster_name(config)}/*"
                )
            ],
        ),
        Statement(
            Sid="PassTaskRoles",
            Effect=Allow,
            Action=[awacs.iam.PassRole],
            Resource=[
                import_value(config, names.APP_TASK_ROLE_ARN),
                import_value(config, names.APP_EXECUTION_ROLE_ARN),
            ],
            Condition=Condition(StringEquals({"iam:PassedToService": TASKS_PRINCIPAL})),
        ),
    ]
