"""Fault fake (scripted AWS, tests/faults/fake_aws.py) against generated IAM: the roles the ci stack creates
for GitHub Actions may make every call the engine makes (docs/security.md, "What the CI roles may do").

Every fault-matrix row (tests/faults/scenarios/: first deploys, updates, no-ops, nested stacks, packages,
container images, prefix lists, ACM validation, drift, stack policies, the service role, failed rollbacks,
deletes) and a create after a delete that adopts a kept bucket, secret and queue are run once through the real
engine; every AWS call is recorded with the ARN it touches (tests/faults/iam_actions.py). Then, for each seed
system with the ci stack's infrastructure roles (tap as shipped; the others with `ci.infrastructure` added,
since their roles differ by what the system holds), each call of a `plan` (and `drift`) must be allowed by the
pull-request plan role, and each call of a `deploy` or `delete` by the deploy (infrastructure) role, as IAM
would evaluate the generated policy (tests/faults/iam_policy.py). With `cloudformation_role` the deploy role
drives CloudFormation and passes the service role; what CloudFormation then does runs as the service role.

The world's names are `app-test-*` (tests/faults/world.py): each system's check reads them as that system's
environment, `<app>-<env>-*` (stacks, buckets, queues, the repository, the service role) and `/<app>/<env>/`
(secrets). A row plays only against the systems that hold what its world holds (container images, prefix
lists, certificates validated by hand, nested stacks): a system without a container service never looks for
an image.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import templates.ci
from stackyard.build import build_environment
from stackyard.config import EnvironmentConfig, load_configs
from tests.faults.answers import ACCOUNT
from tests.faults.fake_aws import Call
from tests.faults.iam_actions import needs
from tests.faults.iam_policy import Need, Role, role_from_template
from tests.faults.scenarios.adoption import keeps_data
from tests.faults.scenarios.guard_setups import OTHER_ROLE
from tests.faults.test_fault_matrix import ALL
from tests.faults.world import APP, ENV, REGION, World
from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # every row of the fault matrix again (~10 s)

FEATURES = ("nested", "prefix_lists", "images", "certificate")
READ_VERBS = ("plan", "drift")  # what the pull-request plan role runs; the rest runs as the deploy role
KEPT_QUEUE = f"{APP}-{ENV}-jobs"


@dataclass(frozen=True)
class Run:
    """One command of one row: what it ran and the calls it made."""

    row: str
    args: tuple[str, ...]
    features: frozenset[str]
    calls: tuple[Call, ...]

    @property
    def reads_only(self) -> bool:
        verb = self.args[0] if self.args and not self.args[0].startswith("-") else "deploy"
        return verb in READ_VERBS or (self.args[:1] == ("--plan",) and "--delete" not in self.args)


@dataclass(frozen=True)
class System:
    id: str
    folder: Path  # the system's folder (its params/ inside)
    env: str
    adds_ci: bool  # tap ships its ci roles; the others get them added as a user would


SYSTEMS = (
    System("tap-poc", ROOT / "examples" / "tap", "poc", adds_ci=False),
    System("default-prod", ROOT, "prod", adds_ci=True),
    System("infrastructure-package-production", ROOT / "examples" / "infrastructure-package", "production", True),
    System("plot-palette-production", ROOT / "examples" / "plot-palette", "production", True),
    System("goldsport-scheduler-prod", ROOT / "examples" / "goldsport-scheduler", "prod", True),
)


def _rows() -> list[tuple[str, Callable[[World], None], Any]]:
    """(row id, prepare, scenario) for the fault matrix, plus the adoption of every kind a lookup exists for."""
    return [(scenario.id, scenario.prepare, scenario) for scenario in ALL] + [
        ("adopt-a-kept-bucket-secret-and-queue", _keeps_a_queue_too, None)
    ]


def _keeps_a_queue_too(world: World) -> None:
    keeps_data(world)
    template = json.loads(json.dumps(world.templates["storage"]))
    template["Resources"]["Jobs"] = {
        "Type": "AWS::SQS::Queue",
        "DeletionPolicy": "Retain",
        "Properties": {"QueueName": KEPT_QUEUE},
    }
    world.change("storage", template)


def _play(root: Path, prepare: Callable[[World], None], scenario: Any) -> list[tuple[tuple[str, ...], list[Call]]]:
    flags = {feature: getattr(scenario, feature) for feature in FEATURES} if scenario else {}
    world = World(root, **flags)
    prepare(world)
    if scenario is None:  # deployed, deleted keeping its data, then a pull request's plan and a deploy of it
        return [(args, world.run(*args).calls) for args in (("deploy",), ("delete", "--yes"), ("plan",), ("deploy",))]
    played = [(("deploy",), world.run("deploy").calls)] if scenario.start == "deployed" else []
    scenario.setup(world)
    return played + [(args, world.run(*args).calls) for args in (scenario.args, *(then[0] for then in scenario.then))]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    found = []
    for index, (row, prepare, scenario) in enumerate(_rows()):
        features = frozenset(feature for feature in FEATURES if scenario and getattr(scenario, feature))
        for args, calls in _play(tmp_path_factory.mktemp(f"row{index}"), prepare, scenario):
            found.append(Run(row, tuple(args), features, tuple(calls)))
    return found


def _with_infrastructure_roles(system: System, tmp_path: Path) -> EnvironmentConfig:
    """The system's environment; with the ci stack's plan and deploy roles (and the service role) added where
    the system does not ship them, as `ci.infrastructure` in its environment's params file."""
    if not system.adds_ci:
        return load_configs(system.folder / "params", [system.env])[system.env]
    shutil.copytree(system.folder / "params", tmp_path / "params")
    for entry in system.folder.iterdir():  # what params name beside them (sql/, lambdas/ ...)
        if entry.name != "params" and not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    config = load_configs(system.folder / "params", [system.env])[system.env]
    env_file = tmp_path / "params" / f"{system.env}.yaml"
    params = yaml.safe_load(env_file.read_text()) or {}
    params["stacks"] = [*config.stacks, "ci"]
    role = f"arn:aws:iam::{ACCOUNT}:role/{config.app}-{config.environment}-cloudformation"
    params["guards"] = {**params.get("guards", {}), "role_arn": role}
    params["ci"] = {
        "org": "acme",
        "repo": "infrastructure",
        "branches": ["main"],
        "statements": [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::acme-releases/*"]}],
        "infrastructure": {"plan": True, "deploy_environment": system.env, "cloudformation_role": True},
    }
    env_file.write_text(yaml.safe_dump(params, sort_keys=False))
    return load_configs(tmp_path / "params", [system.env])[system.env]


def _features(config: EnvironmentConfig) -> frozenset[str]:
    """What of the fault world's shape the system holds (its manifest's stacks)."""
    stacks = build_environment(config).manifest().stacks.values()
    held = {
        "nested": any(stack.nested for stack in stacks),
        "prefix_lists": any(stack.prefix_lists for stack in stacks),
        "images": any(stack.images for stack in stacks),
        "certificate": any(stack.manual_validation for stack in stacks),
    }
    return frozenset(feature for feature, holds in held.items() if holds)


def _as_system(need: Need, config: EnvironmentConfig) -> Need:
    """The world's `app-test` names as the system's environment's names."""
    prefix, path = f"{config.app}-{config.environment}", f"/{config.app}/{config.environment}/"
    resource = need.resource.replace(f"/{APP}/{ENV}/", path).replace(f"{APP}-{ENV}", prefix)
    return Need(need.action, resource, need.context)


def _passes_another_role(run: Run) -> bool:
    """A row that has deploy.py pass a role other than the environment's own (--role-arn, guards.role_arn):
    no ci role may pass it, and the deploy refuses before any write (tests/faults/scenarios/guards.py)."""
    return OTHER_ROLE in run.args or any(call.params.get("RoleARN") == OTHER_ROLE for call in run.calls)


def ungranted(runs: list[Run], config: EnvironmentConfig, roles: dict[bool, Role], held: frozenset[str]) -> list[str]:
    """Each permission a run's call needs that its role does not grant, once, naming the first call and row."""
    missing: dict[tuple[str, str], str] = {}  # (role, need with any stack id as *) -> the message
    for run in runs:
        if not run.features <= held or _passes_another_role(run):
            continue
        role = roles[run.reads_only]
        for call in run.calls:
            for need in (_as_system(need, config) for need in needs(call)):
                key = (role.name, re.sub(r"(:stack/[^/]+)/[^/]+", r"\1/*", str(need)))
                if not role.allows(need) and key not in missing:
                    missing[key] = (
                        f"{role.name} may not {need}: needed by {call.service}:{call.operation} "
                        f"{_shown(call)} in `{' '.join(run.args)}` of row {run.row}"
                    )
    return list(missing.values())


def _shown(call: Call) -> str:
    return json.dumps({key: value for key, value in call.params.items() if key not in ("TemplateBody", "Body")})[:300]


@pytest.mark.parametrize("system", SYSTEMS, ids=[system.id for system in SYSTEMS])
def test_the_ci_roles_allow_every_call_the_engine_makes(system: System, runs: list[Run], tmp_path: Path) -> None:
    config = _with_infrastructure_roles(system, tmp_path)
    document = templates.ci.build(config).template.to_dict()
    pseudo = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": REGION}
    roles = {
        True: role_from_template(document, "PlanRole", pseudo),
        False: role_from_template(document, "InfrastructureRole", pseudo),
    }
    assert not (missing := ungranted(runs, config, roles, _features(config))), "\n".join(
        [f"{len(missing)} permissions the engine needs are not granted:", *missing]
    )


def test_every_row_of_the_fault_matrix_is_played_and_makes_calls(runs: list[Run]) -> None:
    """The check above covers every row: a row that made no call, or a verb it cannot place, would go unseen."""
    assert {run.row for run in runs} == {scenario.id for scenario in ALL} | {"adopt-a-kept-bucket-secret-and-queue"}
    assert sum(run.reads_only for run in runs) >= 20
    assert sum(bool(run.calls) for run in runs) > len(runs) * 0.9
