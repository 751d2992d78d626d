"""Pure unit (cfn-lint where marked slow): the ci stack holds seed 002 §2.7's GitHub Actions deploy
identity, built from a small seed 002 params set (tests/helpers/seed002.py) and from the default system with
`ci` added; bad params are refused through the CLI with file:line, key and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from troposphere.iam import Policy, Role

import generate
import templates.ci
from stackyard.build import build_environment
from stackyard.config import EnvironmentConfig, load_configs
from stackyard.errors import EXIT_BAD_INPUT
from stackyard.generate import PROJECT_RULES
from stackyard.generate import generate as generate_system
from stackyard.lint import LintJob, digest, lint
from templates.parts.policies import document
from templates.parts.service_role import deploy_permissions
from tests.helpers import ROOT, picked, properties, resources
from tests.helpers.seed002 import BASE, CREATES_PROVIDER, refused, write_system

HOST = "token.actions.githubusercontent.com"
PROVIDER_ARN = f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{HOST}"


def ci_template(tmp_path: Path, prod: str = CREATES_PROVIDER) -> dict:
    config = load_configs(write_system(tmp_path, prod))["prod"]
    return build_environment(config).stacks["ci"].template.document


def trust(document: dict) -> list[dict]:
    return properties(document, "DeployRole")["AssumeRolePolicyDocument"]["Statement"]


def granted(document: dict, role: str = "DeployRole") -> dict[str, list]:
    """Action -> the resources `role` may do it on."""
    [policy] = properties(document, role)["Policies"]
    actions: dict[str, list] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        for action in statement["Action"]:
            actions.setdefault(action, []).extend(statement["Resource"])
    return actions


@pytest.fixture
def ci(tmp_path) -> dict:
    return ci_template(tmp_path)


def test_2_7_the_github_oidc_provider_issues_tokens_for_sts(ci):
    provider = properties(ci, "GitHubOidcProvider")
    assert picked(provider, "Url", "ClientIdList") == {"Url": f"https://{HOST}", "ClientIdList": ["sts.amazonaws.com"]}
    assert ci["Outputs"]["GitHubOidcProviderArn"]["Export"]["Name"] == "tap-prod-GitHubOidcProviderArn"


def test_2_7_only_the_repositorys_main_branch_assumes_the_role_with_a_token_for_sts(ci):
    [statement] = trust(ci)
    assert picked(statement, "Effect", "Action", "Principal") == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRoleWithWebIdentity"],
        "Principal": {"Federated": {"Ref": "GitHubOidcProvider"}},
    }
    assert statement["Condition"] == {
        "StringEquals": {
            f"{HOST}:aud": "sts.amazonaws.com",
            f"{HOST}:sub": ["repo:acme/talent-platform:ref:refs/heads/main"],
        }
    }
    assert "*" not in json.dumps(trust(ci))  # no wildcard unless params list a pattern


def test_2_7_workflows_get_the_role_arn_under_a_stable_name(ci):
    assert properties(ci, "DeployRole")["RoleName"] == "tap-prod-github-deploy"
    output = ci["Outputs"]["DeployRoleArn"]
    assert (output["Export"]["Name"], output["Value"]) == (
        "tap-prod-DeployRoleArn",
        {"Fn::GetAtt": ["DeployRole", "Arn"]},
    )


def test_a_second_environment_of_the_account_trusts_the_accounts_existing_provider(tmp_path):
    ci = ci_template(tmp_path, "{}\n")
    assert resources(ci, "AWS::IAM::OIDCProvider") == {}
    assert "GitHubOidcProviderArn" not in ci["Outputs"]
    assert trust(ci)[0]["Principal"] == {"Federated": {"Fn::Sub": PROVIDER_ARN}}


def test_the_provider_created_in_base_yaml_is_refused_since_every_environment_would_create_it(
    tmp_path, monkeypatch, capsys
):
    write_system(tmp_path, "{}\n", base_extra="  create_provider: true\n")
    monkeypatch.chdir(tmp_path)
    assert generate.main(["--params", "params", "--build-dir", "build"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: params/base.yaml:{len(BASE.splitlines()) + 1}: ci.create_provider: every environment would create the "
        f"account's one GitHub OIDC provider, and the second would fail; expected create_provider: true in the "
        f"file of the one environment that creates it"
    )


def test_github_environments_are_exact_subjects_and_patterns_a_statement_of_their_own(tmp_path):
    ci = ci_template(
        tmp_path,
        "ci:\n  environments: [production]\n  subject_patterns: ['repo:acme/talent-platform:ref:refs/tags/v*']\n",
    )
    exact, patterns = trust(ci)
    assert exact["Condition"]["StringEquals"][f"{HOST}:sub"] == [
        "repo:acme/talent-platform:ref:refs/heads/main",
        "repo:acme/talent-platform:environment:production",
    ]
    # In one statement the pattern would also have to equal an exact subject: it would never match.
    assert patterns["Condition"] == {
        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{HOST}:sub": ["repo:acme/talent-platform:ref:refs/tags/v*"]},
    }


def test_grants_and_statements_from_params_are_the_roles_permissions(ci):
    actions = granted(ci)
    files = "arn:${AWS::Partition}:s3:::tap-prod-files-${AWS::AccountId}-${AWS::Region}"
    assert actions["s3:GetObject"] == [{"Fn::Join": ["", [{"Fn::Sub": files}, "/*"]]}]
    assert "s3:PutObject" not in actions  # read only
    assert actions["bedrock:InvokeModel"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-*"}
    ]


@pytest.fixture
def with_frontend(params_copy) -> EnvironmentConfig:
    """The default system's test environment with the ci stack deploying its frontend."""
    stacks = ", ".join([*load_configs(params_copy, ["test"])["test"].stacks, "ci"])
    (params_copy / "test.yaml").write_text(
        f"stacks: [{stacks}]\nci:\n  org: acme\n  repo: one-system\n  branches: [main]\n  deploys: [frontend]\n"
    )
    return load_configs(params_copy, ["test"])["test"]


def test_2_7_frontend_deploys_sync_the_spa_bucket_and_invalidate_cloudfront(with_frontend):
    build = build_environment(with_frontend)
    actions = granted(build.stacks["ci"].template.document)
    bucket = {"Fn::ImportValue": "one-system-test-FrontendBucketName"}
    assert actions["s3:ListBucket"] == [{"Fn::Sub": ["arn:${AWS::Partition}:s3:::${Bucket}", {"Bucket": bucket}]}]
    assert (
        actions["s3:PutObject"]
        == actions["s3:DeleteObject"]
        == [{"Fn::Sub": ["arn:${AWS::Partition}:s3:::${Bucket}/*", {"Bucket": bucket}]}]
    )
    assert actions["cloudfront:CreateInvalidation"] == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Id}",
                {"Id": {"Fn::ImportValue": "one-system-test-DistributionId"}},
            ]
        }
    ]
    assert build.manifest().stacks["ci"].depends_on == ("edge",)


@pytest.fixture
def containers_config() -> EnvironmentConfig:
    """Seed 002's system (examples/tap), whose deploy role deploys the frontend and the containers."""
    return load_configs(ROOT / "examples" / "tap" / "params")["poc"]


def test_2_7_container_deploys_push_to_the_repository_and_roll_the_service(containers_config):
    actions = granted(templates.ci.build(containers_config).template.to_dict())
    repository = [{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/tap-poc-app"}]
    assert {action for action, resources in actions.items() if resources == repository} == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }
    assert actions["ecr:GetAuthorizationToken"] == ["*"]  # the only action ECR does not scope
    service = [{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/tap-poc/tap-poc-app"}]
    assert actions["ecs:UpdateService"] == actions["ecs:DescribeServices"] == service


def test_the_names_ci_derives_are_the_ones_the_containers_stack_creates(containers_config):
    built = build_environment(containers_config).stacks["containers"].template.document["Resources"]
    assert built["Repository"]["Properties"]["RepositoryName"] == "tap-poc-app"
    assert (built["Cluster"]["Properties"]["ClusterName"], built["Service"]["Properties"]["ServiceName"]) == (
        "tap-poc",
        "tap-poc-app",
    )


def test_no_action_but_the_registry_login_is_on_every_resource(containers_config):
    actions = granted(templates.ci.build(containers_config).template.to_dict())
    assert [action for action, resources in actions.items() if "*" in resources] == ["ecr:GetAuthorizationToken"]


@pytest.mark.slow
def test_the_seed_002_ci_stack_is_clean_under_cfn_lint_and_the_project_rules(tmp_path):
    result = generate_system(write_system(tmp_path), tmp_path / "build")
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)


@pytest.mark.slow
def test_the_default_system_with_ci_deploying_its_frontend_is_lint_clean(with_frontend):
    result = generate_system(Path("params"), Path("build"), ["test"])
    assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)


@pytest.mark.slow
def test_a_ci_stack_deploying_containers_is_lint_clean(containers_config, tmp_path):
    path = tmp_path / "ci.json"
    path.write_bytes(json.dumps(templates.ci.build(containers_config).template.to_dict(), indent=2).encode())
    report = lint([LintJob(path, digest(path.read_bytes()))], tmp_path / "lint-cache.json", [PROJECT_RULES])
    assert report.clean, "\n".join(str(finding) for finding in report.findings)


# prod.yaml -> the problems expected, in the CLI's words (file:line: key: what is wrong and the fix)
BAD_PARAMS = {
    "any repository": (
        "ci:\n  repo: '*'\n",
        [
            "params/prod.yaml:2: ci.repo: got '*': a wildcard would let workflows outside this repository assume the "
            "deploy role; expected the exact repository name, such as talent-platform"
        ],
    ),
    "any organization": (
        "ci:\n  org: acme*\n",
        [
            "params/prod.yaml:2: ci.org: got 'acme*': a wildcard would let workflows outside this organization assume "
            "the deploy role; expected the exact organization name, such as acme-corp"
        ],
    ),
    "a branch pattern": (
        "ci:\n  branches: [main, 'feature/*']\n",
        [
            "params/prod.yaml:2: ci.branches[1]: got 'feature/*': branches are matched exactly; expected branch names "
            "such as main, or the pattern in subject_patterns (e.g. repo:<org>/<repo>:ref:refs/heads/release/*)"
        ],
    ),
    "a pattern reaching another repository": (
        "ci:\n  subject_patterns: ['repo:acme/*']\n",
        [
            "params/prod.yaml:2: ci.subject_patterns: got 'repo:acme/*'; expected a GitHub OIDC subject of this "
            "repository, starting with 'repo:acme/talent-platform:', such as "
            "repo:acme/talent-platform:ref:refs/heads/release/*"
        ],
    ),
    "no subject at all": (
        "ci:\n  branches: []\n",
        [
            "params/prod.yaml:1: ci.subject_patterns: no workflow could assume the role; expected branches (such as "
            "[main]), environments or subject_patterns"
        ],
    ),
    "a frontend deploy without the edge stack": (
        "ci:\n  deploys: [frontend]\n",
        [
            "params/prod.yaml:2: ci.deploys[0]: frontend deploys to the edge stack, which this environment's stacks "
            "do not include; expected edge in stacks, or frontend left out of deploys"
        ],
    ),
    "a role allowed nothing": (
        "ci:\n  grants: []\n  statements: []\n",
        [
            "params/prod.yaml:1: ci: the deploy role would be allowed nothing; expected deploys "
            "(some of: frontend, containers), grants or statements"
        ],
    ),
    "a grant on a bucket nobody defines": (
        "ci:\n  grants: [{bucket: spa, access: write}]\n",
        ["params/prod.yaml:2: ci.grants[0].bucket: no bucket 'spa'; expected one of: files"],
    ),
}


@pytest.mark.parametrize("prod, expected", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_bad_ci_params_are_refused_with_file_line_key_and_fix(tmp_path, monkeypatch, capsys, prod, expected):
    assert refused(tmp_path, monkeypatch, capsys, prod) == [f"error: {line}" for line in expected]
    assert not Path("build").exists()


def test_the_plan_role_reads_what_the_planner_looks_up(containers_config):
    """A plan fills the edge stack's CloudFront prefix-list parameter (stackyard/aws/ec2.py) and checks that a
    container service's image is in its repository (stackyard/deploy/container_images.py): without these reads
    a pull request's plan fails AccessDenied on a system with a VPC origin or a container service."""
    actions = granted(templates.ci.build(containers_config).template.to_dict(), "PlanRole")
    assert actions["ec2:DescribeManagedPrefixLists"] == ["*"]
    repository = {"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/tap-poc-app"}
    assert actions["ecr:DescribeImages"] == actions["ecr:DescribeRepositories"] == [repository]


def test_both_infrastructure_roles_look_up_what_a_delete_kept_by_the_environments_names_only(containers_config):
    """A create after a delete adopts the kept buckets, secrets and queues it finds by name (stackyard/aws/existing.py):
    HeadBucket, DescribeSecret, GetQueueUrl. Without them a pull request's plan of the re-created stack fails
    AccessDenied (tests/faults/test_ci_roles.py plays it); with them, no other environment's names are reachable."""
    document = templates.ci.build(containers_config).template.to_dict()
    kept = [
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::tap-poc-*"},
        {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:/tap/poc/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:sqs:*:${AWS::AccountId}:tap-poc-*"},
    ]
    for role in ("PlanRole", "InfrastructureRole"):
        actions = granted(document, role)
        assert actions["secretsmanager:DescribeSecret"] == actions["sqs:GetQueueUrl"] == kept, role
    assert "cloudformation:DeleteStack" not in granted(document, "PlanRole")  # a plan leaves its review stack


def test_the_plan_role_reads_the_deploy_record_and_the_deploy_roles_write_it(containers_config):
    """The deploy record, state/<app>/<env>/deployed.json in the artifact bucket (stackyard/deploy/record.py): a
    plan reads it in place of GetTemplate, a deploy writes it under its lock. The artifact buckets' objects cover it."""
    ci = templates.ci.build(containers_config).template.to_dict()
    objects = {
        "Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:s3:::stackyard-artifacts-${AWS::AccountId}-*"}, "/*"]]
    }
    assert objects in granted(ci, "PlanRole")["s3:GetObject"]
    service_role = Role("CloudFormationRole", AssumeRolePolicyDocument={})
    policy = Policy(PolicyName="deploy", PolicyDocument=document(*deploy_permissions(containers_config, service_role)))
    statements = policy.to_dict()["PolicyDocument"]["Statement"]
    for action in ("s3:GetObject", "s3:PutObject"):  # the infrastructure role's and the service role stack's
        assert any(action in s["Action"] and objects in s["Resource"] and "Condition" not in s for s in statements)
