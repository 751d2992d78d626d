"""Pure unit: each example system's README maps the seed's names to the generated ones (issue 14).

The runbook table's middle column names what the system generates for the environment its header
says (`generated (production)`); every name written there in backticks is in that environment's
templates (bucket names with `<account>-<region>` for what CloudFormation fills in), so a rename
in templates/names.py cannot leave a README pointing at nothing.
"""

from __future__ import annotations

import re

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.config.verify import planned_checks
from tests.helpers import ROOT

SYSTEMS = ("tap", "infrastructure-package", "plot-palette", "goldsport-scheduler")
HEADER = re.compile(r"^\| the plan's name \| generated \((?P<env>[a-z0-9-]+)\) \| the command that finds it \|$")


def runbook(system: str) -> tuple[str, list[list[str]]]:
    """The environment the runbook table is for, and its rows' cells."""
    lines = (ROOT / "examples" / system / "README.md").read_text().splitlines()
    [start] = [index for index, line in enumerate(lines) if HEADER.match(line)]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return HEADER.match(lines[start])["env"], rows


def generated_text(system: str, env: str) -> str:
    config = load_configs(ROOT / "examples" / system / "params", [env])[env]
    build = build_environment(config)
    stacks = [stack.stack_name for stack in build.stacks.values()]
    templates = [rendered.body.decode() for stack in build.stacks.values() for rendered in stack.templates]
    return "\n".join([*stacks, f"outputs/{env}.json", *templates])


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_generated_name_in_the_runbook_is_in_the_systems_templates(system):
    env, rows = runbook(system)
    assert len(rows) >= 6
    text = generated_text(system, env)
    missing = []
    for seed_name, generated, command in rows:
        assert seed_name and command, (seed_name, generated, command)
        for name in re.findall(r"`([^`]+)`", re.sub(r"\(`[a-z-]+-\.\.\.` in [a-z]+\)", "", generated)):
            name = name.replace("<account>", "${AWS::AccountId}").replace("<region>", "${AWS::Region}")
            if name not in text:
                missing.append(name)
    assert not missing, f"examples/{system}/README.md names what {env} does not generate: {missing}"


@pytest.mark.parametrize(
    ("system", "seed_name", "generated"),
    [
        ("plot-palette", "`plot-palette-Jobs`", "plot-palette-production-jobs"),
        ("plot-palette", "`plot-palette-ECSTaskRole`", "plot-palette-production-EcsTaskRoleName"),
        ("goldsport-scheduler", "`goldsport-scheduler-data-dev`", "goldsport-scheduler-dev-data"),
        ("goldsport-scheduler", "`goldsport-scheduler-engine-dev`", "goldsport-scheduler-dev-processor"),
    ],
)
def test_the_names_the_seeds_own_checks_query_are_mapped(system, seed_name, generated):
    _, rows = runbook(system)
    [row] = [row for row in rows if row[0] == seed_name]
    assert generated in row[1] and (generated in row[2] or ".roles." in row[2])


VERIFY_HEADER = "| the plan's check | verify's check |"


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_verify_table_names_only_checks_the_system_runs(system):
    """Each README maps its seed's checks to verify's; a check renamed or gone cannot leave it stale."""
    lines = (ROOT / "examples" / system / "README.md").read_text().splitlines()
    [start] = [index for index, line in enumerate(lines) if line == VERIFY_HEADER]
    named = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        named |= set(re.findall(r"`([a-z]+(?:-[a-z0-9]+)+)`", line.rsplit("|", 2)[1]))
    configs = load_configs(ROOT / "examples" / system / "params")
    runs = {check.name for config in configs.values() for check in planned_checks(config)}
    assert named and named <= runs, sorted(named - runs)
