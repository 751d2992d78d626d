"""What a stack's guards found while it was planned: a frozen value in its StackPlan, shown by a plan and
acted on by a deploy (docs/deploy.md, "Guards")."""

from __future__ import annotations

from dataclasses import dataclass

from stackyard.aws.records import ResourceChange
from stackyard.deploy.risk import described


@dataclass(frozen=True)
class GuardFindings:
    # Changes the stack policy keeps from happening (replacing or removing a guarded resource).
    policy_denied: tuple[ResourceChange, ...] = ()
    policy_overridden: bool = False  # --allow-replace: those changes are let through for this one update
    policy_pending: tuple[str, ...] = ()  # the stacks (nested ones by path) whose policy a deploy would set
    triggers: tuple[str, ...] = ()  # alarm names CloudFormation watches during the update
    unwatched: tuple[str, ...] = ()  # critical alarms not watched, and why
    monitoring_minutes: int = 0
    drifted: tuple[str, ...] = ()  # stateful resources that drifted, described
    drift_notes: tuple[str, ...] = ()  # other drift, and what could not be checked
    retry_kept_failure: bool = False  # --no-rollback on an UPDATE_FAILED stack: the update is retried
    refusal: str = ""  # why a deploy would stop before executing ("" when it would not)

    @property
    def loses(self) -> str:
        return ", ".join(described(change) for change in self.policy_denied)

    def summary(self) -> str:
        """The plan summary's guard part ("" when the guards have nothing to say)."""
        parts = []
        if self.policy_denied:
            parts.append(
                f"stack policy overridden for this update: {self.loses}"
                if self.policy_overridden
                else f"STACK POLICY denies: {self.loses} (a deploy needs --allow-replace)"
            )
        if self.drifted:
            parts.append(f"DRIFTED: {'; '.join(self.drifted)}")
        if self.policy_pending:
            parts.append(f"would set the stack policy of {', '.join(self.policy_pending)}")
        if self.triggers:
            window = f", then {self.monitoring_minutes} min" if self.monitoring_minutes else ""
            parts.append(f"rollback triggers: {', '.join(self.triggers)} (during the update{window})")
        if self.retry_kept_failure:
            parts.append("retries the update kept failed by --no-rollback")
        return "; ".join(parts)
