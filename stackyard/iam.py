"""IAM shared below templates/: the policy language version every document declares, and what no IAM
statement may allow on every resource ('*'), which params validation (config) and the project's lint
rule E9011 share, so params and templates are held to one standard."""

from __future__ import annotations

import fnmatch

POLICY_VERSION = "2012-10-17"

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
