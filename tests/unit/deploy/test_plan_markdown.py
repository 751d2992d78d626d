"""The shape of `plan --plan-format markdown` (docs/deploy.md, "The plan as Markdown"): pure unit on the
renderer, and through deploy.py against the fault matrix's scripted AWS (tests/faults/) for what goes to
standard output (only the Markdown) and standard error (the progress)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from stackyard.aws import Aws, ChangeSet, ResourceChange
from stackyard.cli import deploy as cli
from stackyard.deploy.plan_markdown import plan_markdown
from stackyard.deploy.recovery import Recovery
from stackyard.deploy.run import Seams
from stackyard.deploy.scheduler import Outcome
from stackyard.deploy.stack_plan import Action, StackPlan, Target
from stackyard.errors import EXIT_BAD_INPUT, EXIT_CHANGES_PLANNED
from tests.faults.scenarios import queue_replaced
from tests.faults.world import World
from tests.helpers import ROOT

QUEUE_REPLACED = ResourceChange("Modify", "Queue", "AWS::SQS::Queue", "True")
SUBNET = ResourceChange("Add", "Subnet", "AWS::EC2::Subnet", "", nested_in="Vpc")


def test_the_markdown_lists_every_stack_then_each_change_set_with_its_marks():
    plan = StackPlan(
        Target("app", "app-test-app", "ap-southeast-1"),
        None,
        Recovery.NONE,
        Action.UPDATE,
        ("template Resources: changed Queue | Group",),
        change_set=ChangeSet("cs-1", "CREATE_COMPLETE", None, "AVAILABLE", [QUEUE_REPLACED, SUBNET]),
        risky=(QUEUE_REPLACED,),
    )
    outcomes = {
        "network": Outcome("network", "unchanged"),
        "app": Outcome("app", "planned", plan.summary()),
    }
    assert plan_markdown("app", "test", outcomes, {"app": plan}) == (
        "## Plan of app `test`: 1 of 2 stacks would change\n"
        "\n"
        "| stack | result | what a deploy would do |\n"
        "|---|---|---|\n"
        "| `network` | unchanged |  |\n"
        "| `app` | **planned** | would update: 2 changes; LOSES DATA: Queue (AWS::SQS::Queue) replaced |\n"
        "\n"
        "### `app` (app-test-app, ap-southeast-1): update, 2 changes\n"
        "\n"
        "- template Resources: changed Queue \\| Group\n"
        "- **LOSES DATA**: Queue (AWS::SQS::Queue) replaced; a deploy refuses it without `--allow-replace`\n"
        "\n"
        "| action | logical id | type | replacement | data |\n"
        "|---|---|---|---|---|\n"
        "| Modify | `Queue` | AWS::SQS::Queue | True | **LOSES DATA** |\n"
        "| Add | `Vpc/Subnet` | AWS::EC2::Subnet | - |  |\n"
    )


def test_a_plan_with_nothing_to_do_says_so_in_its_heading():
    outcomes = {"network": Outcome("network", "unchanged")}
    assert plan_markdown("app", "test", outcomes, {}).splitlines()[0] == "## Plan of app `test`: no changes in 1 stacks"


def run(world: World, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    seams = Seams(Aws(client_factory=world.fake.client), world.fake.clock)
    common = ["--system", str(world.root), "--env", "test", "--no-generate", "--concurrency", "1"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*args, *common], seams)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def deployed(tmp_path) -> World:
    world = World(tmp_path)
    assert run(world, "deploy")[0] == 0
    return world


def test_through_deploy_py_standard_output_is_only_the_markdown(deployed):
    queue_replaced(deployed)
    code, out, err = run(deployed, "plan", "--plan-format", "markdown")
    assert code == EXIT_CHANGES_PLANNED, err
    assert out.startswith("## Plan of app `test`: 1 of 3 stacks would change\n")
    assert "| Modify | `Queue` | AWS::SQS::Queue | True | **LOSES DATA** |" in out
    assert not re.search(r"^\d\d:\d\d:\d\d ", out, re.MULTILINE)  # no progress line
    assert "creating change set" in err and "app      planned" in err
    for line in out.splitlines():  # every table row has its table's five or three cells
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) in (4, 6), line


@pytest.mark.parametrize("args", [("deploy",), ("delete", "--plan"), ("delete", "--yes")])
def test_markdown_is_only_for_a_deploys_plan(deployed, args):
    calls = len(deployed.fake.calls)
    code, _, err = run(deployed, *args, "--plan-format", "markdown")
    assert code == EXIT_BAD_INPUT
    assert "--plan-format markdown goes with plan (a deploy's plan), not with deploy or delete" in err
    assert len(deployed.fake.calls) == calls


def test_the_plan_workflows_command_line_is_one_deploy_py_accepts():
    text = (ROOT / ".github/workflows/plan.yml").read_text()
    command = re.search(r"python deploy\.py (.*?) > plan\.md", text.replace("\\\n", " "), re.DOTALL)
    assert command, "plan.yml runs deploy.py into plan.md"
    args = cli._parser().parse_args(shlex.split(command.group(1)))
    assert (args.plan, args.plan_format, args.delete) == (True, "markdown", False)
