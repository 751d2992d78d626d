"""params `ci`: the role GitHub Actions deploys through (OIDC), who may assume it and what it may do.

The check: each deploy shortcut names a stack this environment has, the account's one OIDC provider
is created by one environment only, and the role may do something.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from stackyard.config.access import Grant, PolicyStatement
from stackyard.config.fields import Model
from stackyard.config.problems import problem_at
from stackyard.config.stacks import site_bucket
from stackyard.errors import ParamsProblem
from stackyard.params import BASE_FILE, KeyPath, SourcedParams

if TYPE_CHECKING:
    from stackyard.config.environment import EnvironmentConfig

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# Where each ci deploy shortcut deploys to: the stack whose resources it names.
CI_DEPLOY_STACKS = {"frontend": "edge", "containers": "containers"}


def _github_name(kind: str, regex: str, allowed: str) -> AfterValidator:
    """An exact GitHub name; a wildcard would let other repositories' workflows deploy here."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if any(char in value for char in "*?["):
            raise ValueError(
                f"got {value!r}: a wildcard would let workflows outside this {kind} assume the deploy "
                f"role; expected the exact {kind} name, such as {allowed}"
            )
        if not compiled.fullmatch(value):
            raise ValueError(f"got {value!r}; expected a GitHub {kind} name such as {allowed}")
        return value

    return AfterValidator(check)


def _git_branch(value: str) -> str:
    if any(char in value for char in "*?["):
        raise ValueError(
            f"got {value!r}: branches are matched exactly; expected branch names such as main, or "
            f"the pattern in subject_patterns (e.g. repo:<org>/<repo>:ref:refs/heads/release/*)"
        )
    if (
        not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", value)
        or ".." in value
        or value.endswith((".lock", "."))
    ):
        raise ValueError(f"got {value!r}; expected a git branch name such as main or release/1.x")
    return value


Organization = Annotated[str, _github_name("organization", r"(?=.{1,39}$)[A-Za-z0-9](-?[A-Za-z0-9])*", "acme-corp")]
Repository = Annotated[str, _github_name("repository", r"(?!\.\.?$)[A-Za-z0-9._-]{1,100}", "talent-platform")]
GithubEnvironment = Annotated[str, _github_name("environment", r"[A-Za-z0-9._-]{1,255}", "production")]
Branch = Annotated[str, AfterValidator(_git_branch)]


class InfrastructureRoles(Model):
    """Roles for running deploy.py itself from GitHub Actions (.github/workflows/plan.yml, deploy.yml)."""

    # <app>-<env>-github-plan: the repository's pull request workflows read the stacks and create (then
    # delete) change sets: deploy.py --plan.
    plan: bool = False
    # <app>-<env>-github-infrastructure: only jobs running in this GitHub environment (whose protection
    # rules, such as required reviewers, approve each run) deploy every stack: deploy.py --yes.
    deploy_environment: GithubEnvironment | None = None
    # <app>-<env>-cloudformation: the CloudFormation service role deploys pass (guards.role_arn names it); the
    # infrastructure role then may only pass that role and drive CloudFormation, not change resources itself.
    cloudformation_role: bool = False


class Ci(Model):
    """GitHub Actions deploys through OIDC (seed 002 §2.7): a role only the named repository's
    workflows (on the named branches or GitHub environments) can assume."""

    org: Organization
    repo: Repository
    branches: list[Branch] = Field(default_factory=list)
    # A job that names a GitHub environment gets the subject repo:<org>/<repo>:environment:<name>, not the branch.
    environments: list[GithubEnvironment] = Field(default_factory=list)
    # Wildcards only where written explicitly, and only within the repository.
    subject_patterns: list[str] = Field(default_factory=list, validate_default=True)
    # An account has one OIDC provider per URL: one environment of the account creates it (in its own
    # file, not base.yaml), every other trusts the account's existing one.
    create_provider: bool = False
    deploys: list[Literal["frontend", "containers"]] = Field(default_factory=list)
    infrastructure: InfrastructureRoles = Field(default_factory=InfrastructureRoles)
    grants: list[Grant] = Field(default_factory=list)
    statements: list[PolicyStatement] = Field(default_factory=list)

    @field_validator("subject_patterns")
    @classmethod
    def _patterns_within_the_repository(cls, patterns: list[str], info: ValidationInfo) -> list[str]:
        org, repo = info.data.get("org"), info.data.get("repo")
        if org is None or repo is None:
            return patterns
        prefix = f"repo:{org}/{repo}:"
        for pattern in patterns:
            if (
                not pattern.startswith(prefix)
                or len(pattern) == len(prefix)
                or not re.fullmatch(r"[A-Za-z0-9._/:*?-]+", pattern)
            ):
                raise ValueError(
                    f"got {pattern!r}; expected a GitHub OIDC subject of this repository, starting "
                    f"with {prefix!r}, such as {prefix}ref:refs/heads/release/*"
                )
        validated = "branches" in info.data and "environments" in info.data  # else their own errors say it
        if validated and not (patterns or info.data["branches"] or info.data["environments"]):
            raise ValueError(
                "no workflow could assume the role; expected branches (such as [main]), environments "
                "or subject_patterns"
            )
        return patterns

    @property
    def pull_request_subject(self) -> str:
        """The subject of the repository's pull_request workflows (forks' get no token at all)."""
        return f"repo:{self.org}/{self.repo}:pull_request"

    def environment_subject(self, environment: str) -> str:
        return f"repo:{self.org}/{self.repo}:environment:{environment}"

    @property
    def subjects(self) -> list[str]:
        """The exact OIDC subjects (`sub` claims) allowed to assume the role."""
        repository = f"repo:{self.org}/{self.repo}"
        return [f"{repository}:ref:refs/heads/{branch}" for branch in self.branches] + [
            f"{repository}:environment:{environment}" for environment in self.environments
        ]


def validate_ci(config: EnvironmentConfig, params: SourcedParams) -> list[ParamsProblem]:
    """Each deploy shortcut names resources of a stack this environment has; the role may do something."""
    ci = config.ci
    if ci is None or "ci" not in config.stacks:
        return []
    found = _deploy_problems(config, ci)
    where = params.locate(("ci", "create_provider"))
    if ci.create_provider and where is not None and where.file.name == BASE_FILE:
        found.append(
            (
                ("ci", "create_provider"),
                "every environment would create the account's one GitHub OIDC provider, and the second would "
                "fail; expected create_provider: true in the file of the one environment that creates it",
            )
        )
    found += _shortcut_problems(config, ci)
    if not (ci.deploys or ci.grants or ci.statements):
        found.append(
            (
                ("ci",),
                f"the deploy role would be allowed nothing; expected deploys (some of: "
                f"{', '.join(CI_DEPLOY_STACKS)}), grants or statements",
            )
        )
    return [problem_at(params, path, message) for path, message in found]


def _deploy_problems(config: EnvironmentConfig, ci: Ci) -> list[tuple[KeyPath, str]]:
    """Deploy shortcuts whose stack this environment does not have."""
    return [
        (
            ("ci", "deploys", index),
            f"{deploy} deploys to the {CI_DEPLOY_STACKS[deploy]} stack, which this environment's stacks do not "
            f"include; expected {CI_DEPLOY_STACKS[deploy]} in stacks, or {deploy} left out of deploys",
        )
        for index, deploy in enumerate(ci.deploys)
        if CI_DEPLOY_STACKS[deploy] not in config.stacks
    ]


def _shortcut_problems(config: EnvironmentConfig, ci: Ci) -> list[tuple[KeyPath, str]]:
    """Shortcuts the environment's site or image repository would refuse."""
    found: list[tuple[KeyPath, str]] = []
    site = site_bucket(config)
    if "frontend" in ci.deploys and site:
        found.append(
            (
                ("ci", "deploys", ci.deploys.index("frontend")),
                f"the site is the storage bucket {site!r} (edge.site_bucket), which its own writers "
                f"fill; expected a grant on that bucket instead of frontend",
            )
        )
    containers = config.containers
    if "containers" in ci.deploys and containers is not None and containers.repository.tag_mutability == "IMMUTABLE":
        found.append(
            (
                ("ci", "deploys", ci.deploys.index("containers")),
                "the containers shortcut pushes an image and restarts the service on the same tag, which an IMMUTABLE "
                "repository refuses; expected tag_mutability: MUTABLE, or releases deployed by changing image_tag",
            )
        )
    return found
