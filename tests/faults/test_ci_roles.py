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
lists, certificates validated by hand, nested stacks, an app server's public image parameter): a system without
a container service never looks for an image.
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
from stackyard.deploy.images import image_parameters
from tests.faults.answers import ACCOUNT
from tests.faults.fake_aws import Call
from tests.faults.iam_actions import needs
from tests.faults.iam_policy import Need, Role, role_from_template
from tests.faults.scenarios.adoption import keeps_data
from tests.faults.scenarios.common import both
from tests.faults.scenarios.data_loss import app_server, new_image_published
from tests.faults.scenarios.guard_setups import OTHER_ROLE
from tests.faults.test_fault_matrix import ALL
from tests.faults.world import APP, ENV, REGION, World
from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # every row of the fault matrix again (~10 s)

FEATURES = ("nested", "prefix_lists", "images", "certificate")  # the World's flags a row sets
MACHINE_IMAGES = "machine_images"  # a template of the row's world takes a public image parameter (app server)
DATABASES = "databases"  # a row whose stacks hold an RDS database; a system with the database stack
DATABASE_TYPES = ("AWS::RDS::DBCluster", "AWS::RDS::DBInstance")
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
    params: tuple[tuple[str, dict[str, Any]], ...] = ()  # sections merged into the environment's params


SYSTEMS = (
    System("tap-poc", ROOT / "examples" / "tap", "poc", adds_ci=False),
    System("default-prod", ROOT, "prod", adds_ci=True),
    System("infrastructure-package-production", ROOT / "examples" / "infrastructure-package", "production", True),
    System("plot-palette-production", ROOT / "examples" / "plot-palette", "production", True),
    System("goldsport-scheduler-prod", ROOT / "examples" / "goldsport-scheduler", "prod", True),
    # A domain whose DNS lives elsewhere: the deploy shows the records its certificates wait on (seed 002 §2.6).
    System("default-prod-dns-elsewhere", ROOT, "prod", True, (("edge", {"hosted_zone_id": None}),)),
)


@dataclass(frozen=True)
class ExtraRow:
    """A run the fault matrix does not make in one row: prepared, deployed, set up, then the commands."""

    id: str
    prepare: Callable[[World], None]
    setup: Callable[[World], None]
    commands: tuple[tuple[str, ...], ...]


def _keeps_a_queue_too(world: World) -> None:
    keeps_data(world)
    template = json.loads(json.dumps(world.templates["storage"]))
    template["Resources"]["Jobs"] = {
        "Type": "AWS::SQS::Queue",
        "DeletionPolicy": "Retain",
        "Properties": {"QueueName": KEPT_QUEUE},
    }
    world.change("storage", template)


EXTRA_ROWS = (
    # Every kind existing.py looks up, kept by a delete, then a pull request's plan and a deploy of the re-creation.
    ExtraRow(
        "adopt-a-kept-bucket-secret-and-queue",
        _keeps_a_queue_too,
        lambda world: None,
        (("delete", "--yes"), ("plan",), ("deploy",)),
    ),
    # A plan pins an app server's image as a deploy does (stackyard/deploy/images.py).
    ExtraRow(
        "plan-of-an-app-server-pins-its-image",
        app_server(),
        both(new_image_published, app_server(retention=5)),
        (("plan",),),
    ),
)
# Calls a role may be refused because the engine carries on without them, each proven by a fault-matrix row
# that denies it: role kind (True: the plan role) and action -> that row.
CARRIES_ON_WITHOUT = {(True, "cloudformation:DeleteStack"): "plan-that-may-not-delete-stacks-leaves-its-review-stack"}


def _play(root: Path, scenario: Any) -> tuple[list[tuple[tuple[str, ...], list[Call]]], frozenset[str]]:
    """Each command of a fault-matrix row (or an extra row) and the calls it made, baseline deploy first; and
    what the row's world held."""
    extra = isinstance(scenario, ExtraRow)
    world = World(root) if extra else World(root, **{feature: getattr(scenario, feature) for feature in FEATURES})
    scenario.prepare(world)
    played = [(("deploy",), world.run("deploy").calls)] if extra or scenario.start == "deployed" else []
    scenario.setup(world)
    commands = scenario.commands if extra else (scenario.args, *(then[0] for then in scenario.then))
    played += [(args, world.run(*args).calls) for args in commands]
    held = {feature for feature in FEATURES if getattr(scenario, feature, False)}
    if any(image_parameters(template) for template in world.templates.values()):
        held.add(MACHINE_IMAGES)
    if any(
        resource.get("Type") in DATABASE_TYPES
        for template in world.templates.values()
        for resource in template.get("Resources", {}).values()
    ):
        held.add(DATABASES)
    return played, frozenset(held)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    found = []
    for index, scenario in enumerate((*ALL, *EXTRA_ROWS)):
        played, features = _play(tmp_path_factory.mktemp(f"row{index}"), scenario)
        found += [Run(scenario.id, tuple(args), features, tuple(calls)) for args, calls in played]
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
    for section, values in system.params:
        params[section] = {**params.get(section, {}), **values}
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
    """What of the fault world's shape the system holds (its manifest's stacks, its templates' parameters)."""
    build = build_environment(config)
    stacks = build.manifest().stacks.values()
    held = {
        MACHINE_IMAGES: any(image_parameters(stack.template.document) for stack in build.stacks.values()),
        "nested": any(stack.nested for stack in stacks),
        "prefix_lists": any(stack.prefix_lists for stack in stacks),
        "images": any(stack.images for stack in stacks),
        "certificate": any(stack.manual_validation for stack in stacks),
        DATABASES: "database" in config.stacks,
    }
    return frozenset(feature for feature, holds in held.items() if holds)


def _as_system(need: Need, config: EnvironmentConfig) -> Need:
    """The world's `app-test` names as the system's environment's names."""
    prefix, path = f"{config.app}-{config.environment}", f"/{config.app}/{config.environment}/"
    resource = need.resource.replace(f"/{APP}/{ENV}/", path).replace(f"{APP}-{ENV}", prefix)
    return Need(need.action, resource, need.context)


def _not_a_ci_roles_run(run: Run) -> bool:
    """Runs no ci role is meant for: passing a role other than the environment's own (--role-arn, a
    guards.role_arn naming another role; the deploy refuses before any write, tests/faults/scenarios/guards.py),
    and deleting the account's artifact bucket, which every environment shares (--delete-artifacts: an
    administrator's act; docs/security.md)."""
    passes_another = OTHER_ROLE in run.args or any(call.params.get("RoleARN") == OTHER_ROLE for call in run.calls)
    return passes_another or "--delete-artifacts" in run.args


def ungranted(runs: list[Run], config: EnvironmentConfig, roles: dict[bool, Role], held: frozenset[str]) -> list[str]:
    """Each permission a run's call needs that its role does not grant, once, naming the first call and row."""
    missing: dict[tuple[str, str], str] = {}  # (role, need with any stack id as *) -> the message
    for run in runs:
        if not run.features <= held or _not_a_ci_roles_run(run):
            continue
        role = roles[run.reads_only]
        for call in run.calls:
            for need in (_as_system(need, config) for need in needs(call)):
                key = (role.name, re.sub(r"(:stack/[^/]+)/[^/]+", r"\1/*", str(need)))
                if role.allows(need) or (run.reads_only, need.action) in CARRIES_ON_WITHOUT or key in missing:
                    continue
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
    """The check above covers every row: a row that made no call, or a verb it cannot place, would go unseen;
    and each refusal the engine carries on from is played by its row."""
    assert {run.row for run in runs} == {scenario.id for scenario in (*ALL, *EXTRA_ROWS)}
    assert set(CARRIES_ON_WITHOUT.values()) <= {scenario.id for scenario in ALL}
    assert sum(run.reads_only for run in runs) >= 20
    assert sum(bool(run.calls) for run in runs) > len(runs) * 0.9
