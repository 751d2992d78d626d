"""Whether a proposed change set may run: a pure decision on the plan and the run's options.

An export in use that the change would change or remove: refused, with the two-step way out
(CloudFormation would refuse it anyway, after starting). Data loss or downtime (stackyard/deploy/risk.py):
refused unless --allow-replace; with it, on a terminal without --yes, the user confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from stackyard.deploy.stack_plan import StackPlan


class Verdict(Enum):
    PROCEED = "proceed"
    REFUSE = "refuse"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Review:
    verdict: Verdict
    message: str = ""


def review(plan: StackPlan, allow_replace: bool, ask: bool) -> Review:
    """`ask`: a person is at the terminal and did not pass --yes."""
    if plan.blocked_exports:
        blocked = "; ".join(str(blocked) for blocked in plan.blocked_exports)
        return Review(
            Verdict.REFUSE,
            f"stack {plan.name}: {blocked}. CloudFormation refuses to change an export in use. Fix, in two "
            f"steps: deploy the importing stacks without the import (or importing a new export), then deploy "
            f"this change",
        )
    if not plan.risky:
        return Review(Verdict.PROCEED)
    if not allow_replace:
        return Review(
            Verdict.REFUSE,
            f"stack {plan.name}: the change would {plan.risks}. Fix: if that is intended, rerun with --allow-replace",
        )
    if ask:
        return Review(Verdict.CONFIRM, f"{plan.name} would {plan.risks}. Type yes to go on: ")
    return Review(Verdict.PROCEED)
