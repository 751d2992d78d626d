"""Pure unit, through the CLI and the builder: params `guards` (docs/params.md) are checked before anything is
written, and build records what deploy's guards need (docs/deploy.md, "Guards"): each stack holding data gets
its stack policy beside its template, from the same stateful types rule E9013 and the data-loss review use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stackyard import stack_policy
from stackyard.build import build_environment
from stackyard.cfn import NESTED_STACK, STATEFUL_TYPES
from stackyard.config import load_configs
from stackyard.errors import EXIT_BAD_INPUT
from stackyard.manifest import load
from tests.helpers import ROOT, run_generate

CASES = {
    "no --no-rollback where production is promised": (
        "production_grade: true\nguards:\n  allow_no_rollback: true\ndatabase:\n  reader_instances: 1\n",
        [
            "params/test.yaml:3: guards.allow_no_rollback: got true in an environment with production_grade: true, "
            "where a failed update must roll back at once; expected false (keep failed updates for inspection in "
            "development environments only)"
        ],
    ),
    "an unknown stack policy mode": (
        "guards:\n  stack_policy: strict\n",
        ["params/test.yaml:2: guards.stack_policy: got 'strict'; expected 'protect', 'allow' or 'off'"],
    ),
    "a monitoring window CloudFormation does not take": (
        "guards:\n  rollback_monitoring_minutes: 181\n",
        ["params/test.yaml:2: guards.rollback_monitoring_minutes: got 181; expected less than or equal to 180"],
    ),
    "a role that is no role ARN": (
        "guards:\n  role_arn: cloudformation-role\n",
        [
            "params/test.yaml:2: guards.role_arn: got 'cloudformation-role'; expected an IAM role's ARN such as "
            "arn:aws:iam::123456789012:role/app-prod-cloudformation"
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_guards_exit_2_and_write_nothing(params_copy, capsys, override, expected):
    (params_copy / "test.yaml").write_text(override)
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    assert [line.removeprefix("error: ") for line in errors[:-1]] == expected
    assert not Path("build").exists()


def test_the_ci_stacks_cloudformation_role_must_be_the_role_deploys_pass(tmp_path, capsys, monkeypatch):
    shutil.copytree(ROOT / "examples/tap/params", tmp_path / "params")
    poc = tmp_path / "params/poc.yaml"
    poc.write_text(poc.read_text().replace("role/tap-poc-cloudformation", "role/someone-else"))
    monkeypatch.chdir(tmp_path)
    code, errors = run_generate(capsys, "--env", "poc")
    assert code == EXIT_BAD_INPUT, errors
    assert errors[0] == (
        "error: params/poc.yaml:9: guards.role_arn: got 'arn:aws:iam::123456789012:role/someone-else' while "
        "ci.infrastructure.cloudformation_role narrows the deploy role to passing the role tap-poc-cloudformation, so "
        "deploys without it could change nothing; expected arn:aws:iam::<account>:role/tap-poc-cloudformation"
    )


def test_each_stack_holding_data_gets_its_policy_beside_its_template(builds):
    build = builds["prod"]
    files = build.files()
    manifest = build.manifest()
    for name, stack in build.stacks.items():
        entry = manifest.entry(name)
        holds = bool(stack_policy.stateful_resources(stack.template.document)) or any(
            stack_policy.stateful_resources(child.document) for child in stack.nested.values()
        )
        assert (entry.stack_policy is not None) == holds, name
        if entry.stack_policy:
            policy = json.loads(files[entry.stack_policy.path])
            assert entry.stack_policy.path == f"{name}.stack-policy.json"
            assert stack_policy.guarded_types(policy) >= STATEFUL_TYPES
    # The network's flow log group lives in its Vpc child: the child gets its own policy, the parent keeps
    # that nested stack from being removed.
    network = manifest.entry("network")
    assert network.nested["Vpc"].stack_policy is not None and network.nested["SecurityGroups"].stack_policy is None
    assert NESTED_STACK in stack_policy.guarded_types(json.loads(files["network.stack-policy.json"]))
    assert "Vpc/FlowLogGroup" in network.stateful


def test_dev_relaxes_the_policy_and_local_sets_none(builds):
    dev = builds["dev"]
    assert json.loads(dev.files()["storage.stack-policy.json"]) == stack_policy.ALLOW_ALL
    assert all(entry.stack_policy is None for entry in builds["local"].manifest().stacks.values())
    assert builds["local"].manifest().guards.drift_check is False


def test_critical_alarms_are_recorded_and_warning_ones_are_not(builds):
    database = builds["prod"].manifest().entry("database")
    assert database.critical_alarms == (
        "one-system-prod database above 90% of its maximum capacity",
        "one-system-prod more than 10 database connection failures in 5 minutes",
    )
    assert builds["prod"].manifest().entry("network").critical_alarms == ()


def test_the_manifest_round_trips_the_guards(tmp_path, configs):
    build = build_environment(configs["prod"])
    for relative, body in build.files().items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(body)
    loaded = load(tmp_path / "manifest.json")
    assert loaded == build.manifest()
    assert loaded.guards.rollback_monitoring_minutes == 10 and loaded.guards.stack_policy == "protect"
    loaded.verify(tmp_path)
    (tmp_path / "storage.stack-policy.json").write_text("{}")
    with pytest.raises(Exception, match="storage.stack-policy.json: does not match"):
        loaded.verify(tmp_path)


def test_the_stack_that_creates_the_service_role_is_marked():
    """examples/tap: its ci stack creates tap-poc-cloudformation, which every other stack is deployed as."""
    manifest = build_environment(load_configs(ROOT / "examples/tap/params", ["poc"])["poc"]).manifest()
    assert [name for name, entry in manifest.stacks.items() if entry.holds_service_role] == ["ci"]
    assert manifest.guards.role_arn == "arn:aws:iam::123456789012:role/tap-poc-cloudformation"
