"""The CloudFormation service role (docs/deploy.md, "The CloudFormation service role").

Passed as RoleARN on every create, update, delete, rollback and continued rollback a deploy or delete
makes, so the person or CI job deploying needs only CloudFormation, the artifact bucket, and iam:PassRole
on that one role. `--role-arn` overrides params' `guards.role_arn`. A plan passes none: its change sets
never run, and the plan role may not pass roles.

The stack that creates the role (the ci stack with `ci.infrastructure.cloudformation_role`) is never
deployed as it: CloudFormation cannot run a stack's first create as a role that create makes, and a
stack associated with a role needs that role to delete it. Pure.
"""

from __future__ import annotations

from stackyard.deploy.environment import DeployOptions, Environment


def role_for(environment: Environment, options: DeployOptions, stack: str) -> str | None:
    """The role a write on `stack` runs as ("bootstrap", the artifact bucket's stack, included); None: the caller's."""
    arn = options.role_arn or environment.manifest.guards.role_arn
    entry = environment.manifest.stacks.get(stack)
    if not arn or options.plan_only or (entry is not None and entry.holds_service_role):
        return None
    return arn


def role_argument(role: str | None) -> dict[str, str]:
    return {"RoleARN": role} if role else {}
