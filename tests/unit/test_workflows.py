"""Pure unit: the GitHub workflows users copy (issue 14, seed 002 §2.11, §4).

Every workflow file is valid against GitHub's workflow schema (check-jsonschema's vendored copy, no
network), and each one names exactly the roles and resources the ci and containers stacks create:
.github/workflows/plan.yml and deploy.yml run deploy.py through ci.infrastructure's roles;
examples/tap's deploy-backend.yml and deploy-frontend.yml are seed 002's pipelines, through the app
deploy role, whose policy allows every AWS call they make.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import templates.containers
from stackyard.build import build_environment
from stackyard.config import load_configs
from templates import names
from tests.helpers import ROOT, properties

WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/*/.github/workflows/*.yml")])
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
TAP = ROOT / "examples" / "tap"


@pytest.fixture(scope="module")
def tap():
    return build_environment(load_configs(TAP / "params")["poc"])


def workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def steps_text(document: dict, job: str) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("with", "")) for step in document["jobs"][job]["steps"])


def test_the_workflows_users_copy_are_all_here():
    assert [path.relative_to(ROOT).as_posix() for path in WORKFLOWS] == [
        ".github/workflows/deploy.yml",
        ".github/workflows/lint.yml",
        ".github/workflows/plan.yml",
        "examples/tap/.github/workflows/deploy-backend.yml",
        "examples/tap/.github/workflows/deploy-frontend.yml",
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_workflow_is_valid_against_githubs_workflow_schema(path):
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_fails_a_broken_workflow(tmp_path):
    """The check above can fail: a job without runs-on is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  build:\n    steps:\n      - run: echo\n")
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1


def _role_for(document: dict, job: str, config) -> str:
    [step] = [step for step in document["jobs"][job]["steps"] if "configure-aws-credentials" in step.get("uses", "")]
    arn = step["with"]["role-to-assume"]
    return arn.replace("${{ vars.STACKYARD_APP }}-${{ vars.STACKYARD_ENV }}", names.prefix(config)).replace(
        "${{ env.DEPLOY_ROLE }}", document["env"]["DEPLOY_ROLE"] if "env" in document else ""
    )


def test_the_plan_workflow_runs_deploy_plan_on_pull_requests_through_the_plan_role_into_the_summary(tap):
    document = workflow(ROOT / ".github/workflows/plan.yml")
    assert list(document[True]) == ["pull_request"]  # YAML reads the key `on` as true
    assert document["permissions"] == {"contents": "read", "id-token": "write"}
    role = _role_for(document, "plan", tap.config)
    assert role == f"arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/{names.github_plan_role_name(tap.config)}"
    run = steps_text(document, "plan")
    assert "--plan --plan-format markdown" in run and '>> "$GITHUB_STEP_SUMMARY"' in run
    assert "3)" in run  # exit 3 (changes found) is not a failure


def test_the_deploy_workflow_runs_on_main_in_a_github_environment_through_the_infrastructure_role(tap):
    document = workflow(ROOT / ".github/workflows/deploy.yml")
    assert document[True]["push"] == {"branches": ["main"]}
    job = document["jobs"]["deploy"]
    assert job["environment"] == "${{ vars.STACKYARD_ENV }}"  # its protection rules approve each run
    role = _role_for(document, "deploy", tap.config)
    assert role.endswith(f":role/{names.github_infrastructure_role_name(tap.config)}")
    assert "deploy.py" in steps_text(document, "deploy") and "--yes" in steps_text(document, "deploy")


def test_the_ci_stack_creates_those_roles_for_pull_requests_and_the_approved_environment_only(tap):
    ci = tap.stacks["ci"].template.document
    plan, infrastructure = properties(ci, "PlanRole"), properties(ci, "InfrastructureRole")
    assert (plan["RoleName"], infrastructure["RoleName"]) == ("tap-poc-github-plan", "tap-poc-github-infrastructure")
    subjects = {
        name: role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        for name, role in (("plan", plan), ("infrastructure", infrastructure))
    }
    assert subjects == {"plan": "repo:tap-org/tap:pull_request", "infrastructure": "repo:tap-org/tap:environment:poc"}
    statements = {statement["Sid"]: statement for statement in plan["Policies"][0]["PolicyDocument"]["Statement"]}
    assert "cloudformation:ExecuteChangeSet" not in str(plan["Policies"])  # a plan changes nothing
    assert statements["AddNewArtifactsOnly"]["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert statements["ReadStacksAndPlan"]["Resource"][0] == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/tap-poc-*/*"
    }
    # ci.infrastructure.cloudformation_role: CloudFormation changes the stacks as tap-poc-cloudformation, which
    # alone holds AdministratorAccess; the infrastructure role drives CloudFormation and may pass only that role.
    assert "ManagedPolicyArns" not in infrastructure
    service = properties(ci, "CloudFormationRole")
    assert service["RoleName"] == "tap-poc-cloudformation"
    assert service["ManagedPolicyArns"] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}]
    assert service["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "cloudformation.amazonaws.com"
    }
    granted = {s["Sid"]: s for s in infrastructure["Policies"][0]["PolicyDocument"]["Statement"]}
    assert granted["PassOnlyTheCloudFormationRole"]["Resource"] == [{"Fn::GetAtt": ["CloudFormationRole", "Arn"]}]
    assert granted["PassOnlyTheCloudFormationRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    passed = [s for s in granted.values() if "iam:PassRole" in s["Action"] or "iam:*" in s["Action"]]
    assert passed == [granted["PassOnlyTheCloudFormationRole"]]


def _deploy_role_actions(tap) -> set[str]:
    [policy] = properties(tap.stacks["ci"].template.document, "DeployRole")["Policies"]
    return {action for statement in policy["PolicyDocument"]["Statement"] for action in statement["Action"]}


def test_2_11_the_backend_pipeline_names_what_tap_generates_and_its_role_allows_each_call(tap):
    document = workflow(TAP / ".github/workflows/deploy-backend.yml")
    config = tap.config
    assert document["env"] | {"AWS_REGION": config.region} == {
        "AWS_REGION": config.region,
        "DEPLOY_ROLE": names.github_deploy_role_name(config),
        "REPOSITORY": names.ecr_repository_name(config),
        "CLUSTER": names.ecs_cluster_name(config),
        "SERVICE": names.ecs_service_name(config),
        "TASK_FAMILY": names.task_family(config),
        "CONTAINER": templates.containers.CONTAINER,
        "API_URL": f"https://{config.edge.api_domain}",
    }
    assert document["jobs"]["deploy"]["needs"] == "test"
    run = steps_text(document, "deploy")
    for command in ("docker build --target prod", "aws ecs run-task", "--force-new-deployment", "services-stable"):
        assert command in run
    assert {
        "ecr:GetAuthorizationToken",
        "ecr:PutImage",
        "ecs:RunTask",
        "ecs:DescribeTasks",
        "iam:PassRole",
        "ecs:UpdateService",
        "ecs:DescribeServices",
    } <= _deploy_role_actions(tap)


def test_2_11_the_frontend_pipeline_syncs_and_invalidates_through_the_same_role(tap):
    document = workflow(TAP / ".github/workflows/deploy-frontend.yml")
    assert document["env"]["DEPLOY_ROLE"] == names.github_deploy_role_name(tap.config)
    assert document["env"]["SITE_URL"] == f"https://{tap.config.edge.domain}"
    run = steps_text(document, "deploy")
    assert "aws s3 sync dist/" in run and "--delete" in run
    assert "create-invalidation" in run and "invalidation-completed" in run
    assert {
        "s3:ListBucket",
        "s3:PutObject",
        "s3:DeleteObject",
        "cloudfront:CreateInvalidation",
        "cloudfront:GetInvalidation",
    } <= _deploy_role_actions(tap)
    # Both pipelines test pull requests too, and deploy only on a push to main.
    for name in ("deploy-backend.yml", "deploy-frontend.yml"):
        pipeline = workflow(TAP / ".github/workflows" / name)
        assert set(pipeline[True]) == {"push", "pull_request"}
        assert pipeline["jobs"]["deploy"]["if"] == "github.event_name == 'push'"
