"""The CloudFormation service role (docs/deploy.md, "The CloudFormation service role").

Passed as RoleARN on every create, update, delete, rollback and continued rollback a deploy or delete
makes, so the person or CI job deploying needs only CloudFormation, the artifact bucket, and iam:PassRole
on that one role. `--role-arn` overrides params' `guards.role_arn`. A plan passes none: its change sets
never run, and the plan role may not pass roles.

The stack that creates the role (the ci stack with `ci.infrastructure.cloudformation_role`) is never
deployed as it: CloudFormation cannot run a stack's first create as a role that create makes, and a
stack associated with a role needs that role to delete it. Until that stack is deployed the role does
not exist, so a deploy passes params' role only once it is (an environment's first deploy, by an
administrator, runs as the caller); `--role-arn` is always passed. A delete always passes it: the role
is kept when its stack is deleted. Pure.
"""

from __future__ import annotations

from stackyard.deploy.environment import DeployOptions, Environment

# The holder's statuses in which the role does not exist (yet): its first create has not succeeded.
ROLE_NOT_CREATED = frozenset(
    {"REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED"}
    | {"ROLLBACK_COMPLETE", "DELETE_COMPLETE"}
)


def role_for(environment: Environment, options: DeployOptions, stack: str, holder_deployed: bool = True) -> str | None:
    """The role a write on `stack` runs as ("bootstrap", the artifact bucket's stack, included); None: the caller's.
    `holder_deployed`: whether the stack creating params' role (role_holder) is deployed, so the role exists."""
    arn = options.role_arn or environment.manifest.guards.role_arn
    entry = environment.manifest.stacks.get(stack)
    if not arn or options.plan_only or (entry is not None and entry.holds_service_role):
        return None
    if not options.role_arn and not holder_deployed:
        return None
    return arn


def role_holder(environment: Environment) -> str | None:
    """The environment's stack that creates the role params' guards.role_arn names (None: made elsewhere)."""
    return next((name for name, entry in environment.manifest.stacks.items() if entry.holds_service_role), None)


def role_created(status: str | None) -> bool:
    """Whether the role exists, from its stack's status (None: the stack is not there)."""
    return status is not None and status not in ROLE_NOT_CREATED


def role_argument(role: str | None) -> dict[str, str]:
    return {"RoleARN": role} if role else {}
