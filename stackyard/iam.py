"""IAM shared below templates/: the policy language version every document declares, what no IAM
statement may allow on every resource ('*'), and what needs a written reason on any resource (every
action of a service), which params validation (config) and the project's lint rule E9011 share, so
params and templates are held to one standard."""

from __future__ import annotations

import fnmatch
import re

POLICY_VERSION = "2012-10-17"
# An IAM role's ARN (its name the group): params guards.role_arn, and deploy's --role-arn, checked before
# the config models load.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})")

# Actions that let a principal take on more permissions than it holds: on '*', any role or policy.
ESCALATION_ACTIONS = (
    "iam:PassRole",
    "sts:AssumeRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:Put*Policy",
    "iam:Attach*Policy",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
)


def too_broad_on_everything(actions: list[str]) -> list[str]:
    """The actions that, allowed on '*', grant more than any role needs: wildcards and escalations."""
    return [
        action
        for action in actions
        if "*" in action or any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in ESCALATION_ACTIONS)
    ]


def service_wide_wildcards(actions: list[str]) -> list[str]:
    """The actions that allow every action of a service ('s3:*') or of every service ('*'): even on named
    resources they reach configuration (bucket policies, versioning, deleting the queue), not just data,
    so params must say why in a `reason:` (docs/security.md)."""
    return [action for action in actions if action == "*" or action.endswith(":*")]


# Where a template writes the reasons params gave: the policy resource's Metadata.Stackyard.WildcardReasons,
# by the Sid of the statement each explains (IAM policies have no room for text).
WILDCARD_REASONS = "WildcardReasons"
