"""A deploy's plan as Markdown: what `plan --plan-format markdown` writes to standard output, and CI
appends to a job summary (.github/workflows/plan.yml writes it to $GITHUB_STEP_SUMMARY).

The same facts as the text plan (docs/deploy.md, "What a plan shows"): a table of every stack with
its result and what a deploy would do, then for each stack with a change set why, and the change
set's table with replacements and the changes that lose data marked. A pure function of the run's
outcomes and plans.
"""

from __future__ import annotations

from collections.abc import Mapping

from stackyard.aws import ResourceChange
from stackyard.deploy.risk import is_risky, is_stateful
from stackyard.deploy.scheduler import Outcome
from stackyard.deploy.stack_plan import StackPlan

LOSES_DATA = "**LOSES DATA**"


def plan_markdown(app: str, env: str, outcomes: Mapping[str, Outcome], plans: Mapping[str, StackPlan]) -> str:
    """The plan of environment `env` of `app`: `outcomes` in deploy order, `plans` of the stacks planned."""
    changing = [stack for stack, outcome in outcomes.items() if outcome.result != "unchanged"]
    lines = [
        f"## Plan of {app} `{env}`: {_count(changing, outcomes)}",
        "",
        "| stack | result | what a deploy would do |",
        "|---|---|---|",
    ]
    for stack, outcome in outcomes.items():
        result = outcome.result if outcome.result == "unchanged" else f"**{outcome.result}**"
        lines.append(f"| `{stack}` | {result} | {_cell(outcome.detail)} |")
    for stack in changing:
        plan = plans.get(stack)
        if plan is not None and plan.change_set is not None:
            lines += ["", *_stack_section(plan)]
    return "\n".join(lines) + "\n"


def _count(changing: list[str], outcomes: Mapping[str, Outcome]) -> str:
    if not changing:
        return f"no changes in {len(outcomes)} stacks"
    return f"{len(changing)} of {len(outcomes)} stacks would change"


def _stack_section(plan: StackPlan) -> list[str]:
    assert plan.change_set is not None and plan.action is not None
    changes = plan.change_set.changes
    lines = [f"### `{plan.stack}` ({plan.name}, {plan.region}): {plan.action.value}, {_plural(len(changes))}", ""]
    lines += [f"- {_cell(reason)}" for reason in plan.reasons]
    if plan.risky:
        lines.append(f"- {LOSES_DATA}: {_cell(plan.loses_data)}; a deploy refuses it without `--allow-replace`")
    lines += [f"- **REFUSED**: {_cell(str(blocked))}" for blocked in plan.blocked_exports]
    lines += ["", "| action | logical id | type | replacement | data |", "|---|---|---|---|---|"]
    lines += [_change_row(change) for change in changes]
    return lines


def _change_row(change: ResourceChange) -> str:
    where = f"{change.nested_in}/{change.logical_id}" if change.nested_in else change.logical_id
    mark = LOSES_DATA if is_risky(change) else ("stateful" if is_stateful(change) else "")
    return f"| {change.action} | `{where}` | {change.resource_type} | {change.replacement or '-'} | {mark} |"


def _plural(count: int) -> str:
    return f"{count} change{'s' if count != 1 else ''}"


def _cell(text: str) -> str:
    """Text that stays inside one table cell or list item."""
    return " ".join(text.split()).replace("|", "\\|")
